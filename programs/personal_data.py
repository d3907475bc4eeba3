"""The person's applications and pairs, for their data export and account deletion (the
interface is described in peercoach.accounts.personal_data)."""

from django.utils import timezone
from django.utils.translation import gettext as _

from peercoach.accounts.personal_data import iso, table
from peercoach.tenancy.zones import zone_of

from .models import Application, Match, MatchMember, Question

# Applications still waiting for a decision go with the account; the others stay (the
# program's counts) without their answers, and an accepted one is withdrawn so that no
# later matching run picks the person up.
PENDING_APPLICATIONS = (Application.Status.SUBMITTED, Application.Status.WAITLISTED)


def pair_members(*, organization, user):
    """Everyone in the person's published pairs and circles in `organization` (their own
    rows too), ordered by pair and position. One query."""
    return list(
        MatchMember.objects.filter(
            organization=organization,
            match__in=Match.objects.filter(organization=organization, members__user=user).exclude(
                status=Match.Status.PROPOSED
            ),
        )
        .select_related("user", "match", "program")
        .order_by("match_id", "position", "id")
    )


def _applications(organization, user, zone):
    applications = list(
        Application.objects.filter(organization=organization, user=user).select_related("program")
    )
    labels = {
        str(pk): label
        for pk, label in Question.objects.filter(
            organization=organization, program_id__in={a.program_id for a in applications}
        ).values_list("pk", "label")
    }
    rows, answers = [], []
    for a in applications:
        rows.append(
            {
                "application_id": a.pk,
                "program": a.program.name,
                "status": a.status,
                "submitted_at": iso(a.submitted_at, zone),
                "updated_at": iso(a.updated_at, zone),
                "group": a.group,
                "community": a.community,
                "role_level": a.role_level,
                "preferred_role": a.preferred_role,
                # Their answer after an opt-out: paired again or not.
                "opted_out_at": iso(a.opted_out_at, zone) if a.opted_out_at else "",
                "wants_new_partner": a.wants_new_partner,
            }
        )
        for key, value in (a.answers or {}).items():
            answers.append(
                {
                    "application_id": a.pk,
                    "program": a.program.name,
                    "question": labels.get(str(key), str(_("(a question since removed)"))),
                    "answer": "; ".join(map(str, value)) if isinstance(value, list) else value,
                }
            )
    return rows, answers


def _pairs(organization, user, zone):
    by_match = {}
    for member in pair_members(organization=organization, user=user):
        by_match.setdefault(member.match_id, []).append(member)
    rows = []
    for group in by_match.values():
        mine = next(m for m in group if m.user_id == user.pk)
        match = mine.match
        rows.append(
            {
                "pair_id": match.pk,
                "program": mine.program.name,
                "format": mine.program.format,
                "status": match.status,
                "my_role": mine.role,
                "i_am_still_in_it": mine.is_current,
                "partners": "; ".join(m.user.display_name for m in group if m.user_id != user.pk),
                "published_at": iso(match.published_at, zone),
                "ended_at": iso(match.ended_at, zone),
            }
        )
    return rows


def tables(*, organization, user):
    """The person's applications with their answers, and their pairs and circles."""
    zone = zone_of(user, organization)
    applications, answers = _applications(organization, user, zone)
    return [
        table("applications", applications),
        table("application_answers", answers),
        table("pairs", _pairs(organization, user, zone)),
    ]


def leave(*, organization, user):
    """The person's open applications in `organization` (submitted, wait-listed or
    accepted) are withdrawn, so that no matching run picks them up; their answers stay
    for the program's records. Runs after sessions' `leave` has ended their pairs."""
    Application.objects.filter(
        organization=organization,
        user=user,
        status__in=(*PENDING_APPLICATIONS, Application.Status.ACCEPTED),
    ).update(status=Application.Status.WITHDRAWN, updated_at=timezone.now())


def erase(*, user):
    """Pending applications go; the others lose their answers, and an accepted one is
    withdrawn. Pairs stay: ending the current ones is sessions' part
    (sessions.personal_data.erase, through an opt-out), which runs before this one."""
    Application.objects.filter(user=user, status__in=PENDING_APPLICATIONS).delete()
    Application.objects.filter(user=user).update(answers={}, updated_at=timezone.now())
    Application.objects.filter(user=user, status=Application.Status.ACCEPTED).update(
        status=Application.Status.WITHDRAWN
    )
