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
    "so it opens on any machine, not only where this keychain is. The copy carries your "
    "signing key and age identity, so the passphrase now guards them too.",
)
def backup(workspace: str | None, output: Path, portable: bool) -> None:
    """Write an encrypted copy of the workspace and verify that it opens.

    A --portable copy carries the signing key and the age identity inside it (encrypted
    under the backup passphrase): opened on a new laptop, it goes on signing and opening
    sealed files. A plain copy opens only with this keychain, which keeps the keys.
    """
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


@keys.command(name="rotate-signing")
@workspace_option
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
    help="Where to write your new member card (required unless you are the team's lead).",
)  # fmt: skip
@click.option("--name", default=None, help="Your display name on the card (default: the one "
              "the roster or your profile gives).")  # fmt: skip
@click.option("--age", is_flag=True, help="Make a new age identity (encryption key) too.")
def rotate_signing(workspace: str | None, output: Path | None, name: str | None, age: bool) -> None:
    """Make a new signing key (and with --age a new age identity) for this workspace."""
    from labeler.crypto import roster as team
    from labeler.crypto.rotation import rotate_signing as rotate
    from labeler.errors import LabelerError

    if output is not None and (output.exists() or not output.parent.is_dir()):
        raise LabelerError(f"{output} exists or its folder does not; choose a new card file.")
    with open_workspace(workspace) as ws:
        try:
            member = team.me(ws.store)
        except LabelerError:  # the old key is out of reach: the profile names you
            member = None
        lead = member is not None and member.role == "lead"
        if output is None and not lead:
            raise click.UsageError("Give -o NEW.card: the lead needs your new card.")
        profile = ws.session.profile
        shown = name or (member.display_name if member else None)
        shown = shown or (profile.display_name if profile else None)
        if output is not None and not shown:
            raise click.UsageError("Give --name: the card carries your display name.")
        done = rotate(ws.store, ws.writer, age=age)
        if output is not None and shown:
            team.write_card(ws.store, output, shown)
    click.echo(f"New signing key {done.new.fingerprint()}" + (" and age identity." if age else "."))
    if done.roster is not None:
        click.echo(
            f"Roster v{done.roster.version}, signed by your old key, names the new one: send it "
            "to everyone ('labeler roster export -o team.roster') before any roster your new "
            "key signs."
        )
    if output is not None and not lead:
        who = member.id if member else "YOUR-ID"
        click.echo(
            f"Wrote {output}: send it to your lead, who runs 'labeler roster set {who} --card "
            f"{output.name}' (your old key is revoked from then); until their new roster is "
            "imported here, files you sign are refused by the team."
        )


COMMANDS = [init, info, backup, keys]
