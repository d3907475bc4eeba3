"""An agreement is issued in one language, fixed when it is created: both parties sign the
same text whatever their own language, the canonical text records it, and the PDF (with
its audit pages) is rendered in it, whoever's task renders it. Agreements made before
there were languages have no "language" key, keep their SHA-256 and read as English.
"""

import datetime
import json
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_scopes import scope

from agreements import canonical
from agreements.models import Agreement, Signature
from agreements.selectors.agreement import canonical_text
from agreements.services.create import agreement_create
from agreements.services.documents import agreement_html, zoned_time
from agreements.services.sign import CONSENT_TEXT
from agreements.services.templates import template_from_starter
from programs.models import Match
from tests.agreements.test_documents import issue, pdf_bytes, pdf_pages, sign_both
from tests.conftest import _member
from tests.factories import ProgramFactory, match_make

pytestmark = pytest.mark.django_db


def spanish(msgid):
    with translation.override("es"):
        text = gettext(msgid)
    assert text != msgid, f"No Spanish for {msgid!r}: compile the catalogue"
    return text


@pytest.fixture
def spanish_org(org):
    org.default_language = "es"
    org.save(update_fields=["default_language"])
    return org


def test_a_new_agreement_is_issued_in_the_organisation_language(spanish_org, pair):
    assert pair.agreement.language == "es"
    doc = json.loads(canonical_text(pair.agreement)[0])
    assert doc["language"] == "es"


def test_without_a_default_it_is_issued_in_english(pair):
    assert pair.agreement.language == "en"
    assert json.loads(canonical_text(pair.agreement)[0])["language"] == "en"


def test_an_agreement_from_before_languages_keeps_its_hash_and_reads_as_english(pair):
    before = canonical_text(pair.agreement)
    with scope(organization=pair.org):
        Agreement.objects.filter(pk=pair.agreement.pk).update(language="")
        pair.agreement.refresh_from_db()
        text, sha = canonical_text(pair.agreement)
    doc = json.loads(text)
    assert "language" not in doc and canonical.document_language(doc) == "en"
    assert sha != before[1]  # the key is what changed: old texts had none
    assert pair.agreement.issued_language == "en"


def test_signed_in_spanish_the_pdf_is_spanish_whoever_signs(spanish_org, pair, tmp_path):
    """Pat reads the pages in English, Robin in Spanish: they sign the same Spanish text,
    the signature hash check works, and the PDF reads in Spanish."""
    pair.a.language = "en"
    pair.a.save(update_fields=["language"])
    pair.fill_required()
    with translation.override("en"):  # the worker's language does not matter
        agreement = sign_both(pair)
    assert agreement.status == Agreement.Status.SIGNED
    assert json.loads(agreement.signed_content)["language"] == "es"
    with scope(organization=pair.org):
        consents = set(
            Signature.objects.filter(agreement=agreement).values_list("consent_text", flat=True)
        )
        assert consents == {spanish(CONSENT_TEXT)}
        html = agreement_html(agreement)
        assert '<html lang="es">' in html
        agreement = issue(pair)
    text = "\n".join(pdf_pages(pdf_bytes(agreement), tmp_path))
    assert spanish("Audit trail") in text and "Audit trail" not in text
    assert spanish("Signatures") in text


def test_the_pdf_writes_its_times_in_the_language_it_was_signed_in(spanish_org, pair):
    """Spanish abbreviates the month in lower case: "3 dic 2026", never "3 Dic 2026"."""
    pair.fill_required()
    agreement = sign_both(pair)
    moment = datetime.datetime(2026, 12, 3, 13, 7, tzinfo=datetime.UTC)
    with scope(organization=pair.org):
        Signature.objects.filter(agreement=agreement).update(signed_at=moment)
        html = " ".join(agreement_html(agreement).split())
    assert "3 dic 2026, 14:07 (UTC+01:00)" in html  # the organisation is in Berlin
    assert "Dic" not in html
    with translation.override("en"):
        assert zoned_time(moment, zoneinfo.ZoneInfo("Europe/Berlin")) == (
            "3 Dec 2026, 14:07 (UTC+01:00)"
        )


def test_the_sign_page_says_the_language_and_shows_the_boxes_in_it(spanish_org, pair, client):
    pair.a.language = "en"
    pair.a.save(update_fields=["language"])
    pair.fill_required()
    client.force_login(pair.a)
    url = reverse("agreements:sign", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})
    page = client.get(url).content.decode()
    assert '<html lang="en">' in page  # the person's own language for the page
    assert 'data-testid="issued-language"' in page
    assert f'lang="es">{spanish(CONSENT_TEXT)}</label>' in page
    # Signing with the hash the page showed works.
    sha = canonical_text(pair.agreement)[1]
    assert f'name="sha256" value="{sha}"' in page
    response = client.post(
        url, {"sha256": sha, "typed_name": "Pat Lee", "consent": "on", "intent": "on"}
    )
    assert response.status_code == 302


def test_a_starter_is_built_in_the_chosen_language_and_its_agreements_follow(org, coordinator):
    """The coordinator reads the builder in English and picks a Spanish starter: its
    wording is Spanish, stays as stored, and its agreements are issued in Spanish."""
    with scope(organization=org):
        program = ProgramFactory(organization=org)
        with translation.override("en"):
            template = template_from_starter(
                program=program, starter_key="reciprocal", user=coordinator, language="es"
            )
        assert template.language == "es"
        titles = set(template.items.values_list("title", flat=True))
        assert spanish("How often we meet") in titles and "How often we meet" not in titles
        users = [_member(org, "participant", f"p{i}@acme.example.org") for i in (1, 2)]
        match = match_make(program=program, users=users, status=Match.Status.ACTIVE)
        agreement = agreement_create(match=match, template=template)
    assert agreement.language == "es"


def test_the_starter_language_defaults_to_the_organisation(spanish_org, coordinator):
    with scope(organization=spanish_org):
        program = ProgramFactory(organization=spanish_org)
        template = template_from_starter(
            program=program, starter_key="reciprocal", user=coordinator
        )
    assert template.language == "es"
