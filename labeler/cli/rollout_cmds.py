"""Rollout commands: the staged rollout's check, with its rollback trigger."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from labeler.cli.common import chosen_workspace, echo_json, open_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.rollout.check import RolloutVerdict, SignalCheck
    from labeler.rollout.plan import Plan

_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def rollout() -> None:
    """Staged rollout of a model that passed the gate, and its rollback trigger."""


@rollout.command()
@workspace_option
@click.argument("events", nargs=-1, required=True, type=_FILE)
@click.option("--baseline", required=True, help="The model version serving today.")
@click.option("--candidate", required=True, help="The model version being rolled out.")
@click.option("--plan", "plan_file", required=True, type=_FILE, help="The rollout plan (YAML).")
@click.option(
    "--exposures",
    type=_FILE,
    help="Requests per model version and day (JSON lines or CSV): the rates' denominator.",
)
@click.option("--stage", help="The stage the rollout is in (default: from the exposures).")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the signed verdict here (and OUTPUT.minisig beside it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(
    workspace: str | None,
    events: tuple[Path, ...],
    baseline: str,
    candidate: str,
    plan_file: Path,
    exposures: Path | None,
    stage: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """PROMOTE (exit 0), ROLLBACK (exit 1, naming the signal, its estimate and interval) or
    CONTINUE (exit 3: not enough data yet); 2 on bad input.

    Reads capture events (each with model.version) and the exposures, and tests every signal
    the plan guards with an anytime-valid confidence sequence, so running it every day does
    not raise the false-alarm rate above the plan's alpha. The verdict is signed with the
    workspace key and kept in the workspace (--workspace, LABELER_WORKSPACE, or the default
    one if it exists) beside the SHIP gate run of the candidate; 'labeler status' shows it.
    """
    from labeler.rollout.check import check_rollout
    from labeler.rollout.plan import read_plan
    from labeler.rollout.signals import read_tally

    plan = read_plan(plan_file)
    verdict = check_rollout(read_tally(list(events), exposures), plan, baseline, candidate, stage)
    recorded, why_not = _record(workspace, plan, verdict, output)
    if as_json:
        echo_json({**verdict.to_json(), "recorded": recorded, "not_recorded": why_not})
    else:
        _print(verdict)
        if recorded:
            click.echo(
                f"Recorded as rollout check {recorded['check_id']} in {recorded['workspace']}, "
                f"signed by key {recorded['signer_key_id']}; "
                + (
                    f"beside gate run {recorded['gate_run_id']} (SHIP)."
                    if recorded["gate_run_id"]
                    else f"no SHIP gate run of {candidate} is recorded there."
                )
            )
        else:
            click.echo(f"Not recorded: {why_not}.")
    raise SystemExit(verdict.exit_code)


def _record(
    workspace: str | None, plan: Plan, verdict: RolloutVerdict, output: Path | None
) -> tuple[dict[str, Any] | None, str | None]:
    """Sign and keep the check (as ``eval gate`` keeps its run): a workspace named must take
    it; the default one only if it exists. ``--output`` needs a workspace's key to sign."""
    from labeler.crypto.signing import signing_key
    from labeler.errors import LabelerError, ValidationError
    from labeler.evals.signed import write_with_signature
    from labeler.rollout.record import record_check
    from labeler.workspace import resolve_path

    named = chosen_workspace(workspace)
    if named is None and not resolve_path(None).exists():
        if output is not None:
            raise ValidationError("--output writes a signed verdict: give --workspace to sign it.")
        return None, "no workspace (give --workspace to sign and keep this check)"
    try:
        with open_workspace(workspace) as ws:
            run = record_check(ws.session, plan, verdict)
            key_id = signing_key(ws.store).public.key_id_hex
            where = str(ws.path)
    except LabelerError as err:
        if named is not None or output is not None:
            raise
        return None, f"the default workspace could not take it ({err})"
    if output is not None:
        write_with_signature(output, run.document.encode("utf-8"), run.signature)
    found = {"workspace": where, "check_id": run.id, "gate_run_id": run.gate_run_id}
    return {**found, "signer_key_id": key_id}, None


def _interval(c: SignalCheck) -> str:
    if c.estimate is None:
        return "no data yet"
    return f"{c.estimate:+.4f} [{c.low:+.4f}, {c.high:+.4f}]"


def _print(verdict: RolloutVerdict) -> None:
    click.echo(verdict.verdict)
    click.echo(
        f"  {verdict.candidate} (candidate) vs {verdict.baseline} (baseline), stage "
        f"{verdict.stage}: day {verdict.days_in_stage} of at least {verdict.min_days}; "
        f"{verdict.first_day} to {verdict.last_day}; alpha {verdict.alpha}"
    )
    for c in verdict.signals:
        tolerated = c.max_worsening if c.worse == "higher" else -c.max_worsening
        click.echo(
            f"  {c.signal:<23} {_interval(c):<32} guard {tolerated:+.4f} "
            f"({c.worse} is worse)  {c.state.upper()}"
        )
    for reason in verdict.reasons:
        click.echo(f"  - {reason}")
    for note in verdict.notes:
        click.echo(f"  note: {note}")


COMMANDS = [rollout]
