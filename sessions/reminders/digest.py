"""The coordinators' weekly digest of pairs at risk: names and reasons, never content."""

from datetime import timedelta

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreements.models import Agreement, Signature
from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Kind
from peercoach.tenancy.models import Membership
from programs.models import Match
from programs.reminders import (
    day_text,
    link,
    local_date,
    morning_due,
    names_text,
    reachable,
    recipients,
    unrecorded,
    zone_name,
)

from ..selectors.reports import period_to_report
from .common import (
    AGAIN_DAYS,
    DIGEST_AGREEMENT_DAYS,
    DIGEST_LIMIT,
    GRACE_DAYS,
    active_pairs,
    gap_days,
    last_held_days,
    report_schedule,
    reported_periods,
    since_day,
)


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
        dues.append(
            Due(
                recipient_id=user.pk,
                kind=Kind.DIGEST,
                period=f"d{year}-W{week:02d}",
                due_at=due_at,
                context={"week_of": day_text(today)},
            )
        )
    return unrecorded(organization=organization, kind=Kind.DIGEST, dues=dues)


def pairs_at_risk(*, organization, now):
    """[{"names", "program_name", "reasons": [{"text", "url"}]}] of the active pairs that
    need the program team's attention today (the organisation's date): no session within
    the agreed frequency plus the grace period, a progress report more than a week late,
    or no signed agreement a week after it was started. Paused pairs are left out.
    Names and reasons only, nothing the pair wrote. Eight or nine queries."""
    pairs = active_pairs(organization)
    if not pairs:
        return []
    today = local_date(now, organization.time_zone)
    last_held = last_held_days(organization)
    reported = reported_periods(organization)
    unsigned = {
        a.match_id: a
        for a in Agreement.objects.filter(
            organization=organization,
            status=Agreement.Status.OPEN,
            match__status=Match.Status.ACTIVE,
            created_at__lte=now - timedelta(days=DIGEST_AGREEMENT_DAYS),
        )
        .exclude(match__agreements__status=Agreement.Status.SIGNED)
        .only("id", "match_id", "created_at")
        .order_by("id")
    }
    signed_by = set(
        Signature.objects.filter(
            organization=organization,
            agreement_id__in=[a.pk for a in unsigned.values()],
            voided_at__isnull=True,
        ).values_list("agreement_id", "signer_id")
    )
    slug = organization.slug
    found = []
    for pair in pairs:
        if pair.paused(today):
            continue
        match, program = pair.match, pair.program
        reasons = []
        since = since_day(pair, last_held)
        if pair.in_term(today) and gap_days(pair, since, today) > pair.every + GRACE_DAYS:
            days = (today - since).days
            if match.pk in last_held:
                text = ngettext(
                    "No session held for %(days)s day.", "No session held for %(days)s days.", days
                )
            else:
                text = ngettext(
                    "No session held since the pair started %(days)s day ago.",
                    "No session held since the pair started %(days)s days ago.",
                    days,
                )
            text %= {"days": days}
            if pair.frequency:
                rhythm = pair.frequency[:1].lower() + pair.frequency[1:]
                text += " " + _("Their rhythm: %(frequency)s.") % {"frequency": rhythm}
            reasons.append(
                {
                    "text": text,
                    "url": link("programs:matches", org_slug=slug, pk=program.pk),
                }
            )
        schedule = report_schedule(pair, organization)
        late = []
        for member in recipients(pair.members):
            period, due = period_to_report(
                schedule, reported.get((match.pk, member.user_id), set()), today
            )
            if due and schedule.period_end(period) + timedelta(days=AGAIN_DAYS) < today:
                late.append((member.user.display_name, schedule.period_end(period)))
        if late:
            reasons.append(
                {
                    "text": _("Progress report overdue (due %(day)s) from %(names)s.")
                    % {
                        "day": day_text(min(day for _n, day in late)),
                        "names": names_text(name for name, _d in late),
                    },
                    "url": link("sessions:program_reports", org_slug=slug, pk=program.pk),
                }
            )
        agreement = unsigned.get(match.pk)
        if agreement is not None:
            waiting = [
                m.user.display_name
                for m in pair.members
                if (agreement.pk, m.user_id) not in signed_by
            ]
            days = (today - local_date(agreement.created_at, organization.time_zone)).days
            reasons.append(
                {
                    "text": ngettext(
                        "Agreement not signed %(days)s day after it was started; "
                        "waiting for %(names)s.",
                        "Agreement not signed %(days)s days after it was started; "
                        "waiting for %(names)s.",
                        days,
                    )
                    % {"days": days, "names": names_text(waiting)},
                    "url": link("agreements:status_list", org_slug=slug, pk=program.pk),
                }
            )
        if reasons:
            found.append({"names": pair.names(), "program_name": program.name, "reasons": reasons})
    return found


def coordinator_digest(*, organization, now):
    """Monday morning (each coordinator's zone), the pairs at risk with the reasons and a
    link for each (`pairs_at_risk`), to every coordinator of the organisation; period
    "d<ISO year>-W<week>". Nothing when no pair is at risk. One or two queries when no
    digest is due, ten or eleven when one is."""
    dues = _digest_dues(organization, now)
    if not dues:
        return []
    found = pairs_at_risk(organization=organization, now=now)
    if not found:
        return []
    shown = found[:DIGEST_LIMIT]
    extra = {
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
            context={**due.context, **extra},
        )
        for due in dues
    ]
