"""Form-input helpers shared by every app."""

MAX_ID = 2**63 - 1  # bigint: larger values make SQLite raise instead of finding nothing


def object_id(value):
    """A primary key from a form field, or None when it cannot be one.

    Only ASCII digits within the bigint range: `str.isdigit` accepts "²", which `int`
    refuses, and SQLite refuses ids beyond 64 bits outright.
    """
    if not isinstance(value, str) or not value.isascii() or not value.isdecimal():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
