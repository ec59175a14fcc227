"""The ``labeler`` command: click groups, one module per group, thin over the core.

Any ``LabelerError`` becomes one sentence on stderr and exit code 2. So do the faults of the
machine rather than of the program — a full disk, a file that cannot be opened, the database
driver refusing — wherever they surface (``faults.sentence``). Qt is imported only inside the
commands that open the app.
"""

from __future__ import annotations

from typing import Any

import click

from labeler import __version__
from labeler.cli.faults import fault_sentence
from labeler.errors import LabelerError


class LabelerGroup(click.Group):
    """A group that turns user-facing errors into a clear message and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LabelerError as err:
            click.echo(f"Error: {err}", err=True)
            ctx.exit(2)
        except Exception as err:
            sentence = fault_sentence(err, (ctx.obj or {}).get("workspace"))
            if sentence is None:
                raise  # a bug: keep its traceback
            click.echo(f"Error: {sentence}", err=True)
            ctx.exit(2)


@click.group(cls=LabelerGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="labeler")
@click.option(
    "--workspace",
    "workspace",
    # A plain string: the workspace opener says in one sentence what is wrong with the path
    # (a folder, a link to nothing), where click.Path would print a usage error.
    type=str,
    envvar="LABELER_WORKSPACE",
    help="Workspace file (default: LABELER_WORKSPACE, else the user data dir).",
)
@click.pass_context
def cli(ctx: click.Context, workspace: str | None) -> None:
    """Labeler: turn feedback on a shipped AI feature into trustworthy labels.

    With no command, opens the app on the workspace.
    """
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace
    if ctx.invoked_subcommand is None:
        from labeler.cli.app_cmds import open_app

        ctx.exit(open_app(workspace, screenshot=None))


def _register() -> None:
    from labeler.cli import (
        agreement_cmds,
        app_cmds,
        audit_cmds,
        bundle_cmds,
        eval_cmds,
        exchange_cmds,
        pack_cmds,
        privacy_cmds,
        profile_cmds,
        rollout_cmds,
        roster_cmds,
        rubric_cmds,
        status_cmds,
        workspace_cmds,
    )

    modules = (
        workspace_cmds, app_cmds, bundle_cmds, exchange_cmds, agreement_cmds, pack_cmds,
        privacy_cmds, eval_cmds, rollout_cmds, status_cmds, profile_cmds, audit_cmds,
        rubric_cmds, roster_cmds,
    )  # fmt: skip
    for module in modules:
        for command in module.COMMANDS:
            cli.add_command(command)
    exchange_cmds.add_key_commands(workspace_cmds.keys)
    roster_cmds.add_card_command(workspace_cmds.keys)


_register()


def main() -> None:
    cli(prog_name="labeler")
