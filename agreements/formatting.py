"""Clause text to HTML: paragraphs and bulleted lists, nothing else.

Coordinators write clauses as plain text: a blank line starts a new paragraph and
lines starting with "- " (or "* ", "• ") make a bulleted list. Everything is escaped, so
no markup from a template can reach a page or the PDF. A Markdown library would offer
far more than a clause needs and would need an HTML sanitiser behind it; this small
subset needs neither.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

BULLETS = ("- ", "* ", "• ")


def blocks(text):
    """[("p", [lines]) | ("ul", [items])] from clause text."""
    result = []
    for chunk in (text or "").replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in chunk.split("\n") if line.strip()]
        paragraph = []
        for line in lines:
            if line.startswith(BULLETS):
                if paragraph:
                    result.append(("p", paragraph))
                    paragraph = []
                item = line[2:].strip()
                if result and result[-1][0] == "ul" and not paragraph:
                    result[-1][1].append(item)
                else:
                    result.append(("ul", [item]))
            else:
                paragraph.append(line)
        if paragraph:
            result.append(("p", paragraph))
    return result


def clause_html(text):
    parts = []
    for tag, lines in blocks(text):
        if tag == "p":
            parts.append("<p>" + "<br>".join(escape(line) for line in lines) + "</p>")
        else:
            parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in lines) + "</ul>")
    return mark_safe("".join(parts))  # noqa: S308 - every piece above is escaped
