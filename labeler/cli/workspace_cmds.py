"""Workspace commands: init, info, backup, and key rotation."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import (
    chosen_workspace,
    echo_json,
    open_workspace,
    terminal_prompt,
    workspace_option,
)


@click.command()
@workspace_option
def init(workspace: str | None) -> None:
    """Create a new, empty encrypted workspace."""
    from labeler.workspace import Workspace

    with Workspace.create(chosen_workspace(workspace), terminal_prompt()) as ws:
        click.echo(f"Created workspace {ws.path} (key source: {ws.key_source}).")


@click.command()
@workspace_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def info(workspace: str | None, as_json: bool) -> None:
    """Show the workspace path, schema version, counts and key source (never the key)."""
    with open_workspace(workspace) as ws:
        details = ws.info()
    if as_json:
        echo_json(details.as_dict())
        return
    click.echo(f"Workspace:      {details.path}")
    click.echo(f"Workspace id:   {details.workspace_id}")
    click.echo(f"Schema version: {details.schema_version}")
    click.echo(f"Key source:     {details.key_source}")
    click.echo(f"Bundles:        {details.bundles}")
    click.echo(f"Items:          {details.items} ({details.restricted} restricted)")
    click.echo(f"Labels:         {details.labels}")
    click.echo(f"Weeks:          {', '.join(details.weeks) or '-'}")


@click.command()
@workspace_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--portable",
    is_flag=True,
    help="Encrypt the copy under a backup passphrase (LABELER_BACKUP_PASSPHRASE or a prompt) "
    "so it opens on any machine, not only where this keychain is.",
)
def backup(workspace: str | None, output: Path, portable: bool) -> None:
    """Write an encrypted copy of the workspace and verify that it opens."""
    with open_workspace(workspace) as ws:
        copied = ws.backup(output, portable=portable, prompt=terminal_prompt())
        source = "backup passphrase" if portable else ws.key_source
    click.echo(
        f"Backed up {copied.items} items, {copied.labels} labels to {output} "
        f"(opens with the {source})."
    )


@click.group()
def keys() -> None:
    """Workspace and signing keys."""


@keys.command()
@workspace_option
def rotate(workspace: str | None) -> None:
    """Re-key the workspace; the old key is dropped only after the new one reopens it."""
    with open_workspace(workspace) as ws:
        orphaned = ws.rotate_key(terminal_prompt())
        click.echo(f"Re-keyed {ws.path} (key source: {ws.key_source}).")
        source = ws.key_source
    if orphaned:
        opens = (
            "no longer open: their key was the old keychain key"
            if source == "keychain"
            else "open only with the old passphrase"
        )
        click.echo(
            f"Backups made before the rotation {opens}; make a new backup "
            "(--portable opens anywhere):"
        )
        for path in orphaned:
            click.echo(f"  {path}")


COMMANDS = [init, info, backup, keys]
