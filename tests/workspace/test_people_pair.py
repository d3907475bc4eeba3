"""A pair's activity page: what the program team sees (dates, statuses, signatures,
ratings, shared answers) and what it never sees (anything a member wrote and kept)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements.services.common import Actor
from agreements.services.create import agreement_create
from agreements.services.sign import agreement_sign
from peercoach.tenancy.models import Membership
from programs.models import Program
from sessions.models import Concern, OptOut, Pause, ProgressReport, Session
from sessions.services.concerns import concern_raise
from sessions.services.endings import opt_out_give, pause_create
from sessions.services.goals import goal_create, goal_update_add, plan_ensure
from sessions.services.log import (
    feedback_give,
    preparation_save,
    private_note_save,
    reflection_save,
    session_log,
)
from sessions.services.reports import GoalAnswer, report_submit
from sessions.services.schedule import session_accept, session_propose
from tests.agreements.conftest import Pair as AgreementPair
from tests.agreements.conftest import template_make
from tests.factories import MembershipFactory, ProgramFactory, UserFactory, match_make
from tests.sessions.conftest import pair_make, person
from tests.test_query_counts import count_queries, describe

pytestmark = pytest.mark.django_db

# Each piece of writing the program team must never read, with a marker of its own.
PRIVATE = {
    "private note": "pcNOTEquokka1123",
    "partner's private note": "pcBNOTEmarten2234",
    "self-reflection": "pcREFLECTtoucan3345",
    "feedback comment": "pcCOMMENTbadger4456",
    "shared session notes": "pcSHAREDferret5567",
    "next steps": "pcNEXTstoat6678",
    "session location": "pcWHEREsloth7789",
    "proposal note": "pcPROPOSEmole8890",
    "preparation": "pcPREPshrew9901",
    "goal title": "pcGOALvole1012",
    "goal update": "pcUPDATEdingo2123",
    "unshared change": "pcCHANGEhyena3234",
    "unshared goal progress": "pcPROGRESSlemur4345",
    "pause reason": "pcPAUSEtapir5456",
    "opt-out notice": "pcNOTICEbison6567",
    "circle opt-out notice": "pcCIRCLEibex7678",
    "concern": "pcCONCERNmoose8789",
    "agreement objective": "pcOBJECTIVEpanda9890",
}
SHARED_CHANGE = "pcSHAREDCHANGEkoala1901"  # a report answer its author shared


def activity_url(org, program, match):
    return reverse(
        "workspace:pair_activity",
        kwargs={"org_slug": org.slug, "pk": program.pk, "match_pk": match.pk},
    )


@pytest.fixture
def story(org, participant, commit):
    """A reciprocal pair (the participant, Ben) three weeks in: a signed agreement, a held
    session with everything written about it, a scheduled one, two reports, a pause, a
    concern; then Ben opts out with a notice he shares with the team."""
    participant.first_name, participant.last_name = "Pat", "Lee"
    participant.save()
    pair = pair_make(org, participant, session_preparation=True)
    a, b = pair.people
    b.first_name, b.last_name = "Ben", "Diaz"
    b.save()
    p = PRIVATE
    with scope(organization=org), commit():
        match = pair.match
        match.published_at = timezone.now() - timedelta(days=40)
        match.save(update_fields=["published_at"])
        match.refresh_from_db()
        template = template_make(pair.program)
        agreement = agreement_create(match=match, template=template)
        filled = AgreementPair(org, pair.program, match, template, agreement, a, b)
        filled.fill_required()
        filled.save(a, "My primary objective", value=p["agreement objective"])
        sha = filled.sha()
        for signer in (a, b):
            agreement_sign(
                agreement=agreement,
                actor=Actor(user=signer, ip="192.0.2.8", user_agent="pytest"),
                typed_name=signer.get_full_name(),
                consent=True,
                intent=True,
                seen_sha256=sha,
            )
        held = session_log(
            match=match,
            user=a,
            starts_at=timezone.now() - timedelta(days=10),
            duration_minutes=75,
            modality="zoom",
            location=p["session location"],
            halves=(35, 35),
            next_steps=p["next steps"],
            shared_notes=p["shared session notes"],
            private_note=p["private note"],
        )
        private_note_save(session=held, user=b, body=p["partner's private note"])
        reflection_save(session=held, author=a, body=p["self-reflection"])
        feedback_give(session=held, author=a, rating=4, comment=p["feedback comment"])
        ahead = session_propose(
            match=match,
            by=a,
            starts=[timezone.now() + timedelta(days=5)],
            duration_minutes=50,
            modality="teams",
            time_zone="Europe/Berlin",
            note=p["proposal note"],
        )[0]
        session_accept(session=ahead, by=b)
        preparation_save(session=ahead, author=a, purpose=p["preparation"])
        plan = plan_ensure(organization=org, program=pair.program, user=a)
        goal = goal_create(plan=plan, title=p["goal title"])
        goal_update_add(goal=goal, author=a, body=p["goal update"])
        goal.refresh_from_db()
        report_submit(
            match=match,
            author=a,
            period=1,
            working="partly",
            working_shared=True,
            beneficial="no",
            beneficial_shared=False,
            change=p["unshared change"],
            change_shared=False,
            rating=2,
            goals=[
                GoalAnswer(
                    goal=goal,
                    progress=p["unshared goal progress"],
                    status="in_progress",
                    shared=False,
                )
            ],
        )
        report_submit(
            match=match,
            author=b,
            period=1,
            working="yes",
            working_shared=False,
            beneficial="yes",
            beneficial_shared=True,
            change=SHARED_CHANGE,
            change_shared=True,
            rating=5,
        )
        today = timezone.localdate()
        pause_create(
            match=match,
            user=a,
            starts_on=today - timedelta(days=8),
            ends_on=today - timedelta(days=6),
            reason=p["pause reason"],
            today=today - timedelta(days=9),
        )
        concern_raise(
            organization=org,
            author=a,
            category=Concern.Category.CONDUCT,
            body=p["concern"],
            program=pair.program,
        )
        opt_out_give(
            match=match,
            user=b,
            reason=OptOut.Reason.MISMATCH,
            notice=p["opt-out notice"],
            notice_shared=True,
            wants_new_partner=True,
        )
    pair.match.refresh_from_db()
    return pair


@pytest.fixture
def handler(org):
    """A coordinator who handles concerns: even they read none of it on this page."""
    from tests.factories import totp_activate

    with scope(organization=org):
        user = UserFactory(email="handler@acme.example.org")
        MembershipFactory(
            organization=org,
            user=user,
            role=Membership.Role.COORDINATOR,
            handles_concerns=True,
        )
    totp_activate(user)
    return user


def page_text(client, org, pair):
    response = client.get(activity_url(org, pair.program, pair.match))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_shows_the_pairs_activity(org, coordinator, client_for, story):
    text = page_text(client_for(coordinator), org, story)
    assert 'data-testid="pair-status">Ended<' in text
    assert "Pat Lee" in text and "Ben Diaz" in text
    assert "Opted out on" in text
    # Agreement: who signed, when.
    assert text.count('data-testid="signature"') == 2
    assert "Pat Lee: signed" in text and "Ben Diaz: signed" in text
    assert "Signed by everyone" in text and "completed" in text
    # Sessions: date, length, modality, status.
    assert text.count('data-testid="session-row"') == 2
    assert ">75<" in text and ">50<" in text
    assert "Zoom" in text and "Microsoft Teams" in text
    # The scheduled one was called off when the pair ended.
    assert "<td>Held</td>" in text and "<td>Cancelled</td>" in text
    assert "1 session, 75 minutes in all" in text
    # Reports: ratings always, answers only where shared.
    assert text.count('data-testid="report-row"') == 2
    assert "2/5" in text and "5/5" in text
    assert "Working: Partly" in text  # Pat shared this one
    assert "Mutually beneficial: Yes" in text  # Ben shared this one
    assert SHARED_CHANGE in text
    assert "Mutually beneficial: No" not in text  # Pat did not share it
    # Pauses: dates only. Opt-out: date and category only.
    assert text.count('data-testid="pause"') == 1
    assert "Ben Diaz opted out on" in text
    assert str(OptOut.Reason.MISMATCH.label) in text


@pytest.mark.parametrize("who", ["coordinator", "handler"])
def test_the_page_never_shows_what_members_wrote(org, client_for, story, who, request):
    text = page_text(client_for(request.getfixturevalue(who)), org, story)
    leaked = [name for name, marker in PRIVATE.items() if marker in text]
    assert not leaked, f"The pair page shows: {leaked}"


def test_the_people_list_never_shows_what_members_wrote(org, coordinator, client_for, story):
    client = client_for(coordinator)
    url = reverse("workspace:people", kwargs={"org_slug": org.slug})
    pages = [client.get(url).content.decode()]
    for status in ("paired", "opted_out", "no_partner"):
        pages.append(client.get(url, {"status": status}).content.decode())
    for word in ("quokka", "bison", "moose", "pcCHANGE"):
        pages.append(client.get(url, {"q": word}).content.decode())
    text = "\n".join(pages)
    assert not [name for name, marker in PRIVATE.items() if marker in text]
    # The pair ended: its members' rows link to it as their previous pair.
    assert (
        f'{activity_url(org, story.program, story.match)}" data-testid="past-pair-link"'
        in (pages[0])
    )


def test_a_circle_shows_who_left_and_never_their_notice(org, coordinator, participant, client_for):
    circle = pair_make(org, participant, format=Program.Format.CIRCLE, size=4, min_minutes_each=30)
    leaver = circle.people[1]
    with scope(organization=org):
        opt_out_give(
            match=circle.match,
            user=leaver,
            reason=OptOut.Reason.NO_TIME,
            notice=PRIVATE["circle opt-out notice"],
            notice_shared=False,
        )
    text = page_text(client_for(coordinator), org, circle)
    assert 'data-testid="pair-status">Active<' in text
    assert "Circle activity" in text
    assert text.count("Current member") == 3
    assert text.count("Opted out on") == 1
    assert str(OptOut.Reason.NO_TIME.label) in text
    assert PRIVATE["circle opt-out notice"] not in text


def test_a_proposed_pair_has_a_page_too(org, coordinator, participant, stranger, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org, status=Program.Status.MATCHING)
        match = match_make(program=program, users=[participant, stranger])
    response = client_for(coordinator).get(activity_url(org, program, match))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-testid="pair-status">Proposed<' in text
    assert "not published yet" in text
    assert "No agreement yet." in text and "No sessions scheduled or logged yet." in text


def test_a_pair_of_another_program_answers_404(org, coordinator, participant, client_for):
    first = pair_make(org, participant)
    second = pair_make(org, person(org, "someone@acme.example.org"))
    client = client_for(coordinator)
    assert client.get(activity_url(org, second.program, first.match)).status_code == 404
    huge = reverse(
        "workspace:pair_activity",
        kwargs={"org_slug": org.slug, "pk": first.program.pk, "match_pk": 10**20},
    )
    assert client.get(huge).status_code == 404


def test_another_tenants_pair_answers_404(
    org, other_org, coordinator, other_participant, client_for
):
    foreign = pair_make(other_org, other_participant)
    url = reverse(
        "workspace:pair_activity",
        kwargs={"org_slug": org.slug, "pk": foreign.program.pk, "match_pk": foreign.match.pk},
    )
    assert client_for(coordinator).get(url).status_code == 404


def test_the_members_of_the_pair_get_403(org, participant, client_for):
    pair = pair_make(org, participant)
    assert (
        client_for(participant).get(activity_url(org, pair.program, pair.match)).status_code == 403
    )


def test_the_matches_page_links_to_the_activity(org, coordinator, participant, client_for):
    pair = pair_make(org, participant)
    page = client_for(coordinator).get(
        reverse("programs:matches", kwargs={"org_slug": org.slug, "pk": pair.program.pk})
    )
    assert activity_url(org, pair.program, pair.match) in page.content.decode()


def grow_activity(org, pair, n):
    """Sessions, reports, pauses and signatures up to `n` each (made directly: the
    services would refuse periods and pauses this close together)."""
    with scope(organization=org):
        have = Session.objects.filter(organization=org, match=pair.match).count()
        start = timezone.now() - timedelta(days=400)
        for i in range(have, n):
            Session.objects.create(
                organization=org,
                program=pair.program,
                match=pair.match,
                status=Session.Status.HELD,
                starts_at=start + timedelta(days=i),
                time_zone="Europe/Berlin",
                duration_minutes=60 + i,
                modality="phone",
                note=PRIVATE["proposal note"],
                shared_notes=PRIVATE["shared session notes"],
            )
            ProgressReport.objects.create(
                organization=org,
                match=pair.match,
                program=pair.program,
                author=pair.people[i % 2],
                period=i + 1,
                period_end=timezone.localdate(),
                working="yes",
                working_shared=bool(i % 2),
                beneficial="partly",
                change=PRIVATE["unshared change"],
                rating=1 + i % 5,
            )
            day = timezone.localdate() - timedelta(days=1000 - 3 * i)
            Pause.objects.create(
                organization=org,
                match=pair.match,
                starts_on=day,
                ends_on=day + timedelta(days=1),
                reason=PRIVATE["pause reason"],
            )


def test_the_page_queries_do_not_grow_with_the_activity(org, coordinator, participant, client_for):
    pair = pair_make(org, participant)
    client = client_for(coordinator)
    url = activity_url(org, pair.program, pair.match)
    grow_activity(org, pair, 1)
    count_queries(client, url)
    small, _ = count_queries(client, url)
    grow_activity(org, pair, 50)
    large, response = count_queries(client, url)
    text = response.content.decode()
    assert text.count('data-testid="session-row"') == 50
    assert text.count('data-testid="report-row"') == 50
    assert text.count('data-testid="pause"') == 50
    assert not [name for name, marker in PRIVATE.items() if marker in text]
    assert len(large) == len(small), describe(large)
    # session, user, membership, two-factor check, program, pair, members, opt-outs,
    # agreements, signatures (none yet: no query), sessions, reports and their authors,
    # members and goals, pauses, switcher
    assert len(large) <= 17, describe(large)


def test_the_concern_is_not_reachable_from_here(org, coordinator, client_for, story):
    with scope(organization=org):
        concern = Concern.objects.get(organization=org)
    text = page_text(client_for(coordinator), org, story)
    detail = reverse("sessions:concern_detail", kwargs={"org_slug": org.slug, "pk": concern.pk})
    assert detail not in text
    assert "concern" not in text.lower()
