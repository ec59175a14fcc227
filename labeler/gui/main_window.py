"""MainWindow: the queue on the left, the item in the centre, the rubric on the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMainWindow,
    QSplitter,
    QTableView,
)

from labeler.gui.models.queue_model import QueueTableModel
from labeler.store import items as item_rows
from labeler.workspace import Workspace


class MainWindow(QMainWindow):
    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.setWindowTitle(f"Labeler — {workspace.path.name}")
        self.queue_model = QueueTableModel(self)
        self.queue_view = QTableView()
        self.queue_view.setModel(self.queue_model)
        self.queue_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.queue_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.queue_view.verticalHeader().hide()
        self.queue_view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.queue_view.horizontalHeader().setStretchLastSection(True)
        self.item_placeholder = QLabel("Select an item")
        self.item_placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        splitter = QSplitter()
        splitter.addWidget(self.queue_view)
        splitter.addWidget(self.item_placeholder)
        splitter.setSizes([520, 900])
        self.setCentralWidget(splitter)
        self.status_counts = QLabel()
        self.statusBar().addPermanentWidget(self.status_counts)
        self.refresh_queue()

    def refresh_queue(self) -> None:
        rows = item_rows.queue(self.workspace.store, None, include_restricted=False)
        self.queue_model.set_rows(rows)
        info = self.workspace.info()
        self.status_counts.setText(
            f"{info.items} items · {info.labels} labels · {info.bundles} bundles · "
            f"key: {info.key_source}"
        )
