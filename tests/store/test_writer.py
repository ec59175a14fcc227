"""The one writer: a write that fails midway leaves nothing, on the real file, and the writer
goes on taking writes."""

from __future__ import annotations

from pathlib import Path

import pytest

from labeler.errors import WorkspaceError
from labeler.store import bundles as bundle_rows
from labeler.store import meta
from labeler.store.connection import WriteStore
from labeler.workspace import Workspace


def _manifest(bundle_id: str) -> dict:
    return {"bundle_id": bundle_id, "week": "2026-W48", "kind": "week", "created_at": "now"}


def _insert(tx: WriteStore, bundle_id: str) -> None:
    bundle_rows.insert(tx, _manifest(bundle_id), "0" * 64, "now")


def _fails_on_a_constraint(tx: WriteStore) -> None:
    _insert(tx, "a")
    _insert(tx, "b")
    _insert(tx, "a")  # the primary key refuses the third row


def _fails_in_python(tx: WriteStore) -> None:
    _insert(tx, "a")
    _insert(tx, "b")
    raise RuntimeError("a bug after two rows")


@pytest.mark.parametrize(
    ("work", "error"),
    [(_fails_on_a_constraint, WorkspaceError), (_fails_in_python, RuntimeError)],
)
def test_a_write_that_fails_midway_leaves_nothing(
    tmp_path: Path, memory_keyring, work, error: type[Exception]
) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        with pytest.raises(error):
            ws.writer.run(work)
        assert meta.counts(ws.store)["bundles"] == 0
        # The next write starts its own transaction and commits: the failed one is gone, not
        # left open to be committed with it.
        ws.writer.run(lambda tx: _insert(tx, "c"))
        assert bundle_rows.ids(ws.store) == ["c"]
    with Workspace.open(path) as ws:  # the file itself, read back
        assert meta.counts(ws.store)["bundles"] == 1
        assert bundle_rows.ids(ws.store) == ["c"]
