"""The signed agreement's PDF: render, seal, store; and checking an uploaded PDF.

`agreement_pdf_issue` renders what was signed (the canonical text kept on the agreement,
never the tables as they are now), the signatures that cover it and the whole audit trail,
seals the PDF with a PAdES certification signature (see `agreements.seal`), stores it
under a name fixed by the agreement, and records its SHA-256. `pdf_verify` answers
"is this a PDF we issued, unaltered?" for anyone, revealing as little as possible.

WeasyPrint and pyHanko are imported inside the functions that use them, so that web
start-up does not pay for them.
"""

import base64
import datetime
import functools
import hashlib
import io
import json
import logging
import mimetypes
import re
import threading
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.template import loader
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from programs.models import MatchMember

from .. import canonical, fields
from ..formatting import clause_html
from ..models import Agreement, AgreementEvent, AgreementItem, Signature
from ..seal import SealConfigError, seal_for, trusted_certificates
from ..storage import private_storage

logger = logging.getLogger(__name__)

Kind = AgreementItem.Kind
TEMPLATE = "agreements/pdf/agreement.html"
STYLESHEET = "agreements/pdf/agreement.css"
SEAL_FIELD = "peercoach-seal"
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/svg+xml"}
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
ISSUABLE = {Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED}
PDF_MAGIC = b"%PDF-"


def storage_name(agreement):
    """Where the agreement's PDF lives: one fixed name, so a retry overwrites, never piles up."""
    return f"agreements/{agreement.organization_id}/{agreement.pk}.pdf"


def utc_iso(moment):
    if moment is None:
        return ""
    return moment.astimezone(datetime.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def zone_of(name, fallback="UTC"):
    """The time zone called `name` (else `fallback`, else UTC): a zone that this
    system's tz database no longer knows must not stop a signed PDF from being issued."""
    for candidate in (name, fallback):
        try:
            return zoneinfo.ZoneInfo(candidate)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
            continue
    return zoneinfo.ZoneInfo("UTC")


def zoned_time(moment, zone):
    """`moment` as the people in `zone` read it, with its offset from UTC, e.g.
    "3 Dec 2026, 14:05 (UTC+01:00)": a PDF read anywhere, later, must say which hour."""
    if moment is None:
        return ""
    local = moment.astimezone(zone)
    minutes = int(local.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, minutes = divmod(abs(minutes), 60)
    when = formats.date_format(local, "SHORT_DAY_TIME_FORMAT")
    return f"{when} (UTC{sign}{hours:02d}:{minutes:02d})"


# --- What the PDF shows -----------------------------------------------------------------


def _logo_data_uri(organization):
    """The organisation's logo inlined as a data URI ("" when none or unusable).

    Inlining means the renderer never fetches anything: its URL fetcher allows data: only.
    """
    if not organization.logo:
        return ""
    content_type = mimetypes.guess_type(organization.logo.name)[0]
    if content_type not in LOGO_TYPES:
        return ""
    try:
        with organization.logo.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        logger.warning("Logo of %s cannot be read; the PDF goes without it", organization.slug)
        return ""
    if len(data) > LOGO_MAX_BYTES:
        return ""
    return f"data:{content_type};base64,{base64.b64encode(data).decode('ascii')}"


def _value_view(item, value):
    """(text, list of lines): lists stay lists, everything else is display text."""
    if not fields.is_filled(value):
        return {"filled": False, "text": "", "lines": []}
    if item["kind"] in (Kind.BULLET_LIST, Kind.MULTIPLE_CHOICE) and isinstance(value, list):
        return {"filled": True, "text": "", "lines": [str(line) for line in value]}
    return {"filled": True, "text": fields.display(item, value), "lines": []}


def _event_detail(event):
    """The event's detail as one line of text a person reads."""
    detail = event.detail or {}
    kind = event.kind
    Event = AgreementEvent.Kind
    if kind == Event.CHANGED:
        field = detail.get("field", "")
        if detail.get("party"):
            field = f"{field} ({detail['party']})"
        before = detail.get("before") or _("(empty)")
        after = detail.get("after") or _("(empty)")
        return f"“{field}”: “{before}” → “{after}”"
    if kind == Event.SIGNED:
        return _("Typed name “%(name)s”; signed content SHA-256 %(sha)s") % {
            "name": detail.get("name", ""),
            "sha": detail.get("sha256", ""),
        }
    if kind == Event.COMPLETED:
        return _("Signed content SHA-256 %(sha)s") % {"sha": detail.get("sha256", "")}
    if kind == Event.VOIDED:
        signers = ", ".join(detail.get("signers") or [])
        return _("%(reason)s Signatures cancelled: %(signers)s.") % {
            "reason": detail.get("reason", ""),
            "signers": signers,
        }
    if kind == Event.CREATED:
        return _("From template version %(version)s") % {"version": detail.get("version", "")}
    if kind == Event.AMENDMENT:
        return _("Amends No. %(number)s; template version %(version)s") % {
            "number": detail.get("amends", ""),
            "version": detail.get("version", ""),
        }
    if kind == Event.SUPERSEDED:
        return _("Replaced by the amendment No. %(number)s") % {"number": detail.get("by", "")}
    if kind == Event.TEMPLATE:
        return detail.get("change", "")
    return "; ".join(f"{key}: {value}" for key, value in sorted(detail.items()))


def _signer_zone(signature, organization):
    """The zone the signer reads times in: their own, else their organisation's (as on
    the pages they signed on)."""
    own = signature.signer.time_zone if signature.signer_id and signature.signer else ""
    return zone_of(own or organization.time_zone)


def _signature_view(signature, zone):
    if signature is None:
        return None
    return {
        "typed_name": signature.typed_name,
        "signed_at": zoned_time(signature.signed_at, zone),
        "zone": zone.key,
        "ip_address": signature.ip_address or "",
        "user_agent": signature.user_agent,
        "content_sha256": signature.content_sha256,
        "consent_text": signature.consent_text,
        "intent_text": signature.intent_text,
    }


def _context(agreement):
    organization = agreement.organization
    doc = json.loads(agreement.signed_content)
    role_labels = dict(MatchMember.Role.choices)
    signatures = {
        signature.signer_id: signature
        for signature in Signature.objects.filter(
            organization=organization,
            agreement=agreement,
            voided_at__isnull=True,
            content_sha256=agreement.content_sha256,
        ).select_related("signer")
    }
    zones = {
        signer_id: _signer_zone(signature, organization)
        for signer_id, signature in signatures.items()
    }
    # The document's own times (signed by everyone, the audit trail) in the signers' zone
    # when they share one, else in the organisation's; every time carries its offset.
    shared = {zone.key for zone in zones.values()}
    zone = zone_of(shared.pop()) if len(shared) == 1 else zone_of(organization.time_zone)
    parties = [
        {
            "name": party["name"],
            "email": party["email"],
            "role": role_labels.get(party["role"], party["role"]),
            "signature": _signature_view(
                signatures.get(party["user_id"]), zones.get(party["user_id"], zone)
            ),
        }
        for party in doc["parties"]
    ]
    names = {party["user_id"]: party["name"] for party in doc["parties"]}
    items = []
    for item in doc["items"]:
        view = {
            "title": item["title"],
            "html": clause_html(item["body"]) if item["body"] else "",
            "is_field": item["kind"] != Kind.CLAUSE,
            "per_party": item["per_party"],
        }
        if item["kind"] != Kind.CLAUSE:
            if item["per_party"]:
                view["values"] = [
                    {"party": names.get(entry["user_id"], ""), **_value_view(item, entry["value"])}
                    for entry in item["values"]
                ]
            else:
                view["value"] = _value_view(item, item.get("value"))
        items.append(view)
    events = [
        {
            "at": zoned_time(event.at, zone),
            "who": event.actor_name or _("peercoach (automatic)"),
            "what": event.get_kind_display(),
            "ip": event.ip_address or "",
            "user_agent": event.user_agent,
            "detail": _event_detail(event),
        }
        for event in AgreementEvent.objects.filter(
            organization=organization, agreement=agreement
        ).order_by("at", "id")
    ]
    brand = organization.brand_colour if COLOUR.fullmatch(organization.brand_colour or "") else ""
    return {
        "organization": {
            "name": doc["organization"]["name"],
            "brand_colour": brand or "#1f4e79",
            "brand_text_colour": organization.brand_text_colour if brand else "#ffffff",
            "logo": _logo_data_uri(organization),
        },
        "program": doc["program"],
        "template": doc["template"],
        "number": doc["agreement"]["number"],
        "agreement_id": agreement.pk,
        "signed_at": zoned_time(agreement.signed_at, zone),
        "zone": zone.key,
        "content_sha256": agreement.content_sha256,
        "parties": parties,
        "items": items,
        "events": events,
        "verify_url": settings.SITE_URL + "/verify/",
    }


def signed_language(agreement):
    """The language the signed text was issued in (its canonical "language"; English for
    one signed before there were languages): the PDF and its audit pages speak it."""
    return canonical.document_language(json.loads(agreement.signed_content))


def agreement_html(agreement):
    """The HTML the PDF is rendered from (read-only; needs the agreement's tenant scope),
    in the language the agreement was signed in, whoever's task renders it."""
    with translation.override(signed_language(agreement)):
        return loader.render_to_string(TEMPLATE, _context(agreement))


# --- Rendering and sealing --------------------------------------------------------------


_fetchers = threading.local()


def _url_fetcher():
    """A fetcher that allows data: URLs only, one per thread (making one costs ~20 ms).

    Everything the document needs is inline; the renderer must never reach the network.
    """
    fetcher = getattr(_fetchers, "fetcher", None)
    if fetcher is None:
        from weasyprint.urls import URLFetcher

        fetcher = _fetchers.fetcher = URLFetcher(allowed_protocols={"data"})
    return fetcher


@functools.cache
def _stylesheet():
    """The parsed stylesheet, reused for every PDF this process renders."""
    from weasyprint import CSS

    return CSS(string=stylesheet_text(), url_fetcher=_url_fetcher())


def stylesheet_text():
    return loader.get_template(STYLESHEET).template.source


def pdf_render(html):
    """PDF bytes of `html` with the agreement stylesheet."""
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_url_fetcher()).write_pdf(stylesheets=[_stylesheet()])


def pdf_seal(pdf, *, seal, reason=""):
    """`pdf` with a PAdES certification signature by `seal` appended (no later changes allowed)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import MDPPerm, SigSeedSubFilter

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason or None,
        location=settings.SITE_URL,
    )
    output = signers.PdfSigner(metadata, signer=seal.signer).sign_pdf(writer)
    return output.getvalue()


# --- Issuing ----------------------------------------------------------------------------


def agreement_pdf_issue(*, organization, agreement_id):
    """Render, seal and store the signed agreement's PDF; returns the agreement (or None).

    Idempotent: the agreement row is locked for the whole run, and once `pdf_sha256` is
    set nothing is rendered again. Does nothing for an agreement that is not signed
    (or superseded) with its signed content, and returns None when there is no such
    agreement. All database changes happen in one transaction with the file written
    under its fixed name, so a failure leaves no half-issued PDF (a stray file from a
    failed attempt is overwritten by the next one). When the seal certificate cannot be
    used, records the reason in `pdf_error` and raises SealConfigError.
    """
    failure = None
    # Counted before rendering, in its own commit: a render whose worker is killed (out
    # of memory, the hard time limit) counts too, so the sweep gives up on it in time.
    Agreement.objects.filter(organization=organization, pk=agreement_id, pdf_sha256="").update(
        pdf_attempts=F("pdf_attempts") + 1
    )
    with transaction.atomic():
        agreement = (
            Agreement.objects.select_for_update()
            .filter(organization=organization, pk=agreement_id)
            .first()
        )
        if agreement is None:
            return None
        agreement.organization = organization
        if agreement.pdf_sha256:
            return agreement
        if agreement.status not in ISSUABLE or not agreement.signed_content:
            logger.warning("Agreement %s is not signed; no PDF issued", agreement.pk)
            return agreement
        try:
            seal = seal_for(organization)
        except SealConfigError as exc:
            failure = exc
            reason = _("The PDF could not be sealed: %(reason)s") % {"reason": exc}
        else:
            try:
                with transaction.atomic():
                    _issue(agreement, seal)
            except Exception as exc:  # noqa: BLE001 - recorded, then raised for the task's log
                failure = exc
                reason = _("The PDF could not be produced (%(error)s).") % {
                    "error": type(exc).__name__
                }
        if failure is not None:
            # Recorded in the outer transaction: what _issue wrote rolled back with its own.
            agreement.pdf_error = reason
            agreement.save(update_fields=["pdf_error", "updated_at"])
    if failure is not None:
        raise failure
    return agreement


def _issue(agreement, seal):
    html = agreement_html(agreement)
    with translation.override(signed_language(agreement)):
        reason = _("Signed agreement No. %(number)s of %(program)s, issued by %(organization)s") % {
            "number": agreement.number,
            "program": json.loads(agreement.signed_content)["program"]["name"],
            "organization": agreement.organization.name,
        }
    sealed = pdf_seal(pdf_render(html), seal=seal, reason=reason)
    name = storage_name(agreement)
    # No database row points at this name yet (pdf_sha256 is empty under our lock):
    # whatever is there is a leftover of an attempt that rolled back.
    private_storage.delete(name)
    stored_name = private_storage.save(name, ContentFile(sealed))
    with private_storage.open(stored_name, "rb") as handle:
        sha = hashlib.sha256(handle.read()).hexdigest()
    if sha != hashlib.sha256(sealed).hexdigest():
        raise OSError(f"Storage returned other bytes than written for {stored_name}")
    now = timezone.now()
    agreement.pdf.name = stored_name
    agreement.pdf_sha256 = sha
    agreement.pdf_sealed = True
    agreement.pdf_created_at = now
    agreement.pdf_error = ""
    agreement.save(
        update_fields=[
            "pdf",
            "pdf_sha256",
            "pdf_sealed",
            "pdf_created_at",
            "pdf_error",
            "updated_at",
        ]
    )
    AgreementEvent.objects.create(
        organization=agreement.organization,
        agreement=agreement,
        kind=AgreementEvent.Kind.PDF_ISSUED,
        at=now,
        detail={"pdf_sha256": sha, "seal": seal.source},
    )


# --- Verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyResult:
    """What the verification page may say about an uploaded file, and nothing more.

    `problem` is set when the file could not be checked at all (empty, not a PDF).
    The agreement details are filled only when `issued`.
    """

    sha256: str
    issued: bool = False
    problem: str = ""
    seal_present: bool = False
    seal_valid: bool | None = None
    seal_reason: str = ""
    organization_name: str = ""
    program_name: str = ""
    agreement_number: int | None = None
    signed_on: datetime.date | None = None


def pdf_verify(data):
    """Whether `data` is exactly a PDF we issued, and whether its seal holds.

    Looks the SHA-256 up across every tenant (the only place that must). Never raises on
    bad input: an empty file, a non-PDF or a broken PDF gives a result with `problem` or
    a seal reason saying so.
    """
    sha = hashlib.sha256(data).hexdigest()
    if not data:
        return VerifyResult(sha256=sha, problem=_("The file is empty."))
    if PDF_MAGIC not in data[:1024]:
        return VerifyResult(sha256=sha, problem=_("This file is not a PDF."))
    with scopes_disabled():
        agreement = (
            Agreement.objects.filter(pdf_sha256=sha, status__in=ISSUABLE)
            .only("number", "signed_at", "signed_content")
            .first()
        )
    present, valid, reason = seal_check(data)
    if agreement is None:
        return VerifyResult(sha256=sha, seal_present=present, seal_valid=valid, seal_reason=reason)
    doc = json.loads(agreement.signed_content)
    return VerifyResult(
        sha256=sha,
        issued=True,
        seal_present=present,
        seal_valid=valid,
        seal_reason=reason,
        organization_name=doc["organization"]["name"],
        program_name=doc["program"]["name"],
        agreement_number=agreement.number,
        signed_on=agreement.signed_at.astimezone(datetime.UTC).date()
        if agreement.signed_at
        else None,
    )


def seal_check(data):
    """(seal present, seal valid or None when absent, a short reason) for PDF bytes."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    # Untrusted input: whatever the parser trips over is an answer, never a server error.
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except Exception:
        return False, None, _("The file could not be read as a PDF, so no seal can be checked.")
    if not signatures:
        return False, None, _("The file carries no digital seal.")
    context = ValidationContext(trust_roots=trusted_certificates(), allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"non_repudiation", "digital_signature"})
    try:
        status = validate_pdf_signature(
            signatures[-1], signer_validation_context=context, key_usage_settings=usage
        )
    except Exception:
        return True, False, _("The seal is damaged and cannot be checked.")
    if not (status.intact and status.valid):
        return True, False, _("The seal is broken: the sealed content was changed.")
    if not status.trusted:
        return True, False, _("The seal is intact, but it was not made by this installation.")
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        or status.modification_level not in (None, ModificationLevel.NONE)
        or status.docmdp_ok is False
    ):
        return True, False, _("The seal is intact, but the file was changed after it was sealed.")
    return True, True, _("The seal is intact and was made by this installation.")
