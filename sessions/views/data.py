"""data views (being written)."""

urlpatterns = []
