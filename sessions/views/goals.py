"""goals views (being written)."""

urlpatterns = []
