"""Named date formats, one module per language (settings.FORMAT_MODULE_PATH).

Templates write `{{ day|date:"LONG_DATE_FORMAT" }}` and code
`formats.date_format(day, "LONG_DATE_FORMAT")`: Django looks the name up in
`peercoach.formats.<active language>.formats`, so English keeps "4 December 2026" and
Spanish reads "4 de diciembre de 2026". The standard names (DATE_FORMAT, ...) come
from Django's own locale modules. A new language needs a module here defining every
name that `en` defines (tests/test_languages.py checks it): a name no module defines
would be formatted as if it were a format string.
"""

from django.utils import formats


def fixed_text(value, decimals):
    """`value` with exactly `decimals` decimals and the active language's decimal mark:
    "2.50" in English, "2,50" in Spanish, for numbers written into sentences (a template's
    floatformat does the same). Not formats.number_format: it cuts a float off at
    `decimal_pos` instead of rounding it (2/3 -> "0.66")."""
    return decimal_mark(f"{value:.{decimals}f}")


def decimal_mark(text):
    """A number written with "." given the active language's decimal mark."""
    return text.replace(".", formats.get_format("DECIMAL_SEPARATOR"))
