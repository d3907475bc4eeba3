"""No user-facing text escapes translation.

Templates (HTML and the .txt of emails): once Django comments, translate/blocktranslate,
{{ variables }}, other {% tags %} and <script>/<style>/<pre>/<code> contents are removed,
no text node and no user-facing attribute (title, placeholder, aria-label, alt,
data-confirm, an input button's value ...) may still hold a letter, but for the few
non-words of ALLOWED.

Python (the demo's content aside: it stands for what people write): messages.*(),
ValidationError(), add_error(), the label=/help_text=/verbose_name=/choices= of calls,
and the texts of question and item specs ({"label": ..., "options": [...]}) never take a
plain string literal or an f-string: wrap them in gettext / gettext_lazy.
"""

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

# Reads source files only: the SQLite run of CI covers it.
pytestmark = pytest.mark.backend_agnostic

ROOT = Path(settings.BASE_DIR)

# Words that are the same in every language, each with its reason (each is in use).
ALLOWED = {
    "peercoach": "the product's name (page titles, the header and footer)",
    "CSV": "a file format's name, as the export page names it",
    "SHA-256": "the name of the hash algorithm, the same in every language",
    "UTC": "the time standard's abbreviation, the same in every language",
    ".ics": "the calendar file's extension, as the download link names it",
}

# Code, not prose: scripts, styles, and literal file contents shown as examples (CSV headers).
RAW = {"script", "style", "pre", "code", "samp"}

USER_FACING_ATTRIBUTES = {
    "title",
    "placeholder",
    "aria-label",
    "aria-description",
    "aria-valuetext",
    "aria-roledescription",
    "alt",
    "label",  # <optgroup label>, <option label>
    "data-confirm",  # static/js/peercoach.js shows it in window.confirm()
}

LETTER = re.compile(r"[^\W\d_]")

COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
COMMENT = re.compile(r"{#.*?#}", re.S)
BLOCKTRANSLATE = re.compile(
    r"{%\s*blocktrans(?:late)?\b.*?%}.*?{%\s*endblocktrans(?:late)?\s*%}", re.S
)
VARIABLE = re.compile(r"{{.*?}}", re.S)
TAG = re.compile(r"{%.*?%}", re.S)


def template_dirs():
    dirs = [ROOT / "templates"]
    dirs += sorted(p for p in ROOT.glob("*/templates") if p.is_dir())
    dirs += sorted(p for p in ROOT.glob("*/*/templates") if p.is_dir())
    return [d for d in dirs if ".venv" not in d.parts]


def template_files():
    for folder in template_dirs():
        for path in sorted(folder.rglob("*")):
            if path.suffix in {".html", ".txt", ".ics", ".xml"} and path.is_file():
                yield path


def strip_django(text, *, html=True):
    """The template with Django's own syntax blanked out, keeping line numbers."""

    def blank(match):
        return "\n" * match.group(0).count("\n") + " "

    # A tag whose name is a variable or a tag (<{{ heading }} ...>) gets a stand-in name.
    if html:
        text = re.sub(r"<(/?)(?={{|{%)", r"<\1x ", text)
    for pattern in (COMMENT_BLOCK, COMMENT, BLOCKTRANSLATE, VARIABLE, TAG):
        text = pattern.sub(blank, text)
    return text


def is_unmarked(text):
    words = text
    for word in ALLOWED:
        words = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", " ", words)
    return bool(LETTER.search(words))


class TextFinder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found = []
        self.raw = 0

    def handle_starttag(self, tag, attrs):
        if tag in RAW:
            self.raw += 1
        values = dict(attrs)
        # The value of an input button is its label; a <button>'s value is only submitted.
        button_value = tag == "input" and (values.get("type") or "").lower() in {
            "submit",
            "button",
            "reset",
        }
        for name, value in attrs:
            facing = name in USER_FACING_ATTRIBUTES or (name == "value" and button_value)
            if value and facing and is_unmarked(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))

    def handle_endtag(self, tag):
        if tag in RAW and self.raw:
            self.raw -= 1

    def handle_data(self, data):
        if not self.raw and is_unmarked(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def unmarked(text, *, html=True):
    """[(line, text)] of what a template still says outside the translation tags."""
    if not html:
        return [
            (number, " ".join(line.split()))
            for number, line in enumerate(strip_django(text, html=False).splitlines(), 1)
            if is_unmarked(line)
        ]
    finder = TextFinder()
    finder.feed(strip_django(text))
    finder.close()
    return finder.found


def unmarked_in_template(path):
    return unmarked(path.read_text(), html=path.suffix in {".html", ".xml"})


def test_templates_have_no_unmarked_text():
    files = list(template_files())
    assert len(files) > 100, "the template walk found too few templates"
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in files
        for line, text in unmarked_in_template(path)
    ]
    assert not found, (
        f"{len(found)} user-facing strings are not marked for translation "
        "(use {% translate %} or {% blocktranslate %}):\n" + "\n".join(found)
    )


def test_the_check_finds_what_it_should():
    assert [text for _, text in unmarked("<p>Save <b>now</b></p>")] == ["Save", "now"]
    assert unmarked('<button title="Close" aria-label="Close it">×</button>') == [
        (1, 'title="Close"'),
        (1, 'aria-label="Close it"'),
    ]
    assert unmarked('<input type="submit" value="Send">')[0][1] == 'value="Send"'
    assert unmarked('<img alt="Chart" src="a.png">')[0][1] == 'alt="Chart"'
    assert unmarked('<input placeholder="you@example.org">')
    assert unmarked("Dear {{ name }},\nThanks\n", html=False) == [(1, "Dear ,"), (2, "Thanks")]
    assert unmarked("{% if x %}Shown{% endif %}") == [(1, "Shown")]


def test_the_check_leaves_marked_and_non_text_alone():
    assert not unmarked(
        "{% load i18n %}{# Note #}{% comment %}Any words{% endcomment %}"
        '<p title="{% translate \'Close\' %}">{% translate "Save" %} {{ user.name }}</p>'
        "{% blocktranslate with n=3 %}{{ n }} signed{% endblocktranslate %}"
        "<script>let words = 'x';</script><style>a { color: red }</style>"
        "<pre>email,role</pre><p>CSV · peercoach · SHA-256 — 12 ×</p>"
        '<button name="action" value="accept">{% translate "Accept" %}</button>'
        '<{{ tag|default:"h3" }} class="h5">{{ title }}</{{ tag|default:"h3" }}>'
    )


def test_the_server_error_page_speaks_the_active_language(rf):
    from django.utils import translation
    from django.views.defaults import server_error

    with translation.override("es"):
        response = server_error(rf.get("/"))
        heading = translation.gettext("Something went wrong")
    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="es">' in page and f"<h1>{heading}</h1>" in page


MESSAGE_FUNCTIONS = {"debug", "info", "success", "warning", "error", "add_message"}
TEXT_KEYWORDS = {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
SKIPPED_FOLDERS = {".venv", "tests", "bench", "migrations", "node_modules", "scripts"}


def python_files():
    """The app's modules, less the demo's: its content stands for what coordinators and
    participants write, which stays as written (in English for the seed programs)."""
    for path in sorted(ROOT.rglob("*.py")):
        if path.name.startswith("demo"):
            continue
        if not SKIPPED_FOLDERS & set(path.relative_to(ROOT).parts):
            yield path


def is_plain_text(node):
    if isinstance(node, ast.JoinedStr):
        return True
    return (
        isinstance(node, ast.Constant) and isinstance(node.value, str) and is_unmarked(node.value)
    )


# Keys of the dicts that describe questions and items to create (the standard application
# form, the debrief survey): their values are shown as written.
TEXT_KEYS = TEXT_KEYWORDS | {
    "low_label",
    "high_label",
    "scale_low_label",
    "scale_high_label",
    "options",
    "choices",
    "title",
    "body",
    "description",
    "intro",
}


def unmarked_in_python(source):
    """[(line, what)] of plain strings handed to messages, ValidationError and labels."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and key.value in TEXT_KEYS):
                    continue
                values = value.elts if isinstance(value, (ast.List, ast.Tuple)) else [value]
                found += [
                    (text.lineno, f"{key.value!r}: {ast.unparse(text)}")
                    for text in values
                    if is_plain_text(text)
                ]
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        texts = []
        if name in MESSAGE_FUNCTIONS and isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id == "messages":
                texts = node.args[2:3] if name == "add_message" else node.args[1:2]
        elif name == "ValidationError":
            texts = node.args[:1]
        elif name == "add_error":
            texts = node.args[1:2]
        texts += [kw.value for kw in node.keywords if kw.arg in TEXT_KEYWORDS]
        # choices=[("value", "Label"), ...]: the labels.
        for kw in node.keywords:
            if kw.arg == "choices" and isinstance(kw.value, (ast.List, ast.Tuple)):
                texts += [
                    pair.elts[1]
                    for pair in kw.value.elts
                    if isinstance(pair, (ast.List, ast.Tuple)) and len(pair.elts) == 2
                ]
        if name == "ValidationError":
            texts += [kw.value for kw in node.keywords if kw.arg == "message"]
        found += [
            (text.lineno, f"{name}(): {ast.unparse(text)}") for text in texts if is_plain_text(text)
        ]
    return found


def test_python_hands_no_plain_text_to_people():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in python_files()
        for line, what in unmarked_in_python(path.read_text())
    ]
    assert not found, (
        f"{len(found)} user-facing strings in Python are not marked for translation "
        "(wrap them in gettext / gettext_lazy):\n" + "\n".join(found)
    )


def test_the_python_check_finds_what_it_should():
    source = (
        "messages.success(request, 'Saved.')\n"
        "raise ValidationError(f'Bad {x}')\n"
        "name = forms.CharField(label='Name', help_text=_('Your name'))\n"
        "messages.success(request, _('Saved.'))\n"
        "title = models.CharField(_('title'), verbose_name='Title')\n"
        "raise ValidationError(_('Bad'), code='bad')\n"
        "form.add_error('name', 'Taken')\n"
        "kind = forms.ChoiceField(choices=[('a', 'Apples'), ('b', _('Pears'))])\n"
    )
    assert [line for line, _ in unmarked_in_python(source)] == [1, 2, 3, 5, 7, 8]
