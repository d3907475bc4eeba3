"""Who may reach an agreement, in one place.

The parties (the members of its pair or circle) reach everything of their agreement.
Anyone else gets 404: another tenant's agreement, another pair's, and a coordinator's
look at the content itself. Coordinators see status on the program's list and, only
where the template said so before anyone signed, download the signed PDF.
"""

from django.http import Http404
from django.shortcuts import get_object_or_404

from programs.models import MatchMember

from .models import Agreement


def _agreement(request, pk):
    agreement = get_object_or_404(
        Agreement.objects.select_related("program", "match", "template"),
        pk=pk,
        organization=request.organization,
    )
    agreement.organization = request.organization
    agreement.program.organization = request.organization
    # The template's items are read in the tenant too: no query for its organisation.
    agreement.template.organization = request.organization
    return agreement


def is_party(agreement, user):
    return MatchMember.objects.filter(
        organization=agreement.organization, match_id=agreement.match_id, user=user
    ).exists()


def agreement_for_party(request, pk):
    """The agreement `pk` when the requester is one of its parties, else 404."""
    agreement = _agreement(request, pk)
    if not is_party(agreement, request.user):
        raise Http404("No such agreement.")
    return agreement


def agreement_for_pdf(request, pk):
    """The agreement `pk` when the requester may download its signed PDF, else 404.

    Parties always may. Coordinators may when the agreement says the program team reads
    the signed agreement (the parties saw that before signing).
    """
    agreement = _agreement(request, pk)
    if is_party(agreement, request.user):
        return agreement
    if request.membership.is_coordinator and agreement.coordinator_sees_pdf:
        return agreement
    raise Http404("No such agreement.")
