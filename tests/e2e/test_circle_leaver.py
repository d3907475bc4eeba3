"""Someone who left a circle that goes on: the program page stops calling it theirs.

Found by the Power of Peer Coaching Circles journey (test_journeys.py): after leaving a
circle of four, the leaver's program page still showed that circle under "Your circle"
(next to the new circle they were re-paired into), with its agreement link, and the
three who stayed still saw the leaver listed as a member of their circle.
"""

import pytest
from django_scopes import scope
from playwright.sync_api import expect

from programs.models import Match, Program
from sessions.models import OptOut
from sessions.services.endings import opt_out_give
from tests.factories import (
    TEST_PASSWORD,
    MembershipFactory,
    ProgramFactory,
    UserFactory,
    match_make,
)

from .conftest import sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def circle(org):
    """A running circle of four; Dora has left it, asking for a new circle."""
    with scope(organization=org):
        people = [
            UserFactory(
                email=f"{first.lower()}@acme.example.org", first_name=first, last_name="Ray"
            )
            for first in ("Ada", "Bo", "Cy", "Dora")
        ]
        for user in people:
            MembershipFactory(organization=org, user=user)
        program = ProgramFactory(
            organization=org,
            name="Autumn Circles",
            status=Program.Status.RUNNING,
            format=Program.Format.CIRCLE,
        )
        match = match_make(program=program, users=people, status=Match.Status.ACTIVE)
        opt_out_give(
            match=match,
            user=people[3],
            reason=OptOut.Reason.values[0],
            notice="Thank you all; my hours changed.",
            wants_new_partner=True,
        )
        match.refresh_from_db()
        assert match.status == Match.Status.ACTIVE  # three stay: the circle goes on
    return program, people


def test_leaver_no_longer_sees_the_circle_and_the_others_no_longer_see_the_leaver(
    live_server, page, browser_log, org, circle
):
    program, (ada, _bo, _cy, dora) = circle
    program_url = f"{live_server.url}/o/{org.slug}/programs/{program.pk}/"

    sign_in(page, live_server.url, email=dora.email, password=TEST_PASSWORD)
    page.goto(program_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Autumn Circles")
    expect(page.get_by_test_id("my-match")).to_have_count(0)

    page.context.clear_cookies()
    sign_in(page, live_server.url, email=ada.email, password=TEST_PASSWORD)
    page.goto(program_url)
    card = page.get_by_test_id("my-match")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("Bo Ray")
    expect(card).to_contain_text("Cy Ray")
    expect(card).not_to_contain_text("Dora Ray")

    assert browser_log.page_errors == [], browser_log.page_errors
    assert browser_log.csp_violations == [], browser_log.csp_violations
