"""File → Export pack… (off the GUI thread, with progress) and File → Purge subject… (leads)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QWidget,
)

from labeler.changes import Changes
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import TaskThread, run_on_reader, run_task
from labeler.labeling.session import LabelingSession
from labeler.progress import CancelCheck, ProgressCallback
from labeler.workspace import Workspace


class PackDialog(QDialog):
    """Which pack, which weeks."""

    def __init__(self, weeks: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export a signed label pack")
        self.kind = QComboBox()
        self.kind.addItem("Training (never the holdout)", "training")
        self.kind.addItem("Eval (the holdout)", "eval")
        self.weeks = QListWidget()
        for week in weeks:
            entry = QListWidgetItem(week)
            entry.setCheckState(Qt.CheckState.Checked)
            self.weeks.addItem(entry)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Kind", self.kind)
        form.addRow("Weeks", self.weeks)
        form.addRow(buttons)

    def chosen(self) -> tuple[str, tuple[str, ...]]:
        weeks = [self.weeks.item(i) for i in range(self.weeks.count())]
        picked = tuple(w.text() for w in weeks if w.checkState() == Qt.CheckState.Checked)
        return str(self.kind.currentData()), picked if len(picked) < len(weeks) else ()


def export_pack_dialog(
    parent: QWidget, workspace: Workspace, session: LabelingSession
) -> TaskThread | None:
    from labeler.store.meta import weeks

    dialog = PackDialog(weeks(workspace.store), parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    folder = QFileDialog.getExistingDirectory(parent, "An empty folder for the pack")
    if not folder:
        return None
    kind, chosen = dialog.chosen()
    return start_export(parent, workspace, kind, chosen, Path(folder), lambda _m: None)


def start_export(
    parent: QWidget,
    workspace: Workspace,
    kind: str,
    weeks: tuple[str, ...],
    folder: Path,
    done: Callable[[dict[str, Any]], None],
) -> TaskThread:
    from labeler.packs.export import PackOptions, export_pack

    def operation(progress: ProgressCallback, should_cancel: CancelCheck) -> dict[str, Any]:
        store = workspace.open_reader()  # the worker reads through its own connection
        try:
            worker_session = workspace.session.on(store)
            return export_pack(
                worker_session, PackOptions(kind, weeks), folder, progress, should_cancel
            )
        finally:
            store.close()

    def succeeded(manifest: dict[str, Any]) -> None:
        excluded = ", ".join(f"{k} {v}" for k, v in sorted(manifest["counts"]["excluded"].items()))
        show_message(
            parent,
            "Pack exported",
            f"{manifest['kind']} pack {manifest['pack_id']}: {manifest['counts']['rows']} rows "
            f"in {folder}.\nExcluded: {excluded or 'none'}.",
        )
        done(manifest)

    return run_task(
        parent,
        "Exporting pack",
        operation,
        succeeded,
        lambda e: show_error(parent, "Cannot export the pack", e),
    )


def purge_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread | None:
    """Ask for the subject and purge it on a worker (the purge and its scrub take a while);
    on a team, with the sealed deletion notice every other laptop applies."""
    from labeler.privacy.purge import PurgeResult, purge_subject

    session = workspace.session
    profile = session.profile
    if profile is None or profile.role != "lead":
        show_message(parent, "Deletion request", "Only a lead handles deletion requests.")
        return None
    reference, ok = QInputDialog.getText(
        parent, "Deletion request", "Customer/account reference to purge", QLineEdit.EchoMode.Normal
    )
    if not ok or not reference.strip():
        return None
    answer = QMessageBox.question(
        parent,
        "Deletion request",
        "Delete every item, label and note of this subject? This cannot be undone.",
    )
    if answer != QMessageBox.StandardButton.Yes:
        return None
    from labeler.crypto import roster

    notice: Path | None = None
    if roster.current(session.store) is not None:  # a team: every laptop must hear of it
        name, _ = QFileDialog.getSaveFileName(
            parent, "Save the deletion notice for the team", "deletion.ldel",
            "Deletion notice (*.ldel)",
        )  # fmt: skip
        if not name:
            return None
        notice = Path(name)

    def done(result: PurgeResult) -> None:
        applied(result.changes)
        packs = "\n".join(result.packs) or "none"
        show_message(
            parent,
            "Deletion request",
            f"Purged {result.items} items and {result.labels} labels.\n\nPacks already exported "
            f"that held the subject (ask the training team to purge them):\n{packs}"
            + (f"\n\nSend {notice.name} to every member: they import it with File → "
               "Import deletion notice…; it names the pack rows to delete." if notice else ""),
        )  # fmt: skip

    def purge(worker: LabelingSession, _p: object, _c: object) -> PurgeResult:
        if notice is None:
            return purge_subject(worker.writer, reference)
        from labeler.privacy.notices import purge_with_notice

        return purge_with_notice(worker.store, worker.writer, reference, notice)[0]

    return run_on_reader(
        parent,
        workspace,
        "Purging the subject",
        purge,
        done,
        lambda err: show_error(parent, "Cannot purge", err),
    )


def import_notice_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread | None:
    """A lead's deletion notice, applied here once (checked whole on a worker first)."""
    name, _ = QFileDialog.getOpenFileName(
        parent, "Import a deletion notice", "", "Deletion notice (*.ldel);;All files (*)"
    )
    return start_import_notice(parent, workspace, Path(name), applied) if name else None


def start_import_notice(
    parent: QWidget, workspace: Workspace, path: Path, applied: Callable[[Changes], None]
) -> TaskThread:
    from labeler.privacy.notices import NoticeOutcome, apply_notice

    def done(outcome: NoticeOutcome) -> None:
        if outcome.result is None:
            show_message(parent, "Deletion notice", "This notice was applied here already.")
            return
        applied(outcome.result.changes)
        show_message(parent, "Deletion notice", f"Deleted {outcome.result.items} items and "
                     f"{outcome.result.labels} labels of the subject.")  # fmt: skip

    return run_on_reader(
        parent,
        workspace,
        "Applying the deletion notice",
        lambda worker, _p, _c: apply_notice(worker.store, worker.writer, path),
        done,
        lambda err: show_error(parent, "Cannot apply the notice", err),
    )
