"""manage.py backup and restore: a round trip into a fresh database and fresh folders gives
back every row and a signed PDF that still verifies with its seal; damaged, foreign or
newer archives and non-empty installations are refused with a clear message."""

import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_scopes import scope

from agreements.models import Agreement
from peercoach.backup import MANIFEST, BackupError, backup_create, pg_tool
from programs.models import Program
from tests.agreements.conftest import pair, partner  # noqa: F401 - fixtures
from tests.backup_rows import all_rows

from .factories import ProgramFactory

ROOT = Path(__file__).resolve().parent.parent
# Settings the test process may carry that must not leak into the restored installation.
LEAKY = (
    "DATABASE_URL",
    "REDIS_URL",
    "MEDIA_ROOT",
    "PRIVATE_ROOT",
    "SEAL_DIR",
    "SEAL_PKCS12",
    "SEAL_PASSWORD",
    "SEAL_ORG_PKCS12",
    "SECRET_KEY",
    "DEBUG",
)


@pytest.fixture
def installation(settings, tmp_path):
    """This test's folders (the seal too, so its certificate is this test's own)."""
    settings.SEAL_DIR = tmp_path / "seal"
    settings.SEAL_PKCS12 = settings.SEAL_PASSWORD = settings.SEAL_ORG_PKCS12 = ""
    return settings


@pytest.fixture
def fresh(tmp_path):
    """A fresh installation in another process: its own empty database and var folder.

    Returns a function running `python ...` there (manage.py commands or scripts).
    """
    var = tmp_path / "restored"
    var.mkdir()
    env = {key: value for key, value in os.environ.items() if key not in LEAKY}
    env.update(
        PEERCOACH_VAR_DIR=str(var),
        ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="peercoach.settings",
    )
    dropper = None
    if connection.vendor == "postgresql":
        import psycopg

        params = connection.settings_dict
        name = f"{params['NAME']}_restore"[:63]
        admin = {
            "host": params.get("HOST") or None,
            "port": params.get("PORT") or None,
            "user": params.get("USER") or None,
            "password": params.get("PASSWORD") or None,
            "dbname": "postgres",
            "autocommit": True,
        }
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')

        def dropper():
            with psycopg.connect(**admin) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        user = params.get("USER") or ""
        password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
        host = params.get("HOST") or "127.0.0.1"
        port = params.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}{password}@{host}:{port}/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{var / 'peercoach.sqlite3'}"

    def run(*args):
        return subprocess.run(
            [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )

    run.var = var
    yield run
    if dropper:
        dropper()


VERIFY_SCRIPT = """
import sys, django
django.setup()
from django.test import Client
from django.core.files.uploadedfile import SimpleUploadedFile
from agreements.services.documents import pdf_verify
data = open(sys.argv[1], "rb").read()
result = pdf_verify(data)
response = Client().post(
    "/verify/", {"file": SimpleUploadedFile("a.pdf", data, content_type="application/pdf")}
)
print(result.issued, result.seal_valid, response.status_code)
print(response.content.decode())
"""


def sign_both(signing):
    from agreements.services.common import Actor
    from agreements.services.sign import agreement_sign

    for user in (signing.a, signing.b):
        agreement_sign(
            agreement=signing.agreement,
            actor=Actor(user=user, ip="198.51.100.4", user_agent="pytest"),
            typed_name=user.get_full_name(),
            consent=True,
            intent=True,
            seen_sha256=signing.sha(),
        )


@pytest.mark.django_db(transaction=True)
def test_a_restored_installation_has_every_row_and_a_pdf_that_verifies(
    pair,  # noqa: F811
    installation,
    fresh,
    tmp_path,
):
    # A sealed PDF for real: signing commits, and the PDF is issued after the commit.
    with scope(organization=pair.org):
        pair.fill_required()
        sign_both(pair)
        ProgramFactory(organization=pair.org, name="Second cohort", status=Program.Status.DRAFT)
    pair.agreement.refresh_from_db()
    assert pair.agreement.status == Agreement.Status.SIGNED and pair.agreement.pdf
    pdf = Path(installation.PRIVATE_ROOT) / pair.agreement.pdf.name
    (Path(installation.MEDIA_ROOT) / "logos").mkdir(parents=True)
    (Path(installation.MEDIA_ROOT) / "logos" / "acme.png").write_bytes(b"\x89PNG logo")
    seal = (Path(installation.SEAL_DIR) / "seal.p12").read_bytes()

    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    before = all_rows()
    assert before["agreements.Agreement"] and before["programs.Program"]

    # A non-empty folder is refused before anything is written.
    (fresh.var / "media").mkdir()
    (fresh.var / "media" / "stray.txt").write_text("left over")
    refused = fresh("manage.py", "restore", str(archive))
    assert refused.returncode == 1
    assert "media folder" in refused.stderr and "not empty" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (fresh.var / "private").exists() or not any((fresh.var / "private").iterdir())
    (fresh.var / "media" / "stray.txt").unlink()

    restored = fresh("manage.py", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    dumped = fresh("-m", "tests.backup_rows")
    assert dumped.returncode == 0, dumped.stderr
    after = json.loads(dumped.stdout)
    assert after.keys() == before.keys()
    for label, rows in before.items():
        assert after[label] == rows, label

    restored_pdf = fresh.var / "private" / pair.agreement.pdf.name
    assert restored_pdf.read_bytes() == pdf.read_bytes()
    assert (fresh.var / "seal" / "seal.p12").read_bytes() == seal
    assert (fresh.var / "media" / "logos" / "acme.png").read_bytes() == b"\x89PNG logo"
    assert stat.S_IMODE(restored_pdf.stat().st_mode) == 0o600
    checked = fresh("-c", VERIFY_SCRIPT, str(restored_pdf))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[0] == "True True 200"
    assert "Issued by us and unchanged" in checked.stdout

    # Once restored, the installation is not empty: a second restore is refused whole.
    again = fresh("manage.py", "restore", str(archive))
    assert again.returncode == 1
    assert "database is not empty" in again.stderr and "Traceback" not in again.stderr
    assert json.loads(fresh("-m", "tests.backup_rows").stdout) == after


# --- Refusals, checked in this process before anything is written ------------------


@pytest.fixture
def archive(transactional_db, org, installation, tmp_path):
    """An archive with a PDF-like private file, a seal and an upload (and `org` keeps this
    test database non-empty, so a refusal that failed would still change nothing)."""
    for folder, name in (("PRIVATE_ROOT", "agreements/1/1.pdf"), ("MEDIA_ROOT", "a.png")):
        path = Path(getattr(installation, folder)) / name
        path.parent.mkdir(parents=True)
        path.write_bytes(b"%PDF-1.7 signed")
    Path(installation.SEAL_DIR).mkdir()
    (Path(installation.SEAL_DIR) / "seal.p12").write_bytes(b"key")
    return backup_create(destination=tmp_path / "backup.tar.gz")


def rewrite(archive, change):
    """Rebuild `archive` with `change(name, data)` applied to each member's bytes."""
    members = []
    with tarfile.open(archive, "r:gz") as tar:
        for info in tar.getmembers():
            members.append((info, tar.extractfile(info).read()))
    archive.unlink()
    with tarfile.open(archive, "w:gz") as tar:
        for info, data in members:
            data = change(info.name, data)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def manifest_edit(edit):
    def change(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def restore_refused(archive):
    with pytest.raises(CommandError) as refused:
        call_command("restore", str(archive), stdout=io.StringIO())
    return str(refused.value)


def test_the_archive_is_private_and_its_manifest_lists_versions_migrations_and_files(archive):
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive, "r:gz") as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())
        names = set(tar.getnames())
    assert manifest["database"]["vendor"] == connection.vendor
    assert {"python", "django", "database"} <= manifest["versions"].keys()
    assert "0001_initial" in manifest["migrations"]["agreements"]
    assert manifest["created_at"] and manifest["app"]["version"]
    dump = {"postgresql": "database/postgresql.dump", "sqlite": "database/sqlite3.db"}
    assert set(manifest["files"]) == {
        dump[connection.vendor],
        "private/agreements/1/1.pdf",
        "seal/seal.p12",
        "media/a.png",
    }
    assert names == set(manifest["files"]) | {MANIFEST}
    assert manifest["files"]["seal/seal.p12"]["size"] == 3


def test_backup_never_overwrites_a_file(archive):
    before = archive.read_bytes()
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", str(archive), stdout=io.StringIO())
    assert archive.read_bytes() == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda name, data: data.replace(b"signed", b"forged") if "pdf" in name else data,
            "private/agreements/1/1.pdf does not match its checksum",
        ),
        (
            lambda name, data: data + b"x" if name == "media/a.png" else data,
            "media/a.png has the wrong size",
        ),
        (
            manifest_edit(lambda m: m["files"].pop("seal/seal.p12")),
            "seal/seal.p12 is not in the manifest",
        ),
    ],
    ids=["changed byte", "grown file", "unlisted file"],
)
def test_a_tampered_archive_is_refused_and_nothing_is_written(
    archive, installation, change, message
):
    rewrite(archive, change)
    private = sorted(Path(installation.PRIVATE_ROOT).rglob("*"))
    refused = restore_refused(archive)
    assert "altered or damaged, nothing was restored" in refused and message in refused
    assert sorted(Path(installation.PRIVATE_ROOT).rglob("*")) == private


def test_a_truncated_archive_is_refused(archive):
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    assert "is not a complete peercoach backup" in restore_refused(archive)


def test_something_else_than_a_backup_is_refused(tmp_path, transactional_db):
    other = tmp_path / "other.tar.gz"
    with tarfile.open(other, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("hello.txt"), io.BytesIO(b""))
    assert "not a peercoach backup" in restore_refused(other)


def test_an_archive_from_another_database_vendor_is_refused(archive):
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    rewrite(archive, manifest_edit(lambda m: m["database"].update(vendor=other)))
    assert f"holds a {other} database" in restore_refused(archive)


def test_an_archive_from_a_newer_version_is_refused(archive):
    rewrite(archive, manifest_edit(lambda m: m["migrations"]["programs"].append("9999_future")))
    assert "newer version of peercoach" in restore_refused(archive)


def test_a_non_empty_database_is_refused(archive, installation):
    for folder in ("PRIVATE_ROOT", "MEDIA_ROOT", "SEAL_DIR"):
        for path in Path(getattr(installation, folder)).iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    refused = restore_refused(archive)
    assert "database is not empty" in refused and "tenancy_organization has rows" in refused
    # Nothing staged or moved into the (empty) folders.
    for folder in ("PRIVATE_ROOT", "MEDIA_ROOT", "SEAL_DIR"):
        assert list(Path(getattr(installation, folder)).iterdir()) == []


# --- Finding pg_dump ---------------------------------------------------------------


class _Server:
    """Stands in for a PostgreSQL connection: pg_tool asks only for the server version."""

    pg_version = 160004

    def ensure_connection(self):
        pass


def fake_tool(folder, major):
    folder.mkdir(parents=True)
    tool = folder / "pg_dump"
    tool.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {major}.2'\n")
    tool.chmod(0o755)
    return tool


def test_pg_dump_at_least_as_new_as_the_server_is_taken(tmp_path, monkeypatch):
    monkeypatch.setenv("PG_BINDIR", str(fake_tool(tmp_path / "17", 17).parent))
    assert pg_tool("pg_dump", _Server()) == str(tmp_path / "17" / "pg_dump")


def test_an_older_pg_dump_gives_a_clear_message_naming_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("PG_BINDIR", str(fake_tool(tmp_path / "old", 9).parent))
    monkeypatch.setattr("peercoach.backup.Path.glob", lambda self, pattern: iter(()))
    monkeypatch.setattr("peercoach.backup.shutil.which", lambda name: None)
    with pytest.raises(BackupError) as refused:
        pg_tool("pg_dump", _Server())
    message = str(refused.value)
    assert "No pg_dump for PostgreSQL 16 or newer" in message and "(9)" in message
    assert "apt-get install postgresql-client" in message
