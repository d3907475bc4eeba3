"""Reminder rules for pairs and circles, and the coordinators' weekly digest.

Listed in `settings.REMINDER_RULES`; see `peercoach.notifications.rules` for what every
rule shares (mornings only, checked when sent, recorded once). Each rule reads the
organisation's active pairs in a fixed number of queries, whatever their number
(`common`); the pair rules are in `pairs`, the agreement reminders in `agreements`, the
digest in `digest`.

The pair's calendar (when it started, its sessions, its pauses) is counted in dates of
the organisation's time zone, as the pair's pages count it; each reminder goes out at
08:00 in its recipient's own zone.

- meeting: once per cycle of the agreed frequency (the signed agreement, else the
  program's cadence; monthly when the pair chooses), counted from the pair's first day,
  from the second cycle on (the first starts with the publication email). A cycle in
  which a session is proposed, scheduled or held gets none.
- nudge: no session held for longer than the agreed frequency plus a week's grace,
  since the last one (or the pair's first day: a pair that has not met yet has at least
  three weeks, `sessions.selectors.home.allowed_gap`), paused days not counted: one nudge
  per missed window, never during a pause.
- report: a prompt on the day a reporting period falls due (sessions.selectors.reports:
  the same periods as the report form), and one reminder a week later if the person has
  still not written it.
- agreement: an agreement still unsigned 3, 6 and 9 days after it was started, to each
  party who has not signed it; never for paused pairs (`agreements`).
- session: the day before a scheduled session. A rescheduled session (its calendar
  SEQUENCE grows) is reminded again: the period is "s<session>:<sequence>".
- The participant's pages announce the next of these (`timing.next_reminder`, the same
  date arithmetic as the rules).
- digest: Monday morning, to each coordinator, the pairs at risk and why (names and
  reasons only). Nothing when no pair is at risk.
"""

from .agreements import agreement_reminders
from .digest import coordinator_digest, pairs_at_risk
from .pairs import meeting_reminders, nudges, report_reminders, session_reminders

__all__ = [
    "agreement_reminders",
    "coordinator_digest",
    "meeting_reminders",
    "nudges",
    "pairs_at_risk",
    "report_reminders",
    "session_reminders",
]
