"""RubricDialog (Help → Rubric…): the current rubric version, its history and each version's
clause diff; a lead installs a new version from a file or exports the current one signed,
and a labeler's laptop imports the lead's signed file.

Installing and importing run on a worker (they read every gold label to queue re-checks);
once one succeeds the main window asks the new questions and its queue shows the re-checks.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
)

from labeler.changes import Changes
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import run_on_reader
from labeler.labeling import rubric_versions
from labeler.labeling.rubric_diff import describe, diff_rubrics
from labeler.labeling.rubric_versions import RubricVersion

if TYPE_CHECKING:
    from labeler.gui.main_window import MainWindow
    from labeler.gui.tasks import TaskThread
    from labeler.team.rubric_release import Release

RUBRIC_FILES = "Rubric (*.yaml *.yml)"
SIGNED_FILES = "Signed rubric (*.lrubric)"


def version_text(version: RubricVersion, before: RubricVersion | None) -> str:
    """What the dialog shows for a version: its diff from the one before, or its questions."""
    if before is None:
        questions = "\n".join(f"  {q.id}: {q.prompt}" for q in version.rubric.questions)
        return f"The first version here ({version.how}).\n\n{questions}"
    return "\n".join(describe(diff_rubrics(before.rubric, version.rubric)))


class RubricDialog(QDialog):
    released = Signal(object)  # a Release: a new version is current
    failed = Signal(str)  # the sentence shown

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window_ = window
        self.session = window.session
        self.setWindowTitle("Rubric")
        self.heading = QLabel()
        self.heading.setWordWrap(True)
        self.history = QListWidget()
        self.history.currentRowChanged.connect(self._on_history_current_row_changed)
        self.diff = QPlainTextEdit()
        self.diff.setReadOnly(True)
        self.diff.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        split = QSplitter()
        split.addWidget(self.history)
        split.addWidget(self.diff)
        split.setSizes([260, 640])
        lead = bool(self.session.profile and self.session.profile.role == "lead")
        self.install_button = self._button("Install from file…", self._on_install_clicked, lead)
        self.export_button = self._button("Export signed…", self._on_export_clicked, lead)
        self.import_button = self._button("Import signed file…", self._on_import_clicked, True)
        close = self._button("Close", self.accept, True)
        buttons = QHBoxLayout()
        for button in (self.install_button, self.export_button, self.import_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(split, 1)
        layout.addLayout(buttons)
        self.task: TaskThread | None = None
        self.resize(960, 620)
        self.reload()

    def _button(self, text: str, slot: Any, enabled: bool) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        button.setEnabled(enabled)
        if not enabled:
            button.setToolTip("Only a lead can do this.")
        return button

    def reload(self) -> None:
        """Show the workspace's versions, newest first, with the current one selected."""
        self.versions = rubric_versions.versions(self.session.store)
        current = next(v for v in self.versions if v.row.current)
        row = current.row
        self.heading.setText(
            f"<b>{html.escape(current.rubric.title)}</b> — {html.escape(row.rubric_id)} "
            f"version <b>{html.escape(row.version)}</b> (current) · {html.escape(current.how)}, "
            f"{html.escape(row.installed_at)} · content hash {row.content_hash[:12]}…"
        )
        self.history.clear()
        for version in reversed(self.versions):
            mark = " (current)" if version.row.current else ""
            entry = QListWidgetItem(f"{version.row.version}{mark}\n{version.how}")
            entry.setData(Qt.ItemDataRole.UserRole, version.row.seq)
            entry.setToolTip(f"{version.name}, {version.row.installed_at}")
            self.history.addItem(entry)
        self.history.setCurrentRow(0)

    def _on_history_current_row_changed(self, row: int) -> None:
        if row < 0:
            return
        at = len(self.versions) - 1 - row  # the list is newest first
        before = self.versions[at - 1] if at > 0 else None
        self.diff.setPlainText(version_text(self.versions[at], before))

    # -- actions -------------------------------------------------------------------------
    def _on_install_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Install a rubric version", "", RUBRIC_FILES)
        if name:
            self.install_from(Path(name))

    def _on_import_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Import the lead's rubric", "", SIGNED_FILES)
        if name:
            self.import_from(Path(name))

    def _on_export_clicked(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export the rubric, signed", "", SIGNED_FILES)
        if name:
            self.export_to(Path(name))

    def install_from(self, path: Path) -> TaskThread:
        """Install the rubric in ``path`` (its guidance beside it) on a worker."""
        from labeler.team.rubric_release import install_rubric

        return self._release("Installing the rubric", lambda s: install_rubric(s, path))

    def import_from(self, path: Path) -> TaskThread:
        """Take the lead's signed rubric file on a worker."""
        from labeler.team.rubric_release import import_rubric

        return self._release("Importing the rubric", lambda s: import_rubric(s, path))

    def export_to(self, path: Path) -> None:
        from labeler.team.rubric_release import export_rubric

        try:
            version = export_rubric(self.session, path)
        except Exception as err:  # one sentence in a dialog, as every action shows them
            self._failed("Cannot export the rubric", err)
            return
        show_message(self, "Rubric exported", f"Rubric {version.name}, signed, to {path.name}.")

    def _release(self, title: str, work: Any) -> TaskThread:
        def done(release: Release | None) -> None:
            if release is None:
                show_message(self, title, "This version is already the current one.")
                return
            self._apply(release)

        self.task = run_on_reader(
            self, self.window_.workspace, title, lambda session, _p, _c: work(session), done,
            lambda err: self._failed(title, err),
        )  # fmt: skip
        return self.task

    def _failed(self, title: str, err: BaseException) -> None:
        show_error(self, title, err)
        self.failed.emit(str(err))

    def _apply(self, release: Release) -> None:
        """The new version is current: the window asks its questions, the queue follows."""
        window = self.window_
        window.session.forget_rubric()
        window.rubric_panel.set_rubric(window.session.rubric)
        shown = frozenset({window.current.id}) if window.current is not None else frozenset()
        window.changes_applied.emit(release.changes.merged(Changes(items=shown)))
        self.reload()
        new = release.rubric
        show_message(
            self,
            "Rubric version installed",
            f"Rubric {new.id} {new.version} is now current; {release.queued} item(s) were "
            "queued for re-check (queue status: re-check).",
        )
        self.released.emit(release)


def show_rubric_dialog(window: MainWindow) -> RubricDialog:
    dialog = RubricDialog(window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
