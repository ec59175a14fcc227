"""Every engine builds the same bundle bytes (apart from created_at) from the same events.

The Python engine is the reference; DuckDB (the default) is held to it here on hostile-ish
events in every file layout, and Spark in tests/triage/test_spark.py (marked ``spark``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler.errors import ValidationError
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import read_bundle
from labeler.triage.engines import EngineSettings
from tests.triage import hostile
from tests.triage.test_sampling import event_specs, make_events, write

OPTIONS = BuildOptions(week=hostile.WEEK, per_reason=7, normal=5, holdout_rate=0.3, seed=3)


def build(tmp_path: Path, sources: list, engine: str, options: BuildOptions = OPTIONS) -> Path:
    out = tmp_path / f"{engine}-{len(list(tmp_path.iterdir()))}.lbundle"
    build_bundle([str(s) for s in sources], options, out, engine=engine)
    return out


@pytest.fixture(scope="module")
def events() -> list[dict]:
    return hostile.hostile_events()


@pytest.fixture(scope="module")
def reference(tmp_path_factory, events) -> tuple[dict, bytes]:
    folder = tmp_path_factory.mktemp("reference")
    path = build(folder, [hostile.write_jsonl(folder / "e.jsonl", events)], "python")
    return hostile.bundle_parts(path)


def test_the_reference_sees_every_hostile_case(reference) -> None:
    manifest, items = reference
    stats = manifest["statistics"]
    dropped = stats["dropped"]
    assert dropped["outside_week"] == 4  # the 22nd (two ways), 2019, December
    assert dropped["unchanged_edit"] >= 1 and dropped["no_pick"] >= 1
    assert all(dropped[c] >= 1 for c in ("missing_input", "missing_intent", "missing_evidence"))
    assert dropped["missing_model_version"] >= 2
    assert stats["low_intent"]["rating"]["count"] > 0
    rows = [json.loads(line) for line in items.splitlines()]
    assert sum(stats["sampled_per_case"].values()) == len(rows)
    assert any(r["restricted"] and r["pii"] for r in rows)
    assert {r["captured_at"][:10] for r in rows} >= {"2026-11-23", "2026-11-26"}
    assert any(r["id"] == "ev-00900" for r in rows) or stats["ignored_over_cap"]
    assert all(v >= 0 for v in stats["ignored_over_cap"].values())


@pytest.mark.parametrize(
    "layout", ["jsonl", "csv", "parquet", "parquet-native", "glob", "hive", "split"]
)
def test_duckdb_builds_the_reference_bytes(tmp_path: Path, events, reference, layout) -> None:
    sources: list
    if layout == "jsonl":
        sources = [hostile.write_jsonl(tmp_path / "e.jsonl", events)]
    elif layout == "csv":
        sources = [hostile.write_csv(tmp_path / "e.csv", events)]
    elif layout == "parquet":
        sources = [hostile.write_parquet(tmp_path / "e.parquet", events)]
    elif layout == "parquet-native":
        sources = [hostile.write_parquet(tmp_path / "e.parquet", events, native=True)]
    elif layout == "glob":
        for part in range(3):
            hostile.write_jsonl(tmp_path / f"part-{part}.jsonl", events[part::3])
        sources = [tmp_path / "part-*.jsonl"]
    elif layout == "hive":
        sources = [hostile.write_hive(tmp_path / "lake", events)]
    else:  # the same events split across a JSON lines file and a Parquet file
        half = len(events) // 2
        sources = [
            hostile.write_jsonl(tmp_path / "a.jsonl", events[:half]),
            hostile.write_parquet(tmp_path / "b.parquet", events[half:]),
        ]
    out = tmp_path / "out"
    out.mkdir()
    assert hostile.bundle_parts(build(out, sources, "duckdb")) == reference
    if layout in ("csv", "parquet", "hive"):
        assert hostile.bundle_parts(build(out, sources, "python")) == reference


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    specs=event_specs,
    per_reason=st.integers(0, 9),
    normal=st.integers(0, 5),
    rate=st.sampled_from([0.0, 0.1, 0.35, 1.0]),
    seed=st.integers(0, 3),
)
def test_engines_agree_on_any_events(
    tmp_path: Path, specs: list, per_reason: int, normal: int, rate: float, seed: int
) -> None:
    source = write(tmp_path / "e.jsonl", make_events(specs))
    options = BuildOptions(
        week="2026-W48", per_reason=per_reason, normal=normal, holdout_rate=rate, seed=seed
    )
    a = build(tmp_path, [source], "python", options)
    b = build(tmp_path, [source], "duckdb", options)
    assert hostile.bundle_parts(a) == hostile.bundle_parts(b)


MALFORMED = {
    "no seconds": ({"captured_at": "2026-11-24T10:00Z"}, "'captured_at'"),
    "words": ({"captured_at": "yesterday"}, "'captured_at'"),
    "no offset": ({"captured_at": "2026-11-24T10:00:00"}, "'captured_at'"),
    "no such day": ({"captured_at": "2026-02-30T10:00:00Z"}, "'captured_at'"),
    "number as text": ({"input": 123}, "'input'"),
    "pick as bool": ({"picked": True}, "'picked'"),
    "unknown signal": ({"signal": "click"}, "'signal'"),
    "blank id": ({"event_id": " \u3000"}, "'event_id'"),
    "bad reason": ({"reason_code": "meh"}, "'reason_code'"),
    "three candidates": ({"candidates": [{"model_version": "a", "output": "x"}] * 3},
                         "'candidates'"),
    "retry step": ({"retries": [{"change": 1, "output": "x"}]}, "'retries"),
    # Nested fields DuckDB reads as structs: a shape its reader refuses is named by ours.
    "model as text": ({"model": "m"}, "'model"),
    "model name a number": ({"model": {"name": 5, "version": "v"}}, "'model"),
    "settings as text": ({"model": {"name": "m", "version": "v", "settings": "hot"}}, "'model"),
    "retries as object": ({"retries": {"change": "a", "output": "b"}}, "'retries"),
    "retry step null": ({"retries": [None]}, "'retries"),
    "candidates as numbers": ({"candidates": [1, 2]}, "'candidates"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MALFORMED))
@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_malformed_events_refused_by_every_engine(tmp_path: Path, engine: str, case: str) -> None:
    change, field = MALFORMED[case]
    events = make_events([(0, 1, n) for n in range(5)])
    events[3].update(change)
    source = write(tmp_path / "e.jsonl", events)
    out = tmp_path / "w.lbundle"
    with pytest.raises(
        ValidationError, match=rf"^e\.jsonl line 4: (field (.* of )?|entry \d+ of ){field}"
    ):
        build_bundle([source], OPTIONS, out, engine=engine)
    assert not out.exists() and not list(tmp_path.glob("*.partial"))


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_duplicate_ids_refused_naming_the_second_line(tmp_path: Path, engine: str) -> None:
    events = make_events([(0, 1, n) for n in range(5)])
    events[4]["event_id"] = events[1]["event_id"]
    a = write(tmp_path / "a.jsonl", events[:3])
    b = write(tmp_path / "b.jsonl", events[3:])
    with pytest.raises(ValidationError, match=r"^b\.jsonl line 2: duplicate event_id 'e1'\.$"):
        build_bundle([a, b], OPTIONS, tmp_path / "w.lbundle", engine=engine)


@pytest.mark.parametrize("engine", ["python", "duckdb"])
def test_not_json_names_the_line(tmp_path: Path, engine: str) -> None:
    source = tmp_path / "e.jsonl"
    source.write_text(json.dumps(make_events([(0, 1, 1)])[0]) + "\n{not json\n")
    with pytest.raises(ValidationError, match=r"^e\.jsonl line 2: "):
        build_bundle([source], OPTIONS, tmp_path / "w.lbundle", engine=engine)


def test_sources_that_are_not_there_or_not_events(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file or folder"):
        build_bundle([tmp_path / "missing.jsonl"], OPTIONS, tmp_path / "w.lbundle")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValidationError, match="unknown event file type"):
        build_bundle([tmp_path / "notes.txt"], OPTIONS, tmp_path / "w.lbundle")
    with pytest.raises(ValidationError, match="no event files"):
        build_bundle([tmp_path / "*.parquet"], OPTIONS, tmp_path / "w.lbundle")
    with pytest.raises(ValidationError, match="local files only"):
        build_bundle(["s3a://lake/e/*.parquet"], OPTIONS, tmp_path / "w.lbundle", engine="python")
    with pytest.raises(ValidationError, match="type in the address"):
        build_bundle(["s3a://lake/events/"], OPTIONS, tmp_path / "w.lbundle")


def test_duckdb_spills_to_a_folder_it_deletes(tmp_path: Path, events) -> None:
    source = hostile.write_jsonl(tmp_path / "e.jsonl", events)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    build_bundle(
        [source],
        OPTIONS,
        tmp_path / "w.lbundle",
        settings=EngineSettings(memory_limit="200MB", threads=1, temp_dir=scratch),
    )
    assert list(scratch.iterdir()) == []
    with pytest.raises(ValidationError, match="--memory-limit"):
        build_bundle(
            [source], OPTIONS, tmp_path / "x.lbundle", settings=EngineSettings(memory_limit="lots")
        )


def test_partition_column_reads_only_the_weeks_partitions(tmp_path: Path, events) -> None:
    lake = hostile.write_hive(tmp_path / "lake", events)
    out = tmp_path / "w.lbundle"
    manifest = build_bundle([lake], OPTIONS, out, settings=EngineSettings(partition_column="day"))
    # 2019 and December partitions are never read, so not counted; the 22nd is (a day before).
    assert manifest["statistics"]["dropped"]["outside_week"] == 2
    full = build_bundle([lake], OPTIONS, tmp_path / "all.lbundle")
    assert read_bundle(out).items == read_bundle(tmp_path / "all.lbundle").items
    assert full["statistics"]["dropped"]["outside_week"] == 4


def test_heavy_libraries_stay_off_the_start_up_path() -> None:
    code = (
        "import sys\nfrom click.testing import CliRunner\nfrom labeler.cli import cli\n"
        "import labeler.triage.build, labeler.triage.engines\n"
        "for args in (['--help'], ['bundle', 'build', '--help']):\n"
        "    assert CliRunner().invoke(cli, args).exit_code == 0\n"
        "print(sorted(m for m in ('duckdb', 'pyspark', 'pandas', 'phonenumbers') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_engine_choice_and_bad_sources(tmp_path: Path, memory_keyring: object) -> None:
    from click.testing import CliRunner

    from labeler.cli import cli

    source = write(
        tmp_path / "e.jsonl", make_events([(r, n % 7, n) for r in range(6) for n in range(9)])
    )
    from tests.factories import sealed_parts, team_workspace

    runner = CliRunner()
    outputs = {}
    ws = team_workspace(tmp_path / "team.lbw")
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.lbundle"
        args = ["--workspace", ws, "bundle", "build", str(tmp_path / "*.jsonl"), "--week",
                "2026-W48", "-o", str(out)]  # fmt: skip
        result = runner.invoke(cli, [*args, "--engine", engine, "--memory-limit", "200MB"])
        assert result.exit_code == 0, result.output
        outputs[engine] = sealed_parts(out, ws)
    assert outputs["python"] == outputs["duckdb"]
    missing = runner.invoke(
        cli, ["--workspace", ws, "bundle", "build", str(tmp_path / "no.jsonl"), "--week",
              "2026-W48", "-o", "x"],
    )  # fmt: skip
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    assert not (tmp_path / "x").exists()
    assert source.exists()
