"""Pack commands: export (lead) and verify (anyone with the lead's public key)."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import ProgressBar, open_workspace, workspace_option


@click.group()
def pack() -> None:
    """Signed label packs for training and evaluation."""


@pack.command(name="export")
@workspace_option
@click.option("--kind", required=True, type=click.Choice(["training", "eval"]))
@click.option("--week", "weeks", multiple=True, help="Only these ISO weeks (repeatable).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False, path_type=Path))
def export_(workspace: str | None, kind: str, weeks: tuple[str, ...], output: Path) -> None:
    """Export gold labels as a signed pack (training: never the holdout; eval: the holdout)."""
    from labeler.packs.export import PackOptions, export_pack

    with open_workspace(workspace) as ws:
        manifest = export_pack(
            ws.session, PackOptions(kind, weeks), output, ProgressBar("Exporting")
        )
    excluded = ", ".join(f"{k} {v}" for k, v in sorted(manifest["counts"]["excluded"].items()))
    click.echo(
        f"Wrote {kind} pack {manifest['pack_id']} to {output}: {manifest['counts']['rows']} rows."
    )
    click.echo(f"Excluded: {excluded or 'none'}.")


@pack.command()
@click.argument("directory", type=click.Path(path_type=Path))
@click.option(
    "--pubkey",
    required=True,
    type=click.Path(path_type=Path),  # checked by verify_pack, in one sentence
    help="The lead's minisign public key file.",
)
def verify(directory: Path, pubkey: Path) -> None:
    """Check a pack's signature, every file's size and hash, and that none is missing or added."""
    from labeler.packs.verify import verify_pack

    manifest = verify_pack(directory, pubkey)
    click.echo(
        f"OK: {manifest['kind']} pack {manifest['pack_id']}, {manifest['counts']['rows']} rows, "
        f"signed by {manifest.get('creator_name', '?')} (key {manifest.get('signer_key_id', '?')})."
    )


COMMANDS = [pack]
