from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoachingSessionsConfig(AppConfig):
    # "sessions" is taken by django.contrib.sessions.
    name = "sessions"
    label = "coaching_sessions"
    verbose_name = _("Coaching sessions")
