from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "peercoach.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from . import languages, stamps

        stamps.connect()
        user_logged_in.connect(languages.activate_on_sign_in, dispatch_uid="tenancy-language")
