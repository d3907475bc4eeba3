"""Pausing a pair, opting out of it in two steps, and the program team's opt-out queue."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agreements.models import Agreement
from agreements.services.create import agreement_create
from peercoach.tenancy.zones import zone_of
from programs.models import Application, Match, MatchMember, Program
from sessions.models import OptOut, Pause
from sessions.selectors.endings import active_pauses
from sessions.services import endings as services
from tests.agreements.conftest import template_make
from tests.factories import match_make
from tests.sessions.conftest import pair_make
from tests.test_query_counts import LARGE, SMALL, count_queries, describe

pytestmark = pytest.mark.django_db

NOTICE = "Thank you for the talks, Robin. My new role leaves me no evenings."


def today_of(user, org):
    return timezone.localdate(timezone=zone_of(user, org))


def pair_url(name, match):
    return reverse(f"sessions:{name}", kwargs={"org_slug": match.organization.slug, "pk": match.pk})


def queue_url(program):
    return reverse(
        "sessions:opt_outs", kwargs={"org_slug": program.organization.slug, "pk": program.pk}
    )


def pause_post(client, match, start, end, reason="Parental leave"):
    return client.post(
        pair_url("pause", match),
        {"starts_on": start.isoformat(), "ends_on": end.isoformat(), "reason": reason},
    )


def opt_out_data(step, **overrides):
    data = {
        "step": step,
        "reason": OptOut.Reason.NO_TIME,
        "notice": NOTICE,
        "notice_shared": "False",
        "wants_new_partner": "True",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def members_current(match):
    return dict(
        MatchMember.objects.filter(organization=match.organization, match=match).values_list(
            "user_id", "is_current"
        )
    )


# --- Pauses ---------------------------------------------------------------------------


def test_pause_is_created_and_the_partner_is_told_with_the_reason(
    org, pair, client_for, commit, mailoutbox
):
    today = today_of(pair.me, org)
    with commit():
        response = pause_post(client_for(pair.me), pair.match, today, today + timedelta(days=30))
    assert response.status_code == 302
    with scope(organization=org):
        pause = Pause.objects.get(match=pair.match)
        assert (pause.starts_on, pause.ends_on, pause.requested_by) == (
            today,
            today + timedelta(days=30),
            pair.me,
        )
        assert active_pauses(organization=org, match_ids=[pair.match.pk], today=today) == {
            pair.match.pk: pause
        }
    assert [m.to for m in mailoutbox] == [[pair.partner.email]]
    assert "Parental leave" in mailoutbox[0].body
    # The partner reads the pause and its reason on the pair's page.
    page = client_for(pair.partner).get(pair_url("pause", pair.match))
    assert page.status_code == 200 and b"Parental leave" in page.content


def test_overlapping_pause_is_refused_with_a_message(org, pair, client_for):
    today = today_of(pair.me, org)
    client = client_for(pair.me)
    pause_post(client, pair.match, today + timedelta(days=5), today + timedelta(days=20))
    response = pause_post(
        client_for(pair.partner), pair.match, today + timedelta(days=20), today + timedelta(days=40)
    )
    assert response.status_code == 400
    assert "already paused" in response.content.decode()
    # A pause that does not touch the first one is fine.
    assert pause_post(client, pair.match, today + timedelta(days=21), today + timedelta(days=30))
    with scope(organization=org):
        assert Pause.objects.filter(match=pair.match).count() == 2


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (-1, 10, "starts_on"),  # in the past
        (0, 0, "ends_on"),  # until not after from
        (5, 2, "ends_on"),  # until before from
        (0, 184, "ends_on"),  # longer than six months
        (400, 410, "starts_on"),  # too far ahead
    ],
)
def test_pause_dates_that_break_a_rule_are_refused(org, pair, client_for, start, end, field):
    today = today_of(pair.me, org)
    response = pause_post(
        client_for(pair.me),
        pair.match,
        today + timedelta(days=start),
        today + timedelta(days=end),
    )
    assert response.status_code == 400
    assert response.context["form"].errors.get(field), response.context["form"].errors
    with scope(organization=org):
        assert not Pause.objects.filter(match=pair.match).exists()


def test_six_months_exactly_is_allowed(org, pair, client_for):
    today = today_of(pair.me, org)
    response = pause_post(client_for(pair.me), pair.match, today, today + timedelta(days=183))
    assert response.status_code == 302


def test_resume_early_sets_the_last_paused_day_and_tells_the_partner(
    org, pair, client_for, commit, mailoutbox
):
    today = today_of(pair.me, org)
    with scope(organization=org):
        Pause.objects.create(
            organization=org,
            match=pair.match,
            requested_by=pair.me,
            starts_on=today - timedelta(days=5),
            ends_on=today + timedelta(days=30),
        )
    with commit():
        response = client_for(pair.partner).post(pair_url("pause_end", pair.match))
    assert response.status_code == 302
    with scope(organization=org):
        pause = Pause.objects.get(match=pair.match)
        assert pause.ended_early_on == today - timedelta(days=1)
        assert pause.last_day < today
        assert active_pauses(organization=org, match_ids=[pair.match.pk], today=today) == {}
    assert [m.to for m in mailoutbox] == [[pair.me.email]]
    assert "resumed" in mailoutbox[0].subject
    # Nothing left to resume.
    again = client_for(pair.me).post(pair_url("pause_end", pair.match), follow=True)
    assert "not paused" in again.content.decode()


def test_a_planned_pause_can_be_called_off(org, pair, client_for):
    today = today_of(pair.me, org)
    pause_post(
        client_for(pair.me), pair.match, today + timedelta(days=3), today + timedelta(days=9)
    )
    with scope(organization=org):
        pause = Pause.objects.get(match=pair.match)
    response = client_for(pair.me).post(pair_url("pause_end", pair.match), {"pause": pause.pk})
    assert response.status_code == 302
    pause.refresh_from_db()
    assert pause.ended_early_on < pause.starts_on
    # Called off, it blocks no day: a new pause over the same days is accepted.
    again = pause_post(
        client_for(pair.me), pair.match, today + timedelta(days=3), today + timedelta(days=9)
    )
    assert again.status_code == 302


def test_an_ended_pair_cannot_pause_or_resume(org, pair, client_for):
    today = today_of(pair.me, org)
    pause_post(client_for(pair.me), pair.match, today, today + timedelta(days=10))
    with scope(organization=org):
        Match.objects.filter(pk=pair.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=pair.match).update(is_current=False)
    response = pause_post(
        client_for(pair.me), pair.match, today + timedelta(days=20), today + timedelta(days=30)
    )
    assert response.status_code == 302
    assert client_for(pair.me).post(pair_url("pause_end", pair.match)).status_code == 302
    with scope(organization=org):
        assert Pause.objects.filter(match=pair.match).count() == 1
        assert Pause.objects.get(match=pair.match).ended_early_on is None
        pair.match.refresh_from_db()
        with pytest.raises(services.EndingError):
            services.pause_create(
                match=pair.match,
                user=pair.me,
                starts_on=today + timedelta(days=40),
                ends_on=today + timedelta(days=50),
                today=today,
            )
    # The former members still read the page, without the form.
    page = client_for(pair.me).get(pair_url("pause", pair.match))
    assert page.status_code == 200 and not page.context["writable"]


def test_active_pauses_one_query_for_many_matches(
    org, participant, stranger, django_assert_num_queries
):
    first = pair_make(org, participant)
    second = pair_make(org, stranger)
    today = today_of(participant, org)
    with scope(organization=org):
        for p in (first, second):
            Pause.objects.create(
                organization=org,
                match=p.match,
                starts_on=today - timedelta(days=1),
                ends_on=today + timedelta(days=3),
            )
        Pause.objects.create(  # later: not active today
            organization=org,
            match=first.match,
            starts_on=today + timedelta(days=10),
            ends_on=today + timedelta(days=12),
        )
        with django_assert_num_queries(1):
            found = active_pauses(
                organization=org, match_ids=[first.match.pk, second.match.pk], today=today
            )
    assert set(found) == {first.match.pk, second.match.pk}
    assert all(p.starts_on == today - timedelta(days=1) for p in found.values())


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"starts_on": "2026-02-30", "ends_on": "yesterday"},
        {"starts_on": "0000-01-01", "ends_on": "9999-12-31"},
        {"starts_on": "²", "ends_on": "\x00", "reason": "x" * 5000},
    ],
)
def test_bad_pause_input_is_a_form_error(org, pair, client_for, data):
    response = client_for(pair.me).post(pair_url("pause", pair.match), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    with scope(organization=org):
        assert not Pause.objects.exists()


@pytest.mark.parametrize("value", ["abc", "²", "-1", str(10**30), "999999"])
def test_bad_pause_id_to_resume_is_a_message(pair, client_for, value):
    response = client_for(pair.me).post(pair_url("pause_end", pair.match), {"pause": value})
    assert response.status_code == 302


def test_the_program_team_sees_the_dates_of_a_pause_never_its_reason(
    org, pair, coordinator, client_for
):
    today = today_of(pair.me, org)
    pause_post(
        client_for(pair.me), pair.match, today, today + timedelta(days=12), reason="Burn-out leave"
    )
    page = client_for(coordinator).get(queue_url(pair.program))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Burn-out leave" not in text
    assert (today + timedelta(days=12)).strftime("%-d %b %Y") in text
    # Nor can the coordinator open the pair's own pause page.
    assert client_for(coordinator).get(pair_url("pause", pair.match)).status_code == 404


# --- Opting out -----------------------------------------------------------------------


def test_the_first_post_only_shows_the_confirmation(org, pair, client_for, mailoutbox):
    response = client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("review"))
    assert response.status_code == 200
    assert response.templates[0].name == "sessions/endings/opt_out_confirm.html"
    text = response.content.decode()
    assert "Yes, opt out" in text
    assert 'type="hidden" name="notice"' in text
    assert "Nothing is deleted" in text
    assert pair.partner.display_name in text
    with scope(organization=org):
        assert not OptOut.objects.exists()
        pair.match.refresh_from_db()
        assert pair.match.status == Match.Status.ACTIVE
        assert all(members_current(pair.match).values())
    assert mailoutbox == []


def test_going_back_from_the_confirmation_keeps_the_values_and_changes_nothing(
    org, pair, client_for
):
    response = client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("edit"))
    assert response.status_code == 200
    assert response.templates[0].name == "sessions/endings/opt_out.html"
    assert NOTICE in response.content.decode()
    with scope(organization=org):
        assert not OptOut.objects.exists()


def test_confirming_ends_the_pair_frees_its_members_and_withdraws_an_amendment(
    org, pair, client_for, commit
):
    with scope(organization=org):
        template = template_make(pair.program)
        first = agreement_create(match=pair.match, template=template)
        # Stands in for a signed agreement (signing is the agreements tests' business).
        Agreement.objects.filter(pk=first.pk).update(status=Agreement.Status.SIGNED)
        amendment = agreement_create(match=pair.match, template=template, number=2, previous=first)
    with commit():
        response = client_for(pair.me).post(
            pair_url("opt_out", pair.match), opt_out_data("confirm")
        )
    assert response.status_code == 302
    with scope(organization=org):
        opt_out = OptOut.objects.get()
        assert (opt_out.user, opt_out.match, opt_out.program) == (pair.me, pair.match, pair.program)
        assert opt_out.notice == NOTICE and opt_out.wants_new_partner and not opt_out.notice_shared
        pair.match.refresh_from_db()
        assert pair.match.status == Match.Status.ENDED
        assert pair.match.ended_by == pair.me
        # The match's reason names the category, never the private notice.
        assert str(OptOut.Reason.NO_TIME.label) in pair.match.end_reason
        assert "evenings" not in pair.match.end_reason
        assert members_current(pair.match) == {pair.me.pk: False, pair.partner.pk: False}
        amendment.refresh_from_db()
        assert amendment.status == Agreement.Status.WITHDRAWN
        first.refresh_from_db()
        assert first.status == Agreement.Status.SIGNED  # the signed one stays the record


def test_emails_the_notice_to_the_partner_and_only_the_category_to_the_team(
    org, pair, coordinator, client_for, commit, mailoutbox
):
    with commit():
        client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
    by_recipient = {m.to[0]: m for m in mailoutbox}
    assert set(by_recipient) == {pair.partner.email, coordinator.email}
    to_partner = by_recipient[pair.partner.email]
    assert NOTICE in to_partner.body
    assert NOTICE in to_partner.alternatives[0][0].replace("<p>", "").replace("</p>", "")
    to_team = by_recipient[coordinator.email]
    assert "evenings" not in to_team.body and "evenings" not in to_team.alternatives[0][0]
    assert str(OptOut.Reason.NO_TIME.label) in to_team.body
    assert "not to share" in to_team.body
    assert queue_url(pair.program) in to_team.body


def test_a_shared_notice_reaches_the_team(org, pair, coordinator, client_for, commit, mailoutbox):
    with commit():
        client_for(pair.me).post(
            pair_url("opt_out", pair.match), opt_out_data("confirm", notice_shared="True")
        )
    to_team = next(m for m in mailoutbox if m.to == [coordinator.email])
    assert NOTICE in to_team.body
    with scope(organization=org):
        pair.match.refresh_from_db()
        assert NOTICE in pair.match.end_reason


def test_the_queue_shows_a_notice_only_when_shared(
    org, participant, stranger, coordinator, client_for
):
    first = pair_make(org, participant)
    second = pair_make(org, stranger, program=first.program)
    with scope(organization=org):
        services.opt_out_give(
            match=first.match,
            user=participant,
            reason=OptOut.Reason.MISMATCH,
            notice="Private words for my partner only.",
            notice_shared=False,
            wants_new_partner=True,
        )
        services.opt_out_give(
            match=second.match,
            user=stranger,
            reason=OptOut.Reason.LEAVING,
            notice="I am moving to another university.",
            notice_shared=True,
            wants_new_partner=False,
        )
    page = client_for(coordinator).get(queue_url(first.program))
    text = page.content.decode()
    assert "Private words" not in text
    assert "not shared" in text
    assert "I am moving to another university." in text
    rows = text.split('data-testid="opt-out"')[1:]
    assert len(rows) == 2
    # Newest first: the stranger's, then the participant's with the re-pair link.
    assert "moving" in rows[0]
    pairing = reverse("programs:pairing", kwargs={"org_slug": org.slug, "pk": first.program.pk})
    assert pairing in rows[1]


def test_the_queue_lists_only_its_own_program(org, participant, stranger, coordinator, client_for):
    first = pair_make(org, participant)
    other = pair_make(org, stranger)
    with scope(organization=org):
        services.opt_out_give(
            match=other.match, user=stranger, reason=OptOut.Reason.OTHER, notice="Elsewhere"
        )
    page = client_for(coordinator).get(queue_url(first.program))
    assert page.status_code == 200
    assert 'data-testid="opt-out"' not in page.content.decode()


def test_a_second_opt_out_is_refused(org, pair, client_for):
    client = client_for(pair.me)
    client.post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
    again = client.post(pair_url("opt_out", pair.match), opt_out_data("confirm"), follow=True)
    assert "read-only" in again.content.decode()
    with scope(organization=org):
        assert OptOut.objects.count() == 1
        with pytest.raises(services.EndingError, match="already opted out"):
            services.opt_out_give(
                match=pair.match, user=pair.me, reason=OptOut.Reason.OTHER, notice="Again"
            )
        # The partner cannot opt out of an ended pair either.
        with pytest.raises(services.EndingError, match="already ended"):
            services.opt_out_give(
                match=pair.match, user=pair.partner, reason=OptOut.Reason.OTHER, notice="Me too"
            )
        assert OptOut.objects.count() == 1


def test_a_circle_member_leaves_and_the_circle_goes_on(
    org, circle, coordinator, client_for, commit, mailoutbox
):
    with commit():
        response = client_for(circle.me).post(
            pair_url("opt_out", circle.match), opt_out_data("confirm")
        )
    assert response.status_code == 302
    with scope(organization=org):
        circle.match.refresh_from_db()
        assert circle.match.status == Match.Status.ACTIVE
        current = members_current(circle.match)
        assert current.pop(circle.me.pk) is False
        assert all(current.values()) and len(current) == 3
    partners = {p.email for p in circle.people[1:]}
    assert {m.to[0] for m in mailoutbox} == partners | {coordinator.email}
    for message in mailoutbox:
        if message.to[0] in partners:
            assert NOTICE in message.body and "goes on" in message.body
    # The one who left reads the circle's pages but can no longer write.
    assert client_for(circle.me).get(pair_url("pause", circle.match)).status_code == 200
    assert client_for(circle.me).get(pair_url("opt_out", circle.match)).status_code == 302


def test_a_circle_ends_when_fewer_than_two_remain(org, participant, client_for):
    circle = pair_make(org, participant, format=Program.Format.CIRCLE, size=3)
    first, second, third = circle.people
    client_for(first).post(pair_url("opt_out", circle.match), opt_out_data("confirm"))
    with scope(organization=org):
        circle.match.refresh_from_db()
        assert circle.match.status == Match.Status.ACTIVE
    client_for(second).post(pair_url("opt_out", circle.match), opt_out_data("confirm"))
    with scope(organization=org):
        circle.match.refresh_from_db()
        assert circle.match.status == Match.Status.ENDED
        assert members_current(circle.match) == {first.pk: False, second.pk: False, third.pk: False}
        assert OptOut.objects.filter(match=circle.match).count() == 2


def test_the_confirmation_page_says_whether_the_circle_ends(org, participant, stranger, client_for):
    trio = pair_make(org, participant, format=Program.Format.CIRCLE, size=3)
    page = client_for(participant).post(pair_url("opt_out", trio.match), opt_out_data("review"))
    assert "It goes on with" in page.content.decode()
    duo = pair_make(org, stranger, format=Program.Format.CIRCLE, size=2)
    page = client_for(stranger).post(pair_url("opt_out", duo.match), opt_out_data("review"))
    assert "the circle ends" in page.content.decode()


@pytest.mark.parametrize(
    "overrides",
    [
        {"notice": None},
        {"notice": "   "},
        {"reason": "bogus"},
        {"reason": None},
        {"notice": "x" * 6000},
        {"notice": "\x00"},
    ],
)
@pytest.mark.parametrize("step", ["review", "confirm"])
def test_bad_opt_out_input_is_a_form_error_and_changes_nothing(
    org, pair, client_for, overrides, step
):
    response = client_for(pair.me).post(
        pair_url("opt_out", pair.match), opt_out_data(step, **overrides)
    )
    assert response.status_code == 400
    with scope(organization=org):
        assert not OptOut.objects.exists()
        pair.match.refresh_from_db()
        assert pair.match.status == Match.Status.ACTIVE


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(["step", "reason", "notice", "notice_shared", "wants_new_partner"]),
        st.one_of(st.text(max_size=30), st.sampled_from(["confirm", "review", "edit", "other"])),
    )
)
def test_fuzzed_opt_out_posts_never_give_a_500(pair, client_for, data):
    response = client_for(pair.me).post(pair_url("opt_out", pair.match), data)
    assert response.status_code in (200, 302, 400)


def test_only_a_member_reaches_the_opt_out(org, pair, stranger, coordinator, client_for):
    for user in (stranger, coordinator):
        response = client_for(user).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
        assert response.status_code == 404
    with scope(organization=org):
        assert not OptOut.objects.exists()


# --- The queue: handled, pages, queries -----------------------------------------------


def handled_url(opt_out):
    return reverse(
        "sessions:opt_out_handled",
        kwargs={
            "org_slug": opt_out.organization.slug,
            "pk": opt_out.program_id,
            "opt_out_pk": opt_out.pk,
        },
    )


def test_marking_handled_records_who_and_when_once(org, pair, coordinator, client_for):
    with scope(organization=org):
        result = services.opt_out_give(
            match=pair.match, user=pair.me, reason=OptOut.Reason.OTHER, notice="Bye"
        )
    opt_out = result.opt_out
    client = client_for(coordinator)
    assert client.post(handled_url(opt_out)).status_code == 302
    opt_out.refresh_from_db()
    first_at = opt_out.handled_at
    assert first_at is not None and opt_out.handled_by == coordinator
    again = client.post(handled_url(opt_out), headers={"HX-Request": "true"})
    assert again.status_code == 200 and b"Handled" in again.content
    opt_out.refresh_from_db()
    assert opt_out.handled_at == first_at


def test_participants_cannot_mark_handled_or_read_the_queue(org, pair, client_for):
    with scope(organization=org):
        opt_out = services.opt_out_give(
            match=pair.match, user=pair.me, reason=OptOut.Reason.OTHER, notice="Bye"
        ).opt_out
    assert client_for(pair.partner).get(queue_url(pair.program)).status_code == 403
    assert client_for(pair.partner).post(handled_url(opt_out)).status_code == 403
    opt_out.refresh_from_db()
    assert opt_out.handled_at is None


def grow_opt_outs(org, program, n):
    with scope(organization=org):
        have = OptOut.objects.filter(program=program).count()
    for i in range(have, n):
        first = pair_make(
            org,
            _person(org, f"leaver{i:02}@acme.example.org"),
            program=program,
        )
        with scope(organization=org):
            services.opt_out_give(
                match=first.match,
                user=first.me,
                reason=OptOut.Reason.NO_TIME,
                notice=f"Notice {i}",
                notice_shared=bool(i % 2),
                wants_new_partner=True,
            )
            if i % 3 == 0:
                OptOut.objects.filter(match=first.match).update(
                    handled_at=timezone.now(), handled_by=first.partner
                )
        today = today_of(first.partner, org)
        with scope(organization=org):
            other = pair_make(org, _person(org, f"pauser{i:02}@acme.example.org"), program=program)
            Pause.objects.create(
                organization=org,
                match=other.match,
                starts_on=today,
                ends_on=today + timedelta(days=5),
            )


def _person(org, email):
    from tests.sessions.conftest import person

    return person(org, email)


def test_queue_queries_do_not_grow(org, participant, coordinator, client_for):
    program = pair_make(org, participant).program
    client = client_for(coordinator)
    url = queue_url(program)
    grow_opt_outs(org, program, SMALL)
    small, _ = count_queries(client, url)
    grow_opt_outs(org, program, LARGE)
    large, response = count_queries(client, url)
    assert response.content.decode().count('data-testid="opt-out"') == LARGE
    assert response.content.decode().count('data-testid="paused"') == LARGE
    assert len(small) == len(large), describe(large)


# --- Opting out and the pairing pool (issue 15) ---------------------------------------


def _pool_setup(org):
    """A running reciprocal program: Ana and Ben are a published pair, Wen waits.

    Three groups, so any two of them may be paired but Ana and Ben never again.
    """
    from tests.programs.test_pairing import people, program_with_applicants

    ana, ben, wen = people(org, 3, prefix="pool")
    program = program_with_applicants(org, [ana, ben, wen], groups=["X", "Y", "Z"])
    with scope(organization=org):
        Program.objects.filter(pk=program.pk).update(status=Program.Status.RUNNING)
        program.refresh_from_db()
        match = match_make(program=program, users=[ana, ben], status=Match.Status.ACTIVE)
    return program, match, ana, ben, wen


def _opt_out(org, match, user, *, wants_new_partner):
    with scope(organization=org):
        return services.opt_out_give(
            match=match,
            user=user,
            reason=OptOut.Reason.MISMATCH,
            notice="It is not working for me; thank you for trying.",
            wants_new_partner=wants_new_partner,
        ).opt_out


def _proposed_emails(program):
    with scope(organization=program.organization):
        return [
            sorted(m.members.values_list("user__email", flat=True))
            for m in Match.objects.filter(program=program, status=Match.Status.PROPOSED)
        ]


def test_opting_out_without_asking_for_a_partner_leaves_the_pool_for_good(org, commit):
    """The defect: Ana opted out, declined a new partner, and was paired (and emailed
    "Meet your partner") ahead of Wen, who was waiting."""
    from programs.services.pairing import pool_for
    from tests.programs.test_pairing import run

    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=False)
    with scope(organization=org):
        assert {a.user for a in pool_for(program)} == {ben, wen}
        application = Application.objects.get(program=program, user=ana)
        assert application.left_pool and application.opted_out_at is not None
    run(program, commit)
    assert _proposed_emails(program) == [sorted([ben.email, wen.email])]
    # A second run still leaves her out: nobody pairs her again without her asking.
    run(program, commit)
    assert ana.email not in str(_proposed_emails(program))


def test_asking_for_a_new_partner_keeps_the_person_in_the_pool_with_a_note(org, commit):
    from programs.selectors.pairing import waiting_people

    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=True)
    with scope(organization=org):
        waiting = {a.user: a for a in waiting_people(program=program, run=None)}
        assert set(waiting) == {ana, ben, wen}
        assert waiting[ana].asks_new_partner and not waiting[ana].left_pool
        assert not waiting[ben].asks_new_partner  # Ben did not opt out: his pair ended


def test_the_person_alone_can_ask_again_or_stop_waiting(org, commit):
    from programs.services.applications import ApplicationError, application_new_partner_choose
    from programs.services.pairing import pool_for

    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=False)
    with scope(organization=org):
        application = Application.objects.get(program=program, user=ana)
        application_new_partner_choose(application=application, wants_new_partner=True)
        assert ana in {a.user for a in pool_for(program)}
        application_new_partner_choose(application=application, wants_new_partner=False)
        assert ana not in {a.user for a in pool_for(program)}
        never = Application.objects.get(program=program, user=wen)
        with pytest.raises(ApplicationError):
            application_new_partner_choose(application=never, wants_new_partner=True)


def test_a_hand_edit_cannot_pair_someone_who_left_the_pool(org, coordinator):
    from programs.services import proposals
    from programs.services.pairing import PairingError

    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=False)
    with scope(organization=org):
        apps = {a.user: a for a in Application.objects.filter(program=program)}
        with pytest.raises(PairingError):
            proposals.proposal_swap(
                program=program, first=("pool", apps[ana].pk), second=("pool", apps[wen].pk)
            )
        assert not Match.objects.filter(program=program, status=Match.Status.PROPOSED).exists()


def test_a_program_that_requires_it_shares_every_notice_with_the_team(
    org, participant, coordinator, client_for, commit, mailoutbox
):
    pair = pair_make(org, participant, opt_out_notice_to_team=True)
    form = client_for(pair.me).get(pair_url("opt_out", pair.match)).content.decode()
    # Said before anything is sent, and no choice offered that the program overrides.
    assert 'data-testid="notice-to-team"' in form
    assert 'name="notice_shared"' not in form
    review = client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("review"))
    assert "They also receive your notice" in review.content.decode()
    with commit():
        client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
    to_team = next(m for m in mailoutbox if m.to == [coordinator.email])
    assert NOTICE in to_team.body
    with scope(organization=org):
        assert OptOut.objects.get(match=pair.match).notice_shared
    queue = client_for(coordinator).get(queue_url(pair.program)).content.decode()
    assert NOTICE in queue


def test_without_the_requirement_the_form_offers_the_choice_and_the_team_sees_nothing(
    org, pair, coordinator, client_for, commit
):
    form = client_for(pair.me).get(pair_url("opt_out", pair.match)).content.decode()
    assert 'name="notice_shared"' in form
    assert 'data-testid="notice-to-team"' not in form
    with commit():
        client_for(pair.me).post(pair_url("opt_out", pair.match), opt_out_data("confirm"))
    queue = client_for(coordinator).get(queue_url(pair.program)).content.decode()
    assert "evenings" not in queue and "not shared" in queue


def test_pages_say_where_an_opted_out_person_stands(org, coordinator, client_for):
    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=False)
    kw = {"org_slug": org.slug, "pk": program.pk}
    with scope(organization=org):
        application = Application.objects.get(program=program, user=ana)
    listing = client_for(coordinator).get(reverse("programs:applications", kwargs=kw))
    assert "not to be paired again" in listing.content.decode()
    detail = client_for(coordinator).get(
        reverse("programs:application", kwargs={**kw, "application_pk": application.pk})
    )
    assert "out of the pairing pool" in detail.content.decode()
    own = client_for(ana).get(reverse("programs:detail", kwargs=kw)).content.decode()
    assert "did not ask for a new partner" in own
    # Her consent, given on her own page, puts her back with a note for the team.
    client_for(ana).post(reverse("programs:new_partner", kwargs=kw), {"wants_new_partner": "yes"})
    pairing = client_for(coordinator).get(reverse("programs:pairing", kwargs=kw)).content.decode()
    assert 'data-testid="asks-new-partner"' in pairing and ana.display_name in pairing


def test_consent_cannot_be_taken_back_once_the_team_proposed_a_partner(org, coordinator):
    from programs.services import proposals
    from programs.services.applications import ApplicationError, application_new_partner_choose

    program, match, ana, ben, wen = _pool_setup(org)
    _opt_out(org, match, ana, wants_new_partner=True)
    with scope(organization=org):
        apps = {a.user: a for a in Application.objects.filter(program=program)}
        proposals.proposal_swap(
            program=program, first=("pool", apps[ana].pk), second=("pool", apps[wen].pk)
        )
        with pytest.raises(ApplicationError, match="already found you a new partner"):
            application_new_partner_choose(application=apps[ana], wants_new_partner=False)
        apps[ana].refresh_from_db()
        assert apps[ana].wants_new_partner
