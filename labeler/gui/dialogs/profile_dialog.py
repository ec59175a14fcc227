"""ProfileDialog: who is labeling on this laptop (asked on first run)."""

from __future__ import annotations

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

from labeler.domain import Profile


class ProfileDialog(QDialog):
    def __init__(self, current: Profile | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Your labeler profile")
        self.name = QLineEdit(current.display_name if current else "")
        self.name.setPlaceholderText("e.g. Dana Kim")
        self.role = QComboBox()
        self.role.addItems(["labeler", "lead"])
        if current:
            self.role.setCurrentText(current.role)
        self.restricted = QCheckBox("I may see restricted items (they hold personal data)")
        self.restricted.setChecked(bool(current and current.restricted_access))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        form = QFormLayout(self)
        form.addRow(QLabel("Labels you save carry this profile's stable id."))
        form.addRow("Display name", self.name)
        form.addRow("Role", self.role)
        form.addRow(self.restricted)
        form.addRow(self.problem)
        form.addRow(buttons)

    def _on_buttons_accepted(self) -> None:
        if not self.name.text().strip():
            self.problem.setText("Enter a display name.")
            return
        self.accept()

    def values(self) -> tuple[str, str, bool]:
        return self.name.text().strip(), self.role.currentText(), self.restricted.isChecked()
