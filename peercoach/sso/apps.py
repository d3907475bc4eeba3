from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "peercoach.sso"
    label = "sso"
    verbose_name = _("Single sign-on")

    def ready(self):
        from allauth.account.signals import user_logged_in

        from .session import sso_logged_in_receiver

        user_logged_in.connect(sso_logged_in_receiver, dispatch_uid="sso_session_marks")
