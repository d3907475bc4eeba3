"""The SCIM 2.0 endpoint of each organisation, `/scim/<slug>/v2/`: django-scim2's views
with the organisation taken from the URL and the token (auth.ScimTokenAuth), and the
coordinator's page that makes or revokes the token."""

from django.core.exceptions import ValidationError
from django_scim import exceptions
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


class ResourceTypesView(scim.ResourceTypesView):
    def type_dict_by_type_id(self, request):
        # Users only: this endpoint has no Groups.
        return {"User": ScimUserAdapter.resource_type_dict(request)}


class SchemasView(scim.SchemasView):
    schemas_by_uri = {schema["id"]: schema for schema in SCHEMAS}
