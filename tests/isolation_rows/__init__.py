"""Isolation-matrix rows beside tests/test_isolation.py, one module per area.

Each module defines `ROWS = {"sessions:<name>": Row(...)}` using the shapes of
tests/test_isolation.py (Row, Expect, LOGIN, PARTY_PAGE...) and builds the objects its
URLs point at with `target.memo(key, make)` and `target.participant_pair` (the
participant and a partner; the stranger is in neither).
"""

from . import concerns, data, endings, goals, home, log, notifications, reports, schedule

ROWS = {}
for _module in (home, schedule, log, goals, reports, endings, concerns, data, notifications):
    _clash = set(ROWS) & set(_module.ROWS)
    assert not _clash, f"Rows defined twice: {_clash}"
    ROWS.update(_module.ROWS)
