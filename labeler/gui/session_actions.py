"""The person's actions on the session: the profile, unlocking restricted items, redaction.
Each returns the ``Changes`` to broadcast, or None when nothing changed."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from labeler.changes import Changes
from labeler.crypto.keys import SOURCE_PASSPHRASE
from labeler.domain import Item
from labeler.errors import LabelerError
from labeler.gui.dialogs.profile_dialog import ProfileDialog
from labeler.gui.dialogs.redaction_dialog import RedactionDialog
from labeler.gui.errors import show_error, show_message
from labeler.labeling.session import LabelingSession


def edit_profile(parent: QWidget, session: LabelingSession) -> Changes | None:
    dialog = ProfileDialog(session.profile, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        return session.create_profile(*dialog.values())
    except LabelerError as err:
        show_error(parent, "Cannot save the profile", err)
        return None


def unlock_restricted(parent: QWidget, session: LabelingSession) -> Changes | None:
    """Once per session: the workspace passphrase, or an explicit confirmation."""
    if not session.can_see_restricted():
        show_message(parent, "Restricted items", "Your profile has no access to restricted items.")
        return None
    passphrase = None
    if session.key_source == SOURCE_PASSPHRASE:
        passphrase, ok = QInputDialog.getText(
            parent, "Unlock restricted items", "Workspace passphrase", QLineEdit.EchoMode.Password
        )
        if not ok:
            return None
    else:
        answer = QMessageBox.question(
            parent,
            "Unlock restricted items",
            "Restricted items hold personal data. Every item you open is written to the "
            "audit log. Unlock them for this session?",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return None
    try:
        session.unlock_restricted(passphrase)
    except LabelerError as err:
        show_error(parent, "Cannot unlock restricted items", err)
        return None
    return Changes(all_items=True)


def redact(parent: QWidget, session: LabelingSession, item: Item) -> Changes | None:
    dialog = RedactionDialog(item, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        return session.confirm_redaction(item, dialog.chosen())
    except LabelerError as err:
        show_error(parent, "Cannot redact", err)
        return None
