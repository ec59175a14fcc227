"""The Spark engine on a local session builds the reference bundle's bytes (marked ``spark``:
it starts a JVM, so ``python -m pytest`` leaves it out and .ci/run runs it with
``-m spark``; it needs the [spark] extra and Java)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from labeler.errors import ValidationError
from labeler.triage.build import build_bundle
from labeler.triage.engines import EngineSettings
from tests.triage import hostile
from tests.triage.test_engines import OPTIONS
from tests.triage.test_sampling import make_events, write

pytestmark = [
    pytest.mark.spark,
    # pyspark checks the pandas version on import and warns about pandas 3.
    pytest.mark.filterwarnings("ignore::FutureWarning"),
]
LOCAL = EngineSettings(spark_master="local[2]")


@pytest.fixture(scope="module", autouse=True)
def spark_available() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:
        assert not os.environ.get("CI"), "CI installs the [spark] extra (.ci/run does)"
        pytest.skip("pip install -e '.[spark]' to run the Spark engine")
    if shutil.which("java") is None:
        assert not os.environ.get("CI"), "CI installs Java (.ci/run does)"
        pytest.skip("Spark needs Java: apt-get install default-jre-headless")


def test_spark_builds_the_reference_bytes(tmp_path: Path) -> None:
    events = hostile.hostile_events()
    half = len(events) // 2
    sources = [
        hostile.write_jsonl(tmp_path / "a.jsonl", events[:half]),
        hostile.write_parquet(tmp_path / "b.parquet", events[half:], native=True),
    ]
    reference = tmp_path / "python.lbundle"
    build_bundle(sources, OPTIONS, reference, engine="python")
    spark = tmp_path / "spark.lbundle"
    build_bundle(sources, OPTIONS, spark, engine="spark", settings=LOCAL)
    assert hostile.bundle_parts(spark) == hostile.bundle_parts(reference)


def test_spark_refuses_duplicates_and_malformed_events(tmp_path: Path) -> None:
    events = make_events([(0, 1, n) for n in range(5)])
    events[4]["event_id"] = events[1]["event_id"]
    source = write(tmp_path / "e.jsonl", events)
    out = tmp_path / "w.lbundle"
    with pytest.raises(ValidationError, match=r"^e\.jsonl line 5: duplicate event_id 'e1'\.$"):
        build_bundle([source], OPTIONS, out, engine="spark", settings=LOCAL)
    events[4]["event_id"] = "e4"
    events[2]["captured_at"] = "2026-11-24T10:00Z"
    write(source, events)
    with pytest.raises(ValidationError, match=r"^e\.jsonl line 3: field 'captured_at'"):
        build_bundle([source], OPTIONS, out, engine="spark", settings=LOCAL)
    assert not out.exists()


def test_spark_reads_csv_quotes_and_the_weeks_partitions_as_the_reference(tmp_path: Path) -> None:
    """RFC 4180 CSV (JSON cells with doubled quotes: Spark's default escape is a backslash)
    and --partition-column (Spark read every partition of explicit file lists)."""
    events = hostile.hostile_events(300)
    pruned = EngineSettings(spark_master="local[2]", partition_column="day")
    cases = [
        ([hostile.write_csv(tmp_path / "e.csv", events)], LOCAL, EngineSettings()),
        ([hostile.write_hive(tmp_path / "lake", events)], pruned,
         EngineSettings(partition_column="day")),
    ]  # fmt: skip
    for number, (sources, spark_settings, python_settings) in enumerate(cases):
        reference = tmp_path / f"python-{number}.lbundle"
        build_bundle(sources, OPTIONS, reference, engine="python", settings=python_settings)
        spark = tmp_path / f"spark-{number}.lbundle"
        build_bundle(sources, OPTIONS, spark, engine="spark", settings=spark_settings)
        assert hostile.bundle_parts(spark) == hostile.bundle_parts(reference), number


def test_spark_checks_every_event_as_the_reference_does(tmp_path: Path) -> None:
    """An event Spark never picks is checked against the format as the reference checks it
    (each format case of test_content_rules_everywhere on JSON lines, a few on CSV and
    native Parquet); what only looks suspect, and an unpicked event's control character,
    build the reference bytes; a picked one's is refused alike. One test: one session."""
    from tests.triage.test_content_rules_everywhere import (
        FORMAT_CASES,
        TEXT_CASES,
        _events,
        _write,
        harmless_events,
    )

    few = ["a bidirectional override in the id", "a tab in the model's name", "101 retries"]
    runs = [(case, "jsonl") for case in sorted(FORMAT_CASES)]
    runs += [(case, kind) for case in few for kind in ("csv", "parquet-native")]
    for number, (case, kind) in enumerate(runs):
        folder = tmp_path / str(number)
        folder.mkdir()
        source = _write(folder, kind, _events(FORMAT_CASES[case], native=kind.endswith("native")))
        with pytest.raises(ValidationError) as reference:
            build_bundle([source], OPTIONS, folder / "p.lbundle", engine="python")
        with pytest.raises(ValidationError) as spark:
            build_bundle([source], OPTIONS, folder / "s.lbundle", engine="spark", settings=LOCAL)
        assert str(spark.value) == str(reference.value), (case, kind)
    alike = [harmless_events(), _events(TEXT_CASES["ESC in the input"])]
    for number, events in enumerate(alike):  # nothing to refuse: the same bundle
        folder = tmp_path / f"alike-{number}"
        folder.mkdir()
        source = _write(folder, "jsonl", events)
        build_bundle([source], OPTIONS, folder / "p.lbundle", engine="python")
        build_bundle([source], OPTIONS, folder / "s.lbundle", engine="spark", settings=LOCAL)
        assert hostile.bundle_parts(folder / "s.lbundle") == hostile.bundle_parts(
            folder / "p.lbundle"
        )
    picked = _events({})
    picked[0]["input"] = "x\x1by"
    source = _write(tmp_path, "jsonl", picked)
    with pytest.raises(ValidationError) as reference:
        build_bundle([source], OPTIONS, tmp_path / "p.lbundle", engine="python")
    with pytest.raises(ValidationError) as spark:
        build_bundle([source], OPTIONS, tmp_path / "s.lbundle", engine="spark", settings=LOCAL)
    assert (
        str(spark.value)
        == str(reference.value)
        == ("e.jsonl line 1: field 'input' holds the control character U+001B.")
    )


def test_spark_refuses_a_key_named_twice_without_a_traceback_or_the_record(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The picked rows' read failed on it (FAILFAST) with a raw Py4JJavaError, and Spark's
    ERROR log quoted the record: customer text in the log."""
    import json

    from tests.triage.test_content_rules_everywhere import _events

    events = _events({})
    events[-1]["input"] = "customer words"
    line = json.dumps(events[-1]).replace(
        '{"event_id": "e6", ', '{"event_id": "e6", "event_id": "e7", '
    )
    source = tmp_path / "e.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events[:-1]) + line + "\n")
    capfd.readouterr()
    with pytest.raises(
        ValidationError, match=r"^e\.jsonl line 7: field 'event_id' is given twice\.$"
    ):
        build_bundle([source], OPTIONS, tmp_path / "s.lbundle", engine="spark", settings=LOCAL)
    out, err = capfd.readouterr()
    assert "customer words" not in out + err


def test_spark_refuses_settings_nested_past_what_python_reads(tmp_path: Path) -> None:
    import json

    from tests.triage.test_content_rules_everywhere import _events

    lines = [json.dumps(e) for e in _events({})]
    deep = '"settings": {"k": ' + "[" * 5000 + "]" * 5000 + "}"
    lines[0] = lines[0].replace('"settings": {}', deep, 1)
    source = tmp_path / "e.jsonl"
    source.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError, match=r"^e\.jsonl line 1: nested too deeply\.$"):
        build_bundle([source], OPTIONS, tmp_path / "s.lbundle", engine="spark", settings=LOCAL)
