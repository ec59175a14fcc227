"""Start the app: QApplication, open the workspace (asking for a passphrase if needed), run.

``--screenshot`` renders the main window once, saves it and exits: for docs and headless checks.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget

from labeler.crypto.keys import PassphrasePrompt
from labeler.errors import LabelerError, WrongKeyError
from labeler.gui.errors import show_error
from labeler.workspace import Workspace, resolve_path


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


SCREENSHOT_SIZE = (1440, 900)


def save_screenshot(window: QWidget, target: Path, size: tuple[int, int] = SCREENSHOT_SIZE) -> None:
    app = application()
    window.resize(*size)
    window.show()
    for _ in range(5):
        app.processEvents()
    loading = getattr(window, "views_loading", None)
    deadline = time.monotonic() + 30
    while loading is not None and loading() and time.monotonic() < deadline:
        app.processEvents()  # the shown view's data is computed off the GUI thread
        time.sleep(0.01)
    cache = getattr(window, "render_cache", None)
    if cache is not None:  # the item's colours start a moment after it is shown
        settle = time.monotonic() + 0.25
        while time.monotonic() < settle:
            app.processEvents()
            time.sleep(0.01)
        cache.wait_idle(5000)
    for _ in range(5):
        app.processEvents()
    if not window.grab().save(str(target), "PNG"):
        raise LabelerError(f"Could not write the screenshot to {target}.")


def no_tab_message(tab: str, tabs: list[str]) -> str:
    return (
        f"This seat has no {tab} tab (it has {', '.join(tabs)}): Reconcile, Agreement, Eval "
        "and Rollout are a lead's. Set the profile's role to lead (for the demo: --role lead "
        "on a new --workspace)."
    )


MAX_PASSPHRASE_TRIES = 3


def open_workspace(path: str | None, *, interactive: bool) -> Workspace:
    """Open (or create) the workspace; a wrong passphrase may be tried again, and every
    prompt names the file. Not ``interactive`` (a screenshot): never prompt, never wait."""
    resolved = resolve_path(path)
    if not interactive:
        return Workspace.open_or_create(resolved, None, retention=False)
    ask = dialog_prompt()
    prefix = ""

    def prompt(message: str, confirm: bool) -> str:
        return ask(f"{prefix}{message} ({resolved.name}, in {resolved.parent})", confirm)

    for attempt in range(1, MAX_PASSPHRASE_TRIES + 1):
        try:
            # Retention runs on a worker once the window shows: opening never waits on it.
            return Workspace.open_or_create(resolved, prompt, retention=False)
        except WrongKeyError:
            if attempt == MAX_PASSPHRASE_TRIES:
                raise
            prefix = "That passphrase does not open the file. "
    raise AssertionError("unreachable")


def use_settings_folder(folder: Path) -> None:
    """Keep this run's window settings in ``folder`` (the demo's), not the user's own."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def run_app(
    path: str | None,
    *,
    opened: Workspace | None = None,
    screenshot: Path | None = None,
    tab: str | None = None,
    settings_dir: Path | None = None,
    size: tuple[int, int] = SCREENSHOT_SIZE,
) -> int:
    app = application()
    if settings_dir is not None:
        use_settings_folder(settings_dir)
    workspace = opened
    if workspace is None:
        try:
            workspace = open_workspace(path, interactive=screenshot is None)
        except LabelerError as err:
            if screenshot is not None:
                print(f"Error: {err}", file=sys.stderr)
            else:
                show_error(None, "Cannot open the workspace", err)
            return 2
    from labeler.gui.main_window import MainWindow

    window = MainWindow(workspace)
    if tab and not window.show_tab(tab):
        message = no_tab_message(tab, window.tab_names())
        window.close()
        workspace.close()
        print(f"Error: {message}", file=sys.stderr)
        if screenshot is None:  # started from a launcher, there is no terminal to read
            show_error(None, "No such tab", LabelerError(message))
        return 2
    if opened is None:
        window.apply_retention()
    try:
        if screenshot is not None:
            save_screenshot(window, screenshot, size)
            return 0
        window.show()
        if window.session.profile is None:
            QTimer.singleShot(0, window.edit_profile)  # first run: who is labeling here?
        return app.exec()
    finally:
        window.close()
        workspace.close()
