"""Commands that move labels between laptops: labels export/import, keys show/trust."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import open_workspace, workspace_option


@click.group()
def labels() -> None:
    """Move labels between laptops as signed files."""


@labels.command(name="export")
@workspace_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_(workspace: str | None, output: Path) -> None:
    """Write your labels to a file signed with your key (NAME.llabels)."""
    from labeler.team.label_exchange import export_labels

    with open_workspace(workspace) as ws:
        count = export_labels(ws.session, output)
    click.echo(f"Exported {count} labels to {output}.")


@labels.command(name="import")
@workspace_option
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--accept-rubric", is_flag=True, help="Take labels made under another rubric version."
)
def import_(workspace: str | None, files: tuple[Path, ...], accept_rubric: bool) -> None:
    """Import labelers' signed exports (each checked whole before it is written)."""
    from labeler.team.label_exchange import import_labels

    with open_workspace(workspace) as ws:
        session = ws.session
        for path in files:
            outcome = import_labels(session, path, accept_rubric=accept_rubric)
            click.echo(
                f"{path.name}: {outcome.labels} labels from {outcome.labeler} ({outcome.note})."
            )


def add_key_commands(keys: click.Group) -> None:
    @keys.command()
    @workspace_option
    def show(workspace: str | None) -> None:
        """Print your public signing key, its fingerprint, and the labeler id it gives."""
        from labeler.crypto.signing import signing_key
        from labeler.team.identity import key_labeler_id

        with open_workspace(workspace) as ws:
            public = signing_key(ws.store).public
        click.echo(f"Public key:  {public.encoded()}")
        click.echo(f"Key id:      {public.key_id_hex}")
        click.echo(f"Fingerprint: {public.fingerprint()}")
        click.echo(f"Labeler id:  {key_labeler_id(public)} (for bundle build --labeler)")

    @keys.command(name="trust")
    @workspace_option
    @click.argument("public_key")
    @click.option("--name", required=True, help="Who this key belongs to.")
    def trust_(workspace: str | None, public_key: str, name: str) -> None:
        """Trust a labeler's public key (from their 'labeler keys show')."""
        from labeler.clock import utc_now
        from labeler.crypto.signing import parse_public_key
        from labeler.store import exchange

        parsed = parse_public_key(public_key)
        with open_workspace(workspace) as ws:
            ws.writer.run(lambda tx: exchange.trust(tx, parsed.encoded(), name, utc_now()))
        click.echo(f"Trusted {name}: {parsed.fingerprint()}")

    @keys.command(name="trusted")
    @workspace_option
    def trusted_(workspace: str | None) -> None:
        """List the labelers' keys this workspace trusts."""
        from labeler.crypto.signing import parse_public_key
        from labeler.store import exchange

        with open_workspace(workspace) as ws:
            entries = exchange.trusted(ws.store)
        if not entries:
            click.echo("No trusted keys yet: 'labeler keys trust PUBKEY --name NAME'.")
        for name, key in entries:
            click.echo(f"{name}: {parse_public_key(key).fingerprint()}  {key}")

    @keys.command(name="export-public")
    @workspace_option
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
    def export_public(workspace: str | None, output: Path) -> None:
        """Write your public key as a minisign public key file (for pack verification)."""
        from labeler.crypto.signing import signing_key

        with open_workspace(workspace) as ws:
            public = signing_key(ws.store).public
        output.write_text(public.minisign_file(), encoding="ascii")
        click.echo(f"Wrote {output} (key id {public.key_id_hex}).")


COMMANDS = [labels]
