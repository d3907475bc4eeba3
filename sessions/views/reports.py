"""reports views (being written)."""

urlpatterns = []
