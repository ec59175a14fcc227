"""``labeler profile``: who is labeling on this laptop (the app asks on first run)."""

from __future__ import annotations

import click

from labeler.cli.common import open_workspace, workspace_option


@click.group()
def profile() -> None:
    """Your labeler profile in this workspace (its id is stable)."""


@profile.command(name="set")
@workspace_option
@click.option("--name", required=True, help="Display name.")
@click.option(
    "--role",
    type=click.Choice(["labeler", "lead"]),
    default=None,
    help="labeler (the default) or lead; on a team, the roster's.",
)
@click.option(
    "--restricted/--no-restricted",
    default=None,
    help="May see restricted items (default no); on a team, the roster's.",
)
def set_(workspace: str | None, name: str, role: str | None, restricted: bool | None) -> None:
    """Create or update your profile (on a team the roster gives the role and access)."""

    with open_workspace(workspace) as ws:
        session = ws.session
        session.create_profile(name, role, restricted)
        me = session.profile
    assert me is not None
    click.echo(f"{me.display_name} ({me.role}), id {me.id}")


@profile.command()
@workspace_option
def show(workspace: str | None) -> None:
    """Print your profile."""

    with open_workspace(workspace) as ws:
        me = ws.session.profile
    if me is None:
        click.echo("No profile yet: run 'labeler profile set --name NAME'.")
        return
    access = "with" if me.restricted_access else "without"
    click.echo(f"{me.display_name} ({me.role}, {access} restricted access), id {me.id}")


COMMANDS = [profile]
