from django.urls import path

from peercoach.tenancy.urls import TENANT

from . import views

app_name = "notifications"

urlpatterns = [
    # Global: the signed token in the link is the key (see views.unsubscribe).
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(f"{TENANT}me/notifications/", views.preferences, name="preferences"),
]
