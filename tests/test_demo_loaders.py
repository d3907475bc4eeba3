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


@pytest.mark.django_db
def test_the_spanish_organisation_is_loaded_in_spanish_and_the_seeds_stay_english(capsys):
    from django.core.management import call_command
    from django.utils import translation
    from django_scopes import scopes_disabled

    from agreements.models import AgreementItem, AgreementTemplate
    from agreements.starters import STARTERS
    from peercoach.tenancy.models import Membership, Organization
    from programs.models import Match, Program
    from sessions.demo import TEXTS
    from sessions.models import Session

    call_command("demo", "--i-know-this-is-not-production")
    out = capsys.readouterr().out
    assert "Universidad Tres Ríos  ->  /o/tres-rios/" in out
    assert "coordinator:  coordinator@tres-rios.example.org" in out
    assert "participant01@tres-rios.example.org ... participant08@tres-rios.example.org (8)" in out

    with scopes_disabled():
        spanish = Organization.objects.get(slug="tres-rios")
        assert spanish.default_language == "es"
        assert not Organization.objects.exclude(slug="tres-rios").exclude(default_language="")
        people = Membership.objects.filter(organization=spanish).select_related("user")
        assert people.filter(role=Membership.Role.PARTICIPANT).count() == 8
        coordinator = people.get(role=Membership.Role.COORDINATOR).user
        assert coordinator.first_name == "Lucía"
        names = {m.user.first_name for m in people.filter(role=Membership.Role.PARTICIPANT)}
        assert len(names) == 8  # each of its own names once

        program = Program.objects.get(organization=spanish)
        assert program.name == "Acompañamiento entre Pares Docentes"
        assert program.status == Program.Status.RUNNING
        assert Match.objects.filter(program=program, status=Match.Status.ACTIVE).count() >= 3

        # The starter's texts are those of the active language when it is built: Spanish
        # here, English for the seed organisations.
        with translation.override("es"):
            title_es = str(STARTERS["reciprocal"].title)
            items_es = [str(spec["title"]) for spec in STARTERS["reciprocal"].items]
        with translation.override("en"):
            title_en = str(STARTERS["reciprocal"].title)
        template = AgreementTemplate.objects.get(program=program)
        assert template.title == title_es
        items = AgreementItem.objects.filter(template=template).order_by("position")
        assert [item.title for item in items] == items_es
        atc = AgreementTemplate.objects.get(program__organization__slug="atc")
        assert atc.title == title_en == "Reciprocal coaching agreement"

        held = Session.objects.filter(program=program, status=Session.Status.HELD)
        assert held.count() >= 2
        assert {s.shared_notes for s in held} <= set(TEXTS["es"]["shared_notes"])
        seed_notes = Session.objects.filter(program__organization__slug="atc").exclude(
            shared_notes=""
        )
        assert {s.shared_notes for s in seed_notes} <= set(TEXTS["en"]["shared_notes"])
