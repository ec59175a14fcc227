"""Start the app: QApplication, open the workspace (asking for a passphrase if needed), run.

``--screenshot`` renders the main window once, saves it and exits: for docs and headless checks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget

from labeler.crypto.keys import PassphrasePrompt
from labeler.errors import LabelerError
from labeler.gui.errors import show_error
from labeler.workspace import Workspace


def application() -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    # Hand the GIL back to the GUI thread within 1 ms (not 5) while a render worker runs.
    sys.setswitchinterval(0.001)
    app = QApplication(sys.argv[:1])
    app.setApplicationName("Labeler")
    app.setOrganizationName("Labeler")
    return app


def dialog_prompt(parent: QWidget | None = None) -> PassphrasePrompt:
    def ask(message: str, confirm: bool) -> str:
        first, ok = QInputDialog.getText(parent, "Labeler", message, QLineEdit.EchoMode.Password)
        if not ok:
            return ""
        if confirm:
            again, ok = QInputDialog.getText(
                parent, "Labeler", "Enter it once more", QLineEdit.EchoMode.Password
            )
            if not ok or again != first:
                return ""
        return str(first)

    return ask


def save_screenshot(window: QWidget, target: Path) -> None:
    app = application()
    window.resize(1440, 900)
    window.show()
    for _ in range(5):
        app.processEvents()
    loading = getattr(window, "views_loading", None)
    deadline = time.monotonic() + 30
    while loading is not None and loading() and time.monotonic() < deadline:
        app.processEvents()  # the shown view's data is computed off the GUI thread
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
    if not window.grab().save(str(target), "PNG"):
        raise LabelerError(f"Could not write the screenshot to {target}.")


def no_tab_message(tab: str, tabs: list[str]) -> str:
    return (
        f"This seat has no {tab} tab (it has {', '.join(tabs)}): Reconcile, Agreement and "
        "Eval are a lead's. Set the profile's role to lead (for the demo: --role lead)."
    )


def run_app(
    path: str | None,
    *,
    opened: Workspace | None = None,
    screenshot: Path | None = None,
    tab: str | None = None,
) -> int:
    app = application()
    workspace = opened
    if workspace is None:
        try:
            # Retention runs on a worker once the window shows: opening never waits on it.
            workspace = Workspace.open_or_create(path, dialog_prompt(), retention=False)
        except LabelerError as err:
            if screenshot is not None:
                print(f"Error: {err}", file=sys.stderr)
            else:
                show_error(None, "Cannot open the workspace", err)
            return 2
    from labeler.gui.main_window import MainWindow

    window = MainWindow(workspace)
    if tab and not window.show_tab(tab):
        window.close()
        workspace.close()
        print(f"Error: {no_tab_message(tab, window.tab_names())}", file=sys.stderr)
        return 2
    if opened is None:
        window.apply_retention()
    try:
        if screenshot is not None:
            save_screenshot(window, screenshot)
            return 0
        window.show()
        if window.session.profile is None:
            QTimer.singleShot(0, window.edit_profile)  # first run: who is labeling here?
        return app.exec()
    finally:
        window.close()
        workspace.close()
