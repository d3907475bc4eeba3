"""The pages a signed-in person opens often, as bench/http.py measures them.

One row per page: its name (as `--page` takes it), who signs in to open it, how its URL is
found from the demo data (`manage.py demo`), and a text the body must contain, so that a
page answering 200 with something else (a login page, an error page) counts as a failure.

`resolve()` runs inside Django against the bench's database: it finds each page's URL,
opens it with the test client as its person (after two warm-up requests, so the figure
is a steady page's, with whatever the cache holds) and counts its queries.

    python -m bench._pages            # prints the JSON list bench/http.py reads
"""

import json
import sys
from dataclasses import asdict, dataclass

ORG_SLUG = "one-it"
ROLES = {
    "participant": f"participant01@{ORG_SLUG}.example.org",
    "coordinator": f"coordinator@{ORG_SLUG}.example.org",
}
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # a key of ROLES
    how: str  # how the URL is found, for the README and the report
    marker: str  # a text the body must contain; {program} is the program's name


PAGES = [
    Page("participant_home", "participant", "portal:home of one-it", "<title>Home ·"),
    Page(
        "pair_hub",
        "participant",
        "sessions:pair of participant01's active pair",
        "<title>Your pair ·",
    ),
    Page(
        "agreement",
        "participant",
        "agreements:detail of that pair's latest agreement",
        "<title>Peer coaching agreement ·",
    ),
    Page(
        "session",
        "participant",
        "sessions:detail of that pair's latest held session",
        "<title>Session of ",
    ),
    Page(
        "program",
        "participant",
        "programs:detail of that pair's program",
        "<title>{program} ·",
    ),
    Page(
        "coordinator_home", "coordinator", "workspace:home of one-it", "<title>Coordinator home ·"
    ),
]
NAMES = [page.name for page in PAGES]


def urls():
    """{page name: (url, marker)} from the demo data (inside Django)."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse
    from django_scopes import scopes_disabled

    from agreements.models import Agreement
    from programs.models import Match
    from sessions.models import Session

    slug = {"org_slug": ORG_SLUG}
    with scopes_disabled():
        person = get_user_model().objects.get(email=ROLES["participant"])
        match = (
            Match.objects.filter(organization__slug=ORG_SLUG, status="active", members__user=person)
            .select_related("program")
            .latest("pk")
        )
        agreement = Agreement.objects.filter(match=match).latest("pk")
        session = Session.objects.filter(match=match, status="held").latest("starts_at")
        program = match.program
    found = {
        "participant_home": reverse("portal:home", kwargs=slug),
        "pair_hub": reverse("sessions:pair", kwargs={**slug, "pk": match.pk}),
        "agreement": reverse("agreements:detail", kwargs={**slug, "pk": agreement.pk}),
        "session": reverse("sessions:detail", kwargs={**slug, "pk": session.pk}),
        "program": reverse("programs:detail", kwargs={**slug, "pk": program.pk}),
        "coordinator_home": reverse("workspace:home", kwargs=slug),
    }
    return {
        page.name: (found[page.name], page.marker.format(program=program.name)) for page in PAGES
    }


def resolve(names=None, *, warmup=2):
    """Each page as a dict: its row, url, marker, status, whether the marker was there and
    the queries of one request after `warmup` others."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    users = get_user_model().objects.in_bulk(ROLES.values(), field_name="email")
    clients = {}
    pages = []
    for page in PAGES:
        if names and page.name not in names:
            continue
        if page.role not in clients:
            clients[page.role] = Client(HTTP_HOST=HOST)
            clients[page.role].force_login(users[ROLES[page.role]])
        client = clients[page.role]
        url, marker = urls()[page.name]
        for _ in range(warmup):
            client.get(url)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        pages.append(
            {
                **asdict(page),
                "email": ROLES[page.role],
                "url": url,
                "marker": marker,
                "status": response.status_code,
                "marker_found": marker.encode() in response.content,
                "queries": len(captured),
            }
        )
    return pages


def main(argv):
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercoach.settings")
    django.setup()
    print(json.dumps(resolve(argv or None)))


if __name__ == "__main__":
    main(sys.argv[1:])
