"""Shared fixtures: the actors of the isolation matrix and the services CI provides.

Actors: in organisation `org` a coordinator (with two-factor set up, as the default
organisation requires), a participant and an unrelated same-tenant participant
(`stranger`); in `other_org` a coordinator and a participant.
"""

import logging
import os
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import transaction
from django_scopes import scope, scopes_disabled

from peercoach.celery import app as celery_app
from peercoach.tenancy.models import Membership

from .factories import MembershipFactory, OrganizationFactory, UserFactory, totp_activate

REQUIRE_SERVICES = os.environ.get("PEERCOACH_REQUIRE_SERVICES") == "1"
TEST_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def pytest_configure(config):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests run tasks in-process unless a test starts a real worker itself.
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    # One INFO line per request, written and captured thousands of times in the page walks,
    # made them ~40% slower; tests/test_logs.py turns the line on where it is the subject.
    logging.getLogger("peercoach.request").setLevel(logging.WARNING)
    _flush_by_delete()


def _flush_by_delete():
    """Empty the tables after a transactional test (live server, races, backups) with
    DELETE instead of PostgreSQL's TRUNCATE. TRUNCATE gives each of the ~60 tables and
    their indexes new files whatever they hold: 0.3-0.5 s idle and 2.5-3.5 s per test in CI,
    a tenth of the PostgreSQL run; DELETE of the few rows a test leaves takes
    milliseconds. Django's foreign keys on PostgreSQL are DEFERRABLE, so deferring them
    lets the tables be emptied in any order within flush's one transaction; sequences
    are not reset by either. Flushes asking for more (reset sequences, cascade) keep
    Django's TRUNCATE."""
    if "postgresql" not in settings.DATABASES["default"]["ENGINE"]:
        return
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if not tables or reset_sequences or allow_cascade:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        # Table names come from Django's introspection, quoted.
        deletes = [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608
        return ["SET CONSTRAINTS ALL DEFERRED;", *deletes]

    DatabaseOperations.sql_flush = sql_flush


def rows_for_the_module(django_db_blocker, make):
    """For a module-scoped fixture (`yield from rows_for_the_module(django_db_blocker, make)`):
    the rows `make()` writes are written once for the module's tests instead of once per
    test, in a transaction that stays open while they run and is rolled back after the
    last. Each test's own transaction (pytest-django's `db`) nests in it as a savepoint and
    is rolled back as before, so every test starts from the same rows, as with Django's
    setUpTestData. Only for modules without transactional tests (live server,
    `transactional_db`); tests should re-read the objects rather than share instances."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = make()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def require_or_skip(available, what):
    """Skip when a local service is missing; in CI (PEERCOACH_REQUIRE_SERVICES=1) fail instead."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


def redis_available(url=TEST_REDIS_URL):
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _clean_cache():
    # Rate limits and TOTP replay marks live in the cache; start each test clean.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request through the test client leaves its language active in this thread (Django's
    LocaleMiddleware and ours activate, nothing deactivates): a test after one that fetched a
    Spanish page would otherwise run in Spanish."""
    yield
    from django.utils import translation

    translation.deactivate()


@pytest.fixture(scope="session")
def _seal_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("seal")


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path, _seal_dir):
    """Uploads and signed PDFs go to the test's own directories, never the repository's
    var/; the seal certificate is generated once per session, outside it too."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.SEAL_DIR = _seal_dir


def _acme():
    return OrganizationFactory(slug="acme", name="Acme University")


def _globex():
    return OrganizationFactory(slug="globex", name="Globex Labs")


@pytest.fixture
def org(db):
    return _acme()


@pytest.fixture
def other_org(db):
    return _globex()


def _member(organization, role, email, mfa=False):
    with scope(organization=organization):
        user = UserFactory(email=email)
        MembershipFactory(organization=organization, user=user, role=role)
    if mfa:
        totp_activate(user)
    return user


# Who each actor fixture below makes: (organisation fixture, role, email, two-factor).
ACTORS = {
    "coordinator": ("org", Membership.Role.COORDINATOR, "coord@acme.example.org", True),
    "participant": ("org", Membership.Role.PARTICIPANT, "pat@acme.example.org", False),
    "stranger": ("org", Membership.Role.PARTICIPANT, "stranger@acme.example.org", False),
    "other_coordinator": (
        "other_org",
        Membership.Role.COORDINATOR,
        "coord@globex.example.org",
        True,
    ),
    "other_participant": (
        "other_org",
        Membership.Role.PARTICIPANT,
        "pat@globex.example.org",
        False,
    ),
}


def _actor(name, organization):
    _org, role, email, mfa = ACTORS[name]
    return _member(organization, role, email, mfa=mfa)


def world_make():
    """`org`, `other_org` and every actor of ACTORS, as the fixtures below make them, in
    one dict (for fixtures that make them once for many tests)."""
    world = {"org": _acme(), "other_org": _globex()}
    for name, (organization, *_rest) in ACTORS.items():
        world[name] = _actor(name, world[organization])
    return world


@pytest.fixture
def coordinator(org):
    return _actor("coordinator", org)


@pytest.fixture
def participant(org):
    return _actor("participant", org)


@pytest.fixture
def stranger(org):
    """A participant of the same organisation with no relation to `participant`."""
    return _actor("stranger", org)


@pytest.fixture
def other_coordinator(other_org):
    return _actor("other_coordinator", other_org)


@pytest.fixture
def other_participant(other_org):
    return _actor("other_participant", other_org)


@pytest.fixture
def client_for(client):
    """Sign a person in (session login, as after a completed two-factor sign-in)."""

    def login(user):
        client.force_login(user)
        return client

    return login


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """`with commit(): ...` runs the block's on-commit callbacks (tasks, emails) at its end,
    as the real commit would; the test itself runs inside a rolled-back transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def in_scope(org):
    with scope(organization=org):
        yield org


@pytest.fixture
def unscoped():
    with scopes_disabled():
        yield


@pytest.fixture
def broker_down():
    """Every task enqueue fails as it does with Redis unreachable (kombu's error).
    `broker_down.restore()` brings the broker back; `broker_down.refused` counts refusals."""
    from celery.app.task import Task
    from kombu.exceptions import OperationalError

    patch = pytest.MonkeyPatch()

    class Broker:
        refused = 0

        def restore(self):
            patch.undo()

    broker = Broker()

    def refuse(task, *args, **kwargs):
        broker.refused += 1
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    patch.setattr(Task, "apply_async", refuse)
    yield broker
    patch.undo()
