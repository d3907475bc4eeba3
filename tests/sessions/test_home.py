"""The pair's hub page and its session list (the participant's home: tests/portal).

Who reaches a hub (members current or former; nobody else), what it shows for each
format, the read-only ended pair, sessions against the agreed cadence (pauses left out,
on the hub and the home alike), and the query counts of the hub and the list for 1 and
20 items.
"""

import json
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements.models import Agreement
from programs.models import Match, MatchMember, Program
from sessions.models import Checklist, Pause, Session
from sessions.selectors.home import cadence_of
from tests.agreements.conftest import template_make
from tests.test_query_counts import LARGE, count_queries, describe

from .conftest import pair_make, person

pytestmark = pytest.mark.django_db


def session_make(pair, *, status=Session.Status.HELD, days=0, proposed_by=None, minutes=60):
    """A session of `pair`, `days` from now (negative: in the past)."""
    with scope(organization=pair.program.organization):
        return Session.objects.create(
            organization=pair.program.organization,
            program=pair.program,
            match=pair.match,
            status=status,
            starts_at=timezone.now() + timedelta(days=days),
            time_zone="Europe/Berlin",
            duration_minutes=minutes,
            proposed_by=proposed_by,
        )


def published(pair, days_ago):
    with scope(organization=pair.program.organization):
        pair.match.published_at = timezone.now() - timedelta(days=days_ago)
        pair.match.save(update_fields=["published_at"])
        if pair.program.term_start > timezone.localdate() - timedelta(days=days_ago):
            pair.program.term_start = timezone.localdate() - timedelta(days=days_ago)
            pair.program.save(update_fields=["term_start"])


def pause_make(pair, *, starts, ends, by=None):
    today = timezone.localdate()
    with scope(organization=pair.program.organization):
        return Pause.objects.create(
            organization=pair.program.organization,
            match=pair.match,
            requested_by=by or pair.me,
            starts_on=today + timedelta(days=starts),
            ends_on=today + timedelta(days=ends),
        )


def signed_agreement(pair, contacts):
    """A signed agreement of `pair` whose canonical text carries a weekly cadence and the
    parties' phone numbers ({user: phone})."""
    org = pair.program.organization
    doc = {
        "items": [
            {
                "kind": "frequency",
                "purpose": "meeting_frequency",
                "value": {"every": "weekly", "other": ""},
            },
            {
                "kind": "short_text",
                "purpose": "cell_phone",
                "per_party": True,
                "values": [{"user_id": u.pk, "value": phone} for u, phone in contacts.items()],
            },
        ]
    }
    with scope(organization=org):
        return Agreement.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            template=template_make(pair.program),
            status=Agreement.Status.SIGNED,
            signed_at=timezone.now(),
            signed_content=json.dumps(doc),
        )


def pair_url(pair, name="sessions:pair"):
    return reverse(name, kwargs={"org_slug": pair.program.organization.slug, "pk": pair.match.pk})


def home_url(org):
    return reverse("portal:home", kwargs={"org_slug": org.slug})


def link(name, **kwargs):
    return f'href="{reverse(name, kwargs=kwargs)}'.encode()


def form_to(name, **kwargs):
    return f'action="{reverse(name, kwargs=kwargs)}"'.encode()


# --- The hub: who reaches it ---------------------------------------------------------------


def test_stranger_coordinator_and_other_tenant_get_404(
    pair, client, stranger, coordinator, other_coordinator, other_participant
):
    url = pair_url(pair)
    for user in (stranger, coordinator, other_coordinator, other_participant):
        client.force_login(user)
        assert client.get(url).status_code == 404, user.email
        assert client.get(pair_url(pair, "sessions:session_list")).status_code == 404


def test_proposed_pair_is_not_reachable(org, participant, client_for):
    proposed = pair_make(org, participant)
    with scope(organization=org):
        Match.objects.filter(pk=proposed.match.pk).update(status=Match.Status.PROPOSED)
    assert client_for(participant).get(pair_url(proposed)).status_code == 404


# --- The hub: what it shows ----------------------------------------------------------------


def test_reciprocal_hub_shows_both_people_and_every_action(pair, client_for):
    org = pair.program.organization
    response = client_for(pair.me).get(pair_url(pair))
    assert response.status_code == 200
    content = response.content
    assert pair.me.display_name.encode() in content
    assert pair.partner.display_name.encode() in content
    assert pair.partner.email.encode() in content
    kw = {"org_slug": org.slug, "pk": pair.match.pk}
    for name in ("schedule", "log", "pause", "opt_out", "session_list", "reports", "checklist"):
        assert link(f"sessions:{name}", **kw) in content, name
    assert link("sessions:plan", org_slug=org.slug, pk=pair.program.pk) in content
    assert (
        link("sessions:partner_plan", org_slug=org.slug, pk=pair.match.pk, user_pk=pair.partner.pk)
        in content
    )
    assert link("sessions:concern_new", org_slug=org.slug) in content
    # No role labels between equal partners.
    assert b'data-testid="member-role"' not in content


def test_one_way_hub_names_the_roles(one_way_pair, client_for):
    content = client_for(one_way_pair.partner).get(pair_url(one_way_pair)).content
    assert b"Coach" in content and b"Peer (coachee)" in content
    assert content.count(b'data-testid="member"') == 2


def test_circle_hub_lists_every_member_with_their_plan(circle, client_for):
    org = circle.program.organization
    content = client_for(circle.me).get(pair_url(circle)).content
    assert b"Your circle" in content
    for other in circle.people[1:]:
        assert other.display_name.encode() in content
        assert (
            link("sessions:partner_plan", org_slug=org.slug, pk=circle.match.pk, user_pk=other.pk)
            in content
        )


def test_hub_shows_contacts_only_from_the_signed_agreement(pair, client_for):
    client = client_for(pair.me)
    assert b"+1 555 0199" not in client.get(pair_url(pair)).content
    signed_agreement(pair, {pair.me: "+1 555 0100", pair.partner: "+1 555 0199"})
    content = client.get(pair_url(pair)).content
    assert b"+1 555 0199" in content
    assert b"Every week" in content  # the agreed cadence, not the program's


def test_hub_lists_next_session_and_proposals_that_wait_for_me(pair, client_for):
    org = pair.program.organization
    scheduled = session_make(pair, status=Session.Status.SCHEDULED, days=3, proposed_by=pair.me)
    theirs = session_make(pair, status=Session.Status.PROPOSED, days=5, proposed_by=pair.partner)
    mine = session_make(pair, status=Session.Status.PROPOSED, days=6, proposed_by=pair.me)
    content = client_for(pair.me).get(pair_url(pair)).content
    # Accepting is a POST from the hub (a link to the POST-only view answered 405).
    assert form_to("sessions:respond", org_slug=org.slug, pk=theirs.pk) in content
    assert form_to("sessions:respond", org_slug=org.slug, pk=mine.pk) not in content
    for name in ("reschedule", "cancel", "ics"):
        assert link(f"sessions:{name}", org_slug=org.slug, pk=scheduled.pk) in content
    # The partner sees the mirror image.
    other = client_for(pair.partner).get(pair_url(pair)).content
    assert form_to("sessions:respond", org_slug=org.slug, pk=mine.pk) in other
    assert form_to("sessions:respond", org_slug=org.slug, pk=theirs.pk) not in other


def test_hub_offers_to_log_a_scheduled_session_whose_time_has_passed(pair, client_for):
    org = pair.program.organization
    past = session_make(pair, status=Session.Status.SCHEDULED, days=-2)
    content = client_for(pair.me).get(pair_url(pair)).content
    assert link("sessions:log_scheduled", org_slug=org.slug, pk=past.pk) in content


def test_hub_lists_the_last_sessions_held(pair, client_for):
    org = pair.program.organization
    held = [session_make(pair, days=-d) for d in range(1, 8)]
    content = client_for(pair.me).get(pair_url(pair)).content
    for s in held[:5]:
        assert link("sessions:detail", org_slug=org.slug, pk=s.pk) in content
    for s in held[5:]:
        assert link("sessions:detail", org_slug=org.slug, pk=s.pk) not in content
    assert b"7 sessions held" in content


def test_hub_counts_the_checklist_and_hides_it_when_the_program_does(pair, client_for):
    org = pair.program.organization
    with scope(organization=org):
        Checklist.objects.create(
            organization=org,
            match=pair.match,
            done={"confidentiality": {"by": pair.me.pk, "at": "2026-01-01T10:00:00+00:00"}},
        )
    client = client_for(pair.me)
    assert b"1 of 5 points covered" in client.get(pair_url(pair)).content
    with scope(organization=org):
        Program.objects.filter(pk=pair.program.pk).update(first_session_checklist=False)
    content = client.get(pair_url(pair)).content
    assert b'data-testid="checklist"' not in content


def test_ended_pair_reads_without_actions(pair, client_for):
    org = pair.program.organization
    held = session_make(pair, days=-3)
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(
            status=Match.Status.ENDED, ended_at=timezone.now()
        )
        MatchMember.objects.filter(match=pair.match).update(is_current=False)
    response = client_for(pair.me).get(pair_url(pair))
    assert response.status_code == 200
    content = response.content
    assert b'data-testid="pair-ended"' in content
    assert link("sessions:detail", org_slug=org.slug, pk=held.pk) in content
    kw = {"org_slug": org.slug, "pk": pair.match.pk}
    for name in ("schedule", "log", "pause", "opt_out"):
        assert link(f"sessions:{name}", **kw) not in content, name
    # History stays readable for both former members, and the list too.
    assert client_for(pair.partner).get(pair_url(pair, "sessions:session_list")).status_code == 200


def test_member_who_left_a_circle_reads_it_without_actions(circle, client_for):
    org = circle.program.organization
    with scope(organization=org):
        MatchMember.objects.filter(match=circle.match, user=circle.me).update(is_current=False)
    content = client_for(circle.me).get(pair_url(circle)).content
    assert b'data-testid="pair-left"' in content
    assert link("sessions:log", org_slug=org.slug, pk=circle.match.pk) not in content


def test_session_list_pages_the_sessions_latest_first(pair, client_for):
    org = pair.program.organization
    sessions = [session_make(pair, days=-d) for d in range(1, 23)]
    client = client_for(pair.me)
    first = client.get(pair_url(pair, "sessions:session_list")).content
    assert link("sessions:detail", org_slug=org.slug, pk=sessions[0].pk) in first
    assert link("sessions:detail", org_slug=org.slug, pk=sessions[-1].pk) not in first
    second = client.get(pair_url(pair, "sessions:session_list") + "?page=2").content
    assert link("sessions:detail", org_slug=org.slug, pk=sessions[-1].pk) in second
    # A page number that makes no sense answers with a page, not an error.
    assert client.get(pair_url(pair, "sessions:session_list") + "?page=x").status_code == 200


# --- Cadence ---------------------------------------------------------------------------


def _cadence(**kw):
    base = {
        "every_days": 14,
        "frequency": "Every two weeks",
        "held": 0,
        "last_held_on": None,
        "start": date(2026, 1, 1),
        "term_end": date(2026, 12, 31),
        "pauses": [],
        "today": date(2026, 2, 26),  # 56 days in
    }
    return cadence_of(**(base | kw))


class _Pause:
    def __init__(self, starts_on, last_day):
        self.starts_on, self.last_day = starts_on, last_day


def test_cadence_expects_one_session_per_period_and_flags_a_long_gap():
    c = _cadence(held=3, last_held_on=date(2026, 2, 20))
    assert (c.expected, c.days_since_last, c.overdue) == (4, 6, False)
    late = _cadence(held=1, last_held_on=date(2026, 1, 10))
    assert late.overdue and late.days_since_last == 47
    assert _cadence().overdue  # nothing held in 56 days


def test_a_new_pair_has_three_weeks_for_its_first_session():
    # Issue 15: a weekly pair was "Overdue" on its eighth day, before it could meet.
    weekly = {"every_days": 7, "start": date(2026, 2, 5)}  # 21 days before `today`
    assert not _cadence(**weekly).overdue
    assert _cadence(**weekly | {"start": date(2026, 2, 4)}).overdue  # 22 days
    # Once it has met, its own rhythm counts.
    assert _cadence(**weekly | {"held": 1, "last_held_on": date(2026, 2, 18)}).overdue
    # A monthly rhythm is longer than three weeks: it stands.
    monthly = {"every_days": 30, "start": date(2026, 1, 27)}  # 30 days
    assert not _cadence(**monthly).overdue
    assert _cadence(**monthly | {"start": date(2026, 1, 26)}).overdue


def test_cadence_leaves_paused_days_out():
    # Paused for 30 of the 47 days since the last session: 17 unpaused days > 14.
    pause = _Pause(date(2026, 1, 15), date(2026, 2, 13))
    c = _cadence(held=1, last_held_on=date(2026, 1, 10), pauses=[pause])
    assert c.expected == (56 - 30) // 14 and c.overdue
    # With 40 paused days, 7 remain: not overdue.
    longer = _Pause(date(2026, 1, 11), date(2026, 2, 19))
    assert not _cadence(held=1, last_held_on=date(2026, 1, 10), pauses=[longer]).overdue
    # Paused today: never overdue.
    now = _Pause(date(2026, 2, 20), date(2026, 3, 20))
    c = _cadence(pauses=[now])
    assert c.paused and not c.overdue


def test_cadence_without_an_agreed_frequency_counts_only():
    c = _cadence(every_days=None, held=2, last_held_on=date(2026, 2, 1))
    assert c.expected is None and not c.overdue and c.held == 2


def test_cadence_before_the_term_and_after_it():
    before = _cadence(start=date(2026, 3, 1))
    assert not before.started and not before.overdue
    after = _cadence(term_end=date(2026, 2, 1), today=date(2026, 4, 1))
    assert not after.overdue and after.expected == 31 // 14


def test_hub_and_home_flag_overdue_but_not_when_paused(org, pair, client_for):
    with scope(organization=org):
        Program.objects.filter(pk=pair.program.pk).update(cadence_days=14)
    published(pair, 60)
    session_make(pair, days=-30)
    client = client_for(pair.me)
    for url in (pair_url(pair), home_url(org)):
        content = client.get(url).content
        assert b'data-testid="cadence-overdue"' in content, url
    pause_make(pair, starts=-2, ends=10)
    for url in (pair_url(pair), home_url(org)):
        content = client.get(url).content
        assert b'data-testid="cadence-overdue"' not in content, url
        assert b'data-testid="cadence-paused"' in content, url
    assert b'data-testid="pair-paused"' in client.get(pair_url(pair)).content


def test_recent_session_is_not_overdue(org, pair, client_for):
    with scope(organization=org):
        Program.objects.filter(pk=pair.program.pk).update(cadence_days=14)
    published(pair, 60)
    session_make(pair, days=-3)
    content = client_for(pair.me).get(home_url(org)).content
    assert b'data-testid="cadence-overdue"' not in content
    assert b"3 days since the last session" in content


# --- Query counts ------------------------------------------------------------------------------


def grow_pair(pair, n):
    with scope(organization=pair.program.organization):
        have = Session.objects.filter(match=pair.match).count()
    for i in range(have // 3, n):
        session_make(pair, days=-(i + 1))
        session_make(pair, status=Session.Status.PROPOSED, days=i + 1, proposed_by=pair.partner)
        session_make(pair, status=Session.Status.SCHEDULED, days=-(i + 1) / 10)


HUB_BOUND = 15
LIST_BOUND = 8


@pytest.mark.parametrize("fmt", ["reciprocal", "circle"])
def test_hub_and_list_queries_do_not_grow_with_sessions(
    org, participant, client_for, fmt, settings
):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
    p = pair_make(org, participant, format=fmt, size=2 if fmt != "circle" else 8)
    client = client_for(participant)
    for url in (pair_url(p), pair_url(p, "sessions:session_list")):
        grow_pair(p, 1)
        count_queries(client, url)
        small, _ = count_queries(client, url)
        grow_pair(p, LARGE)
        large, _ = count_queries(client, url)
        assert len(large) == len(small), f"{url}\n" + describe(large)
        # The hub: session, user, membership, the pair, my member row, the members, the
        # agreement (its terms read from it), pauses, held sessions with their count,
        # upcoming, to log, my reported periods, the checklist (when the program has one),
        # reminders turned off, switcher. 21 before issue 18.
        bound = HUB_BOUND if url == pair_url(p) else LIST_BOUND
        assert len(large) <= bound, f"{url}: {len(large)} queries\n" + describe(large)


def test_circle_hub_queries_do_not_grow_with_members(org, participant, client_for, settings):
    settings.FRAGMENT_CACHE = False  # the pages as built; cached: tests/tenancy/test_pages.py
    client = client_for(participant)
    small_circle = pair_make(org, participant, format=Program.Format.CIRCLE, size=3)
    big_circle = pair_make(org, person(org, "big@acme.example.org"), format="circle", size=8)
    with scope(organization=org):
        MatchMember.objects.create(
            organization=org,
            match=big_circle.match,
            program=big_circle.program,
            user=participant,
            role=MatchMember.Role.MEMBER,
            position=9,
        )
    count_queries(client, pair_url(small_circle))
    small, _ = count_queries(client, pair_url(small_circle))
    large, _ = count_queries(client, pair_url(big_circle))
    assert len(large) == len(small), describe(large)
