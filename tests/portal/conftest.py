"""The pairs the participant's home shows: the fixtures of tests/sessions."""

from tests.sessions.conftest import circle, pair  # noqa: F401 (fixtures)
