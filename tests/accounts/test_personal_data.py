"""The personal-data registry: every app listed in settings.PERSONAL_DATA has its part of
the export (`tables`) and of account deletion (`erase`); the export follows the listed
order and deletion runs it backwards; the account itself is refused or deleted once.

The contents of each app's part are checked with the app (tests/sessions and
tests/surveys `test_personal_data.py`)."""

import io
import json
import sys
import types
import zipfile
from importlib import import_module

import pytest
from django.conf import settings

from peercoach.accounts.personal_data import table
from peercoach.accounts.services import AccountDeleteError, account_delete, data_export

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", settings.PERSONAL_DATA)
def test_every_personal_data_module_has_tables_and_erase(path):
    module = import_module(path)
    assert callable(module.tables) and callable(module.erase), path


def test_the_export_follows_the_list_and_deletion_runs_it_backwards(
    org, participant, settings, monkeypatch
):
    calls = []

    def part(name):
        module = types.ModuleType(f"tests_personal_data_{name}")
        module.tables = lambda *, organization, user: [table(name, [{"who": user.email}])]
        module.erase = lambda *, user: calls.append((name, user.email))
        monkeypatch.setitem(sys.modules, module.__name__, module)
        return module.__name__

    settings.PERSONAL_DATA = [part("first"), part("second")]
    archive = zipfile.ZipFile(io.BytesIO(data_export(organization=org, user=participant)))
    assert archive.namelist() == ["README.txt", "my-data.json", "first.csv", "second.csv"]
    assert json.loads(archive.read("my-data.json"))["first"] == [{"who": participant.email}]

    email = participant.email
    account_delete(user=participant)
    assert calls == [("second", email), ("first", email)]  # before the row is emptied
    participant.refresh_from_db()
    assert participant.email == f"deleted-{participant.pk}@deleted.invalid"


def test_operators_are_refused(org, participant):
    participant.is_staff = True
    participant.save()
    with pytest.raises(AccountDeleteError):
        account_delete(user=participant)
    participant.refresh_from_db()
    assert participant.deleted_at is None


def test_coordinator_of_this_organisation_is_refused(org, coordinator):
    with pytest.raises(AccountDeleteError):
        account_delete(user=coordinator)
    coordinator.refresh_from_db()
    assert coordinator.deleted_at is None


def test_deleting_twice_changes_nothing_more(org, participant):
    first = account_delete(user=participant)
    again = account_delete(user=participant)
    assert again.deleted_at == first.deleted_at
