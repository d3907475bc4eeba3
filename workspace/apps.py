from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The coordinator's console: their home, program dashboard, pairs at risk, exports,
    people, organisation settings, audit log and reminder log.

    An interface app like `portal` (the participant's pages): no models, may import every
    feature app, and is imported by none."""

    name = "workspace"
    verbose_name = "Coordinator workspace"
    default_auto_field = "django.db.models.BigAutoField"
