"""log views (being written)."""

urlpatterns = []
