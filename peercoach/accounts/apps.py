from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "peercoach.accounts"
    label = "accounts"
    verbose_name = _("Accounts and invitations")

    def ready(self):
        from peercoach import checks  # noqa: F401 - registers the deploy checks
