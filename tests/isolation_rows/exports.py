"""Isolation rows: the coordinators' CSV exports of a program (workspace).

Both URLs are for the program's coordinators: the exports page and one download (the
pairs file here; every kind goes through the same view and checks).
"""

from tests.test_isolation import COORDINATOR_PAGE, Row


def program_kwargs(target):
    return {"org_slug": target.org.slug, "pk": target.program.pk}


ROWS = {
    "workspace:exports": Row(
        checks={"GET": COORDINATOR_PAGE}, owner="coordinator", kwargs=program_kwargs
    ),
    "workspace:export": Row(
        checks={"GET": COORDINATOR_PAGE},
        owner="coordinator",
        kwargs=lambda target: {**program_kwargs(target), "kind": "pairs"},
    ),
}
