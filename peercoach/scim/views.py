"""The SCIM 2.0 endpoint of each organisation, `/scim/<slug>/v2/`: django-scim2's views
with the organisation taken from the URL and the token (auth.ScimTokenAuth), and the
coordinator's page that makes or revokes the token."""

import json

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django_scim import constants, exceptions
from django_scim import views as scim

from .adapters import SCHEMAS, ScimUserAdapter


class UsersView(scim.UsersView):
    def get_object(self):
        try:
            return super().get_object()
        except ValidationError:
            # Not a UUID: no such resource.
            raise exceptions.NotFoundError(self.kwargs.get(self.lookup_url_kwarg)) from None


class ServiceProviderConfigView(scim.ServiceProviderConfigView):
    def get(self, request, *args, **kwargs):
        return super().get(request)


def _document(doc, status=200):
    return HttpResponse(json.dumps(doc), status=status, content_type=constants.SCIM_CONTENT_TYPE)


def _listed(documents, uuid):
    """One of `documents` (by id) or all of them as a ListResponse; django-scim2's own
    answer lacks totalResults and gives a bare 404 (RFC 7644 3.4.2, 3.12)."""
    if uuid:
        if uuid not in documents:
            raise exceptions.NotFoundError(uuid)
        return _document(documents[uuid])
    resources = [documents[key] for key in sorted(documents)]
    return _document(
        {
            "schemas": [constants.SchemaURI.LIST_RESPONSE],
            "totalResults": len(resources),
            "itemsPerPage": len(resources),
            "startIndex": 1,
            "Resources": resources,
        }
    )


class ResourceTypesView(scim.ResourceTypesView):
    def get(self, request, uuid=None, *args, **kwargs):
        # Users only: this endpoint has no Groups.
        return _listed({"User": ScimUserAdapter.resource_type_dict(request)}, uuid)


class SchemasView(scim.SchemasView):
    def get(self, request, uuid=None, *args, **kwargs):
        return _listed({schema["id"]: schema for schema in SCHEMAS}, uuid)


class UnknownView(scim.SCIMView):
    """Any other path under the base URL: a SCIM 404, or 501 for a search (`.search`),
    Groups and Bulk are not offered either."""

    def get(self, request, *args, **kwargs):
        if request.path.endswith("/.search"):
            raise exceptions.NotImplementedError("Searching with POST is not supported.")
        raise exceptions.NotFoundError(request.path)

    post = put = patch = delete = get
