"""``labeler status``: the week at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from labeler.cli.common import check_week, echo_json, open_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.status import GateStatus, RolloutStatus, WeekStatus


@click.command()
@workspace_option
@click.option("--week", help="ISO week (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(workspace: str | None, week: str | None, as_json: bool) -> None:
    """The week at a glance: bundle, progress, agreement, disagreements, packs, gate, signals."""
    from labeler.status import week_status

    with open_workspace(workspace) as ws:
        check_week(ws, week)
        data = week_status(ws.session, week)
    if as_json:
        echo_json(data.to_json())
        return
    bundle = data.bundle
    click.echo(
        f"Week {data.week or '—'}: {bundle.items} items ({bundle.restricted} "
        f"restricted, {bundle.holdout} holdout, {bundle.overlap} overlap)"
    )
    click.echo(
        "  per reason: " + ", ".join(f"{k} {v}" for k, v in sorted(bundle.per_reason_code.items()))
    )
    for entry in data.progress:
        click.echo(f"  {entry.labeler}: {entry.labels} / {entry.of} labeled")
    from labeler.status import person_line

    for person in data.people:
        click.echo(f"  {person_line(person)}")
    if data.outside_assignment:
        click.echo(f"  outside assignment: {data.outside_assignment} labels (kept, not pairs)")
    for q in data.agreement:
        alpha = "—" if q.alpha is None else f"{q.alpha:.2f}"
        click.echo(f"  agreement {q.question:<13} alpha {alpha} ({q.n} items) {q.flag or ''}")
    click.echo(f"  disagreements: {data.disagreements.text()}")
    _echo_rubric(data)
    for pack in data.packs:
        click.echo(
            f"  pack {pack.pack_id} ({pack.kind}, {pack.rows} rows, signed by {pack.signed_by})"
        )
    _echo_gate(data.gate)
    for check in data.rollouts:
        _echo_rollout(check)
    for point in data.signals:
        click.echo(
            f"  {point.week}: high-intent share {point.high_intent_share}, "
            f"retry rate {point.retry_rate}, restricted share {point.restricted_share}"
        )


def _echo_rubric(data: WeekStatus) -> None:
    rubric, rechecks = data.rubric, data.rechecks
    if rubric is not None:
        click.echo(
            f"  rubric: {rubric.id} {rubric.version} ({rubric.how}, {rubric.installed_at}; "
            f"{rubric.versions} version(s))"
        )
    if rechecks is None or not (rechecks.open or rechecks.done):
        return
    click.echo(f"  re-check: {rechecks.open} item(s) waiting, {rechecks.done} done")
    for entry in rechecks.items:
        click.echo(
            f"    {entry.item_id} (since {entry.rubric_version}, was {entry.decided}): "
            + "; ".join(entry.reasons)
        )
    if rechecks.open > len(rechecks.items):
        click.echo(f"    … and {rechecks.open - len(rechecks.items)} more (queue filter: re-check)")


def _echo_gate(gate: GateStatus | None) -> None:
    if gate is None:
        click.echo("  last eval gate: no gate run yet")
        return
    click.echo(
        f"  last eval gate: {gate.verdict} (run {gate.at} by {gate.run_by or 'unknown'} on "
        f"{gate.bundle_id or 'judgments not from this workspace'}; policy sha256 "
        f"{gate.policy_sha256[:12]}, {gate.judgments_count} judgments)"
    )
    for reason in gate.reasons:
        click.echo(f"    - {reason}")


def _echo_rollout(check: RolloutStatus) -> None:
    gate = f"gate run {check.gate_run_id}" if check.gate_run_id else "no SHIP gate run here"
    click.echo(
        f"  rollout {check.candidate} vs {check.baseline}: {check.verdict} at stage "
        f"{check.stage} (check {check.check_id}, {check.at}; {gate})"
    )
    for s in check.signals:
        interval = "no data" if s.estimate is None else f"{s.estimate:+.4f} [{s.low:+.4f}, "
        interval += "" if s.estimate is None else f"{s.high:+.4f}]"
        guard = s.max_worsening if s.worse == "higher" else -s.max_worsening
        click.echo(f"    {s.signal:<23} {interval:<30} guard {guard:+.4f}  {s.state}")
    for version in check.versions:
        rates = ", ".join(
            f"{name} {'—' if rate is None else f'{rate:.4f}'}"
            for name, rate in version.rates.items()
        )
        click.echo(f"    {version.version}: {version.requests} requests; {rates}")


COMMANDS = [status]
