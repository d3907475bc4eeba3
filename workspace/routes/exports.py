"""The coordinators' CSV exports of a program."""

from django.urls import path

from peercoach.tenancy.urls import TENANT

from ..views import exports

P = f"{TENANT}programs/<int:pk>/"

urlpatterns = [
    path(f"{P}exports/", exports.exports, name="exports"),
    path(f"{P}export/<str:kind>.csv", exports.export, name="export"),
]
