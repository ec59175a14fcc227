"""QueueTableModel: the queue as table rows — ids held, rows fetched as they are painted.

The model holds the queue's item ids in order (100,000 ids load in tens of milliseconds); the
row a view paints is fetched through ``fetch_rows`` a block at a time and cached. A label save
refreshes only the rows it touched (``refresh_rows``): no reset, no re-query of the queue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from labeler.domain import QueueRow

COLUMNS = ("#", "Week", "Signal", "Reason", "Status", "Flags", "Intent")
Index = QModelIndex | QPersistentModelIndex
FetchRows = Callable[[list[str]], dict[str, QueueRow]]
BLOCK = 128  # rows fetched together: a screenful and then some
CACHE_LIMIT = 8192  # rows kept; beyond it the cache starts again (rows are refetched)


def _flags(row: QueueRow) -> str:
    marks = []
    if row.overlap:
        marks.append("pair")
    if row.holdout:
        marks.append("holdout")
    if row.restricted:
        marks.append("restricted")
    if row.draft and row.labeled:
        marks.append("draft")  # an unsaved change to a saved label
    return " ".join(marks)


def _no_rows(ids: list[str]) -> dict[str, QueueRow]:
    return {}


class QueueTableModel(QAbstractTableModel):
    """Rows are item ids; ``QueueRow`` records (no texts) are fetched when painted."""

    def __init__(self, fetch_rows: FetchRows = _no_rows, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch = fetch_rows
        self._ids: list[str] = []
        self._positions: dict[str, int] = {}
        self._rows: dict[str, QueueRow] = {}
        self._shown: dict[str, tuple[Any, ...]] = {}  # display values per row, made once
        self._saving: set[str] = set()

    # -- contents -------------------------------------------------------------------------
    def set_ids(self, ids: list[str]) -> None:
        """A new queue (filter changed, bundle imported): the one place the model resets."""
        self.beginResetModel()
        self._ids = ids
        self._positions = {item_id: row for row, item_id in enumerate(ids)}
        self._rows.clear()
        self._shown.clear()
        self.endResetModel()

    def ids(self) -> list[str]:
        return self._ids

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, item_id: str) -> int:
        return self._positions.get(item_id, -1)

    def row_at(self, row: int) -> QueueRow | None:
        item_id = self.id_at(row)
        if item_id is None:
            return None
        cached = self._rows.get(item_id)
        if cached is None:
            self._load_block(row)
            cached = self._rows.get(item_id)
        return cached

    def cached(self, item_id: str) -> QueueRow | None:
        return self._rows.get(item_id)

    def refresh_rows(self, item_ids: Iterable[str]) -> list[tuple[QueueRow | None, QueueRow]]:
        """Refetch the rows of ``item_ids`` in the queue; returns (before, after) of each."""
        present = [i for i in item_ids if i in self._positions]
        if not present:
            return []
        fresh = self._fetch(present)
        changed = []
        for item_id in present:
            after = fresh.get(item_id)
            if after is None:
                continue
            changed.append((self._rows.get(item_id), after))
            self._rows[item_id] = after
            self._shown.pop(item_id, None)
            self._row_changed(self._positions[item_id])
        return changed

    def set_saving(self, item_id: str, saving: bool) -> None:
        """Mark a row whose label is being committed (shown as "saving…")."""
        (self._saving.add if saving else self._saving.discard)(item_id)
        self._shown.pop(item_id, None)
        row = self.row_of(item_id)
        if row >= 0:
            self._row_changed(row)

    def _row_changed(self, row: int) -> None:
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def _load_block(self, row: int) -> None:
        if len(self._rows) > CACHE_LIMIT:
            self._rows.clear()
            self._shown.clear()
        start = max(0, row - BLOCK // 4)
        wanted = [i for i in self._ids[start : start + BLOCK] if i not in self._rows]
        if wanted:
            self._rows.update(self._fetch(wanted))

    # -- Qt -------------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.UserRole):
            return self.id_at(index.row())
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        number = index.row()
        item_id = self.id_at(number)
        values = self._shown.get(item_id) if item_id is not None else None
        if values is None:
            values = self._display(number)
        return values[index.column()] if 0 <= index.column() < len(values) else None

    def _display(self, number: int) -> tuple[Any, ...]:
        """The row's cells, made once per row: a repaint asks for each cell many times."""
        try:
            row = self.row_at(number)
        except Exception:  # data() never raises: a failed read paints an empty row
            return ()
        if row is None:
            return ()
        status = "saving…" if row.id in self._saving else row.status
        values = (
            number + 1, row.week, row.signal, row.reason_code or "—", status, _flags(row),
            row.preview,
        )  # fmt: skip
        self._shown[row.id] = values
        return values
