"""concerns views (being written)."""

urlpatterns = []
