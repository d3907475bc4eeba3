"""The production stack gets what the README documents.

Names come from the code, never from a list kept here: every variable that
peercoach/settings.py reads through env()/env_bool()/env_list() (found by AST), every one
gunicorn.conf.py reads, and every one the README's configuration table documents.
"""

import ast
import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
APP_SERVICES = ("migrate", "web", "worker", "beat")
# Documented, read by settings, and deliberately not passed by docker-compose.yml.
NOT_FOR_CONTAINERS = {
    # Paths fixed by the image (Dockerfile ENV) where the compose volumes are mounted:
    # pointing them elsewhere would write beside the volumes and lose the files.
    "PEERCOACH_VAR_DIR": "image",
    "MEDIA_ROOT": "image",
    "STATIC_ROOT": "image",
    "PRIVATE_ROOT": "image",
    "SEAL_DIR": "image",
    # Development only: the containers mail through EMAIL_HOST and run beat.
    "EMAIL_BACKEND": "development",
    "EMAIL_FILE_PATH": "development",
    "REMINDERS_IN_PROCESS": "development",
}
# Secrets an operator keeps in files: NAME_FILE must reach the containers as well.
SECRETS = {"SECRET_KEY", "EMAIL_HOST_PASSWORD", "SEAL_PASSWORD", "SEAL_ORG_PKCS12"}


def settings_variables():
    """{name: reader} for every env()/env_bool()/env_list()/env_addresses() call in settings."""
    tree = ast.parse((ROOT / "peercoach" / "settings.py").read_text())
    found = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"env", "env_bool", "env_list", "env_addresses"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found[node.args[0].value] = node.func.id
    # Read before env() exists: where every other default path starts.
    found["PEERCOACH_VAR_DIR"] = "os.environ"
    return found


def gunicorn_variables():
    """Upper-case names handed as first argument to any call in gunicorn.conf.py."""
    tree = ast.parse((ROOT / "gunicorn.conf.py").read_text())
    return {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and re.fullmatch(r"[A-Z][A-Z0-9_]+", str(node.args[0].value))
    }


def readme_variables():
    """Names in the first column of the README's configuration table."""
    text = (ROOT / "README.md").read_text()
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            names |= set(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return names


def compose():
    return YAML(typ="safe", pure=True).load((ROOT / "docker-compose.yml").read_text())


def test_the_readme_table_is_found():
    # Guards the parsers below against a renamed section or table.
    assert {"SECRET_KEY", "SEAL_PKCS12", "LOG_LEVEL"} <= readme_variables()
    assert {"SECRET_KEY", "SEAL_PKCS12", "LOG_LEVEL"} <= set(settings_variables())


def test_every_variable_settings_reads_is_documented():
    undocumented = set(settings_variables()) | gunicorn_variables()
    undocumented -= readme_variables()
    assert not undocumented, f"read by the code, missing from README's table: {undocumented}"


def test_every_documented_variable_is_read_somewhere():
    unread = readme_variables() - set(settings_variables()) - gunicorn_variables()
    assert not unread, f"documented in README but read by nothing: {unread}"


@pytest.mark.parametrize("service", APP_SERVICES)
def test_every_documented_setting_reaches_the_service(service):
    environment = compose()["services"][service].get("environment") or {}
    documented = readme_variables() & set(settings_variables())
    missing = documented - set(environment) - set(NOT_FOR_CONTAINERS)
    assert not missing, f"docker-compose.yml does not pass {sorted(missing)} to {service}"
    missing_files = {f"{name}_FILE" for name in SECRETS} - set(environment)
    assert not missing_files, f"{service} cannot read secrets from files: {missing_files}"


def test_gunicorn_settings_reach_web():
    environment = compose()["services"]["web"]["environment"]
    assert gunicorn_variables() <= set(environment)


def test_paths_kept_from_containers_are_the_image_volumes():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "PEERCOACH_VAR_DIR=/var/lib/peercoach" in dockerfile
    services = compose()["services"]
    for service, folder in (("web", "private"), ("web", "seal"), ("worker", "private")):
        targets = [entry.split(":")[1] for entry in services[service]["volumes"]]
        assert f"/var/lib/peercoach/{folder}" in targets


def test_secret_files_are_mounted_read_only_into_every_app_service():
    services = compose()["services"]
    for service in APP_SERVICES:
        volumes = services[service].get("volumes") or ()
        mounts = [re.sub(r"\$\{[^}]*\}", "source", entry).split(":") for entry in volumes]
        secrets = [mount for mount in mounts if mount[1] == "/run/secrets/peercoach"]
        assert secrets and secrets[0][2:] == ["ro"], service


def _gunicorn_config(monkeypatch, **environment):
    for name in ("WEB_CONCURRENCY", "WEB_THREADS", "WEB_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_workers_and_threads_come_from_the_environment(monkeypatch):
    config = _gunicorn_config(monkeypatch, WEB_CONCURRENCY="3", WEB_THREADS="4")
    assert (config["workers"], config["threads"], config["worker_class"]) == (3, 4, "gthread")
    config = _gunicorn_config(monkeypatch, WEB_THREADS="1")
    assert (config["workers"], config["threads"], config["worker_class"]) == (2, 1, "sync")
    # By default threads to spare for people waiting for a password hash slot.
    config = _gunicorn_config(monkeypatch)
    assert (config["workers"], config["threads"], config["worker_class"]) == (2, 64, "gthread")
    # The app logs one line per request itself (peercoach/logs.py): no second access log.
    assert config["accesslog"] is None


def test_gunicorn_gives_its_workers_one_folder_of_hash_slots(monkeypatch):
    # Recorded, so that the variable on_starting sets is taken back after the test.
    monkeypatch.setenv("PEERCOACH_HASH_SLOT_DIR", "")
    config = _gunicorn_config(monkeypatch)
    config["on_starting"](None)
    folder = Path(os.environ["PEERCOACH_HASH_SLOT_DIR"])
    assert folder.is_dir() and folder.stat().st_mode & 0o077 == 0
    config["on_exit"](None)
    assert not folder.exists()


def test_gunicorn_refuses_a_nonsense_worker_count(monkeypatch):
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        _gunicorn_config(monkeypatch, WEB_CONCURRENCY="many")
    with pytest.raises(ValueError, match="WEB_THREADS"):
        _gunicorn_config(monkeypatch, WEB_THREADS="0")


def test_the_image_starts_gunicorn_with_its_config_file():
    cmd = (ROOT / "Dockerfile").read_text().split("\nCMD ", 1)[1]
    assert '"-c", "gunicorn.conf.py"' in cmd
    assert "--workers" not in cmd
    assert os.path.exists(ROOT / "gunicorn.conf.py")


def _settings_value(expression, **environment):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {expression}"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "peercoach.settings"},
        capture_output=True,
        text=True,
    )


def test_error_reports_go_to_admins_from_the_environment():
    result = _settings_value(
        "from django.conf import settings; print(settings.ADMINS)",
        ADMINS='Ops Team <ops@example.org>, "Doe, Jo" <jo@example.org>,dev@example.org,',
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['Ops Team <ops@example.org>', '\"Doe, Jo\" <jo@example.org>', 'dev@example.org']"
    )


def test_a_malformed_admins_value_stops_start_up_with_a_clear_message():
    result = _settings_value("", ADMINS="ops team")
    assert result.returncode != 0
    assert "ADMINS='ops team': 'ops' is not an email address" in result.stderr


@pytest.mark.django_db
def test_the_first_operator_comes_from_createsuperuser_without_the_demo(client, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-operator-passphrase")
    call_command("createsuperuser", "--noinput", "--email", "ops@example.org", verbosity=0)
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "ops@example.org", "password": "a-long-operator-passphrase"},
    )
    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200
