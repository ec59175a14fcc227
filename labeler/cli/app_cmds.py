"""Commands that open the app: ``gui`` and ``demo``. Qt is imported inside them only."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.core import ParameterSource

from labeler.cli.common import chosen_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.workspace import Workspace


def _ensure_platform(screenshot: Path | None) -> None:
    """A screenshot needs no screen: it always renders offscreen (so it never waits on one).
    A window needs a display Qt can open: if there is none, say so before Qt aborts."""
    from labeler.cli.display import display_problem
    from labeler.errors import LabelerError

    if screenshot is not None and sys.platform.startswith("linux"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return
    problem = display_problem(screenshot=False)
    if problem is not None:
        raise LabelerError(problem)


def open_app(
    workspace: str | None,
    screenshot: Path | None,
    *,
    opened: Workspace | None = None,
    tab: str | None = None,
    settings_dir: Path | None = None,
    size: tuple[int, int] = (1440, 900),
) -> int:
    try:
        _ensure_platform(screenshot)
        try:
            from labeler.gui.app import run_app
        except ImportError as err:  # Qt's own libraries cannot load (e.g. no libEGL)
            from labeler.cli.display import DESKTOP_PACKAGES
            from labeler.errors import LabelerError

            raise LabelerError(
                f"Qt cannot load ({err}); install its libraries with 'sudo apt-get install "
                f"{DESKTOP_PACKAGES}' (Debian/Ubuntu)."
            ) from None
    except BaseException:
        if opened is not None:
            opened.close()
        raise
    return run_app(
        workspace,
        opened=opened,
        screenshot=screenshot,
        tab=tab,
        settings_dir=settings_dir,
        size=size,
    )


_screenshot_option = click.option(
    "--screenshot",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Render the main window once, save it as PNG, and exit.",
)


def _parse_size(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter("give it as WIDTHxHEIGHT, e.g. 1920x1080") from None
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise click.BadParameter("between 320x240 and 7680x4320")
    return width, height


_size_option = click.option(
    "--size",
    default="1440x900",
    show_default=True,
    callback=_parse_size,
    help="Window size for --screenshot, as WIDTHxHEIGHT.",
)
_tab_option = click.option(
    "--tab",
    type=click.Choice(["Home", "Label", "Reconcile", "Agreement", "Eval", "Rollout"]),
    help="Open on this tab (Reconcile, Agreement, Eval and Rollout are a lead's).",
)


@click.command()
@workspace_option
@_screenshot_option
@_size_option
@_tab_option
def gui(
    workspace: str | None, screenshot: Path | None, size: tuple[int, int], tab: str | None
) -> None:
    """Open the app on the workspace (creating it on first run)."""
    raise SystemExit(open_app(chosen_workspace(workspace), screenshot, tab=tab, size=size))


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
@_size_option
@_tab_option
def demo(
    workspace: Path | None,
    no_gui: bool,
    role: str,
    screenshot: Path | None,
    size: tuple[int, int],
    tab: str | None,
) -> None:
    """Build a workspace with a realistic synthetic week and open the app on it."""
    from labeler.demo.build import open_or_build_demo

    if not no_gui:
        _ensure_platform(screenshot)  # before building: no display is one sentence, at once
    throwaway = workspace is None
    folder = Path(tempfile.mkdtemp(prefix="labeler-demo-")) if throwaway else None
    path = (folder / "demo.lbw") if folder else workspace
    assert path is not None
    existed = path.exists()
    code = 2
    try:
        ws = open_or_build_demo(path, role=role, team=True)
        _check_role(ws, role, path)
        details = ws.info()
        click.echo(
            f"Demo workspace {details.path}: {details.items} items, {details.labels} labels "
            f"(key source: {details.key_source})."
        )
        if no_gui:
            ws.close()
            code = 0
            return
        # The demo's window settings stay beside the demo, never in the user's own.
        settings = (folder or path.with_name(path.name + ".settings")) / "settings"
        code = open_app(str(path), screenshot, opened=ws, tab=tab, settings_dir=settings, size=size)
    finally:
        if folder is not None or (code != 0 and not existed):  # a failed run leaves nothing
            from labeler.demo.build import discard_demo

            discard_demo(path)
            shutil.rmtree(folder or path.with_name(path.name + ".settings"), ignore_errors=True)
    raise SystemExit(code)


def _check_role(ws: Workspace, role: str, path: Path) -> None:
    """A demo workspace kept from an earlier run is that run's seat: a --role it was not
    built for is refused, not quietly ignored."""
    profile = ws.session.profile
    asked = click.get_current_context().get_parameter_source("role")
    if profile is None or profile.role == role or asked is not ParameterSource.COMMANDLINE:
        return
    ws.close()
    raise click.UsageError(
        f"{path} is a demo built for a {profile.role}'s seat: --role {role} needs another "
        "--workspace (or delete this one)."
    )


COMMANDS = [gui, demo]
