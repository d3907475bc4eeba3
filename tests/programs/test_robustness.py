"""Bad or racing input: fuzzed application answers never give a 500; a publish races once."""

import threading

import pytest
from django.core import mail
from django.db import connection, connections
from django.urls import reverse
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from programs.models import Application, Match, Question
from programs.services import proposals
from tests.factories import (
    MembershipFactory,
    ProgramFactory,
    QuestionFactory,
    UserFactory,
    match_make,
)

KINDS = [
    ("group", ["Networking", "Security"]),
    ("role_level", ["Manager", "Lead"]),
    ("trait", []),
    ("priorities", ["Delegation", "Feedback"]),
    ("preferred_role", []),
    ("goals", []),
    ("choice", ["Yes", "No"]),
]

# Anything a browser (or someone with curl) could send for a field: text of any kind,
# numbers as text, several values, nothing at all.
values = st.one_of(
    st.text(max_size=60),
    st.integers(-(10**6), 10**6).map(str),
    st.lists(st.text(max_size=20), max_size=4),
    st.sampled_from(["", "Networking", "3", "coach", "Delegation", "\x00", "é" * 5000]),
)


@pytest.fixture
def form_program(org):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        for kind, options in KINDS:
            QuestionFactory(program=program, kind=kind, label=f"{kind}?", options=options)
    return program


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answers=st.fixed_dictionaries({kind: values for kind, _options in KINDS}))
def test_fuzzed_answers_get_a_page_never_a_500(answers, form_program, participant, client_for):
    with scope(organization=form_program.organization):
        keys = {q.kind: f"q{q.pk}" for q in Question.objects.filter(program=form_program)}
        Application.objects.filter(program=form_program).delete()
    url = reverse(
        "programs:apply",
        kwargs={"org_slug": form_program.organization.slug, "pk": form_program.pk},
    )
    response = client_for(participant).post(
        url, {keys[kind]: value for kind, value in answers.items()}
    )
    assert response.status_code in (302, 400), response.status_code
    with scope(organization=form_program.organization):
        saved = Application.objects.filter(program=form_program).first()
    if response.status_code == 302:
        # What was saved is only ever one of the options, a number on the scale, or text.
        assert saved is not None
        group = saved.answers.get(keys["group"][1:])
        assert group in (None, "Networking", "Security")
    else:
        assert saved is None


@pytest.mark.django_db(transaction=True)
def test_two_publishes_at_the_same_instant_publish_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("row locks race for real only on PostgreSQL (CI runs it there)")
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        users = [UserFactory(email=f"race{i}@acme.example.org") for i in range(4)]
        for user in users:
            MembershipFactory(organization=org, user=user)
        match_make(program=program, users=users[:2])
        match_make(program=program, users=users[2:])
    barrier = threading.Barrier(2)
    outcomes = []

    def publish():
        try:
            barrier.wait()
            with scope(organization=org):
                outcomes.append(proposals.proposal_publish(program=program, published_by=None))
        except proposals.PairingError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes, key=str) == [2, "There is nothing to publish: run matching first."]
    with scope(organization=org):
        assert Match.objects.filter(program=program, status="active").count() == 2
    # Celery is eager in tests: each member's email went out once, after the one commit.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in users)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["²", "٣", str(10**25), "-1", "0", "1e3", " 1"])
def test_odd_ids_get_a_message_not_a_500(bad, org, coordinator, client_for):
    with scope(organization=org):
        program = ProgramFactory(organization=org)
    client = client_for(coordinator)
    kwargs = {"org_slug": org.slug, "pk": program.pk}
    answers = [
        client.post(
            reverse("programs:applications", kwargs=kwargs),
            {"decision": "accept", "application": bad},
        ),
        client.post(reverse("programs:pairing_edit", kwargs=kwargs), {"action": f"lock:{bad}"}),
        client.post(
            reverse("programs:pairing_edit", kwargs=kwargs),
            {"action": "waitlist", "slot": [f"p:{bad}"]},
        ),
        client.post(
            reverse("programs:pairing_edit", kwargs=kwargs),
            {"action": "swap", "slot": [f"m:{bad}:{bad}", f"p:{bad}"]},
        ),
        client.post(
            reverse("programs:pairing_exclude", kwargs=kwargs), {"slot": [f"p:{bad}", "p:1"]}
        ),
    ]
    assert [r.status_code for r in answers] == [302] * 5


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_pairing_the_same_person_at_once(org):
    if connection.vendor != "postgresql":
        pytest.skip("row locks race for real only on PostgreSQL (CI runs it there)")
    from programs.services import pairing
    from tests.factories import ApplicationFactory

    with scope(organization=org):
        program = ProgramFactory(organization=org)
        users = [UserFactory(email=f"hand{i}@acme.example.org") for i in range(3)]
        apps = []
        for user in users:
            MembershipFactory(organization=org, user=user)
            apps.append(ApplicationFactory(program=program, user=user))
    barrier = threading.Barrier(2)
    outcomes = []

    def pair_with(partner):
        try:
            barrier.wait()
            with scope(organization=org):
                proposals.proposal_swap(
                    program=program, first=("pool", apps[0].pk), second=("pool", partner.pk)
                )
            outcomes.append("paired")
        except pairing.PairingError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=pair_with, args=(a,)) for a in apps[1:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == [
        "That person is no longer waiting for a partner; reload the page.",
        "paired",
    ]
    with scope(organization=org):
        assert Match.objects.filter(program=program).count() == 1
