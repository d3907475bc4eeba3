"""The coordinators' weekly digest of pairs at risk: names and reasons, never content."""

from django.utils import translation

from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Kind
from peercoach.notifications.rules import (
    day_text,
    link,
    local_date,
    morning_due,
    reachable,
    unrecorded,
)
from peercoach.tenancy.languages import language_of, override_for
from peercoach.tenancy.models import Membership
from peercoach.tenancy.zones import zone_name
from peercoach.web.urls import absolute_url

from .common import DIGEST_LIMIT


def _digest_dues(organization, now):
    """The coordinators whose Monday morning it is and whose digest of the week is not
    recorded yet. One query, two when it is someone's Monday morning."""
    dues = []
    coordinators = Membership.objects.filter(
        organization=organization, role=Membership.Role.COORDINATOR
    ).select_related("user")
    for membership in coordinators:
        user = membership.user
        if not reachable(user):
            continue
        user_zone = zone_name(user, organization)
        today = local_date(now, user_zone)
        if today.weekday() != 0:
            continue
        due_at = morning_due(today, user_zone, now)
        if due_at is None:
            continue
        year, week, _day = today.isocalendar()
        with override_for(user, organization):  # texts in the recipient's language
            dues.append(
                Due(
                    recipient_id=user.pk,
                    kind=Kind.DIGEST,
                    period=f"d{year}-W{week:02d}",
                    due_at=due_at,
                    # The language the digest's texts are written in (popped below).
                    context={
                        "week_of": day_text(today),
                        "language": language_of(user, organization),
                    },
                )
            )
    return unrecorded(organization=organization, kind=Kind.DIGEST, dues=dues)


def pairs_at_risk(*, organization, now):
    """[{"names", "program_name", "reasons": [{"text", "url"}]}] of the active pairs that
    need the program team's attention today (the organisation's date), as the program
    dashboard finds them (sessions.selectors.risk): no session within the agreed
    frequency plus the grace period, a progress report more than a week late, no signed
    agreement a week after it was started, or low feedback ratings. Paused pairs are left
    out. Names and reasons only, nothing the pair wrote. Ten or eleven queries."""
    # Imported here: the risk selector imports this package's `common`, so a module-level
    # import would load the package half-way through itself.
    from ..selectors.risk import pairs_at_risk as risks

    return [
        {
            "names": risk.names,
            "program_name": risk.program.name,
            "reasons": [
                {"text": reason.text, "url": absolute_url(reason.path)} for reason in risk.reasons
            ],
        }
        for risk in risks(organization=organization, now=now)
    ]


def coordinator_digest(*, organization, now):
    """Monday morning (each coordinator's zone), the pairs at risk with the reasons and a
    link for each (`pairs_at_risk`), to every coordinator of the organisation; period
    "d<ISO year>-W<week>". Nothing when no pair is at risk. One or two queries when no
    digest is due, twelve or thirteen when one is."""
    dues = _digest_dues(organization, now)
    if not dues:
        return []
    # The reasons are texts: found once per language of the coordinators (usually one).
    extras = {}
    for language in sorted({due.context["language"] for due in dues}):
        with translation.override(language):
            found = pairs_at_risk(organization=organization, now=now)
        if not found:
            return []
        shown = found[:DIGEST_LIMIT]
        extras[language] = {
            "pairs": shown,
            "total": len(found),
            "more": len(found) - len(shown),
            "programs_url": link("programs:list", org_slug=organization.slug),
        }
    return [
        Due(
            recipient_id=due.recipient_id,
            kind=due.kind,
            period=due.period,
            due_at=due.due_at,
            context={
                **{k: v for k, v in due.context.items() if k != "language"},
                **extras[due.context["language"]],
            },
        )
        for due in dues
    ]
