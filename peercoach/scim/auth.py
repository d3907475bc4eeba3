"""The SCIM endpoint's only door: the organisation's bearer token (no session, no CSRF).

django-scim2 wraps every view's dispatch in settings.SCIM_SERVICE_PROVIDER's
AUTH_CHECK_MIDDLEWARE; this one replaces its session check.
"""

import json

from django.http import HttpResponse
from django_scim import constants
from django_scopes import scope

from .services import scim_token_organization


def _unauthorized():
    body = {
        "schemas": [constants.SchemaURI.ERROR],
        "status": "401",
        "detail": "A valid bearer token for this organisation is required.",
    }
    response = HttpResponse(json.dumps(body), status=401, content_type=constants.SCIM_CONTENT_TYPE)
    response["WWW-Authenticate"] = 'Bearer realm="peercoach SCIM"'
    return response


class ScimTokenAuth:
    """Finds the organisation from the URL's slug and the `Authorization: Bearer` token,
    sets `request.scim_organization` and runs the view in its scope. An unknown slug, no
    token, or a token of another organisation: the same 401, with no data."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request, *args, **kwargs):
        scheme, _space, token = request.headers.get("Authorization", "").partition(" ")
        organization = None
        if scheme.lower() == "bearer":
            organization = scim_token_organization(slug=kwargs.get("slug"), token=token.strip())
        if organization is None:
            return _unauthorized()
        request.scim_organization = organization
        with scope(organization=organization):
            return self.get_response(request, *args, **kwargs)
