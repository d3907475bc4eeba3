"""The registries in settings name code that exists, and `peercoach.hooks.hooks_run` keeps
its promises: listed order, the caller's transaction, errors propagate, unknown names fail."""

import importlib
import inspect

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.module_loading import import_string
from django_scopes import scope

from peercoach.hooks import hooks_run
from programs.models import Match
from programs.services.proposals import match_end
from tests.sessions.conftest import pair_make

# Every registry of dotted paths in settings.
REGISTRIES = (
    "HOOKS",
    "REMINDER_RULES",
    "REMINDER_ATTACHMENTS",
    "PERSONAL_DATA",
    "MEMBERSHIP_LEAVE",
    "DEMO_LOADERS",
    "DEMO_QUIET_TASKS",
)


def dotted_paths(value):
    """Every string in `value`: a path, a list of paths, or a dict of either."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from dotted_paths(item)
    else:
        for item in value:
            yield from dotted_paths(item)


def registry_paths():
    return [
        pytest.param(path, id=f"{name}:{path}")
        for name in REGISTRIES
        for path in dotted_paths(getattr(settings, name))
    ]


def imported(path):
    """What `path` names: a module (a registry of modules, such as PERSONAL_DATA) or an
    attribute of one."""
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name != path:
            raise  # the module exists but imports something missing
    return import_string(path)


@pytest.mark.parametrize("path", registry_paths())
def test_every_registered_path_imports_and_is_callable(path):
    target = imported(path)
    assert inspect.ismodule(target) or callable(target), path


def test_the_registries_are_read():
    """The parametrised test above has something to check: a registry renamed in settings
    would otherwise leave it with nothing to do, and pass."""
    assert settings.HOOKS["match_ended"]
    assert settings.REMINDER_RULES
    assert settings.REMINDER_ATTACHMENTS
    assert settings.PERSONAL_DATA
    assert settings.DEMO_LOADERS
    for path in settings.MEMBERSHIP_LEAVE:
        assert callable(importlib.import_module(path).leave), path


# --- hooks_run ----------------------------------------------------------------------------

CALLS = []


def first(**kwargs):
    CALLS.append(("first", kwargs))
    return 1


def second(**kwargs):
    CALLS.append(("second", kwargs))
    return 2


def failing(**kwargs):
    CALLS.append(("failing", kwargs))
    raise RuntimeError("the hook failed")


HERE = __name__


@pytest.fixture(autouse=True)
def _calls():
    CALLS.clear()
    yield
    CALLS.clear()


def test_hooks_run_in_the_listed_order_with_the_arguments_and_return_their_answers():
    with override_settings(HOOKS={"x": [f"{HERE}.second", f"{HERE}.first"]}):
        assert hooks_run("x", a=1, name="n") == [2, 1]
    assert CALLS == [("second", {"a": 1, "name": "n"}), ("first", {"a": 1, "name": "n"})]


def test_override_settings_is_obeyed_after_the_hooks_were_imported_once():
    with override_settings(HOOKS={"x": [f"{HERE}.first"]}):
        assert hooks_run("x") == [1]
    with override_settings(HOOKS={"x": [f"{HERE}.second"]}):
        assert hooks_run("x") == [2]
    with override_settings(HOOKS={"x": []}):
        assert hooks_run("x") == []


def test_an_unknown_hook_name_is_an_error_not_a_no_op():
    with override_settings(HOOKS={}), pytest.raises(KeyError, match="settings.HOOKS has no"):
        hooks_run("match_ended")


def test_an_exception_stops_the_hooks_after_it_and_propagates():
    hooks = {"x": [f"{HERE}.first", f"{HERE}.failing", f"{HERE}.second"]}
    with override_settings(HOOKS=hooks), pytest.raises(RuntimeError, match="the hook failed"):
        hooks_run("x", a=1)
    assert [name for name, _kwargs in CALLS] == ["first", "failing"]


@pytest.mark.django_db
def test_a_failing_match_ended_hook_undoes_the_ending(org, participant):
    pair = pair_make(org, participant)
    hooks = {**settings.HOOKS, "match_ended": [*settings.HOOKS["match_ended"], f"{HERE}.failing"]}
    with override_settings(HOOKS=hooks), scope(organization=org):
        with pytest.raises(RuntimeError):
            match_end(match=pair.match, ended_by=participant, reason="Opt-out")
        pair.match.refresh_from_db()
        assert pair.match.status == Match.Status.ACTIVE
        assert pair.match.members.filter(is_current=True).count() == 2
    ((name, kwargs),) = CALLS
    assert kwargs == {"match": pair.match, "ended_by": participant}


@pytest.mark.django_db
def test_match_end_runs_the_match_ended_hooks_once_not_again_for_an_ended_match(org, participant):
    pair = pair_make(org, participant)
    hooks = {**settings.HOOKS, "match_ended": [f"{HERE}.first"]}
    with override_settings(HOOKS=hooks), scope(organization=org):
        match_end(match=pair.match, ended_by=None, reason="Ended by the program team")
        match_end(match=pair.match, ended_by=None, reason="Ended by the program team")
    ((name, kwargs),) = CALLS
    assert kwargs["match"].status == Match.Status.ENDED and kwargs["ended_by"] is None
