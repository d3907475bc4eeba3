"""What the demo loaders of every app share (settings.DEMO_LOADERS, peercoach/demo.py)."""

from contextlib import ExitStack, contextmanager
from unittest import mock

from django.conf import settings
from django.utils import translation
from django.utils.module_loading import import_string

from .notifications.services import messages_muted


@contextmanager
def quiet():
    """Queue no task while the block runs: no email, none of settings.DEMO_QUIET_TASKS.

    Emails: the outbox records none (`messages_muted`). The tasks (dotted paths; the
    matching run): patching the task object itself (not one module's import of it)
    covers every caller, and leaves nothing to fire at commit. Demo addresses are made up, and
    the demo runs the matcher itself.
    """
    with ExitStack() as stack:
        stack.enter_context(messages_muted())
        for name in settings.DEMO_QUIET_TASKS:
            task = import_string(name)
            for method in ("delay_on_commit", "apply_async", "delay"):
                stack.enter_context(mock.patch.object(task, method, _not_queued))
        yield


def _not_queued(*args, **kwargs):
    return None


def in_language(organization):
    """Write the block's texts (starters, the standard form, gettext'd defaults) in the
    organisation's default language, as its coordinator would see them; English (the site's
    language) for an organisation without one."""
    return translation.override(organization.default_language or settings.LANGUAGE_CODE)
