"""Load sqlite-utils with sqlcipher3 as its driver and without pandas, in this one place.

sqlite-utils catches the error classes of the driver it imported. Left alone it imports the
stdlib ``sqlite3``, whose errors a sqlcipher3 connection never raises, so its fallbacks
(``drop(ignore=True)``, ``alter=True``) would raise instead. It looks for ``pysqlite3`` first:
we hand it sqlcipher3 under that name while it loads. It also imports pandas and numpy
eagerly (~0.7 s of start-up); we never insert pandas objects through it, so we hide them while
it loads. Both hold only for the import; ``tests/store/test_driver.py`` pins the behaviour.
"""

from __future__ import annotations

import sys
from typing import Any

import sqlcipher3
import sqlcipher3.dbapi2


def _load_sqlite_utils() -> Any:
    if "sqlite_utils" in sys.modules:
        module = sys.modules["sqlite_utils"]
        if module.utils.OperationalError is not sqlcipher3.dbapi2.OperationalError:
            raise RuntimeError("sqlite_utils was imported before labeler.store.driver")
        return module
    swapped = {
        "pysqlite3": sqlcipher3,
        "pysqlite3.dbapi2": sqlcipher3.dbapi2,
        "pandas": None,  # None in sys.modules makes `import pandas` raise ImportError
        "numpy": None,
    }
    saved: dict[str, Any] = {name: sys.modules.get(name, _MISSING) for name in swapped}
    for name, module in swapped.items():
        if name in ("pandas", "numpy") and saved[name] is not _MISSING:
            continue  # already loaded by someone else: nothing to save by hiding it
        sys.modules[name] = module
    try:
        import sqlite_utils
    finally:
        for name, previous in saved.items():
            if previous is _MISSING:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = previous
    return sqlite_utils


_MISSING = object()
sqlite_utils = _load_sqlite_utils()
Database = sqlite_utils.Database
