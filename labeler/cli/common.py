"""Helpers the command modules share: the workspace option, prompts, opening a workspace."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from labeler.crypto.keys import PassphrasePrompt
    from labeler.workspace import Workspace

F = TypeVar("F", bound=Callable[..., Any])


def workspace_option(func: F) -> F:
    """``--workspace`` on a subcommand too, falling back to the group's value."""
    return click.option(
        "--workspace",
        "workspace",
        type=str,  # checked by the opener, in one sentence (see labeler/cli/__init__.py)
        default=None,
        help="Workspace file (overrides the global --workspace).",
    )(func)


def chosen_workspace(workspace: str | None) -> str | None:
    if workspace:
        return workspace
    ctx = click.get_current_context()
    root = ctx.find_root()
    return (root.obj or {}).get("workspace")


def terminal_prompt() -> PassphrasePrompt | None:
    """A getpass-style prompt, or None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None

    def ask(message: str, confirm: bool) -> str:
        return str(click.prompt(message, hide_input=True, confirmation_prompt=confirm))

    return ask


def open_workspace(workspace: str | None) -> Workspace:
    # Imported here: 'labeler pack verify' and '--help' never load the store (or its driver).
    from labeler.workspace import Workspace

    return Workspace.open(chosen_workspace(workspace), terminal_prompt())


@contextmanager
def reading_workspace(workspace: str | None) -> Iterator[Workspace]:
    """A workspace for a command that only reads labels and figures (never item texts): it
    reads while the open's page check runs (a 300 MB workspace: 0.4 s), and the check and
    retention are settled when the block ends, before the command prints anything: a damaged
    workspace is refused as ``open_workspace`` refuses it."""
    from labeler.workspace import Workspace

    ws = Workspace.open(chosen_workspace(workspace), terminal_prompt(), retention=False)
    try:
        yield ws
        ws.finish_open()
    finally:
        ws.close()


def check_week(ws: Workspace, week: str | None) -> None:
    """A --week must be an ISO week this workspace has items of (a typo printed a report of
    nothing, with exit 0)."""
    if week is None:
        return
    import re

    from labeler.errors import ValidationError
    from labeler.store import items as item_rows
    from labeler.triage.formats import WEEK_REGEX

    if not re.match(WEEK_REGEX, week):
        raise ValidationError(f"--week {week!r} is not an ISO week like 2026-W48.")
    weeks = item_rows.weeks(ws.store)
    if week not in weeks:
        held = ", ".join(weeks) if weeks else "none yet"
        raise ValidationError(
            f"--week {week}: this workspace holds no items of it (weeks: {held})."
        )


def echo_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False))


class ProgressBar:
    """A core ``ProgressCallback`` drawn as a click progress bar on stderr (terminals only)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Any = None

    def __call__(self, done: int, total: int, what: str) -> None:
        if not sys.stderr.isatty():
            return
        if self.bar is None:
            self.bar = click.progressbar(length=max(total, 1), label=self.label, file=sys.stderr)
        self.bar.label = f"{self.label}: {what}"
        self.bar.update(done - self.bar.pos)
        if done >= total:
            self.bar.render_finish()
            self.bar = None
