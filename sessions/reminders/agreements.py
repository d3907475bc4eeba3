"""Reminders of an agreement waiting for signatures (`settings.REMINDER_RULES`).

A rule about active pairs and their pauses, so it lives in sessions, which may read
agreements. See `peercoach.notifications.rules` for what every rule shares (mornings only,
checked when sent, recorded once).
"""

from datetime import timedelta

from django.utils import timezone

from agreements.models import Agreement, Signature
from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Kind
from peercoach.notifications.rules import (
    day_text,
    link,
    local_date,
    morning_due,
    names_text,
    unrecorded,
)
from peercoach.tenancy.languages import override_for
from peercoach.tenancy.zones import zone_name
from programs.models import Match
from programs.selectors.members import current_members, members_by_match, recipients

from ..selectors.endings import active_pauses

EVERY_DAYS = 3  # the first reminder after 3 days, then every 3 days
TIMES = 3  # and no more than 3


def agreement_reminders(*, organization, now):
    """Each party of an open agreement (the first one or an amendment) who has not signed
    it: reminded 3, 6 and 9 days after it was started (counted in their own calendar),
    three times at most (periods "a<agreement>:1" to ":3"). A reminder missed on its day
    is not made up once the next one is due, so nobody gets two at once. Nothing for
    ended or paused pairs, or for people whose account is closed. Five queries, whatever
    the number of agreements.
    """
    agreements = list(
        Agreement.objects.filter(
            organization=organization,
            status=Agreement.Status.OPEN,
            match__status=Match.Status.ACTIVE,
            # A day either side of the first and last reminder: recipients' zones differ.
            created_at__lte=now - timedelta(days=EVERY_DAYS - 1),
            created_at__gte=now - timedelta(days=EVERY_DAYS * (TIMES + 1) + 1),
        )
        .select_related("program")
        .order_by("id")
    )
    if not agreements:
        return []
    ids = [a.pk for a in agreements]
    match_ids = [a.match_id for a in agreements]
    signed = set(
        Signature.objects.filter(
            organization=organization, agreement_id__in=ids, voided_at__isnull=True
        ).values_list("agreement_id", "signer_id")
    )
    members = members_by_match(current_members(organization=organization, match_id__in=match_ids))
    paused = active_pauses(
        organization=organization,
        match_ids=match_ids,
        today=timezone.localdate(now, timezone=organization.tzinfo),
    )
    dues = []
    for agreement in agreements:
        if agreement.match_id in paused:
            continue
        people = members.get(agreement.match_id, [])
        signers = [m.user.display_name for m in people if (agreement.pk, m.user_id) in signed]
        url = link("agreements:detail", org_slug=organization.slug, pk=agreement.pk)
        for member in recipients(people):
            user = member.user
            if (agreement.pk, user.pk) in signed:
                continue
            zone = zone_name(user, organization)
            started = local_date(agreement.created_at, zone)
            today = local_date(now, zone)
            number = min(TIMES, (today - started).days // EVERY_DAYS)
            if number < 1:
                continue
            due_at = morning_due(started + timedelta(days=number * EVERY_DAYS), zone, now)
            if due_at is None:
                continue
            others = [m.user.display_name for m in people if m.user_id != user.pk]
            with override_for(user, organization):  # texts in the recipient's language
                dues.append(
                    Due(
                        recipient_id=user.pk,
                        kind=Kind.AGREEMENT,
                        period=f"a{agreement.pk}:{number}",
                        due_at=due_at,
                        program_id=agreement.program_id,
                        match_id=agreement.match_id,
                        context={
                            "program_name": agreement.program.name,
                            "partners": names_text(others),
                            "signed_by": names_text(signers),
                            "is_amendment": agreement.number > 1,
                            "started_on": day_text(started),
                            "days_open": (today - started).days,
                            "reminder_number": number,
                            "last_reminder": number == TIMES,
                            "agreement_url": url,
                        },
                    )
                )
    return unrecorded(organization=organization, kind=Kind.AGREEMENT, dues=dues)
