"""What people click: one-click unsubscribe and email preferences (the coordinators' log
of a program's reminders: tests/workspace/test_reminder_log.py); and the embedded-mode
scheduler that dispatches them."""

import logging
import threading
from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.notifications import embedded
from peercoach.notifications.dispatch import Due
from peercoach.notifications.models import Delivery, Kind, Preference
from peercoach.notifications.selectors import period_text
from peercoach.notifications.unsubscribe import SALT, unsubscribe_token
from peercoach.notifications.views import TOKEN_LIMIT
from peercoach.tenancy.models import Membership
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SECRET = "We talked about my manager and my burnout"


def unsubscribe_path(organization, user, kind=Kind.MEETING):
    token = unsubscribe_token(organization_id=organization.pk, user_id=user.pk, kind=kind)
    return reverse("notifications:unsubscribe", kwargs={"token": token})


def preferences_of(organization, user):
    with scope(organization=organization):
        return dict(
            Preference.objects.filter(organization=organization, user=user).values_list(
                "kind", "enabled"
            )
        )


@pytest.fixture
def both_orgs_participant(participant, other_org):
    """The participant is also a member of the other organisation."""
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=participant)
    return participant


# --- One-click unsubscribe --------------------------------------------------------------


def test_unsubscribe_get_asks_and_changes_nothing(client, org, both_orgs_participant):
    response = client.get(unsubscribe_path(org, both_orgs_participant))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Turn off meeting reminder emails from Acme University?" in page
    assert 'method="post"' in page
    assert preferences_of(org, both_orgs_participant) == {}
    assert "no-store" in response["Cache-Control"]


def test_unsubscribe_post_turns_off_that_kind_for_that_person_in_that_organisation(
    client, org, other_org, both_orgs_participant, stranger
):
    response = client.post(unsubscribe_path(org, both_orgs_participant))

    assert response.status_code == 200
    page = response.content.decode()
    assert "no longer receives meeting reminder emails from Acme University" in page
    assert reverse("notifications:preferences", kwargs={"org_slug": "acme"}) in page
    assert preferences_of(org, both_orgs_participant) == {Kind.MEETING: False}
    assert preferences_of(other_org, both_orgs_participant) == {}
    assert preferences_of(org, stranger) == {}


def test_unsubscribe_twice_is_harmless(client, org, participant):
    path = unsubscribe_path(org, participant, Kind.REPORT)
    client.post(path)
    client.post(path)
    assert preferences_of(org, participant) == {Kind.REPORT: False}


def test_unsubscribe_turns_off_a_kind_turned_back_on(client, org, participant):
    with scope(organization=org):
        Preference.objects.create(organization=org, user=participant, kind="event", enabled=True)
    client.post(unsubscribe_path(org, participant, Kind.EVENT))
    assert preferences_of(org, participant) == {Kind.EVENT: False}


def test_one_click_post_without_csrf_token_works(org, participant):
    """RFC 8058: the mail provider POSTs `List-Unsubscribe=One-Click`, no cookie, no token."""
    client = Client(enforce_csrf_checks=True)

    response = client.post(
        unsubscribe_path(org, participant, Kind.SESSION),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert preferences_of(org, participant) == {Kind.SESSION: False}


def test_one_click_post_as_multipart_works(org, participant):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsubscribe_path(org, participant), data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    assert preferences_of(org, participant) == {Kind.MEETING: False}


def test_the_link_in_the_email_is_the_page(org, participant):
    """The URL the emails carry (absolute, built by the lead's helper) resolves here."""
    from peercoach.notifications.unsubscribe import unsubscribe_url

    url = unsubscribe_url(organization_id=org.pk, user_id=participant.pk, kind="meeting")
    path = url.removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/unsubscribe/")
    assert Client().get(path).status_code == 200


def _tampered(org, participant, stranger):
    """The participant's signature on a payload naming the stranger."""
    mine = unsubscribe_token(organization_id=org.pk, user_id=participant.pk, kind="meeting")
    theirs = unsubscribe_token(organization_id=org.pk, user_id=stranger.pk, kind="meeting")
    return theirs.rsplit(":", 1)[0] + ":" + mine.rsplit(":", 1)[1]


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "make",
    [
        _tampered,
        lambda org, p, s: "garbage",
        lambda org, p, s: "a" * 3000,
        lambda org, p, s: "..:..:",
        lambda org, p, s: "%00%ff",
        # Signed by us, but for another purpose (another salt).
        lambda org, p, s: signing.dumps({"o": org.pk, "u": s.pk, "k": "meeting"}),
        # Our salt, but not the payload we make.
        lambda org, p, s: signing.dumps(["x"], salt=SALT),
        lambda org, p, s: signing.dumps({"o": "x", "u": s.pk, "k": "meeting"}, salt=SALT),
    ],
    ids=["tampered", "garbage", "long", "dots", "escaped", "other-salt", "list", "bad-id"],
)
def test_bad_token_is_refused_with_a_page(client, org, participant, stranger, make, method):
    path = reverse("notifications:unsubscribe", kwargs={"token": make(org, participant, stranger)})

    response = getattr(client, method)(path)

    assert response.status_code == 400
    assert "This unsubscribe link cannot be used" in response.content.decode()
    assert preferences_of(org, stranger) == {}
    assert preferences_of(org, participant) == {}


@pytest.mark.parametrize(
    "case", ["unknown-kind", "no-such-org", "no-such-user", "left", "deleted", "inactive"]
)
def test_a_signed_token_that_no_longer_applies_is_404(client, org, participant, case):
    kwargs = {"organization_id": org.pk, "user_id": participant.pk, "kind": "meeting"}
    if case == "unknown-kind":
        kwargs["kind"] = "lottery"
    elif case == "no-such-org":
        kwargs["organization_id"] = 987654
    elif case == "no-such-user":
        kwargs["user_id"] = 987654
    elif case == "left":
        with scope(organization=org):
            Membership.objects.filter(organization=org, user=participant).delete()
    elif case == "deleted":
        participant.deleted_at = timezone.now()
        participant.save()
    elif case == "inactive":
        participant.is_active = False
        participant.save()
    token = unsubscribe_token(**kwargs)

    response = client.post(reverse("notifications:unsubscribe", kwargs={"token": token}))

    assert response.status_code == 404
    assert "no longer works" in response.content.decode()
    assert preferences_of(org, participant) == {}


def test_unsubscribe_is_rate_limited_per_link(client, org, participant):
    path = unsubscribe_path(org, participant)
    for _ in range(TOKEN_LIMIT):
        assert client.get(path).status_code == 200

    response = client.post(path)

    assert response.status_code == 429
    assert response["Retry-After"]
    assert preferences_of(org, participant) == {}
    # Another person's link is not held up by this one.
    other = unsubscribe_path(org, participant, Kind.REPORT)
    assert client.get(other).status_code == 200


def test_unsubscribe_other_methods_are_refused(client, org, participant):
    assert client.put(unsubscribe_path(org, participant)).status_code == 405


# --- Preferences ------------------------------------------------------------------------


def preferences_url(organization):
    return reverse("notifications:preferences", kwargs={"org_slug": organization.slug})


def test_preferences_show_a_box_per_kind_all_on_by_default(client_for, org, participant):
    response = client_for(participant).get(preferences_url(org))

    page = response.content.decode()
    assert response.status_code == 200
    for kind in Kind.values:
        if kind == Kind.DIGEST:
            assert f'name="{kind}"' not in page, "participants get no digest"
        else:
            assert f'name="{kind}" id="id_{kind}" checked' in page


def test_coordinators_also_choose_the_digest(client_for, org, coordinator):
    page = client_for(coordinator).get(preferences_url(org)).content.decode()
    assert 'name="digest" id="id_digest" checked' in page


def test_preferences_saved_as_rows(client_for, org, other_org, both_orgs_participant):
    client = client_for(both_orgs_participant)
    ticked = {kind: "on" for kind in Kind.values if kind not in ("meeting", "nudge")}

    response = client.post(preferences_url(org), ticked)

    assert response.status_code == 302
    assert preferences_of(org, both_orgs_participant) == {"meeting": False, "nudge": False}
    assert preferences_of(other_org, both_orgs_participant) == {}
    page = client.get(preferences_url(org)).content.decode()
    assert 'name="meeting" id="id_meeting">' in page
    assert 'name="report" id="id_report" checked' in page

    client.post(preferences_url(org), {**ticked, "meeting": "on"})
    assert preferences_of(org, both_orgs_participant) == {"meeting": True, "nudge": False}


def test_participant_cannot_touch_the_digest(client_for, org, participant):
    client_for(participant).post(preferences_url(org), {"digest": ""})
    assert "digest" not in preferences_of(org, participant)


def test_a_turned_off_kind_is_no_longer_recorded(client_for, org, participant, settings):
    """The dispatcher reads the rows this page writes."""
    from peercoach.notifications.dispatch import reminders_record

    settings.REMINDER_RULES = ["tests.notifications.test_views.rule_for_everyone"]
    ticked = {kind: "on" for kind in Kind.values if kind != "meeting"}
    client_for(participant).post(preferences_url(org), ticked)

    with scope(organization=org):
        reminders_record(organization=org, now=timezone.now())
        kinds = set(
            Delivery.objects.filter(organization=org, recipient=participant).values_list(
                "kind", flat=True
            )
        )
    assert kinds == {"report"}


def rule_for_everyone(*, organization, now):
    """A test rule: a meeting and a report reminder for every member, due tomorrow."""
    users = Membership.objects.filter(organization=organization).values_list("user_id", flat=True)
    for user_id in users:
        for kind in ("meeting", "report"):
            yield Due(
                recipient_id=user_id,
                kind=kind,
                period="test",
                due_at=now + timedelta(days=1),
            )


# --- Embedded mode: the in-process scheduler --------------------------------------------


def test_scheduler_calls_the_dispatcher_at_start_and_then_again(monkeypatch):
    calls = []
    twice = threading.Event()

    def fake_dispatch(**kwargs):
        calls.append(kwargs)
        if len(calls) >= 2:
            twice.set()
        return {"recorded": 0, "queued": 0}

    monkeypatch.setattr("peercoach.notifications.dispatch.reminders_dispatch", fake_dispatch)
    scheduler = embedded.Scheduler(every=0.01)
    scheduler.start()
    try:
        assert twice.wait(5), "the scheduler did not call the dispatcher twice"
    finally:
        scheduler.stop()
        scheduler.join(5)
    assert not scheduler.is_alive()
    assert scheduler.daemon


def test_scheduler_survives_an_error_and_logs_it(caplog):
    calls = []
    again = threading.Event()

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        again.set()

    scheduler = embedded.Scheduler(every=0.01, call=flaky)
    with caplog.at_level(logging.ERROR, logger="peercoach.notifications.embedded"):
        scheduler.start()
        try:
            assert again.wait(5), "the scheduler stopped after an error"
        finally:
            scheduler.stop()
            scheduler.join(5)
    assert "database is locked" in caplog.text


def test_dispatch_once_runs_the_real_dispatcher(org, participant, settings):
    settings.REMINDER_RULES = ["tests.notifications.test_views.rule_for_everyone"]

    result = embedded.dispatch_once()

    assert result == {"recorded": 2, "queued": 0}  # due tomorrow: recorded, not yet sent
    with scope(organization=org):
        assert Delivery.objects.filter(organization=org, recipient=participant).count() == 2


@pytest.mark.parametrize(
    ("argv", "environ", "serving"),
    [
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, True),  # the autoreloader's child
        (["manage.py", "runserver", "127.0.0.1:8000"], {}, False),  # the file watcher
        (["manage.py", "runserver", "--noreload"], {}, True),
        (["manage.py", "migrate"], {"RUN_MAIN": "true"}, False),
        (["gunicorn", "peercoach.wsgi"], {}, False),
        (["celery", "-A", "peercoach", "worker"], {}, False),
        (["pytest"], {}, False),
    ],
)
def test_only_runserver_serving_process_runs_the_scheduler(argv, environ, serving):
    assert embedded.serving_process(argv=argv, environ=environ) is serving


def test_start_if_serving_honours_the_setting(settings, monkeypatch):
    started = []
    monkeypatch.setattr(embedded, "start", lambda **kw: started.append(kw) or "scheduler")
    child = {"argv": ["manage.py", "runserver"], "environ": {"RUN_MAIN": "true"}}

    settings.REMINDERS_IN_PROCESS = False
    assert embedded.start_if_serving(**child) is None
    settings.REMINDERS_IN_PROCESS = True
    assert embedded.start_if_serving(argv=["pytest"], environ={}) is None
    assert started == []
    assert embedded.start_if_serving(**child) == "scheduler"
    assert len(started) == 1


def test_start_runs_one_scheduler_per_process(monkeypatch):
    monkeypatch.setattr(embedded, "_scheduler", None)
    monkeypatch.setattr(
        "peercoach.notifications.dispatch.reminders_dispatch",
        lambda: {"recorded": 0, "queued": 0},
    )
    first = embedded.start(every=60)
    try:
        assert embedded.start(every=60) is first
        assert first.is_alive()
    finally:
        first.stop()
        first.join(5)


def test_the_tests_run_no_scheduler():
    """Importing the project under pytest must not start the thread (ready() hook)."""
    assert embedded._scheduler is None or not embedded._scheduler.is_alive()
    assert not any(t.name == "reminders-dispatch" for t in threading.enumerate())


def test_interval_follows_the_beat_schedule(settings):
    assert embedded.interval() == 5 * 60
    settings.CELERY_BEAT_SCHEDULE = {"reminders-dispatch": {"schedule": 42}}
    assert embedded.interval() == 42


@pytest.mark.parametrize(
    ("period", "text"),
    [
        ("m12:3", "pair 12, meeting cycle 3"),
        ("n12:20261020:6", "pair 12, no session since 2026-10-20"),
        ("r12:4", "pair 12, report 4"),
        ("r12:4:again", "pair 12, report 4, second reminder"),
        ("a7:2", "agreement 7, reminder 2"),
        ("s512:3", "session 512"),
        ("e9:20261025T0800Z", "program event 9"),
        ("d2026-W47", "week 47 of 2026"),
        ("something-else", "something-else"),
    ],
)
def test_the_log_says_what_each_reminder_was_about(period, text):
    """Each rule's period code (see the rules' `period=f"..."`) reads as words."""
    assert period_text(period) == text
