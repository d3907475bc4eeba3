from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "peercoach.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations")

    def ready(self):
        from . import stamps

        stamps.connect()
