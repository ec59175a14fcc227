"""``labeler pack check`` on the training team's own files: every exact or near copy of the
eval pack's holdout texts in Parquet or JSON lines, exit 1 when any, 0 when none, 2 on bad
input; the eval pack verified when a key is given."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto.signing import signing_key
from labeler.demo.build import open_or_build_demo
from labeler.packs.export import PackOptions, export_pack
from labeler.workspace import Workspace


@pytest.fixture
def packs(tmp_path: Path, memory_keyring) -> tuple[Path, Path, Path]:
    """(eval pack, training pack, the lead's public key) of the lead demo."""
    ws: Workspace = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    export_pack(ws.session, PackOptions("eval"), tmp_path / "eval")
    export_pack(ws.session, PackOptions("training"), tmp_path / "train")
    key = tmp_path / "lead.pub"
    key.write_text(signing_key(ws.store).public.minisign_file())
    ws.close()
    return tmp_path / "eval", tmp_path / "train", key


def _rows(pack: Path) -> list[dict]:
    return [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]


def _training_set(eval_pack: Path, train: Path) -> list[dict[str, str]]:
    """The training team's mix: their own rows, plus one copied and one near-copied holdout
    text (an output under another prompt, an input with one word changed)."""
    holdout = _rows(eval_pack)
    source = next(r for r in holdout if r["output"] and len(r["output"]) > 60)
    mix = [{"prompt": r["input"], "completion": r["output"] or ""} for r in _rows(train)]
    mix.insert(3, {"prompt": "Write me something", "completion": source["output"].upper()})
    words = holdout[1]["input"].split()
    words[2] = "changed"
    mix.insert(7, {"prompt": " ".join(words), "completion": "fine"})
    return mix


def test_copies_are_listed_in_parquet_and_json_lines(tmp_path: Path, packs) -> None:
    eval_pack, train, key = packs
    mix = _training_set(eval_pack, train)
    parquet, jsonl = tmp_path / "mix.parquet", tmp_path / "mix.jsonl"
    pq.write_table(pa.Table.from_pylist(mix), parquet)
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in mix))
    runner = CliRunner()
    for path in (parquet, jsonl):
        args = ["pack", "check", str(path), "--eval-pack", str(eval_pack), "--pubkey", str(key)]
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert f"{path.name} row 4 (completion): exact copy of holdout item" in result.output
        assert f"{path.name} row 8 (prompt): near duplicate (Jaccard" in result.output
        assert "2 of " in result.output and "not verified" not in result.output
        data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
        assert {(f["row"], f["column"]) for f in data["findings"]} == {
            (4, "completion"), (8, "prompt")
        }  # fmt: skip
        assert data["rows"] == len(mix) and data["verified"] is True


def test_a_clean_training_set_exits_0_and_a_column_can_be_named(tmp_path: Path, packs) -> None:
    eval_pack, train, _ = packs
    mix = _training_set(eval_pack, train)
    path = tmp_path / "mix.parquet"
    pq.write_table(pa.Table.from_pylist(mix[:3] + mix[4:7] + mix[8:]), path)
    result = CliRunner().invoke(cli, ["pack", "check", str(path), "--eval-pack", str(eval_pack)])
    assert result.exit_code == 0, result.output
    assert "0 of " in result.output and "not verified (give --pubkey)" in result.output
    pq.write_table(pa.Table.from_pylist(mix), path)
    only = ["pack", "check", str(path), "--eval-pack", str(eval_pack), "--text-column", "prompt"]
    result = CliRunner().invoke(cli, only)
    assert result.exit_code == 1 and "(completion)" not in result.output


def test_bad_input_is_exit_2_with_one_sentence(tmp_path: Path, packs) -> None:
    eval_pack, train, key = packs
    path = tmp_path / "mix.parquet"
    pq.write_table(pa.table({"prompt": ["a", "b"], "n": [1, 2]}), path)
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"prompt": "a"}\n{"prompt": \n')
    other = tmp_path / "other.pub"
    other.write_text("untrusted comment: x\nRWQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
    cases = [
        ([str(path), "--eval-pack", str(eval_pack), "--text-column", "nope"], "no column 'nope'"),
        ([str(path), "--eval-pack", str(eval_pack), "--text-column", "n"], "does not hold text"),
        ([str(path), "--eval-pack", str(train)], "is a training pack"),
        ([str(broken), "--eval-pack", str(eval_pack)], "broken.jsonl: cannot be read"),
        ([str(key), "--eval-pack", str(eval_pack)], "use a .parquet or a .jsonl"),
        ([str(path), "--eval-pack", str(eval_pack), "--pubkey", str(other)], "key"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(cli, ["pack", "check", *args])
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and result.output.count("\n") == 1, result.output


def test_check_loads_neither_qt_nor_the_store(tmp_path: Path, packs) -> None:
    import subprocess
    import sys

    eval_pack, train, key = packs
    path = tmp_path / "mix.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _training_set(eval_pack, train)))
    code = (
        "import sys\nfrom labeler.cli import main\n"
        "sys.argv = ['labeler', 'pack', 'check', sys.argv[1], '--eval-pack', sys.argv[2],"
        " '--pubkey', sys.argv[3]]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
        "loaded = ('PySide6', 'labeler.store', 'labeler.workspace', 'sqlcipher3')\n"
        "print(code, [m for m in sys.modules if m.startswith(loaded)])\n"
    )
    args = [sys.executable, "-c", code, str(path), str(eval_pack), str(key)]
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.stdout.strip().splitlines()[-1] == "1 []", out.stdout + out.stderr
