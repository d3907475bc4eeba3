"""Sending: the survey opens, each eligible person gets the link once, when the transaction
commits, and the audit log records it."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from peercoach.audit.models import Action, AuditEvent
from peercoach.tenancy.models import Membership
from programs.models import Match
from surveys import services
from surveys.models import Recipient, Survey
from surveys.selectors import eligible_users
from tests.sessions.conftest import person

from .conftest import fresh, pair_users, survey_make

pytestmark = pytest.mark.django_db


def _send_url(survey):
    return reverse(
        "surveys:send",
        kwargs={
            "org_slug": survey.organization.slug,
            "pk": survey.program_id,
            "survey_pk": survey.pk,
        },
    )


def test_eligible_are_the_people_of_published_pairs_current_or_ended(
    org, debrief, coordinator, stranger
):
    with scope(organization=org):
        eligible = set(eligible_users(program=debrief.program))
    assert eligible == set(debrief.eligible)
    assert not eligible & {coordinator, stranger, *debrief.proposed}


def test_people_who_left_the_organisation_or_deleted_their_account_are_not_eligible(org, debrief):
    gone, deleted = debrief.active[2], debrief.active[3]
    with scope(organization=org):
        Membership.objects.filter(organization=org, user=gone).delete()
    deleted.deleted_at = timezone.now()
    deleted.save(update_fields=["deleted_at"])
    with scope(organization=org):
        eligible = set(eligible_users(program=debrief.program))
    assert eligible == set(debrief.eligible) - {gone, deleted}


def test_send_emails_each_eligible_person_once_on_commit(
    org, debrief, coordinator, client_for, commit, mailoutbox
):
    survey = survey_make(debrief.program)
    client = client_for(coordinator)
    with commit():
        response = client.post(_send_url(survey))
        # Nothing leaves before the transaction commits.
        assert mail.outbox == []
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in debrief.eligible)
    message = mailoutbox[0]
    assert "Debrief Term" in message.subject
    link = reverse("surveys:answer", kwargs={"org_slug": org.slug, "survey_pk": survey.pk})
    assert link in message.body
    assert "without names" in message.body
    html = message.alternatives[0][0]
    assert link in html

    survey = fresh(survey)
    assert survey.status == Survey.Status.OPEN and survey.opened_at is not None
    with scope(organization=org):
        assert Recipient.objects.filter(survey=survey).count() == len(debrief.eligible)
        (event,) = AuditEvent.objects.filter(action=Action.SURVEY_SENT)
    assert (event.actor, event.program_id, event.target_id) == (
        coordinator,
        debrief.program.pk,
        survey.pk,
    )
    assert (
        event.summary
        == f"Debrief survey “End-of-term debrief” sent to {len(debrief.eligible)} people"
    )

    # Sending again emails nobody and records nothing more.
    mailoutbox.clear()
    with commit():
        response = client.post(_send_url(survey))
    assert mailoutbox == []
    with scope(organization=org):
        assert AuditEvent.objects.filter(action=Action.SURVEY_SENT).count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "already been sent the link" in page


def test_a_second_send_reaches_only_people_paired_since(org, debrief, commit, mailoutbox):
    survey = survey_make(debrief.program)
    with commit(), scope(organization=org):
        assert services.survey_send(survey=survey) == len(debrief.eligible)
    newcomers = [person(org, "late1@acme.example.org"), person(org, "late2@acme.example.org")]
    pair_users(org, debrief.program, newcomers, Match.Status.ACTIVE)
    mailoutbox.clear()
    with commit(), scope(organization=org):
        assert services.survey_send(survey=survey) == 2
        assert services.survey_send(survey=survey) == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(u.email for u in newcomers)
    with scope(organization=org):
        assert AuditEvent.objects.filter(action=Action.SURVEY_SENT).count() == 2


def test_a_failed_transaction_sends_nothing_and_records_nothing(org, debrief, mailoutbox):
    from django.db import transaction

    survey = survey_make(debrief.program)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic(), scope(organization=org):
        services.survey_send(survey=survey)
        raise Boom
    assert mailoutbox == []
    with scope(organization=org):
        assert not Recipient.objects.filter(survey=survey).exists()
    assert fresh(survey).status == Survey.Status.DRAFT


@pytest.mark.parametrize("problem", ["no questions", "nobody paired", "closed", "past day"])
def test_send_refuses_with_a_reason(org, debrief, coordinator, client_for, problem, mailoutbox):
    from tests.factories import ProgramFactory

    program = debrief.program
    if problem == "nobody paired":
        with scope(organization=org):
            program = ProgramFactory(organization=org, name="Empty term")
    survey = survey_make(program, questions=() if problem == "no questions" else survey_questions())
    with scope(organization=org):
        if problem == "closed":
            services.survey_send(survey=survey)
            services.survey_close(survey=survey)
        if problem == "past day":
            Survey.objects.filter(pk=survey.pk).update(
                closes_on=timezone.localdate() - timezone.timedelta(days=2)
            )
    response = client_for(coordinator).post(_send_url(survey), follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    expected = {
        "no questions": "Add at least one question",
        "nobody paired": "Nobody can answer yet",
        "closed": "This survey is closed",
        "past day": "last day to answer has passed",
    }[problem]
    assert any(expected in m for m in messages), messages
    assert mailoutbox == []


def survey_questions():
    from .conftest import QUESTIONS

    return QUESTIONS[:1]


def test_close_is_idempotent_and_a_draft_cannot_be_closed(org, debrief):
    survey = survey_make(debrief.program)
    with scope(organization=org):
        with pytest.raises(services.SurveyError):
            services.survey_close(survey=survey)
        services.survey_send(survey=survey)
        services.survey_close(survey=survey)
        closed_at = fresh(survey).closed_at
        services.survey_close(survey=survey)
    assert fresh(survey).status == Survey.Status.CLOSED
    assert fresh(survey).closed_at == closed_at
