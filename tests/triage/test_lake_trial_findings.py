"""What a new user's trial of lake triage found (engines disagreeing on hostile files,
tracebacks where a sentence belongs), each pinned for the Python and DuckDB engines."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from labeler.errors import ValidationError
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import read_bundle
from labeler.triage.engines import EngineSettings
from labeler.triage.engines.messages import safe_reason
from tests.triage import hostile
from tests.triage.test_sampling import make_events, write

OPTIONS = BuildOptions(week="2026-W48", per_reason=7, normal=5, holdout_rate=0.3, seed=3)
ENGINES = ["python", "duckdb"]


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _good_csv(tmp_path: Path, count: int = 4) -> Path:
    return hostile.write_csv(tmp_path / "good.csv", make_events([(0, 1, n) for n in range(count)]))


def _with_cell(source: Path, column: str, value: str) -> str:
    """The CSV text of ``source`` with ``column`` of its first row set to ``value``."""
    import csv
    import io

    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0]) + ([column] if column not in rows[0] else [])
    rows[0][column] = value
    out = io.StringIO()
    writer = csv.DictWriter(out, header)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def test_a_week_the_year_does_not_have_is_a_sentence(tmp_path: Path) -> None:
    source = write(tmp_path / "e.jsonl", make_events([(0, 1, 1)]))
    with pytest.raises(ValidationError, match=r"^--week 2027-W53: 2027 has no week 53\.$"):
        build_bundle([source], BuildOptions(week="2027-W53"), tmp_path / "w.lbundle")


def test_the_bundle_never_replaces_an_events_file(tmp_path: Path) -> None:
    source = write(tmp_path / "e.jsonl", make_events([(0, 1, n) for n in range(3)]))
    before = source.read_bytes()
    with pytest.raises(ValidationError, match="one of the events files"):
        build_bundle([source], OPTIONS, tmp_path / "e.jsonl")
    assert source.read_bytes() == before


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("value", ["one", "1.0", "+1", "1_0", "\u0661", "true"])
def test_a_pick_that_is_no_whole_number_is_malformed(tmp_path: Path, engine: str, value) -> None:
    events = make_events([(0, 1, n) for n in range(3)])
    events[0].update(signal="side_by_side", candidates=[
        {"model_version": "a", "output": "x"}, {"model_version": "b", "output": "y"}])  # fmt: skip
    source = _csv(tmp_path / "e.csv", _with_cell(hostile.write_csv(tmp_path / "e.csv", events),
                                                  "picked", value))  # fmt: skip
    with pytest.raises(ValidationError, match=r"picked"):
        build_bundle([source], OPTIONS, tmp_path / "w.lbundle", engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("column", [pa.array([True, None, None]), pa.array(["five", None, None])])
def test_a_parquet_rating_of_another_type_is_malformed(
    tmp_path: Path, engine: str, column: pa.Array
) -> None:
    events = make_events([(0, 1, n) for n in range(3)])
    table = pa.Table.from_pylist(hostile.flat(events)).append_column("rating", column)
    pq.write_table(table, tmp_path / "e.parquet")
    with pytest.raises(ValidationError, match=r"rating"):
        build_bundle([tmp_path / "e.parquet"], OPTIONS, tmp_path / "w.lbundle", engine=engine)


def test_an_empty_csv_holds_no_events_in_every_engine(tmp_path: Path) -> None:
    good = _good_csv(tmp_path)
    empty = _csv(tmp_path / "zero.csv", "")
    built = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.lbundle"
        build_bundle([good, empty], OPTIONS, out, engine=engine)
        built[engine] = read_bundle(out).items
        alone = build_bundle([empty], OPTIONS, tmp_path / f"{engine}-0.lbundle", engine=engine)
        assert alone["statistics"]["events"] == 0
    assert built["python"] == built["duckdb"] and built["python"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_damaged_parquet_file_is_a_sentence(tmp_path: Path, engine: str) -> None:
    path = hostile.write_parquet(
        tmp_path / "e.parquet", make_events([(0, 1, n) for n in range(50)])
    )
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(ValidationError, match=r"e\.parquet") as caught:
        build_bundle([path], OPTIONS, tmp_path / "w.lbundle", engine=engine)
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "w.lbundle").exists()


def test_every_engine_reads_only_the_weeks_partitions(tmp_path: Path) -> None:
    """An event of the week filed under a far day is in no partition the filter reads, in
    any engine; so is a duplicate id there."""
    events = make_events([(0, 1, n) for n in range(6)])
    lake = tmp_path / "lake"
    parts = {"day=2026-11-24": events[:5], "day=2026-11-10": events[5:],
             "day=2026-11-02": [events[0]]}  # fmt: skip
    for folder, part in parts.items():
        (lake / folder).mkdir(parents=True)
        write(lake / folder / "part-0.jsonl", part)
    settings = EngineSettings(partition_column="day")
    built = {}
    for engine in ENGINES:
        out = tmp_path / f"{engine}.lbundle"
        manifest = build_bundle([lake], OPTIONS, out, engine=engine, settings=settings)
        built[engine] = (manifest["statistics"], read_bundle(out).items)
    assert built["python"] == built["duckdb"]
    assert built["python"][0]["events"] == 5


@pytest.mark.parametrize("engine", ENGINES)
def test_a_csv_header_naming_a_column_twice_is_refused(tmp_path: Path, engine: str) -> None:
    text = _good_csv(tmp_path).read_text(encoding="utf-8")
    header, rest = text.split("\n", 1)
    doubled = _csv(tmp_path / "e.csv", header + ",input\n" + rest.replace("\n", ",other\n"))
    with pytest.raises(ValidationError, match=r"^e\.csv: column 'input' is named twice"):
        build_bundle([doubled], OPTIONS, tmp_path / "w.lbundle", engine=engine)


@pytest.mark.parametrize("engine", ENGINES)
def test_broken_csv_rows_are_named(tmp_path: Path, engine: str) -> None:
    text = _good_csv(tmp_path).read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    short = _csv(tmp_path / "short.csv", "".join(lines[:2]) + "e9,2026-11-24T10:00:00Z\n")
    with pytest.raises(ValidationError, match=r"^short\.csv line 3: 2 cells where the header"):
        build_bundle([short], OPTIONS, tmp_path / "w.lbundle", engine=engine)
    quote = _csv(tmp_path / "quote.csv", "".join(lines[:2]) + lines[2].replace(",", ',"', 1))
    with pytest.raises(ValidationError, match=r"^quote\.csv"):
        build_bundle([quote], OPTIONS, tmp_path / "x.lbundle", engine=engine)


def test_a_byte_order_mark_is_read_as_every_engine_reads_it(tmp_path: Path) -> None:
    events = make_events([(0, 1, n) for n in range(4)])
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b"".join(json.dumps(e).encode() + b"\n" for e in events))
    csv_path = hostile.write_csv(tmp_path / "bom.csv", events)
    csv_path.write_bytes(b"\xef\xbb\xbf" + csv_path.read_bytes())
    for source in (jsonl, csv_path):
        items = []
        for engine in ENGINES:
            out = tmp_path / f"{engine}-{source.suffix}.lbundle"
            build_bundle([source], OPTIONS, out, engine=engine)
            items.append(read_bundle(out).items)
        assert items[0] == items[1] and len(items[0]) == 4


def test_a_message_from_duckdb_never_quotes_the_record() -> None:
    err = RuntimeError(
        'Invalid Input Error: Object {"input":"SECRET call +44 20 7946 0958"} has a duplicate '
        'key "input"\nLINE 1: ...'
    )
    reason = safe_reason(err)
    assert "SECRET" not in reason and "7946" not in reason
    assert reason == "Invalid Input Error"


def test_a_hive_file_is_named_with_its_partition(tmp_path: Path) -> None:
    events = make_events([(0, 1, n) for n in range(4)])
    lake = tmp_path / "lake"
    for day, part in (("2026-11-24", events[:2]), ("2026-11-25", [events[2], events[0]])):
        (lake / f"day={day}").mkdir(parents=True)
        write(lake / f"day={day}" / "part-0.jsonl", part)
    for engine in ENGINES:
        with pytest.raises(ValidationError, match=r"^day=2026-11-2\d/part-0\.jsonl line \d"):
            build_bundle([lake], OPTIONS, tmp_path / "w.lbundle", engine=engine)


def test_a_csv_cell_past_csv_modules_default_cap_is_read_by_every_engine(tmp_path: Path) -> None:
    """csv's default cap is 128 KiB a cell; a text may be 1 MiB."""
    events = make_events([(0, 1, n) for n in range(3)])
    events[1]["input"] = "long text " * 30_000  # 300 KB
    source = hostile.write_csv(tmp_path / "long.csv", events)
    items = []
    for engine in ENGINES:
        out = tmp_path / f"{engine}.lbundle"
        build_bundle([source], OPTIONS, out, engine=engine)
        items.append(read_bundle(out).items)
    assert items[0] == items[1]
    assert any(len(item["input"]) > 200_000 for item in items[0])


@pytest.mark.parametrize("engine", ENGINES)
def test_a_folder_whose_file_stores_a_text_as_numbers_is_refused(
    tmp_path: Path, engine: str
) -> None:
    """DuckDB's union of a folder's files read an integer 'input' as the text '12345'."""
    events = make_events([(0, 1, n) for n in range(4)])
    folder = tmp_path / "lake"
    folder.mkdir()
    pq.write_table(pa.Table.from_pylist(hostile.flat(events[:2])), folder / "a.parquet")
    other = pa.Table.from_pylist(hostile.flat(events[2:]))
    other = other.set_column(other.schema.get_field_index("input"), "input", pa.array([1, 2]))
    pq.write_table(other, folder / "b.parquet")
    with pytest.raises(ValidationError, match=r"^b\.parquet.*input"):
        build_bundle([folder], OPTIONS, tmp_path / "w.lbundle", engine=engine)
