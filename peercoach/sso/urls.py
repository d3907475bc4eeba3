from django.urls import path

from . import views

app_name = "sso"

urlpatterns = [
    # Public (TenantMiddleware lets it through): an organisation's provider sign-in.
    path("o/<slug:org_slug>/sso/", views.sso_start, name="start"),
]
