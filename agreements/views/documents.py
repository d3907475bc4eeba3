"""The signed PDF: downloading it (its parties, and coordinators where allowed), and the
public page that checks whether an uploaded PDF is one we issued, unaltered.

The verification page is outside any tenant and open to anyone, so it says only what the
PDF's holder already knows (organisation, program, date, number), refuses large uploads
before reading them, and limits how often one address may ask.
"""

from allauth.account.adapter import get_adapter
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from peercoach.web.ratelimit import over_limit

from ..access import agreement_for_pdf
from ..models import Agreement
from ..services.documents import pdf_verify

VERIFY_MAX_BYTES = 10 * 1024 * 1024
# The multipart envelope around the file: boundaries, headers, the CSRF token.
VERIFY_ENVELOPE_BYTES = 64 * 1024
VERIFY_LIMIT = 20
VERIFY_PERIOD = 10 * 60


@never_cache  # a signed agreement stays out of shared and browser caches
def pdf_download(request, org_slug, pk):
    agreement = agreement_for_pdf(request, pk)
    if agreement.status not in (Agreement.Status.SIGNED, Agreement.Status.SUPERSEDED):
        raise Http404("This agreement is not signed yet.")
    if not agreement.pdf_sha256 or not agreement.pdf:
        return render(request, "agreements/pdf_pending.html", {"agreement": agreement})
    try:
        handle = agreement.pdf.open("rb")
    except FileNotFoundError:
        # Recorded as issued but gone from storage: an operator has to restore it.
        return render(
            request, "agreements/pdf_pending.html", {"agreement": agreement, "missing": True}
        )
    name = slugify(f"agreement-{agreement.program.name}-{agreement.number}") or "agreement"
    return FileResponse(
        handle, as_attachment=True, filename=f"{name}.pdf", content_type="application/pdf"
    )


def _rate_limited(ip):
    """True when `ip` has used up its checks for the period (counted in the cache)."""
    return over_limit(f"agreements:verify:{ip}", limit=VERIFY_LIMIT, period=VERIFY_PERIOD)


@csrf_exempt  # checked by _verify_page, after the checks that need no body
@require_http_methods(["GET", "POST"])
def verify(request):
    """Upload a PDF, learn whether we issued it unaltered.

    The rate limit and the declared size are checked before anything reads the body
    (the CSRF check would parse the whole upload), so an oversized or repeated upload
    costs nothing but the refusal.
    """
    context = {"max_mb": VERIFY_MAX_BYTES // (1024 * 1024)}
    if request.method == "GET":
        return _verify_page(request, context)
    ip = get_adapter(request).get_client_ip(request) or "unknown"
    if _rate_limited(ip):
        context["error"] = _("Too many checks from your address. Wait ten minutes and try again.")
        return _verify_page(request, context, status=429)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    # A request cannot carry more than it declares (Django reads no further).
    if declared > VERIFY_MAX_BYTES + VERIFY_ENVELOPE_BYTES:
        context["error"] = _too_large(context)
        return _verify_page(request, context, status=413)
    return _verify_upload(request, context)


def _too_large(context):
    return _("The file is larger than %(mb)s MB. The PDFs we issue are far smaller.") % {
        "mb": context["max_mb"]
    }


@csrf_protect
def _verify_upload(request, context):
    upload = request.FILES.get("file")
    if upload is None:
        context["error"] = _("Choose the PDF file to check.")
        return _verify_page(request, context, status=400)
    if upload.size > VERIFY_MAX_BYTES:
        context["error"] = _too_large(context)
        return _verify_page(request, context, status=413)
    result = pdf_verify(upload.read())
    if result.problem:
        context["error"] = result.problem
        return _verify_page(request, context, status=400)
    context["result"] = result
    return _verify_page(request, context)


@ensure_csrf_cookie
def _verify_page(request, context, status=200):
    return render(request, "agreements/verify.html", context, status=status)
