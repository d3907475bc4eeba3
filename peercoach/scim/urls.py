from django.urls import path, re_path

from peercoach.tenancy.urls import TENANT

from . import pages, views

app_name = "scim"

# Outside /o/<slug>/: those pages are for signed-in members (the tenant middleware sends
# anyone else to sign in); this endpoint's one door is the organisation's bearer token.
PREFIX = r"^scim/(?P<slug>[-\w]+)/v2/"

urlpatterns = [
    path(f"{TENANT}people/provisioning/", pages.provisioning, name="provisioning"),
    re_path(PREFIX + r"Users/\.search$", views.UnknownView.as_view(), name="users-search"),
    re_path(PREFIX + r"Users(?:/(?P<uuid>[^/]+))?$", views.UsersView.as_view(), name="users"),
    re_path(
        PREFIX + r"ServiceProviderConfig$",
        views.ServiceProviderConfigView.as_view(),
        name="service-provider-config",
    ),
    re_path(
        PREFIX + r"ResourceTypes(?:/(?P<uuid>[^/]+))?$",
        views.ResourceTypesView.as_view(),
        name="resource-types",
    ),
    re_path(PREFIX + r"Schemas(?:/(?P<uuid>[^/]+))?$", views.SchemasView.as_view(), name="schemas"),
    re_path(PREFIX + r".*$", views.UnknownView.as_view(), name="unknown"),
]
