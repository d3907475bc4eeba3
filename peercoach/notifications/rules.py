"""The pieces every reminder rule shares (the rules themselves live in the apps that own
their data, listed in `settings.REMINDER_RULES`).

A rule is `rule(*, organization, now) -> list[Due]`, run in the organisation's scope by the
dispatcher every few minutes (`dispatch.py`). The rules in this project share three habits,
kept here:

- **Mornings only.** A reminder is yielded while it is the recipient's morning
  (08:00 to 12:00 in their zone, their own or the organisation's) on its due day or a
  later one, and `due_at` is 08:00 of that local day (`morning_of`: right across
  daylight-saving changes). Something that falls due in the afternoon or at night waits
  for the next morning, and a dispatcher that was down catches up the next morning
  instead of emailing people at midnight.
- **Checked when sent.** Because a reminder is recorded at the moment it goes out, the
  rule's checks (still unsigned, nothing scheduled, not paused...) are fresh: nothing is
  recorded days ahead and then sent although it no longer applies.
- **Recorded once.** `unrecorded` drops what the ledger already holds (one query), so a
  rule yielding the same reminder every five minutes of a morning costs no insert; the
  ledger's unique constraint stays the guarantee.
"""

import zoneinfo
from datetime import timedelta

from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from peercoach.web.urls import absolute_url

from .dispatch import morning_of
from .models import Delivery

# How long after 08:00 local a reminder may still be recorded for today.
MORNING_WINDOW = timedelta(hours=4)
# Events and sessions are reminded "the day before": at most this far ahead of the start.
DAY_BEFORE_HORIZON = timedelta(days=2, hours=2)


def local_date(moment, zone):
    return moment.astimezone(zoneinfo.ZoneInfo(zone)).date()


def morning_due(day, zone, now):
    """`due_at` for a reminder due on `day` in `zone`, or None when it is not to be
    recorded now: 08:00 of the local today, provided today is `day` or later and `now`
    lies in today's morning window (08:00 to 12:00 local)."""
    today = local_date(now, zone)
    if today < day:
        return None
    at = morning_of(today, zone)
    if at <= now < at + MORNING_WINDOW:
        return at
    return None


def reachable(user):
    """Whether reminders may go to `user` (an account that is open and has an address)."""
    return user.is_active and user.deleted_at is None and bool(user.email)


def names_text(names):
    """ "Ana", "Ana and Ben", "Ana, Ben and Cy"."""
    names = [str(n) for n in names if n]
    if len(names) <= 1:
        return "".join(names)
    return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def day_text(day):
    return formats.date_format(day, "WEEKDAY_DATE_FORMAT")


def when_text(starts_at, minutes, zone):
    """ "Tuesday 20 October 2026, 10:00–11:00 (Europe/Berlin)", in `zone`."""
    tz = zoneinfo.ZoneInfo(zone)
    start = starts_at.astimezone(tz)
    end = (starts_at + timedelta(minutes=minutes)).astimezone(tz)
    hours = f"{formats.time_format(start, 'H:i')}–{formats.time_format(end, 'H:i')}"
    return f"{day_text(start)}, {hours} ({zone})"


def link(name, **kwargs):
    return absolute_url(reverse(name, kwargs=kwargs))


def unrecorded(*, organization, kind, dues):
    """Those of `dues` (all of `kind`) that the ledger does not hold yet. One query."""
    if not dues:
        return []
    seen = set(
        Delivery.objects.filter(
            organization=organization, kind=kind, period__in={due.period for due in dues}
        ).values_list("recipient_id", "period")
    )
    return [due for due in dues if (due.recipient_id, due.period) not in seen]
