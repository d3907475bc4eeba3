"""Who may reach a program, in one place.

Coordinators reach every program of their organisation. Participants reach a program
once it is no longer a draft; a draft, like another tenant's program, answers 404.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Program


def _program(request, pk):
    program = get_object_or_404(Program, pk=pk, organization=request.organization)
    # The middleware loaded the organisation already; spare every page a query for it.
    program.organization = request.organization
    return program


def program_for_request(request, pk):
    """The program `pk` of the request's organisation as this person may see it, or 404."""
    program = _program(request, pk)
    if not request.membership.is_coordinator and not program.visible_to_participants:
        raise Http404("No such program.")
    return program


def coordinator_program(request, pk):
    """The program `pk` for its coordinators; 404 for another tenant's, 403 for participants."""
    program = _program(request, pk)
    if not request.membership.is_coordinator:
        raise PermissionDenied
    return program
