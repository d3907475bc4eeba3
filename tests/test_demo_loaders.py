"""The demo registry: every loader in settings.DEMO_LOADERS imports, takes the demo
organisations and reports the lines the demo command prints, and the kernel's demo runs
them in the listed order (peercoach/demo.py)."""

import inspect
import sys

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from peercoach.demo import demo_load
from peercoach.demo_util import quiet


@pytest.mark.parametrize("path", settings.DEMO_LOADERS)
def test_every_demo_loader_imports_and_takes_the_organisations(path):
    loader = import_string(path)
    assert list(inspect.signature(loader).parameters) == ["organizations"], path


@pytest.mark.parametrize("path", settings.DEMO_QUIET_TASKS)
def test_every_quiet_task_imports_and_is_muted(path):
    task = import_string(path)
    with quiet():
        assert task.delay() is None and task.apply_async() is None


@pytest.mark.django_db
def test_the_loaders_run_in_order_and_their_lines_are_kept(settings, monkeypatch):
    calls = []

    def loader(name):
        def load(*, organizations):
            calls.append(name)
            return {organizations[0].pk: [f"  {name}"]}

        return load

    here = sys.modules[__name__]
    for name in ("first", "second"):
        monkeypatch.setattr(here, f"{name}_load", loader(name), raising=False)
    settings.DEMO_LOADERS = [f"{__name__}.first_load", f"{__name__}.second_load"]
    result = demo_load()
    assert calls == ["first", "second"]
    first_org = result.organizations[0][0]
    assert result.lines == {first_org.pk: ["  first", "  second"]}
