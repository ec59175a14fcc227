"""Privacy commands: deletion requests (purge) and retention."""

from __future__ import annotations

import click

from labeler.cli.common import echo_json, open_workspace, workspace_option


@click.command()
@workspace_option
@click.option("--subject", required=True, help="The customer/account reference, as captured.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def purge(workspace: str | None, subject: str, as_json: bool) -> None:
    """Delete everything of one subject; later imports skip it; name the packs to purge."""
    from labeler.privacy.purge import purge_subject

    with open_workspace(workspace) as ws:
        result = purge_subject(ws.writer, subject)
    if as_json:
        echo_json(
            {"items": result.items, "labels": result.labels, "packs": result.packs,
             "scrubbed": result.scrubbed, "removed_partial_backups": result.removed_partials,
             "backups": result.backups}
        )  # fmt: skip
        return
    click.echo(f"Purged {result.items} items and {result.labels} labels of that subject.")
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


COMMANDS = [purge, retention]
