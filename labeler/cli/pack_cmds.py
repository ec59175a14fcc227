"""Pack commands: export (lead), verify (anyone with the lead's public key), and check a
training set against an eval pack's holdout (the training team)."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import ProgressBar, echo_json, open_workspace, workspace_option


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


@pack.command(name="check")
@click.argument("training", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--eval-pack",
    "eval_pack",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The eval pack whose holdout must not be in the training set.",
)
@click.option(
    "--text-column",
    "text_columns",
    multiple=True,
    help="A column to compare (repeatable; default: every text column).",
)
@click.option(
    "--pubkey",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The lead's minisign public key: verify the eval pack before using it.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(
    training: Path,
    eval_pack: Path,
    text_columns: tuple[str, ...],
    pubkey: Path | None,
    as_json: bool,
) -> None:
    """List every row of a training file (Parquet or JSON lines) that equals or nearly equals
    a holdout text of the eval pack: exit 1 if any, 0 if none, 2 on bad input."""
    from labeler.packs.check import check_training

    result = check_training(
        training, eval_pack, list(text_columns) or None, pubkey, ProgressBar("Checking")
    )
    if as_json:
        echo_json(result.to_json())
    else:
        for f in result.findings:
            kind = "exact copy" if f.exact else f"near duplicate (Jaccard {f.similarity:.2f})"
            click.echo(
                f"{training.name} row {f.row} ({f.column}): {kind} of holdout item "
                f"{f.holdout_item} ({f.holdout_field})"
            )
        rows = len({f.row for f in result.findings})
        click.echo(
            f"{rows} of {result.rows} rows copy the holdout of eval pack {result.pack_id} "
            f"({result.holdout_rows} rows, {result.holdout_texts} texts; columns "
            f"{', '.join(result.columns) or '—'}); {result.rows_per_second:,.0f} rows/s."
            + ("" if result.verified else " The eval pack was not verified (give --pubkey).")
        )
    raise SystemExit(1 if result.findings else 0)


COMMANDS = [pack]
