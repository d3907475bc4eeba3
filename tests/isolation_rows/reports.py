"""Isolation rows: progress reports.

A member writes and reads their own reports on the pair's pages (everyone else: 404);
the program team reads the shared answers on the program's page (coordinators only).
"""

from tests.test_isolation import COORDINATOR_PAGE, PARTY_PAGE, Row


def pair_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.participant_pair.pk}


ROWS = {
    "sessions:report": Row(
        # The pair was published just now: its first period is the upcoming one, open.
        checks={"GET": PARTY_PAGE, "POST": PARTY_PAGE._replace(owner=302)},
        owner="participant",
        kwargs=pair_kwargs,
        data=lambda target: {
            "period": "1",
            "working": "yes",
            "beneficial": "partly",
            "change": "Meet earlier in the day",
            "rating": "4",
        },
        owner_post_changes=True,
    ),
    "sessions:reports": Row(checks={"GET": PARTY_PAGE}, owner="participant", kwargs=pair_kwargs),
    "sessions:program_reports": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {
            "org_slug": target.org.slug,
            "pk": target.participant_pair.program_id,
        },
    ),
}
