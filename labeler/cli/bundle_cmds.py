"""Bundle commands: build (triage), inspect, import."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import click

from labeler.cli.common import ProgressBar, echo_json, open_workspace, workspace_option


@click.group()
def bundle() -> None:
    """Weekly sample bundles: build from capture events, inspect, import."""


@bundle.command()
@click.argument("events", nargs=-1, required=True)
@click.option("--week", required=True, help="ISO week of the bundle, e.g. 2026-W48.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--per-reason",
    default=20,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Cap per reason code.",
)
@click.option(
    "--normal",
    default=10,
    show_default=True,
    type=click.IntRange(0, 10_000),
    help="Normal-traffic samples.",
)
@click.option(
    "--overlap",
    default=15,
    show_default=True,
    type=click.IntRange(10, 20),
    help="Items both labelers label.",
)
@click.option(
    "--holdout-rate",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share kept for evaluation.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the sample (same seed, same bundle).",
)
@click.option(
    "--holdout-key",
    envvar="LABELER_HOLDOUT_KEY",
    default=None,
    help="Key of the holdout hash (LABELER_HOLDOUT_KEY); keep it the same every week.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "python", "spark"]),
    default="duckdb",
    show_default=True,
    help="Who reads and samples the events: embedded DuckDB, the Python reference, or Spark.",
)
@click.option(
    "--memory-limit",
    default="500MB",
    show_default=True,
    help="DuckDB's memory cap; beyond it, it spills to a temporary folder.",
)
@click.option("--threads", type=click.IntRange(1, 1024), help="DuckDB threads (default: cores).")
@click.option(
    "--temp-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where DuckDB spills (a folder inside it, deleted afterwards).",
)
@click.option(
    "--partition-column",
    help="A hive partition column holding the day (yyyy-mm-dd): only the week's are read.",
)
@click.option("--spark-master", help="Spark master for --engine spark (default local[*]).")
@click.option(
    "--labeler",
    "labeler_specs",
    multiple=True,
    metavar="ID:NAME[:restricted]",
    help="A labeler to share the non-overlap items with (repeat for each; 1-3 labelers).",
)
@click.option(
    "--labelers",
    "labelers_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="A YAML list of labelers: {id, display_name, restricted}.",
)
@click.option(
    "--roster",
    "from_roster",
    is_flag=True,
    help="Share the items among the roster's labelers (the default when no --labeler or "
    "--labelers is given).",
)
@workspace_option
def build(
    events: tuple[str, ...],
    week: str,
    output: Path,
    per_reason: int,
    normal: int,
    overlap: int,
    holdout_rate: float,
    seed: int,
    holdout_key: str | None,
    engine: str,
    memory_limit: str,
    threads: int | None,
    temp_dir: Path | None,
    partition_column: str | None,
    spark_master: str | None,
    labeler_specs: tuple[str, ...],
    labelers_file: Path | None,
    from_roster: bool,
    workspace: str | None,
) -> None:
    """Triage: sample the week's bundle from capture events, signed and sealed to the team.

    EVENTS are .jsonl, .csv or .parquet files, globs ('lake/events/*.parquet') or folders
    (hive-partitioned or not). Every engine picks the same items. The bundle is signed with
    the workspace's key (its roster must name you triage or lead) and encrypted to the
    roster's members; restricted items only to those with restricted access.
    """
    from labeler.triage.build import BuildOptions, build_bundle
    from labeler.triage.engines import EngineSettings
    from labeler.triage.sampling import DEFAULT_HOLDOUT_KEY

    settings = EngineSettings(
        memory_limit=memory_limit,
        threads=threads,
        temp_dir=temp_dir,
        partition_column=partition_column,
        spark_master=spark_master,
    )
    options = BuildOptions(
        week=week,
        per_reason=per_reason,
        normal=normal,
        overlap=overlap,
        holdout_rate=holdout_rate,
        seed=seed,
        holdout_key=holdout_key or DEFAULT_HOLDOUT_KEY,
    )
    from labeler.triage.sealed_bundle import seal_to_team

    # Opened once (a passphrase workspace would ask twice): the triage member's key signs, its
    # roster seals, and the roster's labelers share the week unless others are named.
    with open_workspace(workspace) as ws:
        seal = seal_to_team(ws.store)
        use_roster = from_roster or not (labeler_specs or labelers_file)
        team = _roster_labelers(ws.store) if use_roster else []
    labelers = _labelers(labeler_specs, labelers_file, team)
    manifest = build_bundle(
        list(events),
        options,
        output,
        progress=ProgressBar("Reading events"),
        engine=engine,
        settings=settings,
        seal=seal,
        labelers=labelers,
    )
    stats = manifest["statistics"]
    click.echo(
        f"Wrote {output}: {manifest['item_count']} items from {stats['events']} events "
        f"({stats['restricted']} restricted, {stats['overlap']} overlap, "
        f"{stats['holdout']['total']} holdout)."
    )
    if "assignment" in manifest:
        click.echo(_assignment_line(manifest))


def _labelers(specs: tuple[str, ...], path: Path | None, team: list[Any]) -> list[Any]:
    """The labelers of the roster (``team``), --labeler and --labelers."""
    from labeler.triage.assignment import AssignedLabeler, parse_labeler
    from labeler.yamlio import YAMLError, safe_load

    found = list(team)
    try:
        found += [parse_labeler(spec) for spec in specs]
    except ValueError as err:
        raise click.UsageError(str(err)) from None
    if path is not None:
        try:
            rows = safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, YAMLError):
            raise click.UsageError(f"{path} is not a readable YAML list of labelers.") from None
        if not isinstance(rows, list) or not all(
            isinstance(r, dict) and r.get("id") and r.get("display_name") for r in rows
        ):
            raise click.UsageError(f"{path}: each labeler needs an id and a display_name.")
        found += [
            AssignedLabeler(str(r["id"]), str(r["display_name"]), r.get("restricted") is True)
            for r in rows
        ]
    if len({p.id for p in found}) != len(found):
        raise click.UsageError("A labeler is listed twice.")
    return found


def _roster_labelers(store: Any) -> list[Any]:
    """The roster's members with the labeler role (ids, names and restricted access); the
    caller has a roster (``seal_to_team`` refuses a workspace without one)."""
    from labeler.crypto import roster
    from labeler.triage.assignment import AssignedLabeler

    team = roster.current(store)
    members = team.with_role("labeler") if team is not None else []
    return [AssignedLabeler(m.id, m.display_name, m.restricted) for m in members]


def _assignment_line(manifest: dict[str, Any]) -> str:
    section = manifest["assignment"]
    shares = Counter(section["items"].values())
    names = ", ".join(f"{p['display_name']} {shares[p['id']]}" for p in section["labelers"])
    unassigned = manifest["item_count"] - manifest["statistics"]["overlap"] - len(section["items"])
    line = f"Assigned: {names}; {manifest['statistics']['overlap']} overlap items to everyone."
    if unassigned:
        line += (
            f" {unassigned} restricted items are assigned to no one: no labeler has "
            "restricted access."
        )
    return line


def _read_for_inspect(file: Path, workspace: str | None) -> Any:
    """A plain bundle is read as it is; a sealed one with this workspace's identity."""
    import msgspec

    from labeler.crypto.sealed import is_sealed
    from labeler.triage.bundle_file import Bundle, read_bundle
    from labeler.triage.bundle_import import open_for

    if not is_sealed(file):
        return read_bundle(file)
    with open_workspace(workspace) as ws:
        source = open_for(ws.store, file)
        items = [msgspec.to_builtins(item) for _, item in source.items()]
    return Bundle(source.manifest, items, source.sha256)


@bundle.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print {manifest, items} as JSON.")
@workspace_option
def inspect(file: Path, as_json: bool, workspace: str | None) -> None:
    """Show a bundle's manifest and its items' routing (validates it fully; a sealed bundle
    shows what this workspace may read)."""
    bundle_file = _read_for_inspect(file, workspace)
    items = [
        {
            "id": item["id"],
            "reason_code": item["reason_code"],
            "signal": item["signal"],
            "restricted": item["restricted"],
            "pii": item["pii"],
            "overlap": item["overlap"],
            "holdout": item["holdout"],
            "captured_at": item["captured_at"],
            "model_version": item["model"]["version"],
            "content_hash": item["content_hash"],
        }
        for item in bundle_file.items
    ]
    if as_json:
        echo_json({"manifest": bundle_file.manifest, "items": items})
        return
    manifest = bundle_file.manifest
    click.echo(f"Bundle {manifest['bundle_id']} (week {manifest['week']}), {len(items)} items")
    for item in items:
        flags = [name for name in ("restricted", "overlap", "holdout") if item[name]]
        reason = item["reason_code"] or "-"
        click.echo(f"  {item['id']:<28} {item['signal']:<13} {reason:<15} {' '.join(flags)}")


@bundle.command(name="import")
@workspace_option
@click.argument("file", type=click.Path(path_type=Path))
def import_(workspace: str | None, file: Path) -> None:
    """Validate a bundle fully, then import it in one transaction (or not at all)."""
    from labeler.triage.bundle_import import import_bundle

    with open_workspace(workspace) as ws:
        result = import_bundle(ws.store, ws.writer, file, progress=ProgressBar("Importing"))
    if result.added == 0 and result.already_present:
        click.echo(f"Bundle {result.bundle_id} is already imported; nothing changed.")
    else:
        click.echo(
            f"Imported bundle {result.bundle_id}: {result.added} items added, "
            f"{result.already_present} already present."
        )
        if result.rerouted:
            click.echo(
                f"{result.rerouted} items the bundle did not restrict were restricted: "
                "personal data found again on import, or reason sensitive_data."
            )
        if result.withheld:
            click.echo(
                f"{result.withheld} restricted items are sealed to the members with restricted "
                "access: only their ids are kept here."
            )
        if result.skipped_purged:
            click.echo(f"{result.skipped_purged} items of purged subjects were skipped.")


COMMANDS = [bundle]
