"""The participant list and a pair's activity page (coordinators)."""

from django.urls import path

from peercoach.tenancy.urls import TENANT

from ..views import people

urlpatterns = [
    path(f"{TENANT}people/participants/", people.people, name="people"),
    path(
        f"{TENANT}programs/<int:pk>/pairs/<int:match_pk>/",
        people.pair_activity_page,
        name="pair_activity",
    ),
]
