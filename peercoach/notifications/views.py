"""What people click: the one-click unsubscribe link of every reminder and each member's
email preferences. (The coordinators' log of a program's reminders is a page of their
console: workspace.views.reminders.)

The unsubscribe link is global (no tenant in its URL, no sign-in): the signed token names
the person, the organisation and the kind, and is the only key. A GET only asks, because
mail scanners follow links; a POST turns the kind off, including the RFC 8058 one-click
POST that mail providers send without a CSRF token.
"""

import hashlib

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_scopes import scope

from peercoach.web.ratelimit import over_limit

from .forms import PreferencesForm
from .preferences import preference_set, preferences_save
from .selectors import kinds_for, preferences_for, unsubscribe_target
from .unsubscribe import unsubscribe_read

# Per link: a person (or their mail provider) has no reason to open one link this often.
TOKEN_LIMIT, TOKEN_PERIOD = 20, 10 * 60
# Per client address: generous, because mail providers send one-click POSTs for many
# people from few addresses; it only bounds a flood of made-up links.
ADDRESS_LIMIT, ADDRESS_PERIOD = 300, 10 * 60


def _unsubscribe_refused(request, *, status, reason):
    response = render(
        request, "notifications/unsubscribe_invalid.html", {"reason": reason}, status=status
    )
    if status == 429:
        response["Retry-After"] = str(TOKEN_PERIOD)
    return response


@csrf_exempt  # RFC 8058: providers POST without a CSRF token; the signed token is the key
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """GET asks "turn off these emails?"; POST turns them off (form or one-click)."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    address = get_adapter(request).get_client_ip(request) or "unknown"
    if over_limit(
        f"notifications:unsubscribe:{digest}", limit=TOKEN_LIMIT, period=TOKEN_PERIOD
    ) or over_limit(
        f"notifications:unsubscribe-from:{address}", limit=ADDRESS_LIMIT, period=ADDRESS_PERIOD
    ):
        return _unsubscribe_refused(
            request,
            status=429,
            reason=_("This link was used too often. Wait ten minutes and try again."),
        )
    read = unsubscribe_read(token)
    if read is None:
        return _unsubscribe_refused(
            request,
            status=400,
            reason=_(
                "This link is incomplete or was changed. Copy the whole link from the email, "
                "or sign in and open Email preferences in your menu."
            ),
        )
    organization_id, user_id, kind = read
    target = unsubscribe_target(organization_id=organization_id, user_id=user_id, kind=kind)
    if target is None:
        return _unsubscribe_refused(
            request,
            status=404,
            reason=_(
                "This link no longer works: the account or its membership has ended, so no "
                "more reminders go to it."
            ),
        )
    context = {"target": target, "unsubscribe_org": target.organization}
    if request.method == "POST":
        with scope(organization=target.organization):
            preference_set(
                organization=target.organization, user=target.user, kind=kind, enabled=False
            )
        return render(request, "notifications/unsubscribe_done.html", context)
    return render(request, "notifications/unsubscribe.html", context)


def preferences(request, org_slug):
    """Every member: which reminders they receive from this organisation."""
    organization = request.organization
    current = preferences_for(organization=organization, user=request.user)
    kinds = kinds_for(membership=request.membership)
    data = request.POST if request.method == "POST" else None
    form = PreferencesForm(data, kinds=kinds, current=current)
    if form.is_valid():
        changed = preferences_save(
            organization=organization,
            user=request.user,
            choices=form.cleaned_data,
            current=current,
        )
        if changed:
            messages.success(request, _("Your email preferences were saved."))
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("notifications:preferences", org_slug=organization.slug)
    return render(request, "notifications/preferences.html", {"form": form})
