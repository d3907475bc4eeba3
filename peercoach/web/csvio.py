"""CSV in and out, shared by every import and export.

Imports are all or nothing: `CsvImportError` carries every bad row with its line
number (the header is line 1). Exports neutralise cells a spreadsheet would run as a
formula.

A file's fixed columns are `(code, title)` pairs: an export writes each title in the
requesting person's language (`csv_titles`); an import reads a header written in any of
settings.LANGUAGES, or the codes that files had before titles were translated
(`csv_column_names`), so a file exported in Spanish imports in an English session.
"""

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class CsvRowError:
    line: int
    message: str


class CsvImportError(Exception):
    """The upload was refused; `errors` lists every bad row with its line number."""

    def __init__(self, errors):
        super().__init__(f"{len(errors)} error(s) in the CSV file")
        self.errors = errors


def csv_read_table(data):
    """(header cells as written, data rows) of an uploaded CSV file.

    Accepts UTF-8 with or without a byte-order mark, separated by commas, semicolons or
    tabs. Raises CsvImportError when the file is not UTF-8, unreadable or empty.
    """
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise CsvImportError(
                [CsvRowError(0, _("The file is not UTF-8 text. Save it as “CSV UTF-8” and retry."))]
            ) from None
    try:
        dialect = csv.Sniffer().sniff(data[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(data), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise CsvImportError(
            [CsvRowError(reader.line_num, _("Unreadable CSV: %s") % exc)]
        ) from None
    if not rows:
        raise CsvImportError([CsvRowError(0, _("The file is empty."))])
    return [cell.strip() for cell in rows[0]], rows[1:]


def csv_titles(columns):
    """The header row of `columns` ((code, title) pairs): each title as text in the active
    language, rendered now (a streamed response may be written after the language that
    was active for the request is gone)."""
    return [str(title) for _code, title in columns]


def csv_fold(name):
    """A header cell as compared: case, spacing and `_` versus space do not count."""
    return " ".join(name.replace("_", " ").split()).casefold()


def csv_column_names(columns):
    """{folded name: code} of `columns` ((code, title) pairs): each column's code, and its
    title in every language of settings.LANGUAGES. The titles must not collide within a
    language (tests check); across languages, the first language's reading is kept."""
    names = {}
    for language, _label in settings.LANGUAGES:
        with translation.override(language):
            for code, title in columns:
                names.setdefault(csv_fold(str(title)), code)
    for code, _title in columns:
        names[csv_fold(code)] = code
    return names


def csv_email_problem(email, *, line, seen):
    """Why `email` on `line` cannot be used (invalid, or already on an earlier line), or None.

    `seen` maps the addresses read so far to their line; a usable address is added to it.
    """
    try:
        validate_email(email)
    except ValidationError:
        return _("“%(email)s” is not a valid email address.") % {"email": email}
    if email in seen:
        return _("%(email)s also appears on line %(other)d.") % {
            "email": email,
            "other": seen[email],
        }
    seen[email] = line
    return None


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe_cell(value):
    """The cell as text, prefixed with ' when a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_response(*, filename, header, rows):
    """An attachment with a header line and `rows`, every cell neutralised."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([csv_safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe_cell(cell) for cell in row])
    return response
