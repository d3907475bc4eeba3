from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """The operator's management commands (demo, backup, restore, org_create). No models:
    it sits above the kernel so that the kernel need not import the demo, the backup or
    accounts."""

    name = "peercoach.ops"
    label = "ops"
    verbose_name = _("Operations")
