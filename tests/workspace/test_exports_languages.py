"""CSV headers in the person's language: every export writes its column titles in the
requesting person's language, in the same order; every import reads a header written in
any configured language, or the codes older files have."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext
from django_scopes import scope

from peercoach.accounts.services import CSV_COLUMNS as INVITATION_COLUMNS
from peercoach.web.csvio import csv_column_names, csv_fold
from programs.services.applications import CSV_COLUMNS as APPLICATION_COLUMNS
from sessions.services.endings import opt_out_give
from tests.audit.conftest import export_url as audit_export_url
from tests.factories import ApplicationFactory
from tests.sessions.conftest import pair_make
from workspace.selectors.exports import OPT_OUT_HEADER, PAIR_HEADER, SESSION_HEADER
from workspace.views.audit import CSV_HEADER as AUDIT_COLUMNS

from .test_exports import download, held, titles

pytestmark = pytest.mark.django_db

EXPORTS = {
    "applications": APPLICATION_COLUMNS,
    "pairs": PAIR_HEADER,
    "sessions": SESSION_HEADER,
    "opt-outs": OPT_OUT_HEADER,
}
COLUMN_SETS = [*EXPORTS.values(), AUDIT_COLUMNS, INVITATION_COLUMNS]


def titles_in(language, columns):
    with translation.override(language):
        return [str(title) for _code, title in columns]


def speaks(user, language):
    user.language = language
    user.save(update_fields=["language"])
    return user


@pytest.fixture
def activity(org, participant):
    """One row in each of the program's files."""
    pair = pair_make(org, participant)
    with scope(organization=org):
        ApplicationFactory(program=pair.program, user=pair.me)
        held(pair.match)
        opt_out_give(match=pair.match, user=pair.me, reason="no_time", notice="Busy.")
    return pair


@pytest.mark.parametrize("kind", EXPORTS)
def test_each_export_writes_its_header_in_the_persons_language(
    kind, org, activity, coordinator, client_for
):
    client = client_for(coordinator)
    english = titles(download(client, activity.program, kind)[1])

    speaks(coordinator, "es")
    spanish = titles(download(client, activity.program, kind)[1])

    assert english == titles_in("en", EXPORTS[kind])
    assert spanish == titles_in("es", EXPORTS[kind])
    assert spanish != english
    with translation.override("es"):
        assert gettext("Pair") in spanish or gettext("Email") in spanish
    assert "Pair" in english or "Email" in english


def test_the_audit_log_file_writes_its_header_in_the_persons_language(
    org, named_coordinator, client_for
):
    client = client_for(speaks(named_coordinator, "es"))

    response = client.get(audit_export_url(org))

    header = response.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == titles_in("es", AUDIT_COLUMNS)
    assert header != titles_in("en", AUDIT_COLUMNS)


@pytest.mark.parametrize("columns", COLUMN_SETS)
def test_titles_do_not_collide_within_a_language(columns):
    for language, _name in settings.LANGUAGES:
        folded = [csv_fold(t) for t in titles_in(language, columns)]
        assert len(set(folded)) == len(folded), (language, folded)
    names = csv_column_names(columns)
    # Each code, and each title in each language, reads back as its own column.
    for language, _name in settings.LANGUAGES:
        for (code, _title), text in zip(columns, titles_in(language, columns), strict=True):
            assert names[csv_fold(text)] == code
            assert names[csv_fold(code)] == code
