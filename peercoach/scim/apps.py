from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScimConfig(AppConfig):
    name = "peercoach.scim"
    label = "scim"
    verbose_name = _("Provisioning (SCIM)")
    default_auto_field = "django.db.models.BigAutoField"
