"""The signed agreement PDF: what it shows, its seal, issuing it once, downloading it,
the public verification page, and the seal certificate made once."""

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from agreements import seal as seal_module
from agreements.models import Agreement, AgreementEvent, AgreementValue
from agreements.seal import SealConfigError, installation_seal
from agreements.services import documents
from agreements.services.common import Actor
from agreements.services.documents import agreement_pdf_issue, pdf_verify
from agreements.services.sign import agreement_sign
from agreements.tasks import agreement_pdf_render, agreements_pdf_sweep
from agreements.views.documents import VERIFY_LIMIT, VERIFY_MAX_BYTES

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
SITE_URL = "https://coach.example.org"


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    """PDFs and the generated certificate in this test's own directories."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.SEAL_DIR = tmp_path / "seal"
    settings.SEAL_PKCS12 = ""
    settings.SEAL_PASSWORD = ""
    settings.SEAL_ORG_PKCS12 = ""
    settings.SITE_URL = SITE_URL


def sign(pair, user, *, name=None, ip="198.51.100.4", user_agent="Test browser 1.0"):
    return agreement_sign(
        agreement=pair.agreement,
        actor=Actor(user=user, ip=ip, user_agent=user_agent),
        typed_name=name or user.get_full_name(),
        consent=True,
        intent=True,
        seen_sha256=pair.sha(),
    )


def sign_both(pair):
    sign(pair, pair.a, ip="198.51.100.4", user_agent="Firefox/140.0 (pat)")
    sign(pair, pair.b, ip="2001:db8::7", user_agent="Safari/18.4 (robin)")
    pair.agreement.refresh_from_db()
    return pair.agreement


@pytest.fixture
def signed(pair):
    """Both parties filled and signed; the PDF not issued yet (no commit in these tests)."""
    pair.fill_required()
    pair.save(pair.b, "Our social contract", value="Be on time\nCameras on")
    sign_both(pair)
    assert pair.agreement.status == Agreement.Status.SIGNED
    return pair


def issue(pair):
    agreement = agreement_pdf_issue(organization=pair.org, agreement_id=pair.agreement.pk)
    agreement.refresh_from_db()
    return agreement


def pdf_bytes(agreement):
    with agreement.pdf.open("rb") as handle:
        return handle.read()


def pdf_pages(data, tmp_path):
    """The text of each page (pdftotext, from poppler-utils)."""
    path = tmp_path / "out.pdf"
    path.write_bytes(data)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


def squeeze(text):
    """Text without whitespace: long hashes wrap across lines in the PDF."""
    return "".join(text.split())


# --- What the PDF shows -----------------------------------------------------------------


def test_the_pdf_shows_the_signed_clauses_values_signatures_and_an_audit_page(signed, tmp_path):
    agreement = issue(signed)
    pages = pdf_pages(pdf_bytes(agreement), tmp_path)
    text = "\n".join(pages)
    # Branding, title, program, number and template version.
    assert "Acme University" in text
    assert "Coaching agreement" in text
    assert signed.program.name in text
    assert "No. 1, from template version 1" in text
    # Each clause, each field's value, per-party values under the party's name.
    assert "What we say stays between us." in text
    assert "unless the law requires otherwise" in text
    assert "Every two weeks" in text
    assert "1 h 30" in text
    assert "Zoom" in text
    assert "Be on time" in text and "Cameras on" in text
    body = " ".join(text.split())
    assert "Pat Lee Delegate more" in body
    assert "Robin Diaz Speak up in meetings" in body
    # A signature block per party: typed name, time with its UTC offset, IP, browser, hash.
    signatures = text[text.index("Signatures") : text.index("Audit trail")]
    for signature in agreement.signatures.all():
        assert signature.typed_name in signatures
        stamp = documents.zoned_time(signature.signed_at, signed.org.tzinfo)
        assert stamp in " ".join(signatures.split())
    assert "198.51.100.4" in signatures and "2001:db8::7" in signatures
    assert "Firefox/140.0 (pat)" in signatures and "Safari/18.4 (robin)" in signatures
    assert squeeze(signatures).count(agreement.content_sha256) == 2
    # The last page is the audit page: every event, and how to verify.
    assert "Audit trail" not in "\n".join(pages[:-1])
    audit = pages[-1]
    assert "Audit trail" in audit
    events = list(agreement.events.exclude(kind="pdf_issued").order_by("at", "id"))
    assert [e.kind for e in events] == [
        "created",
        "changed",
        "changed",
        "changed",
        "changed",
        "changed",
        "changed",
        "signed",
        "signed",
        "completed",
    ]
    for event in events:
        assert documents.zoned_time(event.at, signed.org.tzinfo) in " ".join(audit.split())
    assert audit.count("Field changed") == 6
    assert "“How often we meet”: “(empty)” → “Every two weeks”" in " ".join(audit.split())
    assert "Signed by everyone" in audit
    assert squeeze(audit).count(agreement.content_sha256) >= 4  # 2 signed, completed, footer
    assert f"{SITE_URL}/verify/" in audit
    # Every page: its number of the total, and whose agreement it is.
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert "Acme University · Coaching agreement · agreement No. 1" in page


def test_the_pdf_shows_what_was_signed_not_what_the_tables_say_now(signed, tmp_path):
    AgreementValue.objects.filter(
        agreement=signed.agreement, item=signed.item("Where we meet")
    ).update(value="Teams")
    text = "\n".join(pdf_pages(pdf_bytes(issue(signed)), tmp_path))
    assert "Zoom" in text
    assert "Teams" not in text


def test_only_signatures_that_cover_the_signed_content_are_shown(pair, tmp_path):
    pair.fill_required()
    sign(pair, pair.a, name="Patricia Early")
    pair.save(pair.b, "Where we meet", value="Teams")  # voids the first signature
    agreement = sign_both(pair)
    text = "\n".join(pdf_pages(pdf_bytes(issue(pair)), tmp_path))
    signatures = text[text.index("Signatures") : text.index("Audit trail")]
    assert "Pat Lee" in signatures and "Robin Diaz" in signatures
    assert "Patricia Early" not in signatures
    audit = " ".join(text[text.index("Audit trail") :].split())
    assert "Patricia Early" in audit  # the trail keeps what happened
    assert "Signatures voided" in audit
    assert agreement.signatures.filter(voided_at__isnull=False).count() == 1


def test_the_logo_is_embedded_and_nothing_is_fetched(signed, monkeypatch, tmp_path):
    from django.core.files.base import ContentFile

    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
        b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x04\x00\x09\xfb\x03\xfd"
        b"\xe3U\xf2\x9c\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    signed.org.logo.save("logo.png", ContentFile(png))
    fetched = []
    from weasyprint.urls import URLFetcher

    original = URLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url[:30])
        return original(self, url, headers)

    monkeypatch.setattr(URLFetcher, "fetch", spy)
    html = documents.agreement_html(signed.agreement)
    assert 'src="data:image/png;base64,' in html
    issue(signed)
    assert fetched and all(url.startswith("data:") for url in fetched)
    # A URL in the document that is not data: is refused, not fetched.
    with pytest.raises(ValueError, match="disallowed protocol"):
        documents._url_fetcher().fetch("http://192.0.2.1/tracker.png")


# --- The seal -------------------------------------------------------------------------------


def validate(data, trust):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    [embedded] = PdfFileReader(io.BytesIO(data)).embedded_signatures
    context = ValidationContext(trust_roots=[trust], allow_fetching=False)
    return embedded, validate_pdf_signature(embedded, context)


def test_the_pdf_is_sealed_by_the_installation_certificate_and_stored_once(signed, settings):
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    agreement = issue(signed)
    data = pdf_bytes(agreement)
    assert agreement.pdf.name == f"agreements/{signed.org.pk}/{agreement.pk}.pdf"
    assert agreement.pdf_sha256 == hashlib.sha256(data).hexdigest()
    assert agreement.pdf_sealed and agreement.pdf_created_at and not agreement.pdf_error
    certificate = installation_seal().certificate
    embedded, status = validate(data, certificate)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert embedded.signer_cert.dump() == certificate.dump()
    assert embedded.field_name == documents.SEAL_FIELD
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert status.docmdp_ok  # a certification signature: no later changes allowed
    subject = certificate.subject.native
    assert (subject["common_name"], subject["organization_name"]) == (
        "peercoach document seal",
        "peercoach",
    )
    assert "non_repudiation" in certificate.key_usage_value.native
    # The certificate and its password stay outside media, readable by us only.
    seal_dir = Path(settings.SEAL_DIR)
    assert oct(seal_dir.stat().st_mode & 0o777) == "0o700"
    assert oct((seal_dir / "seal.password").stat().st_mode & 0o777) == "0o600"
    assert oct((seal_dir / "seal.p12").stat().st_mode & 0o777) == "0o600"
    from peercoach import settings as defaults

    for public in (defaults.MEDIA_ROOT, defaults.STATIC_ROOT):
        assert public != defaults.SEAL_DIR and public not in defaults.SEAL_DIR.parents


def test_an_organisation_with_its_own_certificate_seals_with_it(signed, settings, tmp_path):
    path = tmp_path / "acme.p12"
    path.write_bytes(seal_module._self_signed_pkcs12("acme-secret"))
    settings.SEAL_ORG_PKCS12 = json.dumps({"acme": {"path": str(path), "password": "acme-secret"}})
    agreement = issue(signed)
    own = seal_module.seal_for(signed.org)
    assert own.source == "organisation"
    embedded, status = validate(pdf_bytes(agreement), own.certificate)
    assert status.bottom_line
    assert embedded.signer_cert.dump() == own.certificate.dump()
    assert not (Path(settings.SEAL_DIR) / "seal.p12").exists()  # no installation cert needed
    assert pdf_verify(pdf_bytes(agreement)).seal_valid is True


def test_the_signed_pdf_and_its_folders_are_readable_by_the_app_user_only(signed, settings):
    agreement = issue(signed)
    pdf = Path(settings.PRIVATE_ROOT, agreement.pdf.name)
    assert oct(pdf.stat().st_mode & 0o777) == "0o600"
    # Every folder the storage made on the way, PRIVATE_ROOT included.
    for folder in (pdf.parent, pdf.parent.parent, Path(settings.PRIVATE_ROOT)):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder


def test_issuing_twice_renders_once_and_records_one_pdf(signed, monkeypatch):
    renders = []
    real_render = documents.pdf_render
    monkeypatch.setattr(
        documents, "pdf_render", lambda html: renders.append(1) or real_render(html)
    )
    first = issue(signed)
    data = pdf_bytes(first)
    again = issue(signed)
    agreement_pdf_render(organization_id=signed.org.pk, agreement_id=signed.agreement.pk)
    again.refresh_from_db()
    assert renders == [1]
    assert again.pdf_sha256 == first.pdf_sha256 and again.pdf.name == first.pdf.name
    assert pdf_bytes(again) == data
    [event] = AgreementEvent.objects.filter(agreement=first, kind="pdf_issued")
    assert event.detail["pdf_sha256"] == first.pdf_sha256
    assert list((Path(first.pdf.path).parent).iterdir()) == [Path(first.pdf.path)]


def test_the_last_signature_issues_the_pdf_after_commit(pair, commit):
    pair.fill_required()
    sign(pair, pair.a)
    with commit():
        sign(pair, pair.b)
        pair.agreement.refresh_from_db()
        assert not pair.agreement.pdf_sha256  # not before the commit
    pair.agreement.refresh_from_db()
    assert pair.agreement.pdf_sha256 and pair.agreement.pdf_sealed
    assert pdf_verify(pdf_bytes(pair.agreement)).issued


def test_an_open_agreement_gets_no_pdf(pair):
    pair.fill_required()
    agreement = issue(pair)
    assert agreement.status == Agreement.Status.OPEN
    assert not agreement.pdf_sha256 and not agreement.pdf
    assert not AgreementEvent.objects.filter(agreement=agreement, kind="pdf_issued").exists()
    assert agreement_pdf_issue(organization=pair.org, agreement_id=10**9) is None


@pytest.mark.parametrize("problem", ["missing", "wrong password", "bad json"])
def test_a_seal_configuration_problem_is_recorded_and_raised_and_nothing_is_half_issued(
    signed, settings, tmp_path, problem
):
    path = tmp_path / "installation.p12"
    path.write_bytes(seal_module._self_signed_pkcs12("right"))
    if problem == "missing":
        settings.SEAL_PKCS12 = str(tmp_path / "nowhere.p12")
        expected = "cannot be read"
    elif problem == "wrong password":
        settings.SEAL_PKCS12, settings.SEAL_PASSWORD = str(path), "wrong"
        expected = "password is wrong"
    else:
        settings.SEAL_ORG_PKCS12 = '{"acme": '
        expected = "not valid JSON"
    with pytest.raises(SealConfigError, match=expected):
        agreement_pdf_issue(organization=signed.org, agreement_id=signed.agreement.pk)
    agreement = Agreement.objects.get(pk=signed.agreement.pk)
    assert expected in agreement.pdf_error
    assert not agreement.pdf_sha256 and not agreement.pdf and not agreement.pdf_sealed
    assert not AgreementEvent.objects.filter(agreement=agreement, kind="pdf_issued").exists()
    assert not Path(settings.PRIVATE_ROOT, "agreements").exists()
    # Fixed, the next run issues it and clears the error.
    settings.SEAL_PKCS12, settings.SEAL_PASSWORD, settings.SEAL_ORG_PKCS12 = str(path), "right", ""
    agreement = issue(signed)
    assert agreement.pdf_sha256 and not agreement.pdf_error
    assert installation_seal().source == "installation"


# --- Verifying ----------------------------------------------------------------------------


def test_the_exact_pdf_verifies_with_its_seal_and_only_minimal_details(signed):
    agreement = issue(signed)
    result = pdf_verify(pdf_bytes(agreement))
    assert result.issued and result.seal_present and result.seal_valid is True
    assert (result.organization_name, result.program_name) == (
        "Acme University",
        signed.program.name,
    )
    assert result.agreement_number == 1
    assert result.signed_on == agreement.signed_at.date()
    assert result.sha256 == agreement.pdf_sha256
    assert "made by this installation" in result.seal_reason


def test_a_one_byte_change_fails_verification(signed):
    data = bytearray(pdf_bytes(issue(signed)))
    # A byte inside the first page's content, well inside what the seal covers.
    data[len(data) // 4] ^= 0x01
    result = pdf_verify(bytes(data))
    assert not result.issued
    assert result.seal_valid is False
    assert not result.organization_name and not result.program_name


def test_an_appended_revision_fails_verification_though_the_seal_itself_is_intact(signed):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    original = pdf_bytes(issue(signed))
    writer = IncrementalPdfFileWriter(io.BytesIO(original))
    writer.root["/Lang"] = writer.root.get("/Lang", "en")  # any change, written incrementally
    writer.update_root()
    output = io.BytesIO()
    writer.write(output)
    result = pdf_verify(output.getvalue())
    assert not result.issued
    assert result.seal_present and result.seal_valid is False
    assert "changed after it was sealed" in result.seal_reason


def test_a_pdf_sealed_by_someone_else_is_not_ours(signed, tmp_path):
    from agreements.seal import _load

    stranger = tmp_path / "stranger.p12"
    stranger.write_bytes(seal_module._self_signed_pkcs12("x"))
    html = documents.agreement_html(signed.agreement)
    forged = documents.pdf_seal(documents.pdf_render(html), seal=_load(stranger, "x", "test"))
    result = pdf_verify(forged)
    assert not result.issued
    assert result.seal_present and result.seal_valid is False
    assert "not made by this installation" in result.seal_reason


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "The file is empty."),
        (b"\x00\xffgarbage" * 100, "This file is not a PDF."),
        (b"PK\x03\x04 a zip file", "This file is not a PDF."),
    ],
)
def test_empty_and_non_pdf_files_get_a_clear_answer(data, problem):
    result = pdf_verify(data)
    assert result.problem == problem and not result.issued


def test_a_broken_or_unsealed_pdf_gets_a_clear_answer(signed):
    result = pdf_verify(b"%PDF-1.7\n%garbage that is no PDF at all\n%%EOF\n")
    assert not result.issued and not result.problem
    assert result.seal_present is False and "could not be read" in result.seal_reason
    unsealed = documents.pdf_render("<p>Hello</p>")
    result = pdf_verify(unsealed)
    assert not result.issued and result.seal_reason == "The file carries no digital seal."


# --- The verification page ------------------------------------------------------------------


def upload(client, data, name="agreement.pdf", **extra):
    return client.post(
        reverse("agreements:verify"),
        {"file": SimpleUploadedFile(name, data, content_type="application/pdf")},
        **extra,
    )


def test_the_verification_page_is_open_to_anyone_outside_any_tenant(
    client, client_for, participant
):
    response = client.get(reverse("agreements:verify"))
    assert response.status_code == 200
    assert reverse("agreements:verify") == "/verify/"
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert "Sign in" in html  # base.html for an anonymous visitor
    # And for someone signed in, still outside any organisation.
    response = client_for(participant).get(reverse("agreements:verify"))
    assert response.status_code == 200
    assert "Check a signed agreement" in response.content.decode()


def test_uploading_an_issued_pdf_tells_only_organisation_program_date_and_number(signed, client):
    agreement = issue(signed)
    response = upload(client, pdf_bytes(agreement))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Issued by us and unchanged" in html
    assert "Acme University" in html and signed.program.name in html
    assert agreement.signed_at.strftime("%-d %B %Y") in html
    for secret in (
        "Pat",
        "Lee",
        "Robin",
        "Diaz",
        "pat@acme.example.org",
        "partner@acme.example.org",
        "Delegate more",
        "Zoom",
        "198.51.100.4",
        agreement.content_sha256,
    ):
        assert secret not in html, secret


def test_uploading_a_changed_pdf_says_it_is_not_ours(signed, client):
    data = bytearray(pdf_bytes(issue(signed)))
    data[len(data) // 4] ^= 0x01
    response = upload(client, bytes(data))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not a PDF we issued, or it was changed after we issued it" in html
    assert "Acme University" not in html


@pytest.mark.parametrize(
    ("size", "how"),
    [(VERIFY_MAX_BYTES + 1, "after reading"), (VERIFY_MAX_BYTES + 200_000, "before reading")],
)
def test_a_huge_upload_is_refused_with_a_clear_message(client, size, how):
    response = upload(client, b"%PDF-1.7\n" + b"0" * (size - 9))
    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n not a pdf", "This file is not a PDF."),
    ],
)
def test_bad_uploads_get_a_clear_message_not_an_error(client, data, message):
    response = upload(client, data)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_broken_pdf_upload_is_answered_not_a_server_error(client):
    response = upload(client, b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\ntrailer garbage")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Not a PDF we issued" in html and "could not be read" in html


def test_posting_without_a_file_asks_for_one(client):
    response = client.post(reverse("agreements:verify"), {})
    assert response.status_code == 400
    assert "Choose the PDF file to check." in response.content.decode()


def test_the_verification_form_is_protected_against_cross_site_posts():
    client = Client(enforce_csrf_checks=True)
    assert upload(client, b"%PDF-1.7\n").status_code == 403
    token = client.get(reverse("agreements:verify")).cookies["csrftoken"].value
    response = client.post(
        reverse("agreements:verify"),
        {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.7\n"), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 200


def test_checks_are_rate_limited_per_address(client):
    for _ in range(VERIFY_LIMIT):
        assert upload(client, b"nope", REMOTE_ADDR="203.0.113.9").status_code == 400
    response = upload(client, b"nope", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert "Too many checks" in response.content.decode()
    assert upload(client, b"nope", REMOTE_ADDR="203.0.113.10").status_code == 400


# --- Downloading --------------------------------------------------------------------------


def pdf_url(pair):
    return reverse("agreements:pdf", kwargs={"org_slug": pair.org.slug, "pk": pair.agreement.pk})


def test_each_party_downloads_the_sealed_pdf_as_an_attachment(signed, client_for):
    agreement = issue(signed)
    for user in (signed.a, signed.b):
        response = client_for(user).get(pdf_url(signed))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        disposition = response["Content-Disposition"]
        number = signed.program.name.lower().replace(" ", "-")
        assert disposition == f'attachment; filename="agreement-{number}-1.pdf"'
        data = b"".join(response.streaming_content)
        assert hashlib.sha256(data).hexdigest() == agreement.pdf_sha256


def test_who_may_download_the_pdf(
    signed, client, client_for, stranger, coordinator, other_participant, other_coordinator
):
    issue(signed)
    url = pdf_url(signed)
    response = client.get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (stranger, other_participant, other_coordinator, coordinator):
        assert client_for(user).get(url).status_code == 404, user.email
    Agreement.objects.filter(pk=signed.agreement.pk).update(coordinator_sees_pdf=True)
    assert client_for(coordinator).get(url).status_code == 200
    assert client_for(stranger).get(url).status_code == 404
    assert client_for(other_coordinator).get(url).status_code == 404


def test_a_pdf_not_ready_yet_shows_a_friendly_page(signed, client_for):
    response = client_for(signed.a).get(pdf_url(signed))
    assert response.status_code == 200
    assert "The PDF is being prepared" in response.content.decode()
    Agreement.objects.filter(pk=signed.agreement.pk).update(pdf_error="The PDF could not be…")
    response = client_for(signed.a).get(pdf_url(signed))
    assert response.status_code == 200
    assert "could not be prepared yet" in response.content.decode()


def test_an_unsigned_agreement_has_no_pdf_page(pair, client_for):
    assert client_for(pair.a).get(pdf_url(pair)).status_code == 404


# --- The certificate, made once -------------------------------------------------------------


def test_threads_asking_at_once_get_one_certificate(settings, monkeypatch):
    made = []
    real = seal_module._self_signed_pkcs12

    def slow(password):
        made.append(threading.current_thread().name)
        time.sleep(0.3)  # widen the window in which a second one could start
        return real(password)

    monkeypatch.setattr(seal_module, "_self_signed_pkcs12", slow)
    barrier = threading.Barrier(6)
    results = []

    def ask():
        barrier.wait()
        results.append(installation_seal().certificate.dump())

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(made) == 1
    assert len(results) == 6 and len(set(results)) == 1
    names = sorted(path.name for path in Path(settings.SEAL_DIR).iterdir())
    assert names == [".lock", "seal.p12", "seal.password"]  # no temporary leftovers


PROCESS_SCRIPT = """
import os, sys, time
import django
django.setup()
from agreements.seal import installation_seal
start = float(sys.argv[1])
time.sleep(max(0.0, start - time.time()))
print(installation_seal().certificate.sha256.hex())
"""


def test_processes_asking_at_once_get_one_certificate(tmp_path):
    seal_dir = tmp_path / "seal-processes"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "SEAL_PKCS12", "SEAL_ORG_PKCS12"}
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="peercoach.settings",
        PEERCOACH_VAR_DIR=str(tmp_path / "var"),
        SEAL_DIR=str(seal_dir),
    )
    start = str(time.time() + 4)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", PROCESS_SCRIPT, start],
            cwd=BASE_DIR,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    fingerprints = {stdout.strip() for stdout, _stderr in outputs}
    assert len(fingerprints) == 1 and len(next(iter(fingerprints))) == 64
    assert sorted(path.name for path in seal_dir.iterdir()) == [
        ".lock",
        "seal.p12",
        "seal.password",
    ]


def test_the_loaded_certificate_is_cached_per_process(settings, monkeypatch):
    first = installation_seal()
    from pyhanko.sign import signers

    def fail(*args, **kwargs):
        raise AssertionError("loaded again")

    monkeypatch.setattr(signers.SimpleSigner, "load_pkcs12_data", fail)
    assert installation_seal() is first


def test_a_verification_does_not_make_a_certificate(settings, signed):
    pdf_verify(documents.pdf_render("<p>Hello</p>"))
    assert not Path(settings.SEAL_DIR).exists()


def test_verifying_needs_no_tenant_scope(signed):
    data = pdf_bytes(issue(signed))
    # As for an anonymous visitor: a scope with no organisation, so a tenant-scoped query
    # would raise; the look-up across tenants is the one place that disables scoping.
    with scope():
        assert pdf_verify(data).issued


def test_the_sweep_queues_signed_agreements_left_without_a_pdf(signed):
    # Just signed: the render queued on commit may still be under way, so not yet.
    assert agreements_pdf_sweep() == 0
    Agreement.objects.filter(pk=signed.agreement.pk).update(
        signed_at=timezone.now() - timedelta(minutes=6)
    )
    assert agreements_pdf_sweep() == 1  # tasks are eager in tests: issued now
    agreement = Agreement.objects.get(pk=signed.agreement.pk)
    assert agreement.pdf_sha256 and agreement.pdf_sealed
    assert agreements_pdf_sweep() == 0


def test_the_pdf_is_private_no_url_and_nowhere_under_media(signed, settings, client):
    from peercoach import settings as defaults

    agreement = issue(signed)
    assert Path(agreement.pdf.path).is_relative_to(settings.PRIVATE_ROOT)
    assert not Path(agreement.pdf.path).is_relative_to(settings.MEDIA_ROOT)
    with pytest.raises(ValueError, match="no URL"):
        agreement.pdf.url  # noqa: B018 - the property is what is tested
    for public in (defaults.MEDIA_ROOT, defaults.STATIC_ROOT):
        assert not defaults.PRIVATE_ROOT.is_relative_to(public)
    # The development file server knows nothing of it.
    response = client.get(f"/media/{agreement.pdf.name}")
    assert response.status_code == 404


def test_any_render_failure_is_recorded_counted_and_left_to_the_sweep_a_few_times(
    signed, monkeypatch
):
    def broken(html):
        raise RuntimeError("layout exploded")

    monkeypatch.setattr(documents, "pdf_render", broken)
    with pytest.raises(RuntimeError):
        agreement_pdf_issue(organization=signed.org, agreement_id=signed.agreement.pk)
    agreement = Agreement.objects.get(pk=signed.agreement.pk)
    assert agreement.pdf_error == "The PDF could not be produced (RuntimeError)."
    assert agreement.pdf_attempts == 1 and not agreement.pdf_sha256
    assert not AgreementEvent.objects.filter(agreement=agreement, kind="pdf_issued").exists()
    Agreement.objects.filter(pk=agreement.pk).update(
        signed_at=timezone.now() - timedelta(hours=1), pdf_attempts=5
    )
    assert agreements_pdf_sweep() == 0  # given up on: an operator re-queues it
