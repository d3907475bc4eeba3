"""Translations for a test without the real catalogue: `translated("es", {msgid: msgstr})`
lays the given entries over the language's catalogue for the block, so a test can show
that a text is built in the active language without depending on locale/ being there."""

from contextlib import contextmanager
from unittest import mock

from django.utils.translation import trans_real


class _Layered(dict):
    def __init__(self, entries, base):
        super().__init__(entries)
        self.base = base

    def get(self, key, default=None):
        return (
            super().get(key, default)
            if dict.__contains__(self, key)
            else self.base.get(key, default)
        )

    def __getitem__(self, key):
        return super().__getitem__(key) if dict.__contains__(self, key) else self.base[key]

    def __contains__(self, key):
        return dict.__contains__(self, key) or key in self.base


@contextmanager
def translated(language, entries):
    translation = trans_real.translation(language)
    with mock.patch.object(translation, "_catalog", _Layered(entries, translation._catalog)):
        yield
