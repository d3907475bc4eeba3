from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import dashboard, exports, home, people, settings

app_name = "workspace"

P = f"{TENANT}programs/<int:pk>/"

urlpatterns = [
    # The coordinator's home (participants' /o/<slug>/ sends coordinators here).
    path(f"{TENANT}console/", home.home, name="home"),
    path(f"{TENANT}settings/", settings.organization_settings, name="settings"),
    # The participant list and a pair's activity page.
    path(f"{TENANT}people/participants/", people.people, name="people"),
    path(f"{P}pairs/<int:match_pk>/", people.pair_activity_page, name="pair_activity"),
    # A program's dashboard and the nudge of a pair at risk.
    path(f"{P}dashboard/", dashboard.dashboard, name="dashboard"),
    path(f"{P}dashboard/pairs/<int:match_pk>/nudge/", dashboard.nudge, name="dashboard_nudge"),
    # The program's CSV exports.
    path(f"{P}exports/", exports.exports, name="exports"),
    path(f"{P}export/<str:kind>.csv", exports.export, name="export"),
]
