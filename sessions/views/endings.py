"""endings views (being written)."""

urlpatterns = []
