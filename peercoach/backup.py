"""Backup and restore of a whole installation: the database and the three folders.

One archive (tar.gz, mode 0600) holds:

- `database/postgresql.dump` (`pg_dump` custom format) or `database/sqlite3.db` (SQLite's
  online backup API, a consistent copy while the site runs);
- `private/` (signed agreement PDFs), `seal/` (the generated seal certificate and its
  password), `media/` (uploads);
- `manifest.json`, written last: when and from what it was made (versions, the applied
  migrations of every app, the tables) and the SHA-256 and size of every other member.

The database is dumped before the folders are read: a PDF is written before the row that
names it commits, so every PDF the dump knows is in the archive (a later one is an orphan).

Restore checks everything before it changes anything, rebuilds only an empty installation,
and leaves nothing half-written: files are staged inside each target folder and renamed
into place only after the database restored in one transaction. The archive is secret: it
holds personal data, signed PDFs and the seal's private key with its password.
"""

import datetime
import hashlib
import json
import os
import platform
import re
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from dataclasses import dataclass
from pathlib import Path

import django
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT = "peercoach-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"postgresql": "database/postgresql.dump", "sqlite": "database/sqlite3.db"}
STAGING_PREFIX = ".peercoach-restore-"
# Rows `migrate` itself writes: a freshly migrated database still counts as empty.
MIGRATE_TABLES = {"django_migrations", "django_content_type", "auth_permission"}
CHUNK = 1 << 20


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Folder:
    name: str  # its name inside the archive
    path: Path


def folders():
    """The installation's folders, read from settings at each call (tests move them)."""
    return [
        Folder("private", Path(settings.PRIVATE_ROOT)),
        Folder("seal", Path(settings.SEAL_DIR)),
        Folder("media", Path(settings.MEDIA_ROOT)),
    ]


# --- Backup ---------------------------------------------------------------------------


def backup_create(*, destination, using=DEFAULT_DB_ALIAS):
    """Write one archive of the database and folders; return its path.

    `destination` is a new file, or an existing folder to put a dated file in. Never
    overwrites a file, and writes under a temporary name renamed at the end: a failed
    backup leaves nothing that looks like an archive. Raises BackupError.
    """
    connection = connections[using]
    destination = Path(destination)
    if destination.is_dir():
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        destination = destination / f"peercoach-backup-{stamp}.tar.gz"
    if destination.exists():
        raise BackupError(f"{destination} already exists; name a new file or a folder.")
    if not destination.parent.is_dir():
        raise BackupError(f"The folder {destination.parent} does not exist.")
    vendor = connection.vendor
    if vendor not in DUMP_NAMES:
        raise BackupError(f"Backing up a {vendor} database is not supported.")

    temporary = destination.with_name(f".{destination.name}.{secrets.token_hex(6)}.tmp")
    files = {}
    try:
        with tempfile.TemporaryDirectory(prefix="peercoach-backup-") as work:
            dump = Path(work) / "dump"
            if vendor == "postgresql":
                _pg_dump(connection, dump)
            else:
                _sqlite_dump(connection, dump)
            manifest = _manifest(connection)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                files[DUMP_NAMES[vendor]] = _add(tar, dump, DUMP_NAMES[vendor])
                for folder in folders():
                    for path in _walk(folder.path):
                        name = f"{folder.name}/{path.relative_to(folder.path).as_posix()}"
                        files[name] = _add(tar, path, name)
                manifest["files"] = files
                _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=2).encode())
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(temporary, destination)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return destination


def _walk(root):
    """Regular files under `root`, sorted; symbolic links are not followed."""
    if not root.is_dir():
        return []
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(STAGING_PREFIX))
        for filename in sorted(filenames):
            path = Path(dirpath) / filename
            if path.is_file() and not path.is_symlink():
                found.append(path)
    return found


class _HashingReader:
    def __init__(self, handle):
        self.handle, self.sha256 = handle, hashlib.sha256()

    def read(self, size=-1):
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def _add(tar, path, name):
    with open(path, "rb") as handle:
        stat = os.fstat(handle.fileno())
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = stat.st_size, int(stat.st_mtime), 0o600
        reader = _HashingReader(handle)
        try:
            tar.addfile(info, reader)
        except OSError as exc:  # the file shrank while it was read
            raise BackupError(f"{path} changed while it was backed up: {exc}.") from None
    return {"sha256": reader.sha256.hexdigest(), "size": stat.st_size}


def _add_bytes(tar, name, data):
    import io

    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), 0o600
    info.mtime = int(datetime.datetime.now(datetime.UTC).timestamp())
    tar.addfile(info, io.BytesIO(data))


def _manifest(connection):
    applied = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "app": {"name": "peercoach", "version": _app_version(), "git": _git_commit()},
        "versions": {
            "python": platform.python_version(),
            "django": django.get_version(),
            "database": _server_version(connection),
        },
        "database": {
            "vendor": connection.vendor,
            "tables": sorted(connection.introspection.table_names()),
        },
        "migrations": applied,
    }


def _app_version():
    try:
        with open(Path(settings.BASE_DIR) / "pyproject.toml", "rb") as handle:
            return tomllib.load(handle)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None


def _git_commit():
    """The commit the code runs from, when it runs from a git checkout (not the image)."""
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            ["git", "-C", str(settings.BASE_DIR), "rev-parse", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _server_version(connection):
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        version = connection.pg_version
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


# --- PostgreSQL and SQLite ------------------------------------------------------------


def _pg_environment(connection):
    """libpq's environment for the client tools: never the password on a command line."""
    params = connection.settings_dict
    env = dict(os.environ)
    for key, value in {
        "PGHOST": params.get("HOST"),
        "PGPORT": str(params.get("PORT") or ""),
        "PGUSER": params.get("USER"),
        "PGPASSWORD": params.get("PASSWORD"),
        "PGDATABASE": params.get("NAME"),
        "PGSSLMODE": (params.get("OPTIONS") or {}).get("sslmode"),
    }.items():
        if value:
            env[key] = value
    return env


def pg_tool(name, connection):
    """Path of the PostgreSQL client program `name` that can talk to the server.

    A client tool must be at least as new as the server: the newest one installed is
    taken (Debian keeps each major version in /usr/lib/postgresql/N/bin, and `PG_BINDIR`
    names another folder). Raises BackupError naming the package to install.
    """
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]) / name)
    candidates += sorted(
        Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
        reverse=True,
    )
    if which := shutil.which(name):
        candidates.append(Path(which))
    found = []
    for candidate in candidates:
        major = _tool_major(candidate)
        if major is None:
            continue
        if major >= server_major:
            return str(candidate)
        found.append(f"{candidate} ({major})")
    raise BackupError(
        f"No {name} for PostgreSQL {server_major} or newer was found"
        + (f" (found only {', '.join(found)})" if found else "")
        + ". Install the PostgreSQL client programs (Debian: apt-get install postgresql-client)"
        " or set PG_BINDIR to the folder that holds them."
    )


def _tool_major(path):
    try:
        result = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    return int(match.group(1)) if match else None


def _pg_dump(connection, path):
    tool = pg_tool("pg_dump", connection)
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [tool, "--format=custom", "--no-owner", "--no-privileges", "--file", str(path)],
        env=_pg_environment(connection),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_last_lines(result.stderr)}")


def _pg_restore(connection, path):
    """Everything in one transaction: an error rolls all of it back (--exit-on-error).

    --clean --if-exists first drops what `migrate` may have made in the empty database.
    """
    tool = pg_tool("pg_restore", connection)
    connection.close()
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [
            tool,
            "--single-transaction",
            "--exit-on-error",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--dbname",
            connection.settings_dict["NAME"],
            str(path),
        ],
        env=_pg_environment(connection),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed and changed nothing: {_last_lines(result.stderr)}")


def _last_lines(text, count=5):
    return " / ".join(text.strip().splitlines()[-count:]) or "no message"


def _sqlite_dump(connection, path):
    if connection.in_atomic_block:
        # Python's backup() retries a locked source for ever: refuse instead of hanging.
        raise BackupError("Back up outside a transaction: the database is locked by it.")
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()


def _sqlite_restore(connection, path):
    """SQLite's backup API replaces the whole database in one step."""
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        connection.ensure_connection()
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(f"The SQLite database could not be restored: {exc}") from None
    finally:
        source.close()
        connection.close()


# --- Restore --------------------------------------------------------------------------


def backup_restore(*, archive, using=DEFAULT_DB_ALIAS):
    """Rebuild an empty installation from `archive`; return its manifest.

    Checks first, changes nothing until all checks pass: the archive is complete and every
    member matches the manifest's SHA-256 and size, it comes from the same database vendor,
    this code knows every migration it applied, the database holds no rows (beyond what
    `migrate` writes) and the folders are empty. Raises BackupError otherwise.
    """
    connection = connections[using]
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    with tempfile.TemporaryDirectory(prefix="peercoach-restore-") as work:
        work = Path(work)
        manifest = _extract_verified(archive, work)
        _check_compatible(manifest, connection)
        _check_empty(connection, manifest)
        staged = _stage_folders(work)
        try:
            dump = work / DUMP_NAMES[connection.vendor]
            if connection.vendor == "postgresql":
                _pg_restore(connection, dump)
            else:
                _sqlite_restore(connection, dump)
        except BaseException:
            for staging, _target in staged:
                shutil.rmtree(staging, ignore_errors=True)
            raise
        for staging, target in staged:
            for entry in sorted(staging.iterdir()):
                os.replace(entry, target / entry.name)
            staging.rmdir()
    return manifest


def _extract_verified(archive, work):
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            # The "data" filter refuses absolute paths, links and anything leaving `work`.
            tar.extractall(work, filter="data")
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(
            f"{archive} is not a complete peercoach backup (truncated or damaged: {exc})."
        ) from None
    try:
        manifest = json.loads((work / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupError(f"{archive} has no {MANIFEST}: not a peercoach backup.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a peercoach backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"{archive} is backup format {manifest.get('format_version')}; "
            f"this version reads format {FORMAT_VERSION}."
        )
    listed = manifest.get("files") or {}
    present = {
        path.relative_to(work).as_posix()
        for path in work.rglob("*")
        if path.is_file() or path.is_symlink()
    } - {MANIFEST}
    problems = [f"{name} is missing" for name in sorted(set(listed) - present)]
    problems += [f"{name} is not in the manifest" for name in sorted(present - set(listed))]
    for name in sorted(set(listed) & present):
        path = work / name
        if path.is_symlink() or path.stat().st_size != listed[name].get("size"):
            problems.append(f"{name} has the wrong size")
        elif _sha256(path) != listed[name].get("sha256"):
            problems.append(f"{name} does not match its checksum")
    if problems:
        shown = "; ".join(problems[:5])
        if len(problems) > 5:
            shown += f" (and {len(problems) - 5} more)"
        raise BackupError(f"{archive} was altered or damaged, nothing was restored: {shown}.")
    return manifest


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check_compatible(manifest, connection):
    vendor = (manifest.get("database") or {}).get("vendor")
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup holds a {vendor} database but this installation uses "
            f"{connection.vendor}: restore it into a {vendor} database (DATABASE_URL)."
        )
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [
        f"{app}.{name}"
        for app, names in sorted((manifest.get("migrations") or {}).items())
        for name in names
        if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            "This backup comes from a newer version of peercoach (migrations this code does "
            f"not know: {', '.join(unknown[:5])}): restore it with that version or newer."
        )


def _check_empty(connection, manifest):
    problems = []
    tables = set(connection.introspection.table_names())
    # pg_restore --clean replaces the archive's tables; any other would outlive the restore
    # and break the next `migrate` (SQLite's restore replaces the whole file instead).
    extra = tables - set((manifest.get("database") or {}).get("tables") or [])
    if connection.vendor == "postgresql" and extra:
        raise BackupError(
            f"The database has tables the backup does not ({', '.join(sorted(extra)[:5])}), "
            "nothing was restored. Restore into a new, empty database (createdb)."
        )
    with connection.cursor() as cursor:
        for table in sorted(tables - MIGRATE_TABLES):
            cursor.execute(f"SELECT 1 FROM {connection.ops.quote_name(table)} LIMIT 1")  # noqa: S608
            if cursor.fetchone():
                problems.append(f"table {table} has rows")
    if problems:
        raise BackupError(
            "The database is not empty, nothing was restored ("
            + "; ".join(problems[:5])
            + (" ..." if len(problems) > 5 else "")
            + "). Restore only into a new, empty database."
        )
    for folder in folders():
        _remove_staging_leftovers(folder.path)
        if folder.path.is_dir() and any(folder.path.iterdir()):
            raise BackupError(
                f"The {folder.name} folder {folder.path} is not empty, nothing was restored. "
                "Restore only into empty folders."
            )


def _remove_staging_leftovers(root):
    if root.is_dir():
        for entry in root.iterdir():
            if entry.name.startswith(STAGING_PREFIX) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)


def _stage_folders(work):
    """Copy each folder's files into a hidden folder inside its target (same file system,
    so the final move is a rename); return [(staging, target)]."""
    staged = []
    try:
        for folder in folders():
            source = work / folder.name
            folder.path.mkdir(mode=0o700, parents=True, exist_ok=True)
            staging = folder.path / f"{STAGING_PREFIX}{secrets.token_hex(6)}"
            staged.append((staging, folder.path))
            if source.is_dir():
                shutil.copytree(source, staging)
            else:
                staging.mkdir(mode=0o700)
    except OSError as exc:
        for staging, _target in staged:
            shutil.rmtree(staging, ignore_errors=True)
        raise BackupError(
            f"The folders could not be prepared, nothing was restored: {exc}"
        ) from None
    return staged
