"""home views (being written)."""

urlpatterns = []
