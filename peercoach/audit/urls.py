from django.urls import path

from peercoach.tenancy.urls import TENANT

from . import views

app_name = "audit"

urlpatterns = [
    path(f"{TENANT}audit/", views.log, name="log"),
    path(f"{TENANT}audit/export/", views.export, name="export"),
]
