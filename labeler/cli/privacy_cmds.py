"""Privacy commands: deletion requests (purge) and retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from labeler.cli.common import echo_json, open_workspace, workspace_option


@click.command()
@workspace_option
@click.option("--subject", required=True, help="The customer/account reference, as captured.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="On a team (lead): write the signed, sealed deletion notice every laptop imports.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def purge(workspace: str | None, subject: str, output: Path | None, as_json: bool) -> None:
    """Delete everything of one subject; later imports skip it; name the packs to purge."""
    from labeler.crypto import roster
    from labeler.errors import LabelerError
    from labeler.privacy.notices import purge_with_notice
    from labeler.privacy.purge import purge_subject

    rows: list[dict[str, str]] | None = None
    with open_workspace(workspace) as ws:
        if output is not None:
            result, header = purge_with_notice(ws.store, ws.writer, subject, output)
            rows = [{"pack_id": r.pack_id, "item_id": r.item_id} for r in header.pack_rows]
        elif (mine := roster.me(ws.store)) is not None and mine.role == "lead":
            raise LabelerError(
                "On a team, the lead's purge writes the deletion notice every laptop applies: "
                "give -o NOTICE.ldel."
            )
        elif roster.current(ws.store) is not None:
            raise LabelerError(
                "On a team, deletion requests go through the lead, whose signed notice reaches "
                "every laptop: send the request to your lead, then import the notice "
                "('labeler notice import')."
            )
        else:
            result = purge_subject(ws.writer, subject)
    if as_json:
        echo_json(
            {"items": result.items, "labels": result.labels, "packs": result.packs,
             "scrubbed": result.scrubbed, "removed_partial_backups": result.removed_partials,
             "backups": result.backups, "notice": None if output is None else str(output),
             "pack_rows": rows}
        )  # fmt: skip
        return
    _report(result, output, rows)


def _report(result: Any, output: Path | None, rows: list[dict[str, str]] | None) -> None:
    click.echo(f"Purged {result.items} items and {result.labels} labels of that subject.")
    if output is not None:
        click.echo(f"Wrote the deletion notice {output}: every laptop of the team imports it.")
    if rows:
        click.echo("Pack rows the training team must delete (pack id, item id):")
        for row in rows:
            click.echo(f"  {row['pack_id']} {row['item_id']}")
    if result.packs:
        click.echo(
            "Packs already exported that held the subject (ask the training team to purge them):"
        )
        for pack_id in result.packs:
            click.echo(f"  {pack_id}")
    else:
        click.echo("No exported pack held the subject.")
    for path in result.removed_partials:
        click.echo(f"Deleted an interrupted backup's partial copy: {path}")
    if result.backups:
        click.echo("Backups made from this workspace may still hold the subject (delete them):")
        for path in result.backups:
            click.echo(f"  {path}")
    if not result.scrubbed:
        click.echo(
            "Not yet gone from the file's bytes: another program is reading the workspace. "
            "Close it; the next open of the workspace finishes the purge.",
            err=True,
        )


@click.group()
def retention() -> None:
    """Keep raw texts no longer than needed (default 12 weeks)."""


@retention.command(name="set")
@workspace_option
@click.argument("weeks", type=click.IntRange(1, 520))
def set_(workspace: str | None, weeks: int) -> None:
    """Set how many weeks raw texts are kept."""
    from labeler.privacy.retention import set_retention_weeks

    with open_workspace(workspace) as ws:
        set_retention_weeks(ws.writer, weeks)
    click.echo(f"Raw texts are now kept for {weeks} weeks.")


@retention.command()
@workspace_option
def apply(workspace: str | None) -> None:
    """Drop the raw texts of items older than the retention setting (also done on open)."""
    from labeler.privacy.retention import apply_retention, retention_weeks

    with open_workspace(workspace) as ws:
        count = apply_retention(ws.writer)
        weeks = retention_weeks(ws.store)
    click.echo(f"Removed the texts of {count} items older than {weeks} weeks.")


@click.group()
def notice() -> None:
    """Deletion notices from the team's lead."""


@notice.command(name="import")
@workspace_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def notice_import(workspace: str | None, file: Path, as_json: bool) -> None:
    """Apply a lead's deletion notice here (once; a notice applied already changes nothing)."""
    from labeler.privacy.notices import apply_notice

    with open_workspace(workspace) as ws:
        outcome = apply_notice(ws.store, ws.writer, file)
    result = outcome.result
    rows = [{"pack_id": r.pack_id, "item_id": r.item_id} for r in outcome.header.pack_rows]
    if as_json:
        echo_json(
            {"notice_id": outcome.header.notice_id, "applied": outcome.applied,
             "items": result.items if result else 0, "labels": result.labels if result else 0,
             "pack_rows": rows}
        )  # fmt: skip
        return
    if result is None:
        click.echo(f"{file.name}: applied here already; nothing changed.")
        return
    click.echo(
        f"{file.name}: purged {result.items} items and {result.labels} labels of that subject."
    )
    if not result.scrubbed:
        click.echo("Another program is reading the workspace: the next open finishes it.", err=True)


COMMANDS = [purge, retention, notice]
