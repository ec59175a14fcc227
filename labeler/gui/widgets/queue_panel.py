"""QueuePanel: the items to label, with filters and progress."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labeler.domain import EVAL_SIGNAL, HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, REASON_CODES, QueueRow
from labeler.gui.models.queue_model import QueueTableModel

ANY = "any"
STATUSES = ("unlabeled", "labeled", "needs redaction")


def _combo(values: tuple[str, ...]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(ANY)
    combo.addItems(list(values))
    return combo


class QueuePanel(QWidget):
    item_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._all: list[QueueRow] = []
        self.reason = _combo((*REASON_CODES, "none"))
        self.signal = _combo((*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, EVAL_SIGNAL))
        self.status = _combo(STATUSES)
        self.overlap_only = QCheckBox("Pairs only")
        self.progress = QLabel()
        self.model = QueueTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_row_changed)
        filters = QGridLayout()
        for column, (label, widget) in enumerate(
            (("Reason", self.reason), ("Signal", self.signal), ("Status", self.status))
        ):
            filters.addWidget(QLabel(label), 0, column)
            filters.addWidget(widget, 1, column)
        filters.addWidget(self.overlap_only, 1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        for combo in (self.reason, self.signal, self.status):
            combo.currentIndexChanged.connect(self._apply_filters)
        self.overlap_only.toggled.connect(self._apply_filters)

    def set_rows(self, rows: list[QueueRow]) -> None:
        """Replace the rows, keeping the current item selected where it still shows."""
        current = self.current_id()
        self._all = rows
        self._apply_filters(keep=current)

    def _passes(self, row: QueueRow) -> bool:
        reason, signal, status = (c.currentText() for c in (self.reason, self.signal, self.status))
        if reason != ANY and (row.reason_code or "none") != reason:
            return False
        if signal != ANY and row.signal != signal:
            return False
        if status != ANY and row.status != status:
            return False
        return not (self.overlap_only.isChecked() and not row.overlap)

    def _apply_filters(self, *_args: object, keep: str | None = None) -> None:
        keep = keep if isinstance(keep, str) else self.current_id()
        shown = [row for row in self._all if self._passes(row)]
        self.model.set_rows(shown)
        labeled = sum(row.labeled for row in self._all)
        self.progress.setText(f"{labeled} / {len(self._all)} labeled · {len(shown)} shown")
        if keep is not None and self.model.row_of(keep) >= 0:
            self.select(keep)

    def current_id(self) -> str | None:
        row = self.model.row_at(self.table.currentIndex().row())
        return row.id if row else None

    def select(self, item_id: str) -> bool:
        row = self.model.row_of(item_id)
        if row < 0:
            return False
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)
        return True

    def step(self, delta: int) -> bool:
        """Move the selection by ``delta`` rows; False at either end."""
        row = self.table.currentIndex().row()
        target = 0 if row < 0 else row + delta
        if not 0 <= target < self.model.rowCount():
            return False
        self.select(self.model.row_at(target).id)  # type: ignore[union-attr]
        return True

    def next_ids(self, count: int) -> list[str]:
        row = max(self.table.currentIndex().row(), 0)
        rows = (self.model.row_at(r) for r in range(row + 1, row + 1 + count))
        return [r.id for r in rows if r is not None]

    def _on_table_row_changed(self, current: object, _previous: object) -> None:
        item_id = self.current_id()
        if item_id is not None:
            self.item_selected.emit(item_id)
