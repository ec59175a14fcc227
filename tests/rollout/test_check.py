"""The rollout check through real files: plans and exposures refused in one sentence, the
three verdicts and their exit codes, and the signed record kept beside the SHIP gate run."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import minisign
from labeler.crypto.signing import signing_key
from labeler.demo.rollout import BASE_RATES, schedule, simulate
from labeler.errors import ValidationError
from labeler.rollout.check import check_rollout
from labeler.rollout.plan import parse_plan, read_plan
from labeler.rollout.signals import read_tally

SHIPPED = Path(__file__).resolve().parents[2] / "rubrics" / "rollout.yaml"
START = dt.date(2026, 11, 30)
# Guards a small simulated rollout can settle either way within a few days.
SMALL_PLAN = """\
alpha: 0.05
stages:
  - {name: internal, share: internal, min_days: 1}
  - {name: canary, share: 0.3, min_days: 3}
guards:
  edit_rate: {worse: higher, max_worsening: 0.02}
  retry_rate: {worse: higher, max_worsening: 0.02}
"""


def _rollout(folder: Path, rates: dict[str, float], canary_days: int = 4) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    days = schedule(20_000, [("internal", None, 1), ("canary", 0.3, canary_days)])
    return simulate(folder, days, "base", "cand", rates, start=START, seed=2)


def _plan(tmp_path: Path, text: str = SMALL_PLAN) -> Path:
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("alpha: 0.05", "alpha: 0.5"), "'alpha'"),
        (("alpha: 0.05", "alpha: 0.05\nspeed: 2"), "unknown field 'speed'"),
        (("retry_rate:", "retries:"), "retries"),
        (("name: canary", "name: internal"), "two stages have the same name"),
        (("share: 0.3", "share: 3"), "'share'"),
        (("worse: higher, max", "worse: up, max"), "'worse'"),
    ],
)
def test_plan_mistakes_are_one_sentence(change: tuple[str, str], message: str) -> None:
    with pytest.raises(ValidationError, match=message) as found:
        parse_plan(SMALL_PLAN.replace(*change, 1), "plan.yaml")
    assert str(found.value).startswith("plan.yaml") and "\n" not in str(found.value)


def test_the_shipped_plan_reads() -> None:
    plan = read_plan(SHIPPED)
    assert [s.name for s in plan.stages] == ["internal", "canary", "wider"]
    assert {g.signal for g in plan.guards} == {
        "edit_rate", "retry_rate", "side_by_side_loss_rate", "sensitive_data_rate"
    }  # fmt: skip
    assert plan.alpha_per_guard == pytest.approx(plan.alpha / 4)


def test_rollback_names_the_signal_its_estimate_and_interval(tmp_path: Path) -> None:
    events, exposures = _rollout(tmp_path, dict(BASE_RATES, retry_rate=0.09))
    plan = read_plan(_plan(tmp_path))
    verdict = check_rollout(read_tally([events], exposures), plan, "base", "cand")
    assert verdict.verdict == "ROLLBACK" and verdict.exit_code == 1
    (reason,) = verdict.reasons
    assert reason.startswith("retry_rate crossed its guard on 2026-12-")
    retry = next(s for s in verdict.signals if s.signal == "retry_rate")
    assert retry.state == "crossed" and retry.low is not None and retry.low > 0.02
    assert retry.candidate_rate is not None and retry.candidate_rate > 0.08
    edit = next(s for s in verdict.signals if s.signal == "edit_rate")
    assert edit.state != "crossed"


def test_promote_needs_every_guard_inside_and_the_stage_days(tmp_path: Path) -> None:
    plan = read_plan(_plan(tmp_path))
    events, exposures = _rollout(tmp_path / "long", dict(BASE_RATES), canary_days=4)
    verdict = check_rollout(read_tally([events], exposures), plan, "base", "cand")
    assert verdict.verdict == "PROMOTE" and verdict.exit_code == 0, verdict.reasons
    assert (verdict.stage, verdict.next_stage, verdict.days_in_stage) == ("canary", None, 4)
    assert all(s.state == "within" for s in verdict.signals)
    events, exposures = _rollout(tmp_path / "short", dict(BASE_RATES), canary_days=2)
    early = check_rollout(read_tally([events], exposures), plan, "base", "cand")
    assert early.verdict == "CONTINUE" and early.exit_code == 3
    assert early.reasons[0] == "stage canary has run 2 of its 3 days"


def test_per_version_signals_and_the_days(tmp_path: Path) -> None:
    events, exposures = _rollout(tmp_path, dict(BASE_RATES))
    verdict = check_rollout(read_tally([events], exposures), read_plan(SHIPPED), "base", "cand")
    versions = {v.version: v for v in verdict.versions}
    assert set(versions) == {"base", "cand"}
    assert versions["cand"].requests == 400 + 4 * 6000
    assert set(versions["base"].rates) == {
        "edit_rate", "retry_rate", "side_by_side_loss_rate", "sensitive_data_rate"
    }  # fmt: skip
    assert abs(versions["base"].rates["edit_rate"] - BASE_RATES["edit_rate"]) < 0.005
    series = verdict.signals[0].series
    assert [p.date for p in series] == [(START + dt.timedelta(d)).isoformat() for d in range(5)]


def test_bad_inputs_are_exit_2_with_one_sentence(tmp_path: Path) -> None:
    events, exposures = _rollout(tmp_path, dict(BASE_RATES))
    plan = _plan(tmp_path)
    common = ["rollout", "check", str(events), "--plan", str(plan)]
    runner = CliRunner()
    cases = [
        (["--baseline", "base", "--candidate", "cand"], "need --exposures"),
        (["--baseline", "nope", "--candidate", "cand", "--exposures", str(exposures)], "'nope'"),
        (["--baseline", "base", "--candidate", "base", "--exposures", str(exposures)], "same"),
        (["--baseline", "base", "--candidate", "cand", "--exposures", str(exposures),
          "--stage", "wide"], "no stage 'wide'"),
    ]  # fmt: skip
    lines = exposures.read_text().splitlines()
    short = tmp_path / "short.jsonl"  # the first day's baseline counted 5 requests
    first = json.loads(lines[0]) | {"requests": 5}
    short.write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    cases.append((["--baseline", "base", "--candidate", "cand", "--exposures", str(short)],
                  "but 5 requests"))  # fmt: skip
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"date": "2026-11-30", "model_version": "base", "requests": -1}\n')
    cases.append((["--baseline", "base", "--candidate", "cand", "--exposures", str(broken)],
                  "broken.jsonl line 1"))  # fmt: skip
    for extra, message in cases:
        result = runner.invoke(cli, [*common, *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert message in result.output and result.output.count("\n") == 1, result.output


def test_exit_codes_without_a_workspace(tmp_path: Path) -> None:
    plan = _plan(tmp_path)
    runner = CliRunner()
    expected = [(dict(BASE_RATES, retry_rate=0.09), 4, 1), (BASE_RATES, 4, 0), (BASE_RATES, 2, 3)]
    for number, (rates, days, code) in enumerate(expected):
        events, exposures = _rollout(tmp_path / str(number), dict(rates), canary_days=days)
        args = ["rollout", "check", str(events), "--baseline", "base", "--candidate", "cand",
                "--plan", str(plan), "--exposures", str(exposures)]  # fmt: skip
        result = runner.invoke(cli, args)
        assert result.exit_code == code, result.output
        assert "Not recorded: no workspace" in result.output
        data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
        assert data["recorded"] is None and data["verdict"] in result.output


def test_recorded_signed_and_beside_the_ship_gate(tmp_path: Path, memory_keyring) -> None:
    from labeler.demo.build import open_or_build_demo
    from tests.rollout.ship import ship_candidate

    ws_path = tmp_path / "lead.lbw"
    ws = open_or_build_demo(ws_path, role="lead")
    gate_run = ship_candidate(ws.session, tmp_path / "ship", "cand")
    public = signing_key(ws.store).public
    (tmp_path / "lead.pub").write_text(public.minisign_file())
    ws.close()
    events, exposures = _rollout(tmp_path / "ro", dict(BASE_RATES, retry_rate=0.09))
    out = tmp_path / "verdict.json"
    args = ["rollout", "check", str(events), "--baseline", "base", "--candidate", "cand",
            "--plan", str(_plan(tmp_path)), "--exposures", str(exposures),
            "--workspace", str(ws_path), "-o", str(out), "--json"]  # fmt: skip
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    recorded = json.loads(result.output)["recorded"]
    assert recorded["gate_run_id"] == gate_run and recorded["signer_key_id"] == public.key_id_hex
    document = json.loads(out.read_bytes())
    assert document["verdict"] == "ROLLBACK" and document["gate_run"]["run_id"] == gate_run
    signature = out.with_name("verdict.json.minisig").read_text()
    minisign.check(public, out.read_bytes(), signature)
    with pytest.raises(ValidationError):
        minisign.check(public, out.read_bytes().replace(b"ROLLBACK", b"PROMOTE"), signature)
    if shutil.which("minisign"):
        tool = ["minisign", "-V", "-p", str(tmp_path / "lead.pub"), "-m", str(out)]
        assert subprocess.run(tool, capture_output=True).returncode == 0
    status = json.loads(
        CliRunner().invoke(cli, ["status", "--json", "--workspace", str(ws_path)]).output
    )
    latest = status["rollouts"][0]  # the latest first; the demo's own hotfix canary after it
    assert (latest["candidate"], latest["verdict"], latest["gate_run_id"]) == (
        "cand", "ROLLBACK", gate_run
    )  # fmt: skip
    assert {s["signal"] for s in latest["signals"]} == {"edit_rate", "retry_rate"}
    assert status["rollouts"][1]["candidate"] == "2026.11.3"
    text = CliRunner().invoke(cli, ["status", "--workspace", str(ws_path)]).output
    assert "rollout cand vs base: ROLLBACK at stage canary" in text
    assert f"gate run {gate_run}" in text
