"""A save on a stale revision never overwrites the partner's newer text, whatever the browser
sends (issue 15, "An edit is lost silently").

The lost edit came from one click: typing in a field and then pressing its Save button sent
a save on "change" and one on "submit". The first was refused (the partner had saved
since), but its answer handed the form the partner's revision; htmx sent the queued second
save with that revision, and it overwrote the partner's text with "Saved.". So an answer
that refuses a save (a conflict, or input it cannot take) must leave the form on the
revision the person last saw. Only the explicit "Replace theirs with mine" button, shown
next to the partner's text, carries the newer revision, and only while it is still the
newest.
"""

import re

import pytest
from django.urls import reverse

from agreements.models import AgreementValue

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
# The three ways a browser sends a field: htmx on "change", htmx on "submit" (the Save
# button, with JavaScript), and a plain form post (without JavaScript).
PATHS = {
    "change": {"HX-Request": "true", "HX-Trigger": "change"},
    "button": {"HX-Request": "true", "HX-Trigger": "submit"},
    "plain": {},
}
TITLE = "How long a session lasts"


def url_for(pair, item):
    return reverse(
        "agreements:field_save",
        kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk, "item_pk": item.pk},
    )


def form_revision(html, item):
    """The revision the answer leaves in the form's hidden input (as the browser would keep
    it: the page's input, or the one swapped in out of band)."""
    inputs = re.findall(rf'<input[^>]*id="rev-{item.pk}-0"[^>]*>', html)
    assert inputs, "no revision input in the answer"
    return re.search(r'value="(\d+)"', inputs[-1]).group(1)


def stored(pair, item):
    return AgreementValue.objects.get(agreement=pair.agreement, item=item, party=None)


@pytest.fixture
def conflict(pair):
    """Robin saved 45 minutes at revision 1; Pat's page still shows revision 0."""
    pair.save(pair.b, TITLE, value="45", revision=0)
    return pair.item(TITLE)


@pytest.mark.parametrize("path", PATHS)
def test_a_stale_save_is_refused_on_every_path_and_shows_the_partners_text(
    pair, client_for, conflict, path
):
    client = client_for(pair.a)
    response = client.post(
        url_for(pair, conflict), {"value": "90", "revision": "0"}, headers=PATHS[path]
    )
    assert response.status_code == (409 if path == "plain" else 200)
    html = response.text
    assert "Robin Diaz saved this field" in html and "45 minutes" in html
    assert "Saved." not in html
    assert 'value="90"' in html or path != "plain"  # the page again keeps Pat's text
    row = stored(pair, conflict)
    assert (row.value, row.revision, row.updated_by) == (45, 1, pair.b)
    # The answer leaves the form on the revision Pat saw, not Robin's.
    assert form_revision(html, conflict) == "0"


@pytest.mark.parametrize(
    "first, second", [("change", "button"), ("button", "change"), ("plain", "plain")]
)
def test_a_second_save_of_the_same_action_cannot_overwrite_either(
    pair, client_for, conflict, first, second
):
    """The reported defect: the second save carries whatever the first answer left."""
    client = client_for(pair.a)
    response = client.post(
        url_for(pair, conflict), {"value": "90", "revision": "0"}, headers=PATHS[first]
    )
    revision = form_revision(response.text, conflict)
    response = client.post(
        url_for(pair, conflict), {"value": "90", "revision": revision}, headers=PATHS[second]
    )
    assert "Saved." not in response.text
    assert "Robin Diaz saved this field" in response.text
    row = stored(pair, conflict)
    assert (row.value, row.revision, row.updated_by) == (45, 1, pair.b)


def test_input_it_cannot_take_does_not_move_the_form_to_the_partners_revision(
    pair, client_for, conflict
):
    client = client_for(pair.a)
    response = client.post(
        url_for(pair, conflict), {"value": "an hour", "revision": "0"}, headers=HTMX
    )
    assert "Enter minutes" in response.text
    assert form_revision(response.text, conflict) == "0"
    response = client.post(url_for(pair, conflict), {"value": "90", "revision": "0"}, headers=HTMX)
    assert "Robin Diaz saved this field" in response.text
    assert stored(pair, conflict).value == 45


@pytest.mark.parametrize("path", PATHS)
def test_replace_theirs_with_mine_is_an_explicit_choice_of_the_revision_shown(
    pair, client_for, conflict, path
):
    client = client_for(pair.a)
    response = client.post(
        url_for(pair, conflict), {"value": "90", "revision": "0"}, headers=PATHS[path]
    )
    # The warning offers the choice, carrying the revision whose text it shows.
    button = re.search(r'<button[^>]*name="replace"[^>]*>', response.text)
    assert button and 'value="1"' in button.group(0)
    # Robin saves again before Pat decides: Pat's "replace" names a text no longer there.
    pair.save(pair.b, TITLE, value="50", revision=1)
    response = client.post(
        url_for(pair, conflict),
        {"value": "90", "revision": "0", "replace": "1"},
        headers=PATHS[path],
    )
    assert "Robin Diaz saved this field" in response.text and "50 minutes" in response.text
    assert stored(pair, conflict).value == 50
    # Pat replaces what the warning now shows: that one goes through.
    response = client.post(
        url_for(pair, conflict),
        {"value": "90", "revision": "0", "replace": "2"},
        headers=PATHS[path],
        follow=path == "plain",
    )
    assert "Saved" in response.text
    row = stored(pair, conflict)
    assert (row.value, row.revision, row.updated_by) == (90, 3, pair.a)
    if path != "plain":
        assert form_revision(response.text, conflict) == "3"


def test_a_successful_save_moves_the_form_on(pair, client_for):
    item = pair.item(TITLE)
    client = client_for(pair.a)
    response = client.post(url_for(pair, item), {"value": "60", "revision": "0"}, headers=HTMX)
    assert "Saved." in response.text and form_revision(response.text, item) == "1"
    # The same text again (the button after the change event) writes nothing new.
    response = client.post(url_for(pair, item), {"value": "60", "revision": "1"}, headers=HTMX)
    assert stored(pair, item).revision == 1
    assert pair.agreement.events.filter(kind="changed").count() == 1
