from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from peercoach.sso import oidc as sso_oidc
from peercoach.sso import views as sso_views

from . import views

admin.site.site_header = "peercoach operator admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    # allauth's sign-in with the email-first step in front (single sign-on routing).
    path("accounts/login/", sso_views.login),
    # allauth's OpenID Connect start, with a failed discovery answered by the refusal page.
    path("accounts/oidc/<str:provider_id>/login/", sso_oidc.login, name="openid_connect_login"),
    path("accounts/", include("allauth.urls")),
    path("", include("peercoach.sso.urls")),
    path("", include("peercoach.accounts.urls")),
    path("", include("peercoach.tenancy.urls")),
    path("", include("programs.urls")),
    path("", include("agreements.urls")),
    path("", include("sessions.urls")),
    path("", include("peercoach.notifications.urls")),
    path("", include("surveys.urls")),
    path("", include("workspace.urls")),
    path("", include("portal.urls")),
    path("", include("peercoach.scim.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
