"""Every page's headings form an outline without gaps: an h1 first, then h2, h3... never
from h1 straight to h3 (WCAG 1.3.1). Screen-reader users move through a page by its headings, and
a skipped level reads as a missing section.

The walk covers what a participant opens in the five demo organisations (their home, pair,
sessions, agreement signed or not, goals, progress reports, surveys) and the
coordinator's pages.
"""

import pytest
from django_scopes import scopes_disabled

from peercoach.demo import demo_load
from peercoach.tenancy.models import Organization
from tests.pages import heading_skips, walk, walkers

pytestmark = [pytest.mark.django_db, pytest.mark.backend_agnostic]

WALKED = ("one-it", "wit", "peersphere", "atc", "power-circles")
# Whose pages: a participant who wrote each of these (signed, reported, planned...).
WRITERS = [
    "agreements.Signature",
    "coaching_sessions.ProgressReport",
    "coaching_sessions.Plan",
    "coaching_sessions.Feedback",
    "coaching_sessions.PrivateNote",
    "coaching_sessions.OptOut",
    "coaching_sessions.Concern",
    "surveys.Response",
]


def test_skips_are_found():
    assert heading_skips("<h1>A</h1><h2>B</h2><h3>C</h3><h2>D</h2><h2>E</h2>") == []
    assert heading_skips("<h1>A</h1><h3 class='h5'>1. <b>B</b></h3>") == ["h3 “1. B” after h1"]
    assert heading_skips("<h2>A</h2>") == ["h2 “A” after h-"]


def test_no_page_skips_a_heading_level(client):
    with scopes_disabled():
        demo_load()
        people = {
            org.slug: walkers(org, WRITERS) for org in Organization.objects.filter(slug__in=WALKED)
        }
    skips, walked = [], 0
    for slug, users in people.items():
        for user in users:
            client.force_login(user)
            for path, html in walk(client, slug).items():
                walked += 1
                skips += [f"{path} ({user.email}): {skip}" for skip in heading_skips(html)]
            client.logout()
    assert walked > 100
    assert not skips, "\n".join(skips)
