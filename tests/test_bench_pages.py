"""The pages bench/http.py measures (bench/_pages.py) resolve on the demo data and answer
200 with their text to their person, so the bench never times an error page or a login
form."""

import pytest

from bench import _pages
from peercoach.demo import demo_load

pytestmark = [pytest.mark.django_db, pytest.mark.backend_agnostic]


def test_every_bench_page_answers_its_person_on_the_demo_data():
    demo_load()
    pages = _pages.resolve(warmup=0)
    assert [page["name"] for page in pages] == _pages.NAMES
    for page in pages:
        assert page["url"].startswith(f"/o/{_pages.ORG_SLUG}/"), page
        assert (page["status"], page["marker_found"]) == (200, True), page
        assert page["queries"] > 0, page
