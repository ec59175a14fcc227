"""Eval commands: build an eval bundle, export judgments, report, and the ship gate."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import echo_json, open_workspace, workspace_option


@click.group(name="eval")
def eval_() -> None:
    """Blind side-by-side evals of a candidate model, and the ship / don't-ship gate."""


@eval_.command()
@click.argument("judgments", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--policy", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def gate(judgments: Path, policy: Path, as_json: bool) -> None:
    """SHIP or DO NOT SHIP, with every reason: exit 0 ship, 1 do not ship, 2 bad input."""
    from labeler.evals.gate import decide, load_policy, parse_judgments

    verdict = decide(parse_judgments(judgments), load_policy(policy))
    if as_json:
        echo_json(
            {
                "verdict": verdict.word,
                "ship": verdict.ship,
                "reasons": verdict.reasons,
                **verdict.figures,
            }
        )
    else:
        figures = verdict.figures
        click.echo(verdict.word)
        click.echo(
            f"  {figures['items']} items: {figures['wins']} wins, {figures['losses']} losses, "
            f"{figures['ties']} ties (win rate {figures['win_rate']:.3f})"
        )
        for reason in verdict.reasons:
            click.echo(f"  - {reason}")
    raise SystemExit(0 if verdict.ship else 1)


@eval_.command()
@click.option(
    "--holdout",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="An eval pack folder or a bundle file.",
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
    "--size",
    default=100,
    show_default=True,
    type=click.IntRange(50, 200),
    help="Items to sample (50-200).",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--week", help="ISO week the eval belongs to (default: this week).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def build(
    holdout: Path,
    current: Path,
    candidate: Path,
    size: int,
    seed: int,
    week: str | None,
    output: Path,
) -> None:
    """Build an eval bundle: holdout items answered by both models, as blind pairs."""
    from labeler.evals.build import build_eval

    manifest = build_eval(holdout, current, candidate, size, output, seed, week)
    per_case = ", ".join(f"{k} {v}" for k, v in manifest["statistics"]["per_case_type"].items())
    click.echo(f"Wrote {output}: {manifest['item_count']} pairs ({per_case}).")


@eval_.command(name="export-judgments")
@workspace_option
@click.option("--bundle", "bundle_id", help="The eval bundle (default: the latest).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
def export_judgments(workspace: str | None, bundle_id: str | None, output: Path) -> None:
    """Write one judgment per labeled eval item (JSON lines), the input of 'eval gate'."""
    import json

    from labeler.evals.results import judgment_json, judgments

    with open_workspace(workspace) as ws:
        found = judgments(ws.session, bundle_id)
    output.write_text("".join(json.dumps(judgment_json(j)) + "\n" for j in found), encoding="utf-8")
    click.echo(f"Wrote {len(found)} judgments to {output}.")


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
        echo_json(data)
        return
    _print_report(data)


def _interval(ci: list[float] | None) -> str:
    return f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci else "—"


def _print_report(data: dict) -> None:
    overall = data["overall"]
    click.echo(
        f"Eval {data['bundle_id']}: {data['candidate']} (candidate) vs {data['current']} (current)"
    )
    click.echo(f"  judged {data['judged']} of {data['items']} items")
    rate = overall["win_rate"]
    click.echo(
        f"  overall: {overall['wins']} wins, {overall['losses']} losses, {overall['ties']} ties "
        f"({overall['both_bad']} both bad); win rate {rate if rate is None else f'{rate:.3f}'} "
        f"95% CI {_interval(overall['ci95'])} ({overall['interval']})"
    )
    for case, group in data["case_types"].items():
        click.echo(
            f"  {case:<15} {group['items']:>3} items: {group['wins']}W {group['losses']}L "
            f"{group['ties']}T  win rate {group['win_rate']:.2f} {_interval(group['ci95'])}"
        )
        if group["losses_driven_by"]:
            click.echo(f"    losses: {', '.join(group['losses_driven_by'])}")
    for check, rates in data["pass_rates"].items():
        click.echo(
            f"  {check} pass rate: current {rates['current']}, candidate {rates['candidate']}"
        )
    bias = data["position_bias"]
    click.echo(
        f"  position bias: left side won {bias['left_won']} of {bias['decisive_labels']} decisive "
        f"labels, 95% CI {_interval(bias['ci95'])} ({bias['interval']})"
        + (" — labelers favour a side!" if bias["biased"] else "")
    )


COMMANDS = [eval_]
