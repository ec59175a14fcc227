"""sqlite-utils runs over sqlcipher3 and without pandas: pinned here."""

from __future__ import annotations

import subprocess
import sys

import sqlcipher3.dbapi2

from labeler.store.connection import WriteStore
from labeler.store.driver import sqlite_utils
from labeler.workspace import Workspace


def test_sqlite_utils_uses_sqlcipher3_errors() -> None:
    assert sqlite_utils.utils.OperationalError is sqlcipher3.dbapi2.OperationalError


def test_fallback_paths_work_on_encrypted_connection(workspace: Workspace) -> None:
    workspace.writer.run(_fallbacks, transaction=False)


def _fallbacks(tx: WriteStore) -> None:
    db = tx.db
    db["scratch"].insert({"a": 1})
    db["scratch"].insert({"a": 2, "b": "new column"}, alter=True)
    assert [row["b"] for row in db["scratch"].rows] == [None, "new column"]
    db["scratch"].drop()
    db["scratch"].drop(ignore=True)  # raises unless sqlite-utils knows sqlcipher3's errors
    assert "scratch" not in db.table_names()


def test_store_import_does_not_load_pandas() -> None:
    code = (
        "import sys, labeler.store, labeler.workspace, labeler.cli;"
        "bad = [m for m in ('pandas', 'numpy', 'pyarrow') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = "import labeler.store, pandas; print(pandas.DataFrame({'a': [1]}).shape)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "(1, 1)"
