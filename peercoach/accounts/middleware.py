"""Coordinators of an organisation that requires it must have two-factor set up."""

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from peercoach.hooks import hooks_run


class CoordinatorMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.is_coordinator
            and membership.organization.require_coordinator_mfa
            and not Authenticator.objects.filter(
                user=request.user, type=Authenticator.Type.TOTP
            ).exists()
            # A second factor the organisation's identity provider asserted (peercoach.sso).
            and not any(
                hooks_run("coordinator_mfa_satisfied", request=request, membership=membership)
            )
        ):
            messages.warning(
                request,
                _(
                    "%(org)s requires coordinators to use two-factor authentication. "
                    "Set up an authenticator app to continue."
                )
                % {"org": membership.organization.name},
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)
