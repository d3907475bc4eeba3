"""Isolation rows: opting out and the pairing pool, late joiners (issue 15).

After an opt-out, only the person answers "pair me again?" on their own program page;
adding a late joiner is for the organisation's coordinators.
"""

from django.utils import timezone
from django_scopes import scope

from programs.models import Application
from tests.test_isolation import (
    COORDINATOR_ACTION,
    COORDINATOR_PAGE,
    MEMBER_PAGE,
    Row,
    program_kwargs,
)

# The person's own answer: the stranger has no application (404), other tenants 404.
OWN_APPLICATION_ACTION = MEMBER_PAGE._replace(stranger=404, owner=302)


def _opted_out(target):
    """The participant's accepted application, marked as after an opt-out that asked for
    no new partner."""

    def make(t):
        application = t.participant_application
        with scope(organization=t.org):
            Application.objects.filter(pk=application.pk).update(
                opted_out_at=timezone.now(), wants_new_partner=False
            )
        return application

    return target.memo("optout:application", make)


ROWS = {
    # Open program: a member added at once is accepted; here a newcomer gets an invitation.
    "programs:application_add": Row(
        checks={"GET": COORDINATOR_PAGE, "POST": COORDINATOR_ACTION},
        owner="coordinator",
        kwargs=program_kwargs,
        data=lambda target: {"email": "late-joiner@example.org", "first_name": "Lee"},
        owner_post_changes=True,
    ),
    "programs:new_partner": Row(
        checks={"POST": OWN_APPLICATION_ACTION},
        owner="participant",
        kwargs=lambda target: (_opted_out(target), program_kwargs(target))[1],
        data=lambda target: {"wants_new_partner": "yes"},
        owner_post_changes=True,
    ),
}
