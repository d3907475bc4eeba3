"""The person's survey answers, for their data export and account deletion (the
interface is described in peercoach.accounts.personal_data)."""

from peercoach.accounts.personal_data import iso, table
from peercoach.tenancy.zones import zone_of

from .selectors import answers_for_export
from .services import survey_texts_delete


def tables(*, organization, user):
    """The person's own answers to debrief surveys in `organization`."""
    zone = zone_of(user, organization)
    rows = [
        {**row, "submitted_at": iso(row["submitted_at"], zone)}
        for row in answers_for_export(organization=organization, user=user)
    ]
    return [table("survey_answers", rows)]


def erase(*, user):
    """Debrief surveys: the written answers go; ratings and choices stay as anonymous
    counts."""
    survey_texts_delete(user=user)
