"""What the pair rules and the digest share: the organisation's active pairs with their
members, pauses and agreed frequencies, read in a fixed number of queries.

Every reader takes the same optional narrowing, `program` and `match_ids`, for the pages
that look at one program (the coordinators' dashboard) or one pair (a nudge): the same
queries, filtered, so a page reads what it shows and no more."""

from dataclasses import dataclass

from django.db.models import Max

from agreements.models import Agreement
from agreements.selectors.terms import terms_from_signed
from peercoach.notifications.rules import link, local_date, names_text
from programs.models import Match, Program
from programs.selectors.members import current_members, members_by_match

from ..models import Pause, ProgressReport, Session
from ..selectors.home import allowed_gap, pause_today, paused_days
from ..selectors.reports import schedule_of

DEFAULT_EVERY_DAYS = 30  # "the pair chooses", or an agreed "other" frequency
GRACE_DAYS = 7  # a nudge once no session was held within the frequency plus this
AGAIN_DAYS = 7  # a report not written this long after its due date is reminded once
DIGEST_AGREEMENT_DAYS = 7  # an agreement still unsigned after this long is a risk
DIGEST_LIMIT = 50  # pairs listed in one digest; the rest are counted


# --- The active pairs, read once per rule -------------------------------------------------

# Signed agreement texts never change: what a rule needs from one is read once per
# process, keyed by the SHA-256 of the text.
_SIGNED = {}
_SIGNED_LIMIT = 100_000


def narrowed(*, program=None, match_ids=None, through_match=False):
    """Filter keywords for a table that carries `match` (and `program`, unless
    `through_match`: then the program is reached through the match)."""
    found = {}
    if program is not None:
        found["match__program_id" if through_match else "program_id"] = program.pk
    if match_ids is not None:
        found["match_id__in"] = match_ids
    return found


def signed_terms(organization, *, program=None, match_ids=None):
    """{match_id: (meeting days, meeting frequency text, reporting days)} from the signed
    agreements of the active pairs (days None: the text does not say, or says "other";
    frequency "" when it has no meeting frequency at all). One query, and one more for
    texts this process has not read yet."""
    signed = Agreement.objects.filter(
        organization=organization,
        status=Agreement.Status.SIGNED,
        match__status=Match.Status.ACTIVE,
        **narrowed(program=program, match_ids=match_ids),
    )
    rows = list(signed.values_list("match_id", "pk", "content_sha256"))
    missing = {pk for _m, pk, sha in rows if not sha or sha not in _SIGNED}
    read = {}
    if missing:
        if len(_SIGNED) > _SIGNED_LIMIT:
            _SIGNED.clear()
        texts = signed if len(missing) > 500 else signed.filter(pk__in=missing)
        for pk, sha, text in texts.values_list("pk", "content_sha256", "signed_content"):
            try:
                terms = terms_from_signed(text, agreement_id=pk)
                found = (
                    terms.meeting_every_days,
                    str(terms.meeting_frequency),
                    terms.reporting_every_days,
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                found = (None, "", None)  # unreadable: the program's settings stand in
            read[pk] = found
            if sha:
                _SIGNED[sha] = found
    return {match_id: read[pk] if pk in read else _SIGNED[sha] for match_id, pk, sha in rows}


@dataclass
class PairState:
    match: Match
    program: Program
    members: list  # current members (MatchMember with user and in_organization)
    pauses: list
    start: object  # the pair's first day (the cadence counts from it)
    every: int  # days between meetings
    frequency: str  # the agreed frequency as the parties read it; "" when none
    reporting_every: int | None  # agreed days between reports (None: the program's)

    def in_term(self, today):
        return self.start <= today <= self.program.term_end

    def paused(self, today):
        return pause_today(self.pauses, today) is not None

    def names(self, but=None):
        return names_text(m.user.display_name for m in self.members if m.user_id != but)


def active_pairs(organization, *, program=None, match_ids=None):
    """[PairState] of the organisation's active pairs and circles in programs not closed
    (of `program` only, or the pairs `match_ids` only, when given). Four or five queries."""
    only = {}
    if program is not None:
        only["program_id"] = program.pk
    if match_ids is not None:
        only["pk__in"] = match_ids
    matches = list(
        Match.objects.filter(organization=organization, status=Match.Status.ACTIVE, **only)
        .exclude(program__status=Program.Status.CLOSED)
        .select_related("program")
        # What the matcher explained and the program's long texts are not needed here.
        .defer(
            "explanation",
            "warnings",
            "end_reason",
            "program__description",
            "program__session_topics",
        )
        .order_by("id")
    )
    if not matches:
        return []
    narrow = {"program": program, "match_ids": match_ids}
    members = members_by_match(current_members(organization=organization, **narrowed(**narrow)))
    return pair_states(
        organization, [(match, match.program) for match in matches], members, **narrow
    )


def pair_states(organization, matches, members, *, program=None, match_ids=None):
    """[PairState] of `matches` ([(match, its program)], in that order) with their
    `members` ({match_id: [member]}), pauses and signed terms, read with the same narrowing
    as the matches were. Two queries, and one more for signed texts this process has not
    read yet. Shared by `active_pairs` and `sessions.selectors.risk.watched_pairs`, so the
    reminders and the pairs at risk count from the same first days and rhythms."""
    narrow = {"program": program, "match_ids": match_ids}
    pauses = pauses_by_match(organization, **narrow)
    signed = signed_terms(organization, **narrow)
    zone = organization.time_zone
    rhythms = {}
    return [
        pair_state(
            match=match,
            program=match_program,
            members=members.get(match.pk, []),
            pauses=pauses.get(match.pk, []),
            signed=signed,
            zone=zone,
            rhythms=rhythms,
        )
        for match, match_program in matches
    ]


def pauses_by_match(organization, *, program=None, match_ids=None):
    """{match_id: [Pause]} of the active pairs, oldest first. One query."""
    pauses = {}
    for pause in Pause.objects.filter(
        organization=organization,
        match__status=Match.Status.ACTIVE,
        **narrowed(program=program, match_ids=match_ids, through_match=True),
    ).order_by("starts_on", "id"):
        pauses.setdefault(pause.match_id, []).append(pause)
    return pauses


def pair_state(*, match, program, members, pauses, signed, zone, rhythms):
    """The PairState of one active pair. `match` needs `pk`, `published_at` and
    `created_at`; `signed` is `signed_terms`'s answer; `rhythms` a dict that keeps each
    program's cadence (days, text) between calls."""
    meeting_days, frequency, reporting_days = signed.get(match.pk, (None, "", None))
    if not frequency:  # no signed agreement, or it does not say: the program's cadence
        if program.pk not in rhythms:
            days = program.cadence_days or None
            rhythms[program.pk] = (days, str(program.get_cadence_days_display()) if days else "")
        meeting_days, frequency = rhythms[program.pk]
    begun = local_date(match.published_at or match.created_at, zone)
    return PairState(
        match=match,
        program=program,
        members=members,
        pauses=pauses,
        start=max(begun, program.term_start),
        every=meeting_days or DEFAULT_EVERY_DAYS,
        frequency=frequency if meeting_days else "",
        reporting_every=reporting_days,
    )


def pair_links(organization, match_id):
    return {
        "pair_url": link("sessions:pair", org_slug=organization.slug, pk=match_id),
        "schedule_url": link("sessions:schedule", org_slug=organization.slug, pk=match_id),
    }


def report_schedule(pair, organization):
    return schedule_of(
        match=pair.match,
        program=pair.program,
        agreed_days=pair.reporting_every,
        organization=organization,
    )


def gap_days(pair, since, today):
    """Days from `since` to `today`, paused days left out (as the pair's page counts)."""
    return (today - since).days - paused_days(pair.pauses, since, today)


def last_held_days(organization, *, program=None, match_ids=None):
    """{match_id: local date of the last held session} of the active pairs. One query."""
    zone = organization.time_zone
    return {
        match_id: local_date(last, zone)
        for match_id, last in Session.objects.filter(
            organization=organization,
            match__status=Match.Status.ACTIVE,
            status=Session.Status.HELD,
            **narrowed(program=program, match_ids=match_ids),
        )
        .values("match_id")
        .annotate(last=Max("starts_at"))
        .values_list("match_id", "last")
    }


def since_day(pair, last_held):
    last = last_held.get(pair.match.pk)
    return max(last, pair.start) if last else pair.start


def behind_after(pair, last_held):
    """Unpaused days without a session after which the pair is behind (a nudge, a pair at
    risk): its rhythm, at least FIRST_SESSION_DAYS before its first session
    (`sessions.selectors.home.allowed_gap`), plus the week's grace."""
    last = last_held.get(pair.match.pk)
    return behind_days(pair.every, met=last is not None and last >= pair.start)


def behind_days(every, *, met):
    """`behind_after` from the rhythm and whether the pair has met since its start."""
    return allowed_gap(every, met=met) + GRACE_DAYS


def reported_periods(organization, *, program=None, match_ids=None):
    """{(match_id, author_id): {period}} for the active pairs. One query."""
    found = {}
    for match_id, author_id, period in (
        ProgressReport.objects.filter(
            organization=organization,
            match__status=Match.Status.ACTIVE,
            **narrowed(program=program, match_ids=match_ids),
        )
        .order_by()
        .values_list("match_id", "author_id", "period")
    ):
        found.setdefault((match_id, author_id), set()).add(period)
    return found
