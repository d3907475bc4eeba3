import gc

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    """The operator's management commands (demo, backup, restore, org_create). No models:
    it sits above the kernel so that the kernel need not import the demo, the backup or
    accounts."""

    name = "peercoach.ops"
    label = "ops"
    verbose_name = _("Operations")

    def ready(self):
        # Last in INSTALLED_APPS: every app's models and ready() are done, and what start-up
        # built (modules, classes, models, settings) lives as long as the process. Freezing
        # it spares the cyclic GC from scanning it again at every collection, from then on
        # and at exit, and keeps forked workers from touching its pages (the pattern of
        # gc.freeze's documentation). manage.py and peercoach/wsgi.py turn the GC off while
        # they start (a few hundred collections that find next to nothing): on again here.
        # About a quarter of `manage.py check`'s CPU time (bench/startup.py).
        gc.freeze()
        gc.enable()
