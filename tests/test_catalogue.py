"""The translation catalogues are complete and current.

For each language besides English (Spanish at least): `makemessages` over a copy of the
tree finds no msgid the committed locale/<lang>/LC_MESSAGES/django.po lacks, and none of
the catalogue's msgids is gone from the code; xgettext has no warning (a msgid used both
with and without plural, ...); `msgfmt --check --statistics` reports nothing untranslated
and nothing fuzzy; each msgstr keeps its msgid's placeholders (%(name)s, %s, {name}); the
compiled .mo is the .po's (scripts/bootstrap.sh compiles it when the .po is newer).

The copy is what git would see (tracked and untracked files, less what .gitignore
ignores), so makemessages never writes into the working tree. To bring a catalogue up to
date: `.venv/bin/python manage.py makemessages -l es`, translate, `compilemessages`.
"""

import ast
import gettext
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
LANGUAGES = sorted(
    {code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE} | {"es"}
)
SKIPPED = {".git", ".venv", "node_modules", "var", "staticfiles", "__pycache__"}

pytestmark = pytest.mark.backend_agnostic


# --- Reading a .po -----------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict = field(default_factory=dict)  # {index: text}; index 0 without plural
    flags: set = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self):
        return (self.msgctxt, self.msgid)

    def __str__(self):
        context = f"[{self.msgctxt}] " if self.msgctxt is not None else ""
        return context + repr(self.msgid)


def _unquote(text):
    return ast.literal_eval(text.strip())


def read_po(text):
    """The entries of a PO file, header left out; obsolete ones (#~) flagged as such."""
    entries, entry, last = [], Entry(), None

    def finish():
        nonlocal entry, last
        if entry.msgid or (entry.msgctxt is not None and entry.msgstr):
            entries.append(entry)
        entry, last = Entry(), None

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if not line:
            if entry.msgstr:
                finish()
            continue
        if line.startswith("#,"):
            if entry.msgstr:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            value = _unquote(line)
            if last == "msgstr":
                index = max(entry.msgstr)
                entry.msgstr[index] += value
            else:
                setattr(entry, last, getattr(entry, last) + value)
            continue
        keyword, _space, rest = line.partition(" ")
        if keyword in {"msgctxt", "msgid"} and entry.msgstr:
            finish()
        entry.obsolete = entry.obsolete or obsolete
        if keyword.startswith("msgstr"):
            match = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
            entry.msgstr[int(match.group(1) or 0)] = _unquote(rest)
            last = "msgstr"
        else:
            setattr(entry, keyword, _unquote(rest))
            last = keyword
    finish()
    return entries


# --- Placeholders ------------------------------------------------------------------------

PYTHON_FORMAT = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?[diouxXeEfFgGcrsa%]")
BRACE_FORMAT = re.compile(r"(?<!{){(\w*)}(?!})")


def placeholders(text, flags):
    """(named, positional) placeholders of a text: %(n)s / %s, and {n} / {}."""
    named, positional = set(), []
    if "python-format" in flags:
        for match in PYTHON_FORMAT.finditer(text):
            if match.group(0) == "%%":
                continue
            if match.group(1):
                named.add(f"%({match.group(1)})")
            else:
                positional.append(match.group(0)[-1])
    for match in BRACE_FORMAT.finditer(text):
        named.add("{" + match.group(1) + "}")
    return named, positional


def placeholder_problems(entry):
    """Why an entry's translations do not keep its placeholders ([] when they do)."""
    problems = []
    singular = placeholders(entry.msgid, entry.flags)
    if entry.msgid_plural is None:
        wanted = {0: singular}
    else:
        plural = placeholders(entry.msgid_plural, entry.flags)
        # A plural form may leave out the count ("un acuerdo"), never add a placeholder.
        allowed = singular[0] | plural[0]
        last = max(entry.msgstr)
        wanted = {index: plural if index == last else None for index in entry.msgstr}
    for index, text in sorted(entry.msgstr.items()):
        if not text:
            continue
        named, positional = placeholders(text, entry.flags)
        want = wanted[index]
        if want is None:
            if not named <= allowed or len(positional) > len(plural[1]):
                problems.append(f"msgstr[{index}] has {sorted(named - allowed)}")
        elif named != want[0] or positional != want[1]:
            problems.append(
                f"msgstr[{index}] has {sorted(named)} {positional}, "
                f"the msgid has {sorted(want[0])} {want[1]}"
            )
    return problems


# --- The tree, copied, and makemessages over it ----------------------------------------


def source_files():
    """What git would commit (tracked and untracked, less the ignored); a walk without git."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout.decode()
        return [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [
            path
            for path in ROOT.rglob("*")
            if path.is_file()
            and not SKIPPED & set(path.relative_to(ROOT).parts)
            and path.suffix != ".mo"
        ]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """(msgids per language, makemessages' warnings) from a copy of the tree."""
    if not shutil.which("msgfmt") or not shutil.which("xgettext"):
        pytest.fail("GNU gettext (msgfmt, xgettext) is missing: apt-get install gettext")
    copy = tmp_path_factory.mktemp("tree")
    for path in source_files():
        if path.is_file():
            target = copy / path.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
    (copy / "locale").mkdir(exist_ok=True)
    command = [sys.executable, "manage.py", "makemessages", "--keep-pot", "--no-obsolete"]
    for language in LANGUAGES:
        command += ["-l", language]
    result = subprocess.run(command, cwd=copy, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # makemessages passes xgettext's and msgmerge's warnings on to stdout.
    warnings = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and not line.startswith("processing locale")
    ]
    pot = {entry.key: entry for entry in read_po((copy / "locale" / "django.pot").read_text())}
    return pot, warnings


def catalogue_path(language):
    return ROOT / "locale" / language / "LC_MESSAGES" / "django.po"


def catalogue(language):
    path = catalogue_path(language)
    if not path.exists():
        pytest.fail(
            f"{path.relative_to(ROOT)} is missing: "
            f".venv/bin/python manage.py makemessages -l {language}, then translate it"
        )
    return [entry for entry in read_po(path.read_text()) if not entry.obsolete]


def listing(entries, limit=200):
    lines = [f"  {entry}" for entry in entries[:limit]]
    if len(entries) > limit:
        lines.append(f"  ... and {len(entries) - limit} more")
    return "\n".join(lines)


def test_extraction_has_no_warnings(extracted):
    _pot, warnings = extracted
    assert not warnings, "makemessages (xgettext) warns:\n" + "\n".join(warnings)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_has_every_msgid_of_the_code(extracted, language):
    pot, _warnings = extracted
    have = {entry.key: entry for entry in catalogue(language)}
    missing = [entry for key, entry in pot.items() if key not in have]
    gone = [entry for key, entry in have.items() if key not in pot]
    assert not missing and not gone, (
        f"locale/{language} is not up to date with the code "
        f"(run manage.py makemessages -l {language} and translate):\n"
        + (f"{len(missing)} msgids it lacks:\n{listing(missing)}\n" if missing else "")
        + (f"{len(gone)} msgids the code no longer uses:\n{listing(gone)}\n" if gone else "")
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated(language):
    entries = catalogue(language)
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(catalogue_path(language))],
        capture_output=True,
        text=True,
    )
    statistics = result.stderr.strip().splitlines()[-1]
    header = re.search(r"nplurals=(\d+)", catalogue_path(language).read_text())
    forms = int(header.group(1)) if header else 2
    untranslated = [
        e
        for e in entries
        if not e.msgstr
        or not all(e.msgstr.values())
        or (e.msgid_plural is not None and len(e.msgstr) != forms)
    ]
    fuzzy = [e for e in entries if "fuzzy" in e.flags]
    errors = [line for line in result.stderr.splitlines() if "header field" not in line]
    assert result.returncode == 0 and not untranslated and not fuzzy, (
        f"msgfmt --statistics: {statistics}\n"
        + (("msgfmt --check fails:\n" + "\n".join(errors) + "\n") if result.returncode else "")
        + (f"untranslated:\n{listing(untranslated)}\n" if untranslated else "")
        + (f"fuzzy (check, then drop the flag):\n{listing(fuzzy)}\n" if fuzzy else "")
    )
    counts = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", statistics)}
    assert counts.get("translated") == len(entries), statistics
    assert not counts.get("fuzzy") and not counts.get("untranslated"), statistics


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for entry in catalogue(language):
        wrong += [f"  {entry}: {problem}" for problem in placeholder_problems(entry)]
    assert not wrong, f"locale/{language}: placeholders that differ from the msgid's:\n" + (
        "\n".join(wrong)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_is_current(language, tmp_path):
    source = catalogue_path(language)
    compiled = source.with_suffix(".mo")
    catalogue(language)
    assert compiled.exists(), (
        f"{compiled.relative_to(ROOT)} is missing: scripts/bootstrap.sh compiles it "
        "(or .venv/bin/python manage.py compilemessages)"
    )
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(source)], check=True)
    with compiled.open("rb") as have, fresh.open("rb") as want:
        have, want = (gettext.GNUTranslations(f)._catalog for f in (have, want))
    differ = sorted(str(key) for key in have.keys() | want.keys() if have.get(key) != want.get(key))
    assert not differ, (
        f"{compiled.relative_to(ROOT)} is older than its .po: scripts/bootstrap.sh compiles it "
        f"(or .venv/bin/python manage.py compilemessages). {len(differ)} msgids differ:\n"
        + "\n".join(f"  {key!r}" for key in differ[:50])
    )


# --- The checks themselves ---------------------------------------------------------------

SAMPLE = r"""
msgid ""
msgstr ""
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: a.py:1
#, python-format
msgid "%(n)s signed"
msgstr "%(n)s firmados"

#, fuzzy
msgctxt "menu"
msgid "Open"
msgstr "Abrir"

#, python-format
msgid "one agreement"
msgid_plural "%(n)s agreements"
msgstr[0] "un acuerdo"
msgstr[1] "%(n)s acuerdos"

msgid ""
"Long "
"line"
msgstr ""

#, python-brace-format
msgid "Write to {help}."
msgstr "Escribe a {ayuda}."

#~ msgid "Old"
#~ msgstr "Viejo"
"""


def test_the_reader_and_the_placeholder_check():
    entries = read_po(SAMPLE)
    assert [str(e) for e in entries] == [
        "'%(n)s signed'",
        "[menu] 'Open'",
        "'one agreement'",
        "'Long line'",
        "'Write to {help}.'",
        "'Old'",
    ]
    signed, open_, plural, long, brace, old = entries
    assert "fuzzy" in open_.flags and old.obsolete and long.msgstr == {0: ""}
    assert plural.msgstr == {0: "un acuerdo", 1: "%(n)s acuerdos"}
    assert not placeholder_problems(signed) and not placeholder_problems(plural)
    assert placeholder_problems(brace)
    signed.msgstr[0] = "%(m)s firmados"
    assert placeholder_problems(signed)
    plural.msgstr[1] = "acuerdos"
    assert placeholder_problems(plural)
