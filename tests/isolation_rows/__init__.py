"""Isolation-matrix rows beside tests/test_isolation.py, one module per area.

Each module of this package (found by name: adding a file is enough) defines
`ROWS = {"sessions:<name>": Row(...)}` using the shapes of tests/test_isolation.py
(Row, Expect, LOGIN, PARTY_PAGE...) and builds the objects its URLs point at with
`target.memo(key, make)` and `target.participant_pair` (the participant and a partner;
the stranger is in neither).
"""

import importlib
import pkgutil

ROWS = {}
# Every module of this package, found by name: a new area adds a file and nothing else.
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    _clash = set(ROWS) & set(_module.ROWS)
    assert not _clash, f"Rows defined twice: {_clash}"
    ROWS.update(_module.ROWS)
