"""The workspace's URLs, one module per area in `routes/` (dashboard, exports, people)."""

from .routes import dashboard, exports, people

app_name = "workspace"

urlpatterns = [*dashboard.urlpatterns, *exports.urlpatterns, *people.urlpatterns]
