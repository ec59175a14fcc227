"""The person's actions on the session: the profile, unlocking restricted items, redaction.
Each returns the ``Changes`` to broadcast, or None when nothing changed."""

from __future__ import annotations

import html

from PySide6.QtWidgets import (
    QDialog,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from labeler.changes import Changes
from labeler.crypto.keys import SOURCE_PASSPHRASE
from labeler.domain import Item
from labeler.errors import LabelerError
from labeler.gui.dialogs.mark_pii_dialog import MarkPiiDialog
from labeler.gui.dialogs.profile_dialog import ProfileDialog
from labeler.gui.dialogs.redaction_dialog import RedactionDialog
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import TaskThread, run_on_reader
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


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


def mark_pii(parent: QWidget, session: LabelingSession, item: Item) -> Changes | None:
    """Mark personal data the detector missed (restricted access, unlocked)."""
    if not (session.can_see_restricted() and session.unlocked):
        show_message(
            parent,
            "Mark personal data",
            "Marking personal data needs restricted access, unlocked (View → Show restricted "
            "items…). Without it, send the item to the restricted queue.",
        )
        return None
    dialog = MarkPiiDialog(item, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        return session.mark_pii(item, dialog.spans())
    except LabelerError as err:
        show_error(parent, "Cannot mark", err)
        return None


def send_to_restricted(parent: QWidget, session: LabelingSession, item: Item) -> Changes | None:
    answer = QMessageBox.question(
        parent,
        "Send to the restricted queue",
        "This item holds personal data? It goes to the restricted queue: only people with "
        "restricted access see it, and it trains only after a confirmed redaction.",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return None
    try:
        return session.send_to_restricted(item)
    except LabelerError as err:
        show_error(parent, "Cannot send it", err)
        return None


def show_audit_log(parent: QWidget, workspace: Workspace) -> TaskThread:
    """View → Audit log…: read off the GUI thread, shown in a window (a lead's)."""
    from labeler.labeling.audit_log import AuditEntry, audit_entries

    def shown(entries: list[AuditEntry]) -> None:
        dialog = QDialog(parent)
        dialog.setObjectName("auditDialog")
        dialog.setWindowTitle(f"Audit log of restricted access — {len(entries)} entries")
        view = QTextBrowser()
        rows = "".join(
            f"<tr><td>{html.escape(e.at)}</td><td>{html.escape(e.labeler)}</td>"
            f"<td>{html.escape(e.sentence.split(' ', 2)[-1])}</td></tr>"
            for e in reversed(entries)
        )
        view.setHtml(
            f"<table cellpadding=3><tr><th>when</th><th>who</th><th>what</th></tr>{rows}</table>"
            if entries
            else "<p>The audit log is empty.</p>"
        )
        layout = QVBoxLayout(dialog)
        layout.addWidget(view)
        dialog.resize(760, 520)
        dialog.show()

    return run_on_reader(
        parent,
        workspace,
        "Reading the audit log",
        lambda session, _p, _c: audit_entries(session),
        shown,
        lambda err: show_error(parent, "Cannot show the audit log", err),
    )
