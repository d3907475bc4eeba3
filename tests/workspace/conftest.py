"""Fixtures the console's pages share with the apps whose data they show."""

from tests.audit.conftest import named_coordinator  # noqa: F401 (a fixture)
