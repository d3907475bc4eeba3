from django.urls import path

from . import views

app_name = "tenancy"

# Every tenant URL starts with this; TenantMiddleware resolves the organisation from it.
TENANT = "o/<slug:org_slug>/"

urlpatterns = [
    path(f"{TENANT}logo/", views.logo, name="logo"),
]
