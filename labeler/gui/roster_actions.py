"""Team → Team roster…, Import the team roster…, Save my member card…: what the CLI's
'roster show', 'roster import' and 'keys card' do, in the app. The first roster asks the
person to check the lead's fingerprint (what '--lead-key' is on the command line); every
problem is a sentence."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeler.changes import Changes
from labeler.crypto import roster
from labeler.crypto.signing import parse_public_key
from labeler.errors import LabelerError
from labeler.gui.errors import show_error, show_message
from labeler.workspace import Workspace

COLUMNS = ("Name", "Role", "Restricted access", "Signing key fingerprint", "Member id")


class RosterDialog(QDialog):
    """The roster this laptop holds, read-only: who is on the team, in which role."""

    def __init__(self, team: roster.Roster | None, me: roster.Member | None,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setWindowTitle("Team roster")
        layout = QVBoxLayout(self)
        if team is None:
            self.summary = QLabel(
                "This workspace is on no team yet. The lead starts one ('labeler roster init'); "
                "a member sends the lead their card (Team → Save my member card…) and imports "
                "the roster the lead sends (Team → Import the team roster…)."
            )
            self.summary.setWordWrap(True)
            layout.addWidget(self.summary)
            self.table = QTableWidget(0, len(COLUMNS))
        else:
            who = f"; you are {me.display_name} ({me.role})" if me else "; you are not on it"
            self.summary = QLabel(f"Team roster v{team.version}, signed by the lead{who}.")
            layout.addWidget(self.summary)
            self.table = QTableWidget(len(team.members), len(COLUMNS))
            for row, member in enumerate(team.members):
                fingerprint = parse_public_key(member.signing_key).fingerprint()
                access = "yes" if member.restricted else "no"
                values = (member.display_name, member.role, access, fingerprint, member.id)
                for column, value in enumerate(values):
                    self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.resizeColumnsToContents()
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.resize(860, 320)


def show_roster_dialog(parent: QWidget, workspace: Workspace) -> RosterDialog:
    dialog = RosterDialog(roster.current(workspace.store), roster.me(workspace.store), parent)
    dialog.open()
    return dialog


def import_roster_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> bool:
    name, _ = QFileDialog.getOpenFileName(
        parent, "Import the team roster", "", "Team roster (*.roster);;All files (*)"
    )
    return import_roster(parent, workspace, Path(name), applied, confirm_lead) if name else False


def confirm_lead(parent: QWidget, fingerprint: str) -> bool:
    """The first roster: the person checks the lead's fingerprint before trusting it."""
    answer = QMessageBox.question(
        parent,
        "Trust the lead's key?",
        "This is the first team roster on this laptop. It is signed by the key with the "
        f"fingerprint\n\n{fingerprint}\n\nCheck it with your lead (a call or a chat, not the "
        "message that brought the file). Trust it as your team lead's key?",
    )
    return answer == QMessageBox.StandardButton.Yes


def import_roster(
    parent: QWidget,
    workspace: Workspace,
    path: Path,
    applied: Callable[[Changes], None],
    confirm: Callable[[QWidget, str], bool],
) -> bool:
    """Accept the roster (small: read and checked on this thread); True when it was taken."""
    try:
        team, _, _ = roster.read_roster_file(path)
        lead_key = None
        if roster.current(workspace.store) is None:
            fingerprint = parse_public_key(team.lead_key).fingerprint()
            if not confirm(parent, fingerprint):
                return False
            lead_key = team.lead_key
        accepted, changed = roster.accept(
            workspace.store, workspace.writer, path, lead_key=lead_key
        )
    except LabelerError as err:
        show_error(parent, "Cannot import the roster", err)
        return False
    workspace.session.forget_profile()  # role and restricted access come from the roster
    applied(Changes(team=True, profile=True, all_items=True))
    if changed:
        show_message(parent, "Roster imported", f"Team roster v{accepted.version}: "
                     f"{len(accepted.members)} members.")  # fmt: skip
    else:
        show_message(parent, "Roster", f"Roster v{accepted.version} is the one here already.")
    return True


def save_card_dialog(parent: QWidget, workspace: Workspace) -> Path | None:
    me = workspace.session.profile
    name, ok = QInputDialog.getText(
        parent, "Your member card", "Your name, as the team sees it:",
        text=me.display_name if me else "",
    )  # fmt: skip
    if not ok:
        return None
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save my member card", "me.card", "Member card (*.card)"
    )
    return save_card(parent, workspace, name, Path(path)) if path else None


def save_card(parent: QWidget, workspace: Workspace, name: str, path: Path) -> Path | None:
    from labeler.crypto.signing import signing_key

    try:
        roster.write_card(workspace.store, path, name)
        fingerprint = signing_key(workspace.store).public.fingerprint()
    except LabelerError as err:
        show_error(parent, "Cannot write the card", err)
        return None
    show_message(parent, "Card saved", f"Send {path.name} to your lead, and tell them your "
                 f"key's fingerprint by another channel:\n\n{fingerprint}")  # fmt: skip
    return path
