"""Whole signed-in pages cached on the organisation's version stamp (`stamps.fragment`).

`render_cached(request, template, build, name=..., vary=...)` answers like
`render(request, template, build())`, but keeps the page's HTML for this organisation's
current stamp and this person (`stamps.fragment`: the organisation, its stamp, the person,
language, time zone and local date are in the key, entries last at most FRAGMENT_TTL
seconds and `build` may return `Until(context, at)` for content that changes by itself).
The view's access check runs inside `build`, so a second look skips it with the rest. That
is sound because the key holds the stamp: a hit means this person passed the check for this
object under the same rows, and every row a check reads (the organisation, the membership
and its role, the program, the pair and its members, the agreement, the session, the user)
is one whose writes change the stamp. A check that raises (404, 403) is not cached: the
next request checks again.

What differs between two requests of the same person is never cached as it was rendered:

- the CSRF token (the form fields and base.html's `hx-headers`) and the CSP nonce (the
  brand colour's `<style>`) are replaced by marks in the cached copy and filled in with
  this request's values on every answer;
- a request with messages to show (after a redirect) is rendered, not cached: the
  messages are part of the page;
- so is a request that changed the stamp itself (`stamps.fragment` sees to that), and any
  request but a plain GET.

If a page used its CSRF token in a way the marks do not find, it is not cached at all.
"""

import re
import zlib

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

from . import stamps

CSRF_MARK = "pc0csrf0mark"
NONCE_MARK = "pc0nonce0mark"
# Where base.html and the forms put the token (a masked token: 64 letters and digits).
TOKEN = re.compile(r'(?:name="csrfmiddlewaretoken" value="|"X-CSRFToken": ")([A-Za-z0-9]{64})"')


def render_cached(request, template, build, *, name, vary=()):
    """`render(request, template, context)` with `context = build()` (or `Until(context,
    at)`), from the cache when this person saw the same page since the organisation's
    last write. `name` and `vary` tell the page from others (e.g. the object's pk)."""
    if request.method != "GET" or _has_messages(request):
        return render(request, template, _unwrap(build())[0])
    fresh = {}

    def page():
        built, at = _unwrap(build())
        html = render_to_string(template, built, request)
        fresh["html"] = html
        marked = mark_tokens(request, html)
        if marked is None:  # a token the marks do not find: not cached
            return stamps.Until(None, timezone.now())
        # Compressed: the demo's pages are 8-25 kB of HTML, 3-6 kB compressed,
        # and the cache holds one per person and page (locmem in embedded mode).
        return stamps.Until(zlib.compress(marked.encode(), 1), at)

    cached = stamps.fragment(
        request.organization, request.user, f"page:{name}", page, vary=(template, *vary)
    )
    if "html" in fresh:
        return HttpResponse(fresh["html"])
    return HttpResponse(fill_tokens(request, zlib.decompress(cached).decode()))


def fill_tokens(request, html):
    """A cached copy made by `mark_tokens`, with this request's CSRF token and nonce."""
    html = html.replace(CSRF_MARK, get_token(request))
    if NONCE_MARK in html:
        html = html.replace(NONCE_MARK, str(get_nonce(request)))
    return html


def _unwrap(built):
    if isinstance(built, stamps.Until):
        return built.value, built.at
    return built, None


def _has_messages(request):
    storage = getattr(request, "_messages", None)
    return storage is not None and len(messages.get_messages(request)) > 0


def mark_tokens(request, html):
    """`html` with this request's CSRF token and CSP nonce replaced by marks, or None when
    the token appears where the marks do not find it."""
    tokens = set(TOKEN.findall(html))
    marked = html
    for token in tokens:
        marked = marked.replace(token, CSRF_MARK)
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE") and not tokens:
        return None
    nonce = get_nonce(request)
    if nonce:  # generated: the page used it
        marked = marked.replace(str(nonce), NONCE_MARK)
    return marked
