"""Driver errors as sentences: what happened to the workspace file and what to do.

SQLite reports a full disk, a lock held by another program, a read-only file or a damaged
page with terse codes; the writer and the readers turn them into a ``StoreError`` that names
the file, never a query or a value.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import sqlcipher3.dbapi2 as dbapi

from labeler.errors import WorkspaceError

DatabaseError = dbapi.DatabaseError


class StoreError(WorkspaceError):
    """The workspace file refused a read or a write; nothing of that write was kept."""


def explain(err: BaseException, path: Path, *, writing: bool) -> StoreError:
    """The sentence for a driver error on ``path``."""
    text = str(err).lower()
    undone = " Nothing of it was saved." if writing else ""
    if "full" in text or ("disk i/o" in text and _nearly_full(path)):
        return StoreError(
            f"The disk holding {path} is full: free some space and try again.{undone}"
        )
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path} is busy: another program (or another Labeler) is writing to it; "
            f"close it and try again.{undone}"
        )
    if "readonly" in text or "read-only" in text:
        return StoreError(f"{path} cannot be written (read-only file or folder).{undone}")
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return StoreError(
            f"{path} is damaged (a page failed its integrity check); restore it from a backup."
            f"{undone}"
        )
    if "unable to open" in text or "cantopen" in text:
        return StoreError(
            f"{path} cannot be opened or created (a missing folder, or no permission).{undone}"
        )
    if "disk i/o" in text or "ioerr" in text:
        return StoreError(f"Reading or writing {path} failed (a disk error).{undone}")
    return StoreError(f"The workspace {path} refused the operation ({err.__class__.__name__}).")


def _nearly_full(path: Path) -> bool:
    """SQLite reports a full disk met while making its shared-memory file as an I/O error."""
    try:
        return shutil.disk_usage(path.parent).free < 256 * 1024
    except OSError:
        return False
