"""``labeler rubric``: the workspace's rubric versions, installing a new one (lead), and
sending it to labelers' laptops as a signed file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from labeler.cli.common import echo_json, open_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.labeling.rubric_versions import RubricVersion
    from labeler.team.rubric_release import Release

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def rubric() -> None:
    """The rubric: its versions, installing a new one, and sending it to labelers."""


def _echo_release(release: Release, verb: str) -> None:
    from labeler.labeling.rubric_diff import describe

    new = release.rubric
    click.echo(f"{verb} rubric {new.id} version {new.version}; it is now the current one.")
    for line in describe(release.diff):
        click.echo(line)
    click.echo(f"{release.queued} item(s) queued for re-check.")


@rubric.command()
@workspace_option
@click.argument("file", type=_FILE)
@click.option("--guidance", type=_FILE, help="The guidance markdown (default: the file it names).")
def install(workspace: str | None, file: Path, guidance: Path | None) -> None:
    """Install a new rubric version from a YAML file (lead); queues what it sends back."""
    from labeler.team.rubric_release import install_rubric

    with open_workspace(workspace) as ws:
        release = install_rubric(ws.session, file, guidance)
    _echo_release(release, "Installed")


def _echo_version(version: RubricVersion) -> None:
    row, rubric = version.row, version.rubric
    current = " (current)" if row.current else ""
    click.echo(f"Rubric {row.rubric_id} version {row.version}{current} — {rubric.title}")
    click.echo(f"  content hash {row.content_hash}")
    click.echo(f"  {row.installed_at}: {version.how}")
    if row.signed_by_key:
        from labeler.crypto.signing import parse_public_key

        click.echo(f"  signature key {parse_public_key(row.signed_by_key).fingerprint()}")
    click.echo(f"  {len(rubric.questions)} questions:")
    for q in rubric.questions:
        rule = "required" if q.required else ("required when" if q.required_when else "optional")
        choices = ", ".join(c.id for c in q.choices) or "text"
        click.echo(f"    {q.id:<14} {q.kind:<13} {rule:<13} {choices}")


def _diff_ends(spec: str) -> tuple[str, str | None]:
    old, _, new = spec.partition("..")
    if not old:
        raise click.BadParameter(
            "write V1..V2 (or V1.. for V1 to the current)", param_hint="--diff"
        )
    return old, new or None


@rubric.command()
@workspace_option
@click.option("--version", "version", metavar="V", help="One version (VERSION or ID:VERSION).")
@click.option("--diff", "diff", metavar="V1..V2", help="The clause diff between two versions.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def show(workspace: str | None, version: str | None, diff: str | None, as_json: bool) -> None:
    """The current version and the history; one version; or the clause diff of two."""
    from labeler.labeling import rubric_versions
    from labeler.labeling.rubric_diff import describe, diff_rubrics

    ends = _diff_ends(diff) if diff else None
    with open_workspace(workspace) as ws:
        current = ws.session.rubric
        store = ws.store
        if ends is not None:
            old = rubric_versions.find_version(store, ends[0]).rubric
            new = rubric_versions.find_version(store, ends[1]).rubric if ends[1] else current
            changes = diff_rubrics(old, new)
            if as_json:
                echo_json(changes.to_json())
            else:
                click.echo("\n".join(describe(changes)))
            return
        if version is not None:
            found = rubric_versions.find_version(store, version)
            if as_json:
                echo_json(found.to_json())
            else:
                _echo_version(found)
            return
        history = rubric_versions.versions(store)
    if as_json:
        echo_json({"current": history[-1].to_json(), "history": [v.to_json() for v in history]})
        return
    _echo_version(next(v for v in history if v.row.current))
    click.echo("\nHistory (oldest first):")
    for entry in history:
        mark = "  (current)" if entry.row.current else ""
        click.echo(f"  {entry.row.seq:>3}  {entry.name:<24} {entry.row.installed_at}  "
                   f"{entry.how}{mark}")  # fmt: skip


@rubric.command(name="export")
@workspace_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_(workspace: str | None, output: Path) -> None:
    """Write the current version signed with your key, for labelers' laptops (lead)."""
    from labeler.team.rubric_release import export_rubric

    with open_workspace(workspace) as ws:
        version = export_rubric(ws.session, output)
    click.echo(f"Exported rubric {version.name}, signed, to {output}.")


@rubric.command(name="import")
@workspace_option
@click.argument("file", type=_FILE)
def import_(workspace: str | None, file: Path) -> None:
    """Take the lead's signed rubric file as the new current version (a trusted lead's only)."""
    from labeler.team.rubric_release import import_rubric

    with open_workspace(workspace) as ws:
        release = import_rubric(ws.session, file)
        current = ws.session.rubric
    if release is None:
        click.echo(f"{file.name}: rubric {current.id} {current.version} is already current.")
        return
    _echo_release(release, "Imported")


COMMANDS = [rubric]
