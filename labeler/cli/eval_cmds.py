"""Eval commands: build an eval bundle, export judgments, report, and the ship gate."""

from __future__ import annotations

from pathlib import Path

import click

from labeler.cli.common import echo_json


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
    from labeler.gate import decide, load_policy, parse_judgments

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


COMMANDS = [eval_]
