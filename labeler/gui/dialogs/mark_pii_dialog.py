"""MarkPiiDialog: mark personal data the detector missed — every occurrence of a text, in
every field of the item (retries and candidates too), as one kind."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from labeler.domain import Item, PiiSpan
from labeler.errors import ValidationError
from labeler.labeling.pii_marks import occurrences
from labeler.labeling.redaction import MANUAL_KINDS


class MarkPiiDialog(QDialog):
    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setWindowTitle("Mark personal data")
        self.text = QLineEdit()
        self.text.setPlaceholderText("e.g. the customer's name, as it appears")
        self.kind = QComboBox()
        for kind in MANUAL_KINDS:
            self.kind.addItem(kind.replace("_", " "), kind)
        self.match_case = QCheckBox("Match case")
        self.match_case.setChecked(True)
        self.found = QLabel()
        self.found.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.mark = buttons.addButton("Mark", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(
            QLabel("Every occurrence is marked; the item then needs a confirmed redaction.")
        )
        form.addRow("Text", self.text)
        form.addRow("Kind", self.kind)
        form.addRow(self.match_case)
        form.addRow(self.found)
        form.addRow(buttons)
        self.text.textChanged.connect(self._on_search_changed)
        self.match_case.toggled.connect(self._on_search_changed)
        self._on_search_changed()

    def spans(self) -> list[PiiSpan]:
        try:
            return occurrences(
                self.item,
                self.text.text(),
                str(self.kind.currentData()),
                match_case=self.match_case.isChecked(),
            )
        except ValidationError:
            return []

    def _on_search_changed(self, *_args: object) -> None:
        spans = self.spans()
        fields = sorted({span.field for span in spans})
        if spans:
            self.found.setText(f"{len(spans)} found, in {html.escape(', '.join(fields))}.")
        else:
            self.found.setText("Not found in this item." if self.text.text().strip() else "")
        self.mark.setEnabled(bool(spans))
