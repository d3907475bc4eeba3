"""The person's own survey answers for their data export, and what account deletion
removes (their writing) and keeps (anonymous counts)."""

import pytest
from django_scopes import scope, scopes_disabled

from peercoach.accounts.services import account_delete
from surveys.models import Answer
from surveys.personal_data import tables as tables_of
from surveys.selectors import answers_for_export, survey_results
from surveys.services import survey_texts_delete

from .conftest import answer

pytestmark = pytest.mark.django_db


def test_export_lists_only_my_answers(org, sent, debrief, participant):
    answer(
        sent, participant, **{"What helped": ["Guides", "Reminders"], "What should change": "Mine"}
    )
    answer(sent, debrief.active[1], **{"What should change": "Theirs"})
    with scope(organization=org):
        rows = answers_for_export(organization=org, user=participant)
    assert [(r["question"], r["answer"]) for r in rows] == [
        ("How useful was it?", "4"),
        ("How often did you meet?", "Monthly"),
        ("What helped?", "Guides"),
        ("What helped?", "Reminders"),
        ("What should change?", "Mine"),
    ]
    assert {r["survey"] for r in rows} == {"End-of-term debrief"}


def test_account_deletion_removes_the_writing_and_keeps_the_counts(org, sent, debrief, participant):
    for user in debrief.eligible[:3]:
        answer(sent, user, **{"What should change": f"Text of {user.email}"})
    with scopes_disabled():
        assert survey_texts_delete(user=participant) == 1
        assert not Answer.objects.filter(text=f"Text of {participant.email}").exists()
        assert Answer.objects.filter(response__user=participant).count() == 2
    with scope(organization=org):
        results = survey_results(survey=sent)
    rows = {row.question.label: row for row in results.questions}
    assert rows["How useful was it?"].answered == 3
    assert len(rows["What should change?"].texts) == 2


def test_deleting_the_account_deletes_the_survey_writing(org, sent, debrief, participant):
    answer(sent, participant, **{"What should change": "sentinel-my-survey-text"})
    account_delete(user=participant)
    with scopes_disabled():
        assert not Answer.objects.filter(text="sentinel-my-survey-text").exists()
        assert Answer.objects.filter(response__user=participant).count() == 2  # the counts


def test_the_data_export_holds_my_survey_answers_only(org, sent, debrief, participant):
    answer(sent, participant, **{"What should change": "Mine"})
    answer(sent, debrief.active[1], **{"What should change": "Theirs"})
    with scope(organization=org):
        tables = {table.name: table for table in tables_of(organization=org, user=participant)}
    answers = [(row["question"], row["answer"]) for row in tables["survey_answers"].rows]
    assert ("What should change?", "Mine") in answers
    assert "Theirs" not in str(answers)
