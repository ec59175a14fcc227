"""QueueTableModel: the items of the workspace as table rows, read through the store."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from labeler.domain import QueueRow

COLUMNS = ("#", "Week", "Signal", "Reason", "Status", "Flags", "Intent")
Index = QModelIndex | QPersistentModelIndex


def _flags(row: QueueRow) -> str:
    marks = []
    if row.overlap:
        marks.append("pair")
    if row.holdout:
        marks.append("holdout")
    if row.restricted:
        marks.append("restricted")
    return " ".join(marks)


class QueueTableModel(QAbstractTableModel):
    """Rows are ``QueueRow`` records; texts are fetched only when an item is opened."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[QueueRow] = []

    def set_rows(self, rows: list[QueueRow]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def row_at(self, row: int) -> QueueRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, item_id: str) -> int:
        for index, row in enumerate(self._rows):
            if row.id == item_id:
                return index
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section] if 0 <= section < len(COLUMNS) else None
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                index.row() + 1,
                row.week,
                row.signal,
                row.reason_code or "—",
                row.status,
                _flags(row),
                row.preview,
            )
            return values[index.column()] if 0 <= index.column() < len(values) else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.id
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        return None
