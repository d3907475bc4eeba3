"""Reads for the confidential concern channel.

Who reads a concern: its author, and the coordinators who handle concerns
(`Membership.handles_concerns`). Nobody else, coordinators included; the lists for
handlers carry no body, so a screen seen over a shoulder gives nothing away.
"""

from django.db.models import Exists, OuterRef, Q

from peercoach.tenancy.models import Membership
from programs.models import Application, MatchMember, Program

from ..models import Concern, ConcernAccess


def concern_handlers(*, organization):
    """The coordinators who read concerns, accounts not deleted, by name."""
    return list(
        Membership.objects.filter(
            organization=organization,
            role=Membership.Role.COORDINATOR,
            handles_concerns=True,
            user__deleted_at__isnull=True,
            user__is_active=True,
        )
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email")
    )


def takes_part(*, organization, user_id):
    """True when the person is a current member of a pair or circle of the organisation."""
    return MatchMember.objects.filter(
        organization=organization, user_id=user_id, is_current=True
    ).exists()


def programs_of(*, organization, user):
    """The programs a person applied to or was paired in, for the concern form."""
    applied = Application.objects.filter(
        organization=organization, program=OuterRef("pk"), user=user
    )
    paired = MatchMember.objects.filter(
        organization=organization, program=OuterRef("pk"), user=user
    )
    return Program.objects.filter(organization=organization).filter(
        Q(Exists(applied)) | Q(Exists(paired))
    )


def concerns_for_handlers(*, organization):
    """Every concern of the organisation, newest first, without its body (a queryset for
    the paginator: the program comes joined, nothing else is read per row)."""
    return (
        Concern.objects.filter(organization=organization)
        .select_related("program")
        .defer("body")
        .order_by("-created_at", "-id")
    )


def concerns_of_author(*, organization, user):
    return list(
        Concern.objects.filter(organization=organization, author=user)
        .select_related("program")
        .order_by("-created_at", "-id")
    )


def concern_counts(*, organization):
    open_ = Concern.objects.filter(organization=organization, status=Concern.Status.OPEN)
    return {"open": open_.count()}


def concern_access_log(*, concern):
    """Every reading and action on a concern, oldest first, with who did it."""
    return list(
        ConcernAccess.objects.filter(organization=concern.organization, concern=concern)
        .select_related("user")
        .order_by("at", "id")
    )


def concern_seen_by_team(*, concern):
    """True once someone other than the author opened the concern (for the author's page:
    they learn that it was read, not by whom)."""
    return (
        ConcernAccess.objects.filter(
            organization=concern.organization,
            concern=concern,
            action=ConcernAccess.Action.VIEWED,
        )
        .exclude(user_id=concern.author_id)
        .exclude(user__isnull=True)
        .exists()
    )
