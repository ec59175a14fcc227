"""``labeler agreement --json`` (and ``--gaps``, and the agreement part of ``labeler status``)
on synthetic workspaces, against golden files captured from the implementation before the
typed, vectorised rewrite: every figure equal to 1e-12, bootstrap intervals included.

Regenerate (only when a change of figures is intended):
``python -m tests.team.test_agreement_golden``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benchmarks.agreement_data import PASSPHRASE, Layout, build
from labeler.cli import cli

GOLDEN = Path(__file__).with_name("golden")
LAYOUTS = {
    # two labelers, blind side-by-side picks with ties, four weeks
    "two": Layout(paired=150, weeks=4, side_by_side=0.3, noise=0.15, seed=2),
    # three labelers (and pairs without the first), missing answers, answers outside the
    # rubric, eval pairs with per-side questions, an ordinal question, resolutions
    "three": Layout(paired=250, weeks=5, third=0.5, swap_pair=0.15, singles=60,
                    side_by_side=0.25, evals=0.15, missing=0.08, odd=0.03, resolved=0.4,
                    ordinal=True, seed=3),
    # one week of twelve items labeled alike: alpha undefined, 'one answer throughout'
    "alike": Layout(paired=12, weeks=1, side_by_side=0.0, noise=0.0, seed=4),
    # nothing paired
    "none": Layout(paired=0, weeks=2, singles=20, seed=5),
}  # fmt: skip
COMMANDS = {
    "report": ["agreement", "--json"],
    "week": ["agreement", "--json", "--week", "2026-W32", "--pooled", "2"],
    "gaps": ["agreement", "--json", "--gaps"],
    "gaps_week": ["agreement", "--json", "--gaps", "--week", "2026-W31"],
    "status": ["status", "--json"],
}


# Layouts without the week those commands name (their report of nothing was golden before
# an unknown --week became an error).
ABSENT_WEEK = {("alike", "week"), ("alike", "gaps_week"), ("none", "week")}


def _run(workspace: Path, args: list[str]) -> Any:
    result = CliRunner().invoke(
        cli, ["--workspace", str(workspace), *args], env={"LABELER_PASSPHRASE": PASSPHRASE}
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    if args[0] == "status":  # only its agreement part is agreement's to keep
        return {"agreement": data["agreement"], "disagreements": data["disagreements"]}
    return data


def assert_close(got: Any, want: Any, where: str = "") -> None:
    """Equal in shape, keys and order of lists; numbers equal to 1e-12."""
    if isinstance(want, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(want), where
        for key in want:
            assert_close(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), where
        for index, (g, w) in enumerate(zip(got, want, strict=True)):
            assert_close(g, w, f"{where}[{index}]")
    elif isinstance(want, float) and not isinstance(want, bool):
        assert isinstance(got, (int, float)) and not isinstance(got, bool), where
        assert math.isclose(got, want, rel_tol=0, abs_tol=1e-12), f"{where}: {got} != {want}"
    else:
        assert got == want and type(got) is type(want), f"{where}: {got!r} != {want!r}"


@pytest.fixture(scope="module")
def workspaces(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("agreement")
    return {name: build(folder / f"{name}.lbw", layout) for name, layout in LAYOUTS.items()}


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_figures_equal_the_golden_files(
    workspaces: dict[str, Path], name: str, command: str
) -> None:
    if (name, command) in ABSENT_WEEK:  # a --week the workspace has no items of: refused
        result = CliRunner().invoke(
            cli, ["--workspace", str(workspaces[name]), *COMMANDS[command]],
            env={"LABELER_PASSPHRASE": PASSPHRASE},
        )  # fmt: skip
        assert result.exit_code == 2 and "holds no items of it" in result.output
        return
    want = json.loads((GOLDEN / f"{name}-{command}.json").read_text(encoding="utf-8"))
    assert_close(_run(workspaces[name], COMMANDS[command]), want, f"{name}-{command}")


def regenerate(folder: Path) -> None:
    for name, layout in LAYOUTS.items():
        workspace = build(folder / f"{name}.lbw", layout)
        for command, args in COMMANDS.items():
            if (name, command) in ABSENT_WEEK:
                continue
            data = _run(workspace, args)
            text = json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
            (GOLDEN / f"{name}-{command}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        regenerate(Path(scratch))
    sys.exit(0)


def test_the_command_never_loads_pandas(workspaces: dict[str, Path]) -> None:
    """pandas (and sqlite_utils, which pulls it in) cost ~0.7 s of start-up: not on this path."""
    import subprocess

    code = (
        "import sys\nfrom labeler.cli import cli\n"
        f"cli(['--workspace', {str(workspaces['three'])!r}, 'agreement', '--json'], "
        "standalone_mode=False)\n"
        "print(sorted(m for m in ('pandas', 'sqlite_utils', 'pyarrow') if m in sys.modules))"
    )
    env = {**os.environ, "LABELER_PASSPHRASE": PASSPHRASE}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
