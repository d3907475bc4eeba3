"""schedule views (being written)."""

urlpatterns = []
