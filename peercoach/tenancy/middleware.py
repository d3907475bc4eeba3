"""Resolve the tenant once per request and run the request inside its scope.

URLs under `/o/<org-slug>/` belong to an organisation. The middleware finds the
organisation and the signed-in person's membership; an unknown organisation or
one the person does not belong to answers 404 (never 403: no hint that it
exists). Everything below runs inside `scope(organization=...)`, so tenant-owned
managers refuse queries that are not scoped to this tenant.
"""

import re

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from .selectors import membership_in

TENANT_PATH = re.compile(r"^/o/(?P<slug>[-\w]+)/")
ADMIN_PATH = "/admin/"
# Tenant paths open to anyone (anonymous visitors, non-members), after /o/<slug>/: they run
# outside any organisation's scope and answer the same 404 for an unknown organisation.
PUBLIC_TENANT_SUFFIXES = ("sso/",)


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.organization = None
        request.membership = None
        match = TENANT_PATH.match(request.path_info)
        if match is None:
            if request.path_info.startswith(ADMIN_PATH):
                # The admin is for platform operators, who manage every tenant.
                with scopes_disabled():
                    return self.get_response(request)
            self._activate_time_zone(request, None)
            return self.get_response(request)

        if request.path_info[match.end() :] in PUBLIC_TENANT_SUFFIXES:
            self._activate_time_zone(request, None)
            return self.get_response(request)

        if not request.user.is_authenticated:
            # Same answer whether or not the organisation exists.
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)

        membership = membership_in(request, slug=match["slug"])
        if membership is None:
            raise Http404("No such organisation.")
        request.organization = membership.organization
        request.membership = membership
        self._activate_time_zone(request, membership.organization)
        with scope(organization=membership.organization):
            return self.get_response(request)

    @staticmethod
    def _activate_time_zone(request, organization):
        user_zone = getattr(request.user, "time_zone", "") if request.user.is_authenticated else ""
        zone = user_zone or (organization.time_zone if organization else None)
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
