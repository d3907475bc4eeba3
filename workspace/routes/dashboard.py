"""A program's dashboard (coordinators) and the nudge of a pair at risk."""

from django.urls import path

from peercoach.tenancy.urls import TENANT

from ..views import dashboard

P = f"{TENANT}programs/<int:pk>/"

urlpatterns = [
    path(f"{P}dashboard/", dashboard.dashboard, name="dashboard"),
    path(
        f"{P}dashboard/pairs/<int:match_pk>/nudge/",
        dashboard.nudge,
        name="dashboard_nudge",
    ),
]
