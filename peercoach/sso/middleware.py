"""Mandatory single sign-on on an organisation's pages (sso-contract rule 7, the mixed case).

A person whose every membership requires single sign-on cannot sign in with a password at
all (`services.sso_password_refusal`). Someone with a mixed set (one organisation requires
it, another does not) signs in with a password and is then sent, on the pages of each
organisation that requires it for their role, to that organisation's provider until it has
signed this session in (`sso_orgs`). Operators are never bound. No query when warm (the
requirement is cached on the organisation's version stamp).
"""

from django.shortcuts import redirect

from .selectors import is_operator, sso_required_for
from .session import sso_signed_in
from .views import sso_start_url


class SsoRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and not is_operator(request.user)
            and not sso_signed_in(request, organization=membership.organization)
            and sso_required_for(membership=membership)
        ):
            next_url = request.get_full_path() if request.method == "GET" else ""
            return redirect(sso_start_url(membership.organization, next_url))
        return self.get_response(request)
