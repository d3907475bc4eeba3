from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    """The coordinator's workspace: program dashboard, pairs at risk, exports, people."""

    name = "workspace"
    verbose_name = "Coordinator workspace"
    default_auto_field = "django.db.models.BigAutoField"
