"""Agreement and reconciliation commands: the report, the guideline-gap digest, and the
lead's resolutions sent back to labelers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from labeler.cli.common import (
    check_week,
    echo_json,
    open_workspace,
    reading_workspace,
    workspace_option,
)

if TYPE_CHECKING:  # the report's modules (and numpy) load only when the command runs
    from labeler.team.agreement_types import AgreementReport, GapGroup
    from labeler.team.clause_agreement import ClauseFigures, ReleaseAgreement


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _print_report(data: AgreementReport) -> None:
    weeks = ", ".join(data.weeks) or "—"
    click.echo(f"Agreement, week {data.week or '—'} (weeks in workspace: {weeks})")
    header = ("question", "items", "agree", "kappa", "alpha")
    click.echo(f"{header[0]:<14} {' '.join(f'{h:>6}' for h in header[1:])}  95% CI          flag")
    for block in data.questions:
        q, ci = block.stats, block.stats.alpha_ci95
        interval = f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "—"
        click.echo(
            f"{q.question:<14} {q.n:>5} {_figure(q.percent):>6} {_figure(q.kappa):>6} "
            f"{_figure(q.alpha):>6}  {interval:<15} {q.flag or ''}"
        )
    click.echo(f"\nPooled over {', '.join(data.pooled.weeks) or '—'}:")
    for q in data.pooled.questions:
        click.echo(f"  {q.question:<14} items {q.n:>4}  alpha {_figure(q.alpha)}  {q.flag or ''}")
    for block in data.questions:
        confusion = block.confusion
        if block.stats.n:
            click.echo(
                f"\nConfusion, {block.stats.question} (rows: first labeler, columns: second):"
            )
            click.echo("  " + " ".join(f"{c[:10]:>10}" for c in confusion.labels))
            for name, row in zip(confusion.labels, confusion.matrix, strict=True):
                click.echo(f"  {' '.join(f'{v:>10}' for v in row)}  {name}")
    click.echo("\nLabelers vs gold:")
    for entry in data.labeler_vs_gold:
        weeks = ", ".join(f"{w.week} {w.agreement:.0%}" for w in entry.weeks)
        click.echo(f"  {entry.name}: {weeks}")
    click.echo(f"\nDisagreements: {data.disagreements.text()}.")
    for release in data.releases:
        click.echo(
            f"Rubric release: {release.rubric_id} {release.version} in {release.week} "
            "(agreement per clause before and after: --by-clause)"
        )


def _print_gaps(gaps: tuple[GapGroup, ...], week: str | None) -> None:
    click.echo(f"Guideline gaps{' in ' + week if week else ''}: {sum(g.count for g in gaps)}")
    for group in gaps:
        click.echo(f"\n{group.clause} — {group.count} disagreement(s)")
        for entry in group.items:
            click.echo(f"  {entry.week} {entry.item_id}: {entry.note}")


def _figures_text(figures: ClauseFigures, choice: bool) -> str:
    if not figures.n:
        return "—"
    if choice:
        return f"specific {_figure(figures.agreement)} ({figures.n})"
    return f"agree {_figure(figures.agreement)} alpha {_figure(figures.alpha)} ({figures.n})"


def _print_by_clause(releases: tuple[ReleaseAgreement, ...]) -> None:
    if not releases:
        click.echo("No rubric release yet: agreement per clause compares a release with the "
                   "version it replaced ('labeler rubric install').")  # fmt: skip
        return
    for release in releases:
        click.echo(
            f"Rubric {release.rubric_id} {release.from_version} → {release.to_version} "
            f"({release.week}): {release.before_items} paired items labeled under "
            f"{release.from_version}, {release.after_items} under {release.to_version}, "
            f"{release.mixed} under both (left out)"
        )
        click.echo(f"  {'clause':<28} {'change':<24} {'before':<30} {'after':<30} gaps")
        for row in release.rows:
            choice = "/" in row.clause
            mark = " [re-check]" if row.sends_back else ""
            click.echo(
                f"  {row.clause:<28} {(row.change + mark)[:24]:<24} "
                f"{_figures_text(row.before, choice):<30} {_figures_text(row.after, choice):<30} "
                f"{row.before.gaps} → {row.after.gaps}"
            )
        click.echo("")


@click.command()
@workspace_option
@click.option("--week", help="ISO week (default: the latest with paired labels).")
@click.option(
    "--pooled", default=4, show_default=True, type=click.IntRange(1, 52), help="Weeks pooled."
)
@click.option(
    "--gaps",
    is_flag=True,
    help="The guideline-gap digest instead: disagreements from unclear rubric clauses.",
)
@click.option(
    "--by-clause",
    "by_clause",
    is_flag=True,
    help="Agreement per changed rubric clause before and after each rubric release instead.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def agreement(
    workspace: str | None, week: str | None, pooled: int, gaps: bool, by_clause: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Agreement per rubric question, reason code and week; or the guideline-gap digest; or
    agreement per clause across rubric releases."""
    from labeler.team.agreement_report import gap_digest, report
    from labeler.team.clause_agreement import by_clause as clause_agreement

    with reading_workspace(workspace) as ws:
        check_week(ws, week)
        session = ws.session
        if by_clause:
            releases = clause_agreement(session)
        elif gaps:
            digest = gap_digest(session, week)
        else:
            data = report(session, week, pooled)
    if by_clause:
        if as_json:
            echo_json({"releases": [r.to_json() for r in releases]})
        else:
            _print_by_clause(releases)
    elif gaps:
        if as_json:
            echo_json([group.to_json() for group in digest])
        else:
            _print_gaps(digest, week)
    elif as_json:
        echo_json(data.to_json())
    else:
        _print_report(data)


@click.group()
def resolutions() -> None:
    """The lead's resolutions, sent back to labelers as feedback."""


@resolutions.command(name="export")
@workspace_option
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--for",
    "for_member",
    help="On a team: the labeler (member id or name) the sealed file is for; run once each.",
)
def export_(workspace: str | None, output: Path, for_member: str | None) -> None:
    """Write the resolutions, signed, for labelers to import (lead's machine)."""
    from labeler.team.feedback import export_resolutions

    with open_workspace(workspace) as ws:
        count = export_resolutions(ws.session, output, for_member)
    click.echo(f"Exported {count} resolutions to {output}.")


@resolutions.command(name="import")
@workspace_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_(workspace: str | None, file: Path) -> None:
    """Import the lead's resolutions and list where the lead decided otherwise, and why."""
    from labeler.team.feedback import import_resolutions, where_overruled

    with open_workspace(workspace) as ws:
        session = ws.session
        count = import_resolutions(session, file)
        overruled = where_overruled(session)
    times = "once" if len(overruled) == 1 else f"{len(overruled)} times"
    click.echo(f"Imported {count} resolutions; the lead decided otherwise {times}:")
    for entry in overruled:
        click.echo(overruled_line(entry))


def overruled_line(entry: dict[str, Any]) -> str:
    """One place the lead decided otherwise; a question the labeler left blank is said so."""
    yours = "no answer" if entry["yours"] is None else repr(entry["yours"])
    return (
        f"  {entry['item_id']} {entry['question']}: you {yours}, "
        f"lead {entry['final']!r} — {entry['note']}"
    )


COMMANDS = [agreement, resolutions]
