from django.urls import path

from peercoach.tenancy.urls import TENANT

from .views import audit, dashboard, exports, home, people, reminders, settings, sign_in

app_name = "workspace"

P = f"{TENANT}programs/<int:pk>/"

urlpatterns = [
    # The coordinator's home (participants' /o/<slug>/ sends coordinators here).
    path(f"{TENANT}console/", home.home, name="home"),
    path(f"{TENANT}settings/", settings.organization_settings, name="settings"),
    # Single sign-on: the provider, the values to copy into it, the claimed email domains.
    path(f"{TENANT}settings/sign-in/", sign_in.sign_in_settings, name="sign_in_settings"),
    # The organisation's audit log and its CSV file.
    path(f"{TENANT}audit/", audit.audit_log, name="audit_log"),
    path(f"{TENANT}audit/export/", audit.audit_export, name="audit_export"),
    # The participant list and a pair's activity page.
    path(f"{TENANT}people/participants/", people.people, name="people"),
    path(f"{P}pairs/<int:match_pk>/", people.pair_activity_page, name="pair_activity"),
    # A program's dashboard and the nudge of a pair at risk.
    path(f"{P}dashboard/", dashboard.dashboard, name="dashboard"),
    path(f"{P}dashboard/pairs/<int:match_pk>/nudge/", dashboard.nudge, name="dashboard_nudge"),
    # The program's reminder log (the delivery ledger).
    path(f"{P}notifications/", reminders.reminder_log, name="reminder_log"),
    # The program's CSV exports.
    path(f"{P}exports/", exports.exports, name="exports"),
    path(f"{P}export/<str:kind>.csv", exports.export, name="export"),
]
