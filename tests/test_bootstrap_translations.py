"""scripts/bootstrap.sh compiles the translations (the .mo files are not committed): when a
.po is newer than its .mo or the .mo is missing, never otherwise, and says so clearly when
msgfmt is missing. Run on a copy of the tree, its .venv the one running the tests."""

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.test_catalogue import ROOT, source_files

pytestmark = pytest.mark.backend_agnostic

PO = """msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

msgid "Start page"
msgstr "Página de inicio"
"""


@pytest.fixture
def tree(tmp_path):
    copy = tmp_path / "tree"
    for path in source_files():
        if path.is_file() and path.parts[len(ROOT.parts)] != "locale":
            target = copy / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    # The tests' own environment: a Python 3.12 venv with requirements.lock installed.
    venv = Path(os.path.realpath(ROOT / ".venv"))
    (copy / ".venv").symlink_to(venv)
    stamp = venv / ".requirements.lock.sha256"
    lock = hashlib.sha256((ROOT / "requirements.lock").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text().strip() != lock:
        # bootstrap would install requirements.lock into the venv running these tests.
        pytest.skip("the venv is not bootstrap's for this requirements.lock")
    po = copy / "locale" / "xx" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO)
    return copy


def bootstrap(tree, path=None):
    env = {**os.environ, "PEERCOACH_VAR_DIR": str(tree / "var")}
    if path:
        env["PATH"] = path
    return subprocess.run(
        ["bash", "scripts/bootstrap.sh"], cwd=tree, env=env, capture_output=True, text=True
    )


def test_compiles_a_new_or_changed_catalogue_and_nothing_else(tree):
    po = tree / "locale" / "xx" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    first = bootstrap(tree)
    assert first.returncode == 0, first.stderr
    assert "compiling translations: locale/xx/LC_MESSAGES/django.po" in first.stderr
    assert b"P\xc3\xa1gina de inicio" in mo.read_bytes()

    compiled_at = mo.stat().st_mtime_ns
    again = bootstrap(tree)
    assert (again.returncode, again.stderr) == (0, "")  # nothing to do: says nothing
    assert mo.stat().st_mtime_ns == compiled_at

    po.write_text(PO.replace("Página de inicio", "Inicio"))
    later = mo.stat().st_mtime + 2
    os.utime(po, (later, later))
    changed = bootstrap(tree)
    assert changed.returncode == 0 and "compiling translations" in changed.stderr
    assert b"Inicio" in mo.read_bytes() and b"P\xc3\xa1gina" not in mo.read_bytes()


def test_says_so_when_msgfmt_is_missing(tree, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        for tool in Path(folder).glob("*") if Path(folder).is_dir() else ():
            link = bin_dir / tool.name
            if tool.name != "msgfmt" and not link.exists() and os.access(tool, os.X_OK):
                link.symlink_to(tool)
    result = bootstrap(tree, path=str(bin_dir))
    assert result.returncode == 0, result.stderr
    assert "msgfmt (GNU gettext) is missing" in result.stderr
    assert "apt-get install -y --no-install-recommends gettext" in result.stderr
    assert not (tree / "locale" / "xx" / "LC_MESSAGES" / "django.mo").exists()
