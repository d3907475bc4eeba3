"""`_pagination.html`: previous, page n / total (the current page, marked) and next, keeping
the rest of the query string; nothing when everything fits on one page."""

from django.core.paginator import Paginator
from django.template import engines
from django.test import RequestFactory


def render(number, query="", with_=""):
    request = RequestFactory().get(f"/list/?{query}")
    page = Paginator(list(range(50)), 20).page(number)
    template = engines["django"].from_string(
        '{% include "_pagination.html" with page=page label="Report pages" ' + with_ + " %}"
    )
    html = template.render({"page": page}, request=request)
    return " ".join(html.split()).replace("> <", "><")


def test_middle_page():
    assert render(2) == (
        '<nav aria-label="Report pages"><ul class="pagination">'
        '<li class="page-item"><a class="page-link" href="?page=1">Previous</a></li>'
        '<li class="page-item active" aria-current="page"><span class="page-link">2 / 3</span></li>'
        '<li class="page-item"><a class="page-link" href="?page=3">Next</a></li>'
        "</ul></nav>"
    )


def test_first_and_last_pages_have_one_link():
    assert "Previous" not in render(1) and "?page=2" in render(1)
    assert "Next" not in render(3) and "?page=2" in render(3)


def test_links_keep_the_filters_and_take_options():
    html = render(
        2,
        query="status=accepted&page=2",
        with_='class="mt-3" anchor="#at-risk" previous="Newer" next="Older"',
    )
    assert '<nav aria-label="Report pages" class="mt-3">' in html
    assert 'href="?status=accepted&amp;page=1#at-risk">Newer</a>' in html
    assert 'href="?status=accepted&amp;page=3#at-risk">Older</a>' in html


def test_nothing_for_a_single_page():
    request = RequestFactory().get("/list/")
    template = engines["django"].from_string(
        '{% include "_pagination.html" with page=page label="x" %}'
    )
    page = Paginator([1, 2], 20).page(1)
    assert template.render({"page": page}, request=request).strip() == ""
