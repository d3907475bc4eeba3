"""Sessions, goals, reports, pauses, opt-outs and concerns: one module of views per area,
each with its own `urlpatterns`, mounted here under the `sessions` namespace."""

from .views import concerns, endings, goals, home, log, reports, schedule

app_name = "sessions"

urlpatterns = [
    *home.urlpatterns,
    *schedule.urlpatterns,
    *log.urlpatterns,
    *goals.urlpatterns,
    *reports.urlpatterns,
    *endings.urlpatterns,
    *concerns.urlpatterns,
]
