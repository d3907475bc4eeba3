"""A participant's own data: the export zip and account deletion, seen from sessions,
whose records are most of it (peercoach.accounts.personal_data runs every app's part).

The export holds what the person wrote or what was shared with them, never a partner's
private note, self-reflection, concern or report; spreadsheet formulas are neutralised.
Deleting an account empties the person in one transaction, keeps shared records under
"Former participant", and refuses coordinators and wrong confirmations.
"""

import csv
import io
import json
import zipfile
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.sessions.models import Session as WebSession
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from agreements.models import Agreement, Signature
from peercoach.accounts import personal_data as accounts_personal_data
from peercoach.accounts.models import User
from peercoach.accounts.services import account_delete
from peercoach.tenancy.models import Membership
from programs.models import Application, Match, MatchMember
from sessions.models import (
    CalendarFeed,
    Concern,
    Feedback,
    Goal,
    GoalProgress,
    GoalStep,
    OptOut,
    Pause,
    Plan,
    Preparation,
    PrivateNote,
    ProgressReport,
    Reflection,
    Session,
    SessionPart,
)
from tests.agreements.conftest import template_make
from tests.factories import TEST_PASSWORD, ApplicationFactory, MembershipFactory, totp_activate
from tests.test_query_counts import LARGE, describe

from .conftest import pair_make

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("https://evil.example/","click")'
SECRETS = (
    b"PARTNER-PRIVATE-NOTE",
    b"PARTNER-REFLECTION",
    b"PARTNER-CONCERN",
    b"PARTNER-REPORT-TEXT",
    b"PARTNER-GOAL",
    b"OTHER-TENANT-NOTE",
    b"STRANGER-NOTE",
)


def held_session(pair, *, days=-3, notes="We looked at delegation."):
    org = pair.program.organization
    session = Session.objects.create(
        organization=org,
        program=pair.program,
        match=pair.match,
        status=Session.Status.HELD,
        starts_at=timezone.now() + timedelta(days=days),
        time_zone="Europe/Berlin",
        duration_minutes=90,
        topics=["Career development"],
        next_steps="-Book the next one",
        shared_notes=notes,
        logged_by=pair.me,
    )
    SessionPart.objects.create(
        organization=org, session=session, coach=pair.me, coachee=pair.partner, minutes=45
    )
    SessionPart.objects.create(
        organization=org, session=session, coach=pair.partner, coachee=pair.me, minutes=45
    )
    return session


def fill(pair, stranger_pair=None):
    """Everything a pair writes, on both sides; returns the shared session."""
    org = pair.program.organization
    me, partner = pair.me, pair.partner
    with scope(organization=org):
        s = held_session(pair)
        PrivateNote.objects.create(organization=org, session=s, author=me, body=FORMULA)
        PrivateNote.objects.create(
            organization=org, session=s, author=partner, body="PARTNER-PRIVATE-NOTE"
        )
        Reflection.objects.create(organization=org, session=s, author=me, body="My reflection")
        Reflection.objects.create(
            organization=org, session=s, author=partner, body="PARTNER-REFLECTION"
        )
        Feedback.objects.create(
            organization=org, session=s, author=partner, coach=me, rating=5, comment="Kind ears"
        )
        Feedback.objects.create(
            organization=org, session=s, author=me, coach=partner, rating=4, comment="+Useful"
        )
        Preparation.objects.create(organization=org, session=s, author=me, purpose="Focus")
        Concern.objects.create(
            organization=org,
            program=pair.program,
            author=partner,
            category="other",
            body="PARTNER-CONCERN",
        )
        Concern.objects.create(
            organization=org, program=pair.program, author=me, category="other", body="My worry"
        )
        for author, text in ((me, "More structure"), (partner, "PARTNER-REPORT-TEXT")):
            ProgressReport.objects.create(
                organization=org,
                match=pair.match,
                program=pair.program,
                author=author,
                period=1,
                period_end=timezone.localdate(),
                working="yes",
                beneficial="yes",
                change=text,
                rating=4,
            )
        report = ProgressReport.objects.get(author=me)
        plan = Plan.objects.create(
            organization=org, program=pair.program, user=me, primary_objective="Lead calmly"
        )
        goal = Goal.objects.create(organization=org, plan=plan, title="Delegate more")
        GoalStep.objects.create(organization=org, goal=goal, text="List what I do")
        GoalProgress.objects.create(
            organization=org,
            report=report,
            goal=goal,
            goal_title=goal.title,
            progress="Half way",
            status="in_progress",
        )
        other_plan = Plan.objects.create(organization=org, program=pair.program, user=partner)
        Goal.objects.create(organization=org, plan=other_plan, title="PARTNER-GOAL")
        Pause.objects.create(
            organization=org,
            match=pair.match,
            requested_by=me,
            starts_on=timezone.localdate(),
            ends_on=timezone.localdate() + timedelta(days=7),
            reason="Busy season",
        )
        # An earlier pair the person left with a notice.
        earlier = pair_make(org, me)
        Match.objects.filter(pk=earlier.match.pk).update(status=Match.Status.ENDED)
        MatchMember.objects.filter(match=earlier.match).update(is_current=False)
        OptOut.objects.create(
            organization=org,
            match=earlier.match,
            program=earlier.program,
            user=me,
            reason="no_time",
            notice="@me: no time left",
        )
        CalendarFeed.objects.create(organization=org, user=me)
        ApplicationFactory(program=pair.program, user=me, answers={"999": "-5 minus"})
        if stranger_pair is not None:
            t = held_session(stranger_pair, notes="STRANGER-SHARED")
            PrivateNote.objects.create(
                organization=org, session=t, author=stranger_pair.me, body="STRANGER-NOTE"
            )
    return s


def export_zip(client, org):
    response = client.post(reverse("accounts:my_data", kwargs={"org_slug": org.slug}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.content))


def read_csv(archive, name):
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


# --- Export ----------------------------------------------------------------------------


def test_export_page_explains_what_is_included(org, participant, client_for):
    response = client_for(participant).get(
        reverse("accounts:my_data", kwargs={"org_slug": org.slug})
    )
    assert response.status_code == 200
    assert b"private notes" in response.content
    assert b"What it does not hold" in response.content


def test_export_holds_my_data_and_none_of_my_partners_secrets(
    org, other_org, pair, stranger, client_for
):
    fill(pair, stranger_pair=pair_make(org, stranger))
    # The same person in another organisation: nothing from there.
    other_pair = pair_make(other_org, pair.me)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=pair.me)
        t = held_session(other_pair)
        PrivateNote.objects.create(
            organization=other_org, session=t, author=pair.me, body="OTHER-TENANT-NOTE"
        )

    archive = export_zip(client_for(pair.me), org)

    names = set(archive.namelist())
    assert {"README.txt", "my-data.json", "my_private_notes.csv", "sessions.csv"} <= names
    everything = b"".join(archive.read(name) for name in names)
    for secret in SECRETS:
        assert secret not in everything, secret
    data = json.loads(archive.read("my-data.json"))
    assert data["profile"][0]["email"] == pair.me.email
    assert data["membership"][0]["role"] == "participant"
    assert [n["text"] for n in data["my_private_notes"]] == [FORMULA]
    assert [r["text"] for r in data["my_reflections"]] == ["My reflection"]
    assert data["feedback_given_to_me"][0]["comment"] == "Kind ears"
    assert data["feedback_given_to_me"][0]["from"] == pair.partner.display_name
    assert data["feedback_i_gave"][0]["comment"] == "+Useful"
    assert data["pairs"][0]["partners"] == pair.partner.display_name
    session = data["sessions"][0]
    assert session["shared_notes"] == "We looked at delegation."
    assert session["topics"] == "Career development"
    assert session["duration_minutes"] == 90
    assert len(data["session_parts"]) == 2
    assert [g["goal"] for g in data["goals"]] == ["Delegate more"]
    assert data["goal_steps"][0]["step"] == "List what I do"
    assert [r["what_should_change"] for r in data["progress_reports"]] == ["More structure"]
    assert data["progress_report_goals"][0]["progress"] == "Half way"
    assert data["pauses_i_asked_for"][0]["reason"] == "Busy season"
    assert data["opt_outs"][0]["notice"] == "@me: no time left"
    assert [c["concern"] for c in data["concerns_i_raised"]] == ["My worry"]
    assert data["preparations"][0]["purpose"] == "Focus"
    assert data["application_answers"][0]["answer"] == "-5 minus"
    # Times in the person's zone (the organisation's here: Europe/Berlin).
    assert session["starts_at"].endswith(("+01:00", "+02:00"))

    # CSV: the same rows, formula cells neutralised.
    notes = read_csv(archive, "my_private_notes.csv")
    assert notes[0]["text"] == "'" + FORMULA
    assert read_csv(archive, "feedback_i_gave.csv")[0]["comment"] == "'+Useful"
    assert read_csv(archive, "opt_outs.csv")[0]["notice"] == "'@me: no time left"
    assert read_csv(archive, "sessions.csv")[0]["next_steps"] == "'-Book the next one"
    assert read_csv(archive, "application_answers.csv")[0]["answer"] == "'-5 minus"


def test_partners_export_has_their_side_only(org, pair, client_for):
    fill(pair)
    archive = export_zip(client_for(pair.partner), org)
    data = json.loads(archive.read("my-data.json"))
    assert [n["text"] for n in data["my_private_notes"]] == ["PARTNER-PRIVATE-NOTE"]
    everything = b"".join(archive.read(name) for name in archive.namelist())
    assert FORMULA.encode() not in everything.replace(b'\\"', b'"')
    assert b"My reflection" not in everything
    assert b"My worry" not in everything
    assert b"More structure" not in everything
    # Shared records reach both.
    assert b"We looked at delegation." in everything


def test_export_is_rate_limited(org, participant, client_for):
    client = client_for(participant)
    url = reverse("accounts:my_data", kwargs={"org_slug": org.slug})
    for _ in range(5):
        assert client.post(url).status_code == 200
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1] == (url, 302)
    assert b"Try again later" in response.content


def test_export_queries_do_not_grow_with_the_data(org, pair, client_for):
    client = client_for(pair.me)
    url = reverse("accounts:my_data", kwargs={"org_slug": org.slug})

    def grow(n):
        with scope(organization=org):
            for i in range(Session.objects.filter(match=pair.match).count(), n):
                s = held_session(pair, days=-i - 1)
                PrivateNote.objects.create(organization=org, session=s, author=pair.me, body="n")
                Reflection.objects.create(organization=org, session=s, author=pair.me, body="r")
                Feedback.objects.create(
                    organization=org, session=s, author=pair.partner, coach=pair.me, rating=3
                )
                plan, _ = Plan.objects.get_or_create(
                    organization=org, program=pair.program, user=pair.me
                )
                goal = Goal.objects.create(organization=org, plan=plan, title=f"Goal {i}")
                GoalStep.objects.create(organization=org, goal=goal, text="step")

    def count():
        with CaptureQueriesContext(connection) as captured:
            assert client.post(url).status_code == 200
        return captured

    grow(1)
    count()
    small = count()
    grow(LARGE)
    large = count()
    assert len(large) == len(small), describe(large)


# --- Deleting an account ---------------------------------------------------------------


def delete_url(org):
    return reverse("accounts:delete_account", kwargs={"org_slug": org.slug})


def sign(pair):
    """A signed agreement with both typed names."""
    org = pair.program.organization
    with scope(organization=org):
        agreement = Agreement.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            template=template_make(pair.program),
            status=Agreement.Status.SIGNED,
            signed_at=timezone.now(),
            signed_content='{"items": []}',
        )
        for user, name in ((pair.me, "Pat Typed"), (pair.partner, "Gil Typed")):
            Signature.objects.create(
                organization=org,
                agreement=agreement,
                signer=user,
                typed_name=name,
                consent_text="c",
                intent_text="i",
                content_sha256="0" * 64,
                signed_at=timezone.now(),
            )
    return agreement


def test_delete_page_explains_and_asks_for_email_and_password(org, participant, client_for):
    response = client_for(participant).get(delete_url(org))
    assert response.status_code == 200
    assert b"What goes" in response.content and b"What stays" in response.content
    assert b'name="email"' in response.content and b'name="password"' in response.content


def test_deleting_empties_the_person_and_keeps_shared_records(
    org, other_org, pair, client_for, commit, mailoutbox
):
    me, partner = pair.me, pair.partner
    shared = fill(pair)
    agreement = sign(pair)
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=me)
    totp_activate(me)
    other_device = Client()
    other_device.force_login(me)
    client = client_for(me)
    old_email = me.email

    with commit():
        response = client.post(
            delete_url(org), {"email": old_email.upper(), "password": TEST_PASSWORD}, follow=True
        )

    assert response.redirect_chain[-1] == (reverse("home"), 302)
    assert b"Your account was deleted" in response.content
    me.refresh_from_db()
    assert me.deleted_at is not None and not me.is_active
    assert me.email == f"deleted-{me.pk}@deleted.invalid"
    assert (me.first_name, me.last_name, me.time_zone) == ("", "", "")
    assert not me.has_usable_password()
    assert me.display_name == "Former participant"
    # Signed out, and cannot sign in again.
    assert "_auth_user_id" not in client.session
    assert not client.login(email=old_email, password=TEST_PASSWORD)
    assert not WebSession.objects.filter(pk=other_device.session.session_key).exists()
    assert all(s.get_decoded().get("_auth_user_id") != str(me.pk) for s in WebSession.objects.all())
    answer = other_device.get(reverse("portal:home", kwargs={"org_slug": org.slug}))
    assert answer.status_code == 302 and answer["Location"].startswith(reverse("account_login"))
    assert not EmailAddress.objects.filter(user=me).exists()
    assert not Authenticator.objects.filter(user=me).exists()
    with scopes_disabled():
        assert not Membership.objects.filter(user=me).exists()  # in every organisation
        for model, field in (
            (PrivateNote, "author"),
            (Reflection, "author"),
            (Preparation, "author"),
            (Plan, "user"),
            (CalendarFeed, "user"),
        ):
            assert not model.objects.filter(**{field: me}).exists(), model
        assert not Goal.objects.filter(title="Delegate more").exists()
        # The partner's own writing is untouched.
        assert PrivateNote.objects.filter(author=partner).exists()
        assert Goal.objects.filter(title="PARTNER-GOAL").exists()
        # Shared records stay.
        assert Session.objects.filter(pk=shared.pk, shared_notes__contains="delegation").exists()
        assert SessionPart.objects.filter(session=shared, coach=me).exists()
        assert Feedback.objects.filter(author=me).exists() and Feedback.objects.filter(coach=me)
        assert OptOut.objects.filter(user=me).exists()
        assert Concern.objects.filter(author=me).exists()
        report = ProgressReport.objects.get(author=me)
        assert (report.rating, report.change) == (4, "")
        assert GoalProgress.objects.get(report=report).progress == ""
        assert Signature.objects.filter(agreement=agreement, typed_name="Pat Typed").exists()
        assert Agreement.objects.get(pk=agreement.pk).status == Agreement.Status.SIGNED
        # Applications: the answers go, and no later matching run picks the person up.
        assert not Application.objects.filter(user=me).exclude(answers={}).exists()
        assert not Application.objects.filter(user=me, status="accepted").exists()
        # The pair ends as after an opt-out, and stays; the program team can pair again.
        match = Match.objects.get(pk=pair.match.pk)
        assert match.status == Match.Status.ENDED
        assert MatchMember.objects.filter(match=match, user=me).exists()
        leaving = OptOut.objects.get(match=match, user=me)
        assert leaving.reason == OptOut.Reason.LEAVING and leaving.notice_shared
    # The partner is told; nothing goes to the deleted address.
    assert [m.to for m in mailoutbox if "deleted" in m.body.lower()] == [[partner.email]]
    assert not [m for m in mailoutbox if old_email in m.to or me.email in m.to]

    # The partner's hub names a former participant, and still shows the session.
    hub = client_for(partner).get(
        reverse("sessions:pair", kwargs={"org_slug": org.slug, "pk": pair.match.pk})
    )
    assert hub.status_code == 200
    assert b"Former participant" in hub.content
    assert old_email.encode() not in hub.content
    assert f"deleted-{me.pk}".encode() not in hub.content
    assert reverse("sessions:detail", kwargs={"org_slug": org.slug, "pk": shared.pk}).encode() in (
        hub.content
    )


def test_a_circle_goes_on_without_the_person(org, circle, client_for):
    me = circle.me
    client_for(me).post(delete_url(org), {"email": me.email, "password": TEST_PASSWORD})
    with scope(organization=org):
        match = Match.objects.get(pk=circle.match.pk)
        assert match.status == Match.Status.ACTIVE
        assert not MatchMember.objects.get(match=match, user=me).is_current
        assert MatchMember.objects.filter(match=match, is_current=True).count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "someone@else.example.org", "password": TEST_PASSWORD}, b"not the email"),
        ({"email": "pat@acme.example.org", "password": "wrong"}, b"password is not right"),
        ({"email": "pat@acme.example.org", "password": ""}, b"Enter your current password"),
        ({"email": "", "password": TEST_PASSWORD}, b"required"),
    ],
)
def test_wrong_confirmation_deletes_nothing(org, pair, client_for, data, message):
    fill(pair)
    before = (pair.me.email, pair.me.password)
    response = client_for(pair.me).post(delete_url(org), data)
    assert response.status_code == 200
    assert message in response.content
    pair.me.refresh_from_db()
    assert (pair.me.email, pair.me.password) == before and pair.me.deleted_at is None
    with scope(organization=org):
        assert PrivateNote.objects.filter(author=pair.me).exists()
        assert Membership.objects.filter(user=pair.me).exists()


def test_password_guessing_is_rate_limited(org, participant, client_for):
    client = client_for(participant)
    for _ in range(5):
        client.post(delete_url(org), {"email": participant.email, "password": "guess"})
    response = client.post(
        delete_url(org), {"email": participant.email, "password": TEST_PASSWORD}, follow=True
    )
    assert b"Too many attempts" in response.content
    participant.refresh_from_db()
    assert participant.deleted_at is None


def test_account_without_password_confirms_with_email_only(org, participant, client_for):
    participant.set_unusable_password()
    participant.save()
    client = client_for(participant)
    assert b'name="password"' not in client.get(delete_url(org)).content
    client.post(delete_url(org), {"email": participant.email})
    participant.refresh_from_db()
    assert participant.deleted_at is not None


def test_coordinator_anywhere_is_refused(org, other_org, participant, client_for):
    with scope(organization=other_org):
        MembershipFactory(organization=other_org, user=participant, role="coordinator")
    client = client_for(participant)
    page = client.get(delete_url(org))
    assert b'data-testid="coordinator-refused"' in page.content
    response = client.post(
        delete_url(org), {"email": participant.email, "password": TEST_PASSWORD}, follow=True
    )
    assert b"Globex Labs" in response.content  # the message names where they coordinate
    participant.refresh_from_db()
    assert participant.deleted_at is None and participant.is_active
    with scopes_disabled():
        assert Membership.objects.filter(user=participant).count() == 2


def test_nothing_is_half_written_when_deletion_fails(org, pair, monkeypatch):
    fill(pair)

    def boom(user):
        raise RuntimeError("the session store is down")

    monkeypatch.setattr(accounts_personal_data, "_delete_web_sessions", boom)
    with pytest.raises(RuntimeError):
        account_delete(user=pair.me)

    me = User.objects.get(pk=pair.me.pk)
    assert me.deleted_at is None and me.is_active and me.email == "pat@acme.example.org"
    assert EmailAddress.objects.filter(user=me).exists()
    with scopes_disabled():
        assert Membership.objects.filter(user=me).exists()
        assert PrivateNote.objects.filter(author=me).exists()
        assert Plan.objects.filter(user=me).exists()
        assert Match.objects.get(pk=pair.match.pk).status == Match.Status.ACTIVE


def test_admin_lists_nothing_of_the_sessions_app():
    registered = {model._meta.app_label for model in admin.site._registry}
    assert "coaching_sessions" not in registered


def test_a_pair_with_an_earlier_notice_still_ends(org, pair):
    """Older data: a notice on record while the pair is still active."""
    with scope(organization=org):
        OptOut.objects.create(
            organization=org,
            match=pair.match,
            program=pair.program,
            user=pair.me,
            reason="other",
            notice="Earlier notice",
        )
    account_delete(user=pair.me)
    with scope(organization=org):
        assert Match.objects.get(pk=pair.match.pk).status == Match.Status.ENDED
        assert OptOut.objects.filter(match=pair.match).count() == 1
