from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "peercoach.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        # Embedded mode has no beat: `runserver` dispatches reminders in a thread.
        from .embedded import start_if_serving

        start_if_serving()
