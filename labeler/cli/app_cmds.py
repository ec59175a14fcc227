"""Commands that open the app: ``gui`` and ``demo``. Qt is imported inside them only."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from labeler.cli.common import chosen_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.workspace import Workspace


def _ensure_platform(screenshot: Path | None) -> None:
    """A screenshot needs no screen: use Qt's offscreen platform when there is none."""
    headless = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if screenshot is not None and headless and sys.platform.startswith("linux"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def open_app(
    workspace: str | None,
    screenshot: Path | None,
    *,
    opened: Workspace | None = None,
    tab: str | None = None,
) -> int:
    _ensure_platform(screenshot)
    from labeler.gui.app import run_app

    return run_app(workspace, opened=opened, screenshot=screenshot, tab=tab)


_screenshot_option = click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Render the main window once, save it as PNG, and exit.",
)
_tab_option = click.option(
    "--tab",
    type=click.Choice(["Home", "Label", "Reconcile", "Agreement", "Eval"]),
    help="Open on this tab (Reconcile, Agreement and Eval are a lead's).",
)


@click.command()
@workspace_option
@_screenshot_option
@_tab_option
def gui(workspace: str | None, screenshot: Path | None, tab: str | None) -> None:
    """Open the app on the workspace (creating it on first run)."""
    raise SystemExit(open_app(chosen_workspace(workspace), screenshot, tab=tab))


@click.command()
@click.option(
    "--workspace",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Keep the demo workspace at PATH (reused if it exists) instead of a throwaway one.",
)
@click.option("--no-gui", is_flag=True, help="Only build the demo workspace.")
@click.option(
    "--role",
    type=click.Choice(["labeler", "lead"]),
    default="labeler",
    show_default=True,
    help="Whose seat to open the demo in.",
)
@_screenshot_option
@_tab_option
def demo(
    workspace: Path | None, no_gui: bool, role: str, screenshot: Path | None, tab: str | None
) -> None:
    """Build a workspace with a realistic synthetic week and open the app on it."""
    from labeler.demo.build import open_or_build_demo

    throwaway = workspace is None
    folder = Path(tempfile.mkdtemp(prefix="labeler-demo-")) if throwaway else None
    path = (folder / "demo.lbw") if folder else workspace
    assert path is not None
    try:
        ws = open_or_build_demo(path, role=role)
        details = ws.info()
        click.echo(
            f"Demo workspace {details.path}: {details.items} items, {details.labels} labels "
            f"(key source: {details.key_source})."
        )
        if no_gui:
            ws.close()
            return
        code = open_app(str(path), screenshot, opened=ws, tab=tab)
    finally:
        if folder is not None:
            from labeler.demo.build import discard_demo

            discard_demo(path)
            shutil.rmtree(folder, ignore_errors=True)
    raise SystemExit(code)


COMMANDS = [gui, demo]
