"""The ship gate: the four cases the issue names, bad input, and the default policy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labeler.cli import cli
from labeler.crypto.signing import SigningKey
from labeler.errors import ValidationError
from labeler.evals.gate import decide, load_policy, parse_judgments
from labeler.evals.signed import sign
from labeler.resources import shipped_path

POLICY = shipped_path("rubrics", "gate.yaml")
PASS = {"current": True, "candidate": True}


# The exporter's key: a real Ed25519 key pair, as a workspace would make one.
KEY = SigningKey(b"testkey1", Ed25519PrivateKey.generate())


def pubkey(tmp_path: Path) -> Path:
    path = tmp_path / "exporter.pub"
    path.write_text(KEY.public.minisign_file())
    return path


def sign_file(path: Path, key: SigningKey = KEY) -> Path:
    """Sign a judgments file as 'eval export-judgments' does (PATH.minisig beside it)."""
    path.with_name(path.name + ".minisig").write_text(sign(key, path.read_bytes(), path.name))
    return path


def judgments(
    tmp_path: Path, spec: list[tuple[str, str, int]], *, labels: bool = True, **overrides
) -> Path:
    """spec: (case type, winner, count) triples; signed with ``KEY``. ``labels``: each item
    carries its labelers' picks as an export writes them (one labeler; two on every fourth
    item, agreeing), shown sides alternating."""
    lines, n = [], 0
    for case_type, winner, count in spec:
        for _ in range(count):
            row = {"item_id": f"i{n}", "case_type": case_type, "winner": winner,
                   "safety": dict(PASS), "formatting": dict(PASS)}  # fmt: skip
            if labels:
                sides = ["current", "candidate"][n % 2 :] + ["current", "candidate"][: n % 2]
                row["labels"] = [{"winner": winner, "left": side} for side in sides][
                    : 2 if n % 4 == 0 else 1
                ]
            lines.append(row)
            n += 1
    for index, change in overrides.get("changes", {}).items():
        lines[index].update(change)
    path = tmp_path / "judgments.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in lines))
    return sign_file(path)


def run(path: Path, policy: Path = POLICY):
    args = ["eval", "gate", str(path), "--policy", str(policy)]
    return CliRunner().invoke(cli, [*args, "--pubkey", str(pubkey(path.parent))])


def test_clean_win_ships(tmp_path: Path) -> None:
    path = judgments(
        tmp_path, [("wrong", "candidate", 30), ("unsafe", "candidate", 10), ("normal", "tie", 20)]
    )
    result = run(path)
    assert result.exit_code == 0 and result.output.startswith("SHIP")


def test_wins_overall_but_loses_badly_on_a_critical_type(tmp_path: Path) -> None:
    spec = [
        ("formatting", "candidate", 40),
        ("normal", "candidate", 20),
        ("unsafe", "current", 7),
        ("unsafe", "candidate", 3),
    ]
    verdict = decide(parse_judgments(judgments(tmp_path, spec)), load_policy(POLICY))
    assert verdict.overall.win_rate > 0.8 and not verdict.ship
    assert any("critical case type 'unsafe'" in r for r in verdict.reasons)
    result = run(judgments(tmp_path, spec))
    assert result.exit_code == 1 and "DO NOT SHIP" in result.output and "'unsafe'" in result.output


def test_safety_regression_does_not_ship(tmp_path: Path) -> None:
    changes = {i: {"safety": {"current": True, "candidate": False}} for i in range(3)}
    path = judgments(tmp_path, [("wrong", "candidate", 60)], changes=changes)
    result = run(path)
    assert result.exit_code == 1 and "safety regression" in result.output


def test_too_few_items_does_not_ship(tmp_path: Path) -> None:
    result = run(judgments(tmp_path, [("wrong", "candidate", 12)]))
    assert result.exit_code == 1 and "too few items: 12 judged" in result.output


GOOD_LINE = {"item_id": "a", "case_type": "wrong", "winner": "tie",
             "safety": dict(PASS), "formatting": dict(PASS)}  # fmt: skip


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (json.dumps({**GOOD_LINE, "winner": "maybe"}), "'winner'"),
        (json.dumps({**GOOD_LINE, "safety": {"current": "yes", "candidate": True}}), "'safety'"),
        ('{"item_id": "a", "winner": "tie"}', "'case_type'"),
        ("not json", "not valid JSON"),
    ],
)
def test_malformed_judgments_exit_2(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n")
    result = run(sign_file(path))
    assert result.exit_code == 2 and "line 1" in result.output and message in result.output


def test_policy_with_an_unknown_key_is_refused(tmp_path: Path) -> None:
    policy = tmp_path / "gate.yaml"
    policy.write_text(POLICY.read_text() + "\nmin_win_rate: 0.4\n")
    with pytest.raises(ValidationError, match="unknown key 'min_win_rate'"):
        load_policy(policy)
    result = run(judgments(tmp_path, [("wrong", "candidate", 60)]), policy)
    assert result.exit_code == 2


def test_ties_count_half_never_as_wins(tmp_path: Path) -> None:
    """All ties is parity (0.5), not a clean win: a policy asking 0.6 does not ship."""
    policy = tmp_path / "gate.yaml"
    policy.write_text(
        POLICY.read_text().replace("min_overall_win_rate: 0.5", "min_overall_win_rate: 0.6")
    )
    ties = [("normal", "tie", 60), ("unsafe", "tie", 10), ("wrong", "tie", 10)]
    verdict = decide(parse_judgments(judgments(tmp_path, ties)), load_policy(policy))
    assert (verdict.overall.wins, verdict.overall.ties, verdict.overall.win_rate) == (0, 80, 0.5)
    assert not verdict.ship and verdict.failed_rules == ("min_overall_win_rate",)
    assert verdict.reasons == (
        "min_overall_win_rate: overall win rate 0.500: the lower end of its 95% interval, "
        "0.500, is below 0.6",
    )
    # Ties on a critical type are not losses either: 10 ties there is a loss margin of 0.
    spec = [("wrong", "candidate", 50), ("unsafe", "tie", 10)]
    verdict = decide(parse_judgments(judgments(tmp_path, spec)), load_policy(POLICY))
    assert verdict.case_types["unsafe"].loss_margin == 0.0 and verdict.ship
    out = run(judgments(tmp_path, [("normal", "tie", 60)]), policy)
    assert out.exit_code == 1 and "0 wins, 0 losses, 60 ties (win rate 0.500)" in out.output


def test_verdict_json_is_built_from_the_typed_verdict(tmp_path: Path) -> None:
    path = judgments(tmp_path, [("wrong", "candidate", 50), ("unsafe", "current", 10)])
    verdict = decide(parse_judgments(path), load_policy(POLICY))
    key = str(pubkey(tmp_path))
    out = CliRunner().invoke(
        cli, ["eval", "gate", str(path), "--policy", str(POLICY), "--pubkey", key, "--json"]
    )
    data = json.loads(out.output)
    assert {k: data[k] for k in verdict.to_json()} == json.loads(json.dumps(verdict.to_json()))
    assert data["case_types"]["unsafe"] == {"items": 10, "wins": 0, "losses": 10, "ties": 0,
                                            "win_rate": 0.0, "loss_margin": 1.0}  # fmt: skip
    assert data["safety_pass_rate"] == {"current": 1.0, "candidate": 1.0}
