"""Team → Trust a labeler's key…, Send feedback to labelers… (lead), Import the lead's
feedback… (labeler): what the CLI's 'keys trust' and 'resolutions export/import' do, in the
app. File work runs off the GUI thread; each outcome is a message, each problem a sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.errors import LabelerError, ValidationError
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import TaskThread, run_on_reader
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


class TrustDialog(QDialog):
    """A labeler's public key (from their 'labeler keys show') and whose it is."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Trust a labeler's key")
        self.key = QPlainTextEdit()
        self.key.setPlaceholderText("RW… (paste the key or the whole .pub file)")
        self.key.setMaximumHeight(80)
        self.name = QLineEdit()
        self.fingerprint = QLabel()
        self.key.textChanged.connect(self._on_key_text_changed)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Public key", self.key)
        form.addRow("Fingerprint", self.fingerprint)
        form.addRow("Name", self.name)
        form.addRow(buttons)

    def _on_key_text_changed(self) -> None:
        from labeler.crypto.signing import parse_public_key

        try:
            self.fingerprint.setText(parse_public_key(self.key.toPlainText()).fingerprint())
        except ValidationError as err:
            self.fingerprint.setText(str(err))


def trust_key_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> None:
    dialog = TrustDialog(parent)
    if dialog.exec() == QDialog.DialogCode.Accepted:
        trust_key(parent, workspace, dialog.key.toPlainText(), dialog.name.text(), applied)


def trust_key(
    parent: QWidget,
    workspace: Workspace,
    key_text: str,
    name: str,
    applied: Callable[[Changes], None],
) -> bool:
    from labeler.crypto.signing import parse_public_key
    from labeler.store import exchange

    try:
        key = parse_public_key(key_text)
        name = name.strip()
        if not name:
            raise ValidationError("Say whose key this is (a name).")
        workspace.writer.run(lambda tx: exchange.trust(tx, key.encoded(), name, utc_now()))
    except LabelerError as err:
        show_error(parent, "Cannot trust the key", err)
        return False
    applied(Changes(team=True))
    show_message(parent, "Key trusted", f"Trusted {name}: {key.fingerprint()}.")
    return True


def export_feedback_dialog(parent: QWidget, workspace: Workspace) -> TaskThread | None:
    from labeler.crypto import roster

    if roster.current(workspace.store) is not None:  # a team: one sealed file per labeler
        folder = QFileDialog.getExistingDirectory(parent, "Send feedback to labelers: folder")
        return start_export_team_feedback(parent, workspace, Path(folder)) if folder else None
    name, _ = QFileDialog.getSaveFileName(
        parent, "Send feedback to labelers", "resolutions.lresolutions", "Feedback (*.lresolutions)"
    )
    return start_export_feedback(parent, workspace, Path(name)) if name else None


def start_export_feedback(parent: QWidget, workspace: Workspace, path: Path) -> TaskThread:
    from labeler.team.feedback import export_resolutions

    name = str(path)
    return run_on_reader(
        parent,
        workspace,
        "Exporting feedback",
        lambda session, _p, _c: export_resolutions(session, Path(name)),
        lambda count: show_message(
            parent, "Feedback exported", f"{count} resolutions, signed, in {name}."
        ),
        lambda err: show_error(parent, "Cannot export feedback", err),
    )


def start_export_team_feedback(parent: QWidget, workspace: Workspace, folder: Path) -> TaskThread:
    """On a team: a file per labeler on the roster, each sealed to that labeler alone and
    holding only the items they labeled (what 'resolutions export --for' writes)."""
    from labeler.crypto import roster
    from labeler.team.feedback import export_resolutions

    def write_all(session: LabelingSession) -> list[str]:
        team = roster.current(session.store)
        written = []
        for member in team.with_role("labeler") if team else []:
            safe = "".join(c if c.isalnum() else "-" for c in member.display_name)
            target = folder / f"{safe or member.id}.lresolutions"
            count = export_resolutions(session, target, member.id)
            written.append(f"{member.display_name}: {count} in {target.name}")
        if not written:
            raise LabelerError("The roster names no labeler to send feedback to.")
        return written

    return run_on_reader(
        parent,
        workspace,
        "Exporting feedback",
        lambda session, _p, _c: write_all(session),
        lambda lines: show_message(
            parent,
            "Feedback exported",
            "Sealed to each labeler, in " + str(folder) + ":\n" + "\n".join(lines),
        ),
        lambda err: show_error(parent, "Cannot export feedback", err),
    )


def import_feedback_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread | None:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Import the lead's feedback", "", "Feedback (*.lresolutions);;All files (*)"
    )
    return start_import_feedback(parent, workspace, Path(name), applied) if name else None


def start_import_feedback(
    parent: QWidget, workspace: Workspace, path: Path, applied: Callable[[Changes], None]
) -> TaskThread:
    from labeler.team.feedback import import_resolutions

    def done(count: int) -> None:
        applied(Changes(team=True))
        show_message(
            parent,
            "Feedback imported",
            f"{count} of the lead's decisions. View → Feedback from the lead shows where the "
            "lead decided otherwise on items you labeled.",
        )

    return run_on_reader(
        parent,
        workspace,
        "Importing feedback",
        lambda session, _p, _c: import_resolutions(session, path),
        done,
        lambda err: show_error(parent, "Cannot import feedback", err),
    )
