"""Eval commands: build an eval bundle, export judgments, report, and the ship gate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from labeler.cli.common import chosen_workspace, echo_json, open_workspace, workspace_option

if TYPE_CHECKING:
    from labeler.crypto.signing import PublicKey
    from labeler.evals.gate import GateInputs, Verdict
    from labeler.evals.results import EvalReport


@click.group(name="eval")
def eval_() -> None:
    """Blind side-by-side evals of a candidate model, and the ship / don't-ship gate."""


@eval_.command()
@workspace_option
@click.argument("judgments", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--policy", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--pubkey",
    "pubkeys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A key the judgments may be signed by (repeatable; default: the workspace's own and "
    "trusted keys).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the signed verdict here (and OUTPUT.minisig beside it).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def gate(
    workspace: str | None,
    judgments: Path,
    policy: Path,
    pubkeys: tuple[Path, ...],
    output: Path | None,
    as_json: bool,
) -> None:
    """SHIP or DO NOT SHIP, with every failing rule named: exit 0 ship, 1 do not ship, 2 bad
    input (an unsigned or changed judgments file among it).

    The judgments file must carry the signature 'eval export-judgments' writes beside it
    (JUDGMENTS.minisig), made by --pubkey's key or one the workspace trusts. The run (policy
    text and hash, judgments hash and signer, verdict, who, when) is signed and kept in the
    workspace -- --workspace, LABELER_WORKSPACE, or the default one if it exists -- and
    'labeler status' shows it. With no workspace the verdict is still printed, unsigned and
    marked as not recorded.
    """
    from labeler.evals.gate import decide, read_verified_inputs

    inputs = read_verified_inputs(judgments, policy, _trusted_keys(workspace, pubkeys))
    verdict = decide(list(inputs.judgments), inputs.policy)
    recorded, why_not = _record_gate(workspace, inputs, verdict, output)
    if as_json:
        echo_json({**verdict.to_json(), "judgments_signer": inputs.judgments_signer,
                   "recorded": recorded, "not_recorded": why_not})  # fmt: skip
    else:
        overall = verdict.overall
        click.echo(verdict.word)
        click.echo(
            f"  {overall.items} items: {overall.wins} wins, {overall.losses} losses, "
            f"{overall.ties} ties (win rate {overall.win_rate:.3f}); judgments signed by key "
            f"{inputs.judgments_signer}"
        )
        for reason in verdict.reasons:
            click.echo(f"  - {reason}")
        if recorded:
            click.echo(
                f"Recorded as gate run {recorded['run_id']} in {recorded['workspace']} "
                "(verdict signed)."
            )
        else:
            click.echo(f"Not recorded: {why_not}.")
    raise SystemExit(0 if verdict.ship else 1)


def _record_gate(
    workspace: str | None, inputs: GateInputs, verdict: Verdict, output: Path | None
) -> tuple[dict[str, Any] | None, str | None]:
    """Sign and keep the run in the workspace: ({workspace, run_id}, None), or (None, why).

    A workspace named (--workspace, LABELER_WORKSPACE) must take the run: failing to is an
    error. The default one is used only if it exists and opens; a release pipeline with no
    workspace still gets its verdict and exit code (and --output, which needs a key, fails).
    """
    from labeler.errors import LabelerError, ValidationError
    from labeler.evals.gate_runs import record_run
    from labeler.evals.signed import write_with_signature
    from labeler.workspace import resolve_path

    named = chosen_workspace(workspace)
    if named is None and not resolve_path(None).exists():
        if output is not None:
            raise ValidationError("--output writes a signed verdict: give --workspace to sign it.")
        return None, "no workspace (give --workspace to sign and keep this gate run)"
    try:
        with open_workspace(workspace) as ws:
            run = record_run(ws.session, inputs, verdict)
            where = str(ws.path)
    except LabelerError as err:
        if named is not None or output is not None:
            raise
        return None, f"the default workspace could not take it ({err})"
    if output is not None and run.document and run.signature:
        write_with_signature(output, run.document.encode("utf-8"), run.signature)
    return {"workspace": where, "run_id": run.id}, None


@eval_.command()
@workspace_option
@click.option(
    "--holdout",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="An eval pack folder (verified) or a week's bundle file.",
)
@click.option(
    "--current",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Outputs of the current model (JSON lines).",
)
@click.option(
    "--candidate",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Outputs of the candidate model (JSON lines).",
)
@click.option(
    "--trained-on",
    "trained_on",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A training pack the candidate was trained on (repeatable; verified).",
)
@click.option(
    "--pubkey",
    "pubkeys",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A key the packs may be signed by (repeatable; default: the workspace's own and "
    "trusted keys).",
)
@click.option(
    "--size",
    default=100,
    show_default=True,
    type=click.IntRange(50, 200),
    help="Items to sample (50-200).",
)
@click.option(
    "--allow-fewer",
    is_flag=True,
    help="Build the eval even when fewer items than --size are eligible (said loudly).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--week", help="ISO week the eval belongs to (default: this week).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def build(
    workspace: str | None,
    holdout: Path,
    current: Path,
    candidate: Path,
    trained_on: tuple[Path, ...],
    pubkeys: tuple[Path, ...],
    size: int,
    allow_fewer: bool,
    seed: int,
    week: str | None,
    output: Path,
) -> None:
    """Build an eval bundle: holdout items answered by both models, as blind pairs, signed
    and sealed to the team.

    Run it in the lead's (or triage member's) workspace on a team: the eval is signed with its
    key and encrypted to the roster's members, pairs of restricted items only to those with
    restricted access. A workspace on no team is refused (exit 2), as 'bundle build' refuses
    it: a bundle is never written in plaintext. A sealed week's bundle as --holdout is opened
    with this workspace's identity; restricted items it withholds from this laptop cannot be
    in the eval, and the command says how many.

    The holdout pack and every --trained-on pack must verify against a trusted key; holdout
    items those training packs hold, or nearly copy in any text field, are left out, and the
    manifest names every pack (the eval's lineage). Fewer eligible items than --size is an
    error unless --allow-fewer.
    """
    from labeler.evals.build import build_eval, seal_for_eval
    from labeler.evals.lineage import workspace_keys
    from labeler.packs.verify import read_public_key

    with open_workspace(workspace) as ws:  # the lead's: its key signs, its roster seals
        seal = seal_for_eval(ws.store)
        keys = [read_public_key(p) for p in pubkeys] or workspace_keys(ws.store)
        manifest = build_eval(
            holdout, current, candidate, size, output, seed, week,
            keys=keys, trained_on=trained_on, allow_fewer=allow_fewer, seal=seal, store=ws.store,
        )  # fmt: skip
    _echo_built(manifest, output, size, seal.roster_version)


def _echo_built(manifest: dict[str, Any], output: Path, size: int, roster_version: int) -> None:
    stats, lineage = manifest["statistics"], manifest["eval"]["lineage"]
    per_case = ", ".join(f"{k} {v}" for k, v in stats["per_case_type"].items())
    click.echo(
        f"Wrote {output}: {manifest['item_count']} pairs ({per_case}), signed and sealed to "
        f"the team (roster v{roster_version})."
    )
    if manifest["item_count"] < size:
        click.echo(
            f"WARNING: only {manifest['item_count']} pairs, not the {size} asked for "
            "(--allow-fewer): the gate sees this eval at its real size.",
            err=True,
        )
    if stats.get("withheld"):
        click.echo(
            f"Withheld: {stats['withheld']} restricted items of {manifest['options']['holdout']} "
            "are not readable on this laptop (no restricted access), so none of them is in the "
            "eval; build it on a laptop with restricted access to include them.",
            err=True,
        )
    if lineage["holdout_pack"]:
        ref = lineage["holdout_pack"]
        click.echo(f"Holdout: eval pack {ref['pack_id']} (verified, key {ref['signer_key_id']}).")
    for ref in lineage["trained_on"]:
        click.echo(f"Trained on: {ref['pack_id']} ({ref['rows']} rows, verified).")
    for entry in lineage["left_out"]:
        click.echo(f"Left out {entry['item_id']}: {entry['cause']} ({entry['pack_id']}).")


def _trusted_keys(workspace: str | None, pubkeys: tuple[Path, ...]) -> list[PublicKey]:
    """The keys given, else the workspace's own key and the keys it trusts (none: no
    workspace, and a pack then cannot be verified)."""
    from labeler.evals.lineage import workspace_keys
    from labeler.packs.verify import read_public_key
    from labeler.workspace import resolve_path

    if pubkeys:
        return [read_public_key(path) for path in pubkeys]
    if chosen_workspace(workspace) is None and not resolve_path(None).exists():
        return []
    with open_workspace(workspace) as ws:
        return workspace_keys(ws.store)


@eval_.command(name="export-judgments")
@workspace_option
@click.option("--bundle", "bundle_id", help="The eval bundle (default: the latest).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_judgments(workspace: str | None, bundle_id: str | None, output: Path) -> None:
    """Write one judgment per labeled eval item (JSON lines), the input of 'eval gate', signed
    with your key beside it (OUTPUT.minisig; 'minisign -V -p you.pub -m OUTPUT' checks it)."""
    from labeler.crypto.signing import signing_key
    from labeler.evals.results import judgments, judgments_jsonl
    from labeler.evals.signed import sign, write_with_signature

    with open_workspace(workspace) as ws:
        found = judgments(ws.session, bundle_id)
        data = judgments_jsonl(found)
        key = signing_key(ws.store)
        signature = sign(key, data, output.name)
    signature_path = write_with_signature(output, data, signature)
    click.echo(
        f"Wrote {len(found)} judgments to {output}, signed ({signature_path.name}, key "
        f"{key.public.key_id_hex})."
    )


@eval_.command()
@workspace_option
@click.option("--bundle", "bundle_id", help="The eval bundle (default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="Also draw the win-rate chart."
)
def report(workspace: str | None, bundle_id: str | None, as_json: bool, png: Path | None) -> None:
    """Wins, losses and ties of the candidate with intervals, per case type; pass rates;
    position bias; the items behind each loss."""
    from labeler.evals.results import report as make_report

    with open_workspace(workspace) as ws:
        data = make_report(ws.session, bundle_id)
    if png is not None:
        from labeler.gui.charts import render_png  # the app's chart, drawn offscreen

        render_png(data, png)
    if as_json:
        echo_json(data.to_json())
        return
    _print_report(data)


def _interval(ci: tuple[float, float] | None) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "—"


def _print_report(data: EvalReport) -> None:
    overall = data.overall
    click.echo(f"Eval {data.bundle_id}: {data.candidate} (candidate) vs {data.current} (current)")
    click.echo(f"  judged {data.judged} of {data.items} items")
    rate = overall.win_rate
    click.echo(
        f"  overall: {overall.wins} wins, {overall.losses} losses, {overall.ties} ties "
        f"({overall.both_bad} both bad); win rate {rate if rate is None else f'{rate:.3f}'} "
        f"95% CI {_interval(overall.ci95)} ({overall.interval})"
    )
    for case, group in data.case_types.items():
        click.echo(
            f"  {case:<15} {group.items:>3} items: {group.wins}W {group.losses}L "
            f"{group.ties}T  win rate {group.win_rate:.2f} {_interval(group.ci95)}"
        )
        if group.losses_driven_by:
            click.echo(f"    losses: {', '.join(group.losses_driven_by)}")
    for check, rates in data.pass_rates.items():
        click.echo(f"  {check} pass rate: current {rates.current}, candidate {rates.candidate}")
    bias = data.position_bias
    click.echo(
        f"  position bias: left side won {bias.left_won} of {bias.decisive_labels} decisive "
        f"labels, 95% CI {_interval(bias.ci95)} ({bias.interval})"
        + (" — labelers favour a side!" if bias.biased else "")
    )


COMMANDS = [eval_]
