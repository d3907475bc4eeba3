from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The participant's pages that compose several apps: the organisation home first.

    An interface app like `workspace` (the coordinator's console): no models, may import
    every feature app, and is imported by none."""

    name = "portal"
    verbose_name = "Participant portal"
    default_auto_field = "django.db.models.BigAutoField"
