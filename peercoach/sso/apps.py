from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SsoConfig(AppConfig):
    name = "peercoach.sso"
    label = "sso"
    verbose_name = _("Single sign-on")

    def ready(self):
        from allauth.account.signals import user_logged_in
        from django.db.models.signals import post_delete, post_save

        from .models import IdentityProvider
        from .selectors import requirement_forget
        from .session import sso_logged_in_receiver

        user_logged_in.connect(sso_logged_in_receiver, dispatch_uid="sso_session_marks")
        for signal in (post_save, post_delete):
            signal.connect(requirement_forget, sender=IdentityProvider, dispatch_uid="sso_req")
