"""QueuePanel: the items to label, with filters and progress.

The panel owns the filter widgets and the table; the window gives it the queue's ids for the
chosen filter (``set_ids``) and the progress figures, and hears ``filters_changed``.
"""

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

from labeler.domain import EVAL_SIGNAL, HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, REASON_CODES
from labeler.gui.models.queue_model import COLUMNS, FetchRows, QueueTableModel
from labeler.store.queue import STATUSES, QueueFilter

ANY = "any"
MINE, ALL = "Mine and pairs", "All"
# Column widths in characters: fixed, so neither a save nor 100,000 rows re-measure them.
_WIDTHS = {"#": 5, "Week": 9, "Signal": 12, "Reason": 13, "Status": 15, "Flags": 15}


def _combo(values: tuple[str, ...]) -> QComboBox:
    combo = QComboBox()
    combo.addItem(ANY)
    combo.addItems(list(values))
    return combo


class QueuePanel(QWidget):
    item_selected = Signal(str)
    filters_changed = Signal()

    def __init__(self, fetch_rows: FetchRows, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = _combo((*REASON_CODES, "none"))
        self.signal = _combo((*HIGH_INTENT_SIGNALS, NORMAL_SIGNAL, EVAL_SIGNAL))
        self.status = _combo(STATUSES)
        self.overlap_only = QCheckBox("Pairs only")
        # Offered only when a bundle here has an assignment (``offer_mine``); then the default.
        self.show_label = QLabel("Show")
        self.show_items = QComboBox()
        self.show_items.addItems([MINE, ALL])
        self._mine_offered = False
        self.show_label.setVisible(False)
        self.show_items.setVisible(False)
        self.progress = QLabel()
        self.model = QueueTableModel(fetch_rows, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        # Uniform row heights: the view never asks every row for its size.
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self._size_columns()
        self.table.selectionModel().currentRowChanged.connect(self._on_table_row_changed)
        filters = QGridLayout()
        for column, (label, widget) in enumerate(
            (("Reason", self.reason), ("Signal", self.signal), ("Status", self.status))
        ):
            filters.addWidget(QLabel(label), 0, column)
            filters.addWidget(widget, 1, column)
        filters.addWidget(self.overlap_only, 1, 3)
        filters.addWidget(self.show_label, 0, 4)
        filters.addWidget(self.show_items, 1, 4)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(filters)
        layout.addWidget(self.progress)
        layout.addWidget(self.table, 1)
        for combo in (self.reason, self.signal, self.status):
            combo.currentIndexChanged.connect(self.filters_changed)
        self.overlap_only.toggled.connect(self.filters_changed)
        self.show_items.currentIndexChanged.connect(self.filters_changed)

    def offer_mine(self, offered: bool) -> None:
        """Show the "Mine and pairs" / "All" choice (chosen: mine) when ``offered``; changes
        no filter silently: the caller reloads the ids next."""
        if offered == self._mine_offered:
            return
        self._mine_offered = offered
        self.show_items.blockSignals(True)
        self.show_items.setCurrentIndex(0)
        self.show_items.blockSignals(False)
        self.show_label.setVisible(offered)
        self.show_items.setVisible(offered)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setHighlightSections(False)  # a moving selection does not repaint the header
        char = self.table.fontMetrics().horizontalAdvance("0")
        for column, name in enumerate(COLUMNS):
            if name in _WIDTHS:
                header.resizeSection(column, _WIDTHS[name] * char + 10)

    def filter(self) -> QueueFilter:
        def chosen(combo: QComboBox) -> str | None:
            text = combo.currentText()
            return None if text == ANY else text

        return QueueFilter(
            reason=chosen(self.reason),
            signal=chosen(self.signal),
            status=chosen(self.status),
            pairs_only=self.overlap_only.isChecked(),
            mine=self._mine_offered and self.show_items.currentText() == MINE,
        )

    def set_ids(self, ids: list[str]) -> None:
        """Show these ids; keeps the current item selected when it is still among them, else
        selects the first (or nothing, when the queue is empty: ``item_selected`` is not
        emitted and the caller clears the item)."""
        current = self.current_id()
        self.model.set_ids(ids)
        if current is not None and self.select(current):
            return
        if ids:
            self.select(ids[0])

    def set_progress(self, labeled: int, total: int) -> None:
        share = " of my share" if self._mine_offered else ""
        self.progress.setText(f"{labeled} / {total} labeled{share} · {self.model.rowCount()} shown")

    def current_id(self) -> str | None:
        return self.model.id_at(self.table.currentIndex().row())

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
        item_id = self.model.id_at(target)
        if item_id is None:
            return False
        return self.select(item_id)

    def next_ids(self, count: int) -> list[str]:
        row = max(self.table.currentIndex().row(), 0)
        ids = (self.model.id_at(r) for r in range(row + 1, row + 1 + count))
        return [i for i in ids if i is not None]

    def _on_table_row_changed(self, current: object, _previous: object) -> None:
        item_id = self.current_id()
        if item_id is not None:
            self.item_selected.emit(item_id)
