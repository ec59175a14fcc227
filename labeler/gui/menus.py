"""The window's menus: each entry hands the window's workspace to an action module."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from labeler.gui import (
    eval_actions,
    exchange_actions,
    pack_actions,
    roster_actions,
    session_actions,
    team_actions,
    workspace_actions,
)
from labeler.gui.dialogs.rubric_dialog import show_rubric_dialog
from labeler.gui.errors import show_message

if TYPE_CHECKING:
    from labeler.gui.main_window import MainWindow


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    slot: Callable[..., object],
    shortcut: str | QKeySequence.StandardKey | None = None,
) -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.triggered.connect(lambda _checked=False: slot())
    menu.addAction(action)
    return action


def _lead_action(
    window: MainWindow, menu: QMenu, text: str, what: str, slot: Callable[[], object]
) -> QAction:
    """An action marked "(lead)" that runs only on a lead's seat (``_lead_only``)."""
    return _action(window, menu, f"{text} (lead)", _lead_only(window, what, slot))


def _lead_only(window: MainWindow, what: str, slot: Callable[[], object]) -> Callable[[], None]:
    """A lead's action: on another seat it says whose it is (the core would refuse it, or
    answer about data a labeler's workspace never holds)."""

    def run() -> None:
        profile = window.session.profile
        if profile is not None and profile.role == "lead":
            slot()
            return
        seat = f"this profile is a {profile.role}'s" if profile else "this seat has no profile yet"
        show_message(
            window,
            "A lead's task",
            f"{what} is a lead's task, and {seat}. File → Profile… sets the role "
            "(a lead's seat holds the team's labels, evals and feedback).",
        )

    return run


def build_menus(window: MainWindow) -> QAction:
    """Every menu; returns the View → Inline diff toggle (the window keeps its state)."""
    ws, emit = window.workspace, window.changes_applied.emit
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    _action(window, file_menu, "&Import bundle…", window.import_bundle_dialog, "Ctrl+I")
    _action(window, file_menu, "&Profile…", window.edit_profile)
    _action(window, file_menu, "&Export my labels…",
            lambda: exchange_actions.export_labels_dialog(window, ws))  # fmt: skip
    _action(window, file_menu, "Import &labels…",
            lambda: exchange_actions.import_labels_dialog(window, ws, emit))  # fmt: skip
    _lead_action(window, file_menu, "Export &pack…", "Exporting a label pack",
                 lambda: pack_actions.export_pack_dialog(window, ws, window.session))  # fmt: skip
    _lead_action(window, file_menu, "P&urge subject…", "Handling a deletion request",
                 lambda: pack_actions.purge_dialog(window, ws, emit))  # fmt: skip
    _action(window, file_menu, "Import &deletion notice…",
            lambda: pack_actions.import_notice_dialog(window, ws, emit))  # fmt: skip
    file_menu.addSeparator()
    _action(window, file_menu, "&Quit", window.close, QKeySequence.StandardKey.Quit)
    edit_menu = bar.addMenu("&Edit")
    _action(window, edit_menu, "&Undo last label", window.undo_last_label)
    team_menu = bar.addMenu("&Team")
    _action(window, team_menu, "Team &roster…",
            lambda: roster_actions.show_roster_dialog(window, ws))  # fmt: skip
    _action(window, team_menu, "Import the team r&oster…",
            lambda: roster_actions.import_roster_dialog(window, ws, emit))  # fmt: skip
    _action(window, team_menu, "Save my member &card…",
            lambda: roster_actions.save_card_dialog(window, ws))  # fmt: skip
    team_menu.addSeparator()
    _action(window, team_menu, "&Trust a labeler's key…",
            lambda: team_actions.trust_key_dialog(window, ws, emit))  # fmt: skip
    _lead_action(window, team_menu, "&Send feedback to labelers…", "Sending feedback",
                 lambda: team_actions.export_feedback_dialog(window, ws))  # fmt: skip
    _action(window, team_menu, "&Import the lead's feedback…",
            lambda: team_actions.import_feedback_dialog(window, ws, emit))  # fmt: skip
    eval_menu = bar.addMenu("E&val")
    build_eval = partial(eval_actions.build_eval_dialog, window, ws, window.import_bundle)
    _lead_action(window, eval_menu, "&Build an eval bundle…", "Building an eval bundle",
                 build_eval)  # fmt: skip
    _lead_action(window, eval_menu, "Run the &gate…", "Running the gate",
                 lambda: eval_actions.run_gate_dialog(window, ws, emit))  # fmt: skip
    view_menu = bar.addMenu("&View")
    inline = _action(window, view_menu, "&Inline diff", lambda: None, "D")
    inline.setCheckable(True)
    inline.toggled.connect(window.set_inline)
    _action(window, view_menu, "Show &restricted items…", window.unlock_restricted)
    _lead_action(window, view_menu, "&Audit log…", "Reading the audit log",
                 lambda: session_actions.show_audit_log(window, ws))  # fmt: skip
    _action(window, view_menu, "&Feedback from the lead…",
            lambda: exchange_actions.show_feedback(window, window.session))  # fmt: skip
    help_menu = bar.addMenu("&Help")
    _action(window, help_menu, "Rubric &guidance",
            lambda: workspace_actions.show_guidance(window, window.session), "F1")  # fmt: skip
    _action(window, help_menu, "&Rubric…", lambda: show_rubric_dialog(window))
    _action(window, help_menu, "&About Labeler",
            lambda: workspace_actions.show_about(window, ws))  # fmt: skip
    return inline
