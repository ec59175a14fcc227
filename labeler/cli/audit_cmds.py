"""``labeler audit``: the audit log of restricted access (a lead's to read)."""

from __future__ import annotations

import click

from labeler.cli.common import echo_json, open_workspace, workspace_option


@click.command()
@workspace_option
@click.option("--item", "item_id", help="Only this item's entries.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def audit(workspace: str | None, item_id: str | None, as_json: bool) -> None:
    """Who unlocked, opened, marked, routed or redacted restricted items, and when."""
    from labeler.labeling.audit_log import audit_entries

    with open_workspace(workspace) as ws:
        entries = audit_entries(ws.session, item_id)
    if as_json:
        echo_json({"entries": [entry.to_json() for entry in entries]})
        return
    for entry in entries:
        click.echo(entry.sentence)
    if not entries:
        click.echo("The audit log is empty.")


COMMANDS = [audit]
