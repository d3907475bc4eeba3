import importlib.util
import sys

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "peercoach.accounts"
    label = "accounts"
    verbose_name = _("Accounts and invitations")

    def ready(self):
        from peercoach import checks  # noqa: F401 - registers the deploy checks

        if "webauthn" not in settings.MFA_SUPPORTED_TYPES:
            lazy_module_install("allauth.mfa.webauthn.internal.auth")


def lazy_module_install(name):
    """Make `name` load on first attribute access instead of on import (importlib's
    LazyLoader, the recipe in the importlib documentation).

    For allauth's WebAuthn module: allauth.mfa's views and login stages import it at module
    level even when WebAuthn is off, and it imports fido2 and cryptography, about 50 ms of
    every process start (bench/startup.py). Every use of it in allauth is an attribute
    access inside a function, reached only when a WebAuthn authenticator exists, which
    MFA_SUPPORTED_TYPES rules out. A no-op when the module is already imported or is not
    there (an allauth upgrade that moved it: start-up is slower, nothing breaks).
    """
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        return
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
