"""Regression tests for defects found in review of the sessions app.

- A session planned in the far future (year 9999, or repeated past it) answered 500:
  writing its calendar file overflowed the calendar's last year. Now the schedule forms
  refuse it with a message, and the services refuse anything more than two years ahead.
- A goal's `str()` was its title, which Django's admin shows to operators on the delete
  pages of an organisation or a user (their related objects): a participant's writing in
  the operators' admin. A goal is now named by its id.
"""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from sessions.models import Session
from sessions.services.goals import goal_create, plan_ensure
from tests.factories import UserFactory

from .test_schedule import form_post, fresh, local_day, propose, url

pytestmark = pytest.mark.django_db

TOO_FAR = "within the next two years"


def session_count(pair):
    with scope(organization=pair.program.organization):
        return Session.objects.filter(match=pair.match).count()


# --- Far-future dates ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"slot-0-date": "9999-12-31", "slot-0-time": "10:00"},
        # Repeated past the last day a date can have.
        {
            "slot-0-date": "9999-06-01",
            "slot-0-time": "10:00",
            "repeat_times": "12",
            "repeat_every_days": "120",
        },
        {
            "slot-0-date": (date.today() + timedelta(days=3 * 365)).isoformat(),
            "slot-0-time": "10:00",
        },
    ],
    ids=["year-9999", "repeated-past-9999", "three-years-ahead"],
)
def test_proposing_far_ahead_is_refused_on_the_form(pair, client_for, fields):
    response = client_for(pair.me).post(url("schedule", pair.match.pk), form_post(**fields))

    assert response.status_code == 400
    assert TOO_FAR in response.content.decode()
    assert session_count(pair) == 0


def test_the_last_hours_of_year_9999_seen_from_the_west_are_refused(pair, client_for):
    """Los Angeles 9999-12-31 23:30 is already year 10000 in UTC."""
    pair.me.time_zone = "America/Los_Angeles"
    pair.me.save(update_fields=["time_zone"])
    data = form_post(**{"slot-0-date": "9999-12-31", "slot-0-time": "23:30"})

    response = client_for(pair.me).post(url("schedule", pair.match.pk), data)

    assert response.status_code == 400
    assert TOO_FAR in response.content.decode()
    assert session_count(pair) == 0


def test_a_year_ahead_is_still_fine(pair, client_for):
    day = local_day(days=360)
    data = form_post(rows=[(day, "10:00")])

    response = client_for(pair.me).post(url("schedule", pair.match.pk), data)

    assert response.status_code == 302
    assert session_count(pair) == 1


def test_rescheduling_to_year_9999_is_refused(pair, client_for):
    (session,) = propose(pair)
    before = fresh(session)
    data = {
        "date": "9999-12-31",
        "time": "10:00",
        "duration_minutes": "60",
        "modality": "zoom",
        "location": "",
        "note": "",
    }

    response = client_for(pair.me).post(url("reschedule", session.pk), data)

    assert response.status_code == 400
    assert TOO_FAR in response.content.decode()
    after = fresh(session)
    assert (after.starts_at, after.sequence, after.status) == (
        before.starts_at,
        before.sequence,
        before.status,
    )


def test_suggesting_year_9999_is_refused(pair, client_for):
    (session,) = propose(pair)
    data = {"action": "suggest", "date": "9999-12-31", "time": "10:00", "note": ""}

    response = client_for(pair.partner).post(url("respond", session.pk), data)

    assert response.status_code == 400
    assert TOO_FAR in response.content.decode()
    assert fresh(session).status == Session.Status.PROPOSED
    assert session_count(pair) == 1


# --- Goals in the operators' admin -------------------------------------------------------

TITLE = "Speak first in the weekly meeting"


@pytest.fixture
def goal(org, pair):
    with scope(organization=org):
        plan = plan_ensure(organization=org, program=pair.program, user=pair.me)
        return goal_create(plan=plan, title=TITLE)


def test_a_goal_is_not_named_by_its_title(goal):
    assert TITLE not in str(goal)
    assert str(goal.pk) in str(goal)


@pytest.fixture
def operator_client(client):
    operator = UserFactory(email="operator@peercoach.example.org")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    return client


def test_the_admin_delete_pages_do_not_show_a_goal(goal, org, pair, operator_client):
    pages = [
        reverse("admin:tenancy_organization_delete", args=[org.pk]),
        reverse("admin:accounts_user_delete", args=[pair.me.pk]),
    ]
    for page in pages:
        response = operator_client.get(page)
        assert response.status_code == 200, page
        text = response.content.decode()
        assert TITLE not in text, page
        assert f"Goal {goal.pk}" in text, page  # the page does list the goal
    with scopes_disabled():
        assert goal.__class__.objects.filter(pk=goal.pk, title=TITLE).exists()
