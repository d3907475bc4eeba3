"""Helpers every app's views, forms and URLs share: the kernel's web toolkit.

It imports nothing from peercoach's apps, so any layer may use it."""
