"""The confidential concern channel: who reads a concern, the access log, the emails."""

import pytest
from django.urls import reverse
from django_scopes import scope
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from sessions.models import Concern, ConcernAccess
from sessions.services import concerns as services
from tests.conftest import _member
from tests.factories import ApplicationFactory
from tests.sessions.conftest import pair_make
from tests.test_query_counts import LARGE, SMALL, count_queries, describe

pytestmark = pytest.mark.django_db

BODY = "During our session my partner said he plans to hide a safety incident."
IP = "203.0.113.9"


@pytest.fixture
def handler(org):
    user = _member(org, Membership.Role.COORDINATOR, "handler@acme.example.org", mfa=True)
    user.first_name, user.last_name = "Hana", "Keller"
    user.save()
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=user).update(handles_concerns=True)
    return user


def url(name, org, **kwargs):
    return reverse(f"sessions:{name}", kwargs={"org_slug": org.slug, **kwargs})


def raise_one(org, author, body=BODY, category=Concern.Category.DUTY_TO_REPORT, program=None):
    with scope(organization=org):
        return services.concern_raise(
            organization=org, author=author, category=category, body=body, program=program
        )


def accesses(concern):
    with scope(organization=concern.organization):
        return list(ConcernAccess.objects.filter(concern=concern).order_by("id"))


# --- Raising a concern ----------------------------------------------------------------


def test_a_participant_raises_a_concern_and_follows_it(
    org, participant, handler, client_for, commit, mailoutbox
):
    client = client_for(participant)
    form = client.get(url("concern_new", org))
    assert "Hana Keller" in form.content.decode()  # says who will read it
    with commit():
        response = client.post(
            url("concern_new", org), {"category": Concern.Category.DUTY_TO_REPORT, "body": BODY}
        )
    assert response.status_code == 302
    assert response["Location"] == url("my_concerns", org)
    with scope(organization=org):
        concern = Concern.objects.get()
    assert (concern.author, concern.body, concern.status) == (participant, BODY, "open")
    mine = client.get(url("my_concerns", org)).content.decode()
    assert str(Concern.Category.DUTY_TO_REPORT.label) in mine and "Open" in mine
    # The handler's email says only that a concern waits, with the link.
    assert [m.to for m in mailoutbox] == [[handler.email]]
    message = mailoutbox[0]
    everything = message.subject + message.body + message.alternatives[0][0]
    assert url("concern_detail", org, pk=concern.pk) in message.body
    for secret in (
        "safety incident",
        str(Concern.Category.DUTY_TO_REPORT.label),
        participant.display_name,
        participant.email,
    ):
        assert secret not in everything


def test_without_a_handler_the_help_address_and_coordinators_are_asked_to_name_one(
    org, participant, coordinator, client_for, commit, mailoutbox
):
    org.help_email = "help@acme.example.org"
    org.save()
    page = client_for(participant).get(url("concern_new", org)).content.decode()
    assert "Nobody has been named" in page and "help@acme.example.org" in page
    with commit():
        client_for(participant).post(
            url("concern_new", org), {"category": Concern.Category.CONDUCT, "body": BODY}
        )
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [coordinator.email, "help@acme.example.org"]
    )
    for message in mailoutbox:
        settings_url = reverse("workspace:settings", kwargs={"org_slug": org.slug})
        assert f"{settings_url}#program-team" in message.body
        assert "safety incident" not in message.body + message.alternatives[0][0]


def test_the_program_must_be_one_of_the_authors(org, participant, stranger, client_for):
    mine = pair_make(org, participant).program
    theirs = pair_make(org, stranger).program
    with scope(organization=org):
        applied = ApplicationFactory(user=participant, program__organization=org).program
    client = client_for(participant)
    choices = client.get(url("concern_new", org)).context["form"].fields["program"].queryset
    assert set(choices) == {mine, applied}
    response = client.post(
        url("concern_new", org),
        {"category": Concern.Category.OTHER, "body": BODY, "program": theirs.pk},
    )
    assert response.status_code == 400
    ok = client.post(
        url("concern_new", org),
        {"category": Concern.Category.OTHER, "body": BODY, "program": mine.pk},
    )
    assert ok.status_code == 302
    with scope(organization=org):
        assert Concern.objects.get().program == mine
        with pytest.raises(services.ConcernError):
            services.concern_raise(
                organization=org,
                author=participant,
                category=Concern.Category.OTHER,
                body=BODY,
                program=theirs,
            )


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"category": "duty_to_report", "body": "   "},
        {"category": "nonsense", "body": BODY},
        {"category": "other", "body": "x" * 10_001},
        {"category": "other", "body": "\x00"},
        {"category": "other", "body": BODY, "program": "²"},
        {"category": "other", "body": BODY, "program": str(10**30)},
    ],
)
def test_bad_concern_input_is_a_form_error(org, participant, client_for, data):
    response = client_for(participant).post(url("concern_new", org), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    with scope(organization=org):
        assert not Concern.objects.exists()


def test_raising_is_rate_limited(org, participant):
    for _ in range(services.RAISE_LIMIT):
        raise_one(org, participant)
    with pytest.raises(services.ConcernError, match="many concerns"):
        raise_one(org, participant)
    with scope(organization=org):
        assert Concern.objects.count() == services.RAISE_LIMIT


# --- Reading: the handler, the author, nobody else -------------------------------------


def test_the_handler_reads_the_concern_and_every_view_is_logged_with_the_ip(
    org, participant, handler, client_for
):
    concern = raise_one(org, participant)
    client = client_for(handler)
    listing = client.get(url("concerns", org)).content.decode()
    assert str(Concern.Category.DUTY_TO_REPORT.label) in listing
    assert "safety incident" not in listing  # no body in the list
    first = client.get(url("concern_detail", org, pk=concern.pk), REMOTE_ADDR=IP)
    second = client.get(url("concern_detail", org, pk=concern.pk), REMOTE_ADDR="198.51.100.4")
    assert first.status_code == second.status_code == 200
    assert "safety incident" in first.content.decode()
    log = accesses(concern)
    assert [(a.user, a.action, a.ip) for a in log] == [
        (handler, ConcernAccess.Action.VIEWED, IP),
        (handler, ConcernAccess.Action.VIEWED, "198.51.100.4"),
    ]
    # The page shows the log, this very view included.
    text = second.content.decode()
    assert IP in text and "198.51.100.4" in text
    assert participant.email in text  # the handler can get back to the author


def test_the_author_reads_their_own_concern_without_the_log(org, participant, handler, client_for):
    concern = raise_one(org, participant)
    page = client_for(participant).get(url("concern_detail", org, pk=concern.pk))
    assert page.status_code == 200
    text = page.content.decode()
    assert "safety incident" in text and "Access log" not in text
    assert "has not opened" in text
    client_for(handler).get(url("concern_detail", org, pk=concern.pk), REMOTE_ADDR=IP)
    text = client_for(participant).get(url("concern_detail", org, pk=concern.pk)).content.decode()
    assert "has opened" in text and IP not in text
    # The author's readings are in the log as well.
    assert [a.user for a in accesses(concern)] == [participant, handler, participant]


def test_a_coordinator_who_does_not_handle_concerns_sees_nothing(
    org, participant, coordinator, handler, client_for
):
    concern = raise_one(org, participant)
    client = client_for(coordinator)
    assert client.get(url("concerns", org)).status_code == 403
    assert client.get(url("concern_detail", org, pk=concern.pk)).status_code == 404
    response = client.post(url("concern_close", org, pk=concern.pk), {"action": "close"})
    assert response.status_code == 404
    assert accesses(concern) == []
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OPEN
    assert "safety incident" not in client.get(url("my_concerns", org)).content.decode()


def test_the_partner_and_strangers_get_404(org, participant, stranger, handler, client_for):
    pair = pair_make(org, participant)
    concern = raise_one(org, participant, program=pair.program)
    for user in (pair.partner, stranger):
        client = client_for(user)
        assert client.get(url("concern_detail", org, pk=concern.pk)).status_code == 404
        assert client.get(url("concerns", org)).status_code == 403
        assert (
            client.post(url("concern_close", org, pk=concern.pk), {"action": "close"}).status_code
            == 404
        )
        assert "safety incident" not in client.get(url("my_concerns", org)).content.decode()
    # The author cannot close it either: closing is the handlers' follow-up.
    response = client_for(participant).post(
        url("concern_close", org, pk=concern.pk), {"action": "close"}
    )
    assert response.status_code == 404
    assert [a.user for a in accesses(concern)] == []


def test_another_tenants_handler_gets_404(
    org, other_org, participant, other_coordinator, client_for
):
    concern = raise_one(org, participant)
    with scope(organization=other_org):
        Membership.objects.filter(user=other_coordinator).update(handles_concerns=True)
    client = client_for(other_coordinator)
    assert client.get(url("concern_detail", org, pk=concern.pk)).status_code == 404
    assert client.get(url("concern_detail", other_org, pk=concern.pk)).status_code == 404
    assert (
        client.post(url("concern_close", other_org, pk=concern.pk), {"action": "close"}).status_code
        == 404
    )
    assert "safety" not in client.get(url("concerns", other_org)).content.decode()
    assert accesses(concern) == []


# --- Closing, reopening, notes ---------------------------------------------------------


def test_close_and_reopen_are_logged_with_their_notes(org, participant, handler, client_for):
    concern = raise_one(org, participant)
    client = client_for(handler)
    close = url("concern_close", org, pk=concern.pk)
    assert (
        client.post(
            close, {"action": "close", "note": "Spoke to both."}, REMOTE_ADDR=IP
        ).status_code
        == 302
    )
    concern.refresh_from_db()
    assert concern.status == Concern.Status.CLOSED and concern.closed_at is not None
    assert client.post(close, {"action": "note", "note": "Followed up."}).status_code == 302
    assert client.post(close, {"action": "reopen"}).status_code == 302
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OPEN and concern.closed_at is None
    log = [(a.action, a.note, a.ip) for a in accesses(concern)]
    assert log == [
        (ConcernAccess.Action.CLOSED, "Spoke to both.", IP),
        (ConcernAccess.Action.NOTED, "Followed up.", "127.0.0.1"),
        (ConcernAccess.Action.REOPENED, "", "127.0.0.1"),
    ]
    # The author sees the status, never the team's notes.
    client_for(handler).post(close, {"action": "close", "note": "Internal only"})
    mine = client_for(participant).get(url("concern_detail", org, pk=concern.pk)).content.decode()
    assert "Closed" in mine and "Internal only" not in mine


@pytest.mark.parametrize(
    "data",
    [{}, {"action": "delete"}, {"action": "note"}, {"action": "close", "note": "x" * 2001}],
)
def test_bad_follow_up_is_a_form_error(org, participant, handler, client_for, data):
    concern = raise_one(org, participant)
    response = client_for(handler).post(url("concern_close", org, pk=concern.pk), data)
    assert response.status_code == 400
    concern.refresh_from_db()
    assert concern.status == Concern.Status.OPEN
    # Nothing changed, but the page showed the concern again: that reading is logged.
    assert [a.action for a in accesses(concern)] == [ConcernAccess.Action.VIEWED]


# --- Who handles concerns ---------------------------------------------------------------


def membership_of(org, user):
    with scope(organization=org):
        return Membership.objects.get(organization=org, user=user)


def handlers_set(org, *users, actor=None):
    with scope(organization=org):
        return services.concern_handlers_set(
            organization=org,
            handler_ids=[membership_of(org, u).pk for u in users],
            actor=actor,
        )


def member_events(org):
    with scope(organization=org):
        return list(
            AuditEvent.objects.filter(organization=org, action=Action.MEMBER_CHANGED).order_by("pk")
        )


def test_a_coordinator_names_and_removes_a_handler(org, coordinator, handler, client_for):
    client = client_for(coordinator)
    assert client.get(url("concerns", org)).status_code == 403
    changed = handlers_set(org, coordinator, handler, actor=coordinator)
    assert [m.user for m in changed] == [coordinator]
    assert membership_of(org, coordinator).handles_concerns
    (event,) = member_events(org)
    assert event.actor == coordinator and event.summary.endswith(": now handles concerns")
    # Now a handler, they reach the list.
    assert client.get(url("concerns", org)).status_code == 200
    # Idempotent: the same team again changes and records nothing.
    assert handlers_set(org, coordinator, handler) == []
    assert len(member_events(org)) == 1
    handlers_set(org, coordinator)
    assert not membership_of(org, handler).handles_concerns
    assert member_events(org)[-1].summary == "Hana Keller: no longer handles concerns"


def test_participants_and_coordinators_in_a_pair_cannot_be_handlers(
    org, coordinator, participant, other_org, other_coordinator
):
    for outsider_org, outsider in ((org, participant), (other_org, other_coordinator)):
        target = membership_of(outsider_org, outsider)
        with (
            pytest.raises(services.ConcernError, match="Choose coordinators"),
            scope(organization=org),
        ):
            services.concern_handlers_set(organization=org, handler_ids=[target.pk])
        target.refresh_from_db()
        assert not target.handles_concerns
    # A coordinator who takes part in a pair themselves; all or nothing.
    other = _member(org, Membership.Role.COORDINATOR, "coord2@acme.example.org")
    pair_make(org, other)
    with pytest.raises(services.ConcernError, match="takes part in a pair"):
        handlers_set(org, coordinator, other)
    assert not membership_of(org, other).handles_concerns
    assert not membership_of(org, coordinator).handles_concerns
    assert member_events(org) == []


# --- Robustness and query counts ----------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.dictionaries(
        st.sampled_from(["category", "body", "program"]),
        st.one_of(st.text(max_size=40), st.sampled_from(["other", "conduct", "1", "0"])),
    )
)
def test_fuzzed_concern_posts_never_give_a_500(org, participant, client_for, data):
    response = client_for(participant).post(url("concern_new", org), data)
    assert response.status_code in (302, 400)


def grow_concerns(org, authors, n):
    with scope(organization=org):
        have = Concern.objects.count()
    programs = [pair_make(org, a).program for a in authors[:1]]
    with scope(organization=org):
        for i in range(have, n):
            Concern.objects.create(
                organization=org,
                author=authors[i % len(authors)],
                category=Concern.Category.OTHER,
                body=f"Concern {i}",
                program=programs[0] if i % 2 else None,
                status=Concern.Status.CLOSED if i % 3 == 0 else Concern.Status.OPEN,
            )


def test_concern_list_queries_do_not_grow(org, participant, stranger, handler, client_for):
    client = client_for(handler)
    grow_concerns(org, [participant, stranger], SMALL)
    small, _ = count_queries(client, url("concerns", org))
    grow_concerns(org, [participant, stranger], LARGE)
    large, response = count_queries(client, url("concerns", org))
    assert response.content.decode().count('data-testid="concern"') == LARGE
    assert len(small) == len(large), describe(large)


def test_my_concerns_queries_do_not_grow(org, participant, client_for):
    client = client_for(participant)
    grow_concerns(org, [participant], SMALL)
    small, _ = count_queries(client, url("my_concerns", org))
    grow_concerns(org, [participant], LARGE)
    large, response = count_queries(client, url("my_concerns", org))
    assert response.content.decode().count('data-testid="my-concern"') == LARGE
    assert len(small) == len(large), describe(large)
