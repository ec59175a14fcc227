"""Every engine checks every event against the format, not only the events it picks: an
event that is never sampled (a star rating, say) with a bidirectional override in its id, a
model.settings past its caps or 101 retries refused the build in the Python engine and built
in DuckDB (which checked those rules on the picked events alone). The SQL engines flag what
may break such a rule cheaply and check the flagged events as the reference does; each case
must give the reference's sentence.

The bundle's text rule (no control characters such as NUL or ESC in customer text) is held
by every engine to the picked events alone, whose texts the bundle carries: an unsampled
event's texts are read by no engine (scanning every text cost DuckDB most of a Parquet
build), so such an event builds alike everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from labeler.errors import ValidationError
from labeler.jsonio import NAME_FORBIDDEN
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.engines import sql as q
from labeler.triage.formats import MAX_TEXT_CHARS
from tests.triage import hostile
from tests.triage.test_sampling import make_events

OPTIONS = BuildOptions(week="2026-W48", per_reason=7, normal=5, holdout_rate=0.3, seed=3)


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"k": value}
    return value


MODEL = {"name": "m", "version": "1", "settings": {}}
TEXT_CASES: dict[str, dict[str, Any]] = {
    "NUL in a ticket's text": {"ticket_text": "a\x00b"},
    "ESC in the input": {"input": "x\x1by"},
    "backspace in a retry's change": {"retries": [{"change": "a\x08", "output": "o"}]},
    "a control character in a candidate's output": {"candidates": [
        {"model_version": "a", "output": "x\x01"}, {"model_version": "b", "output": "y"}]},
}  # fmt: skip
FORMAT_CASES: dict[str, dict[str, Any]] = {
    "a bidirectional override in the id": {"event_id": "e\u202e9"},
    "a tab in the model's name": {"model": {**MODEL, "name": "m\tx"}},
    "DEL in a candidate's model version": {"candidates": [
        {"model_version": "a\x7f", "output": "x"}, {"model_version": "b", "output": "y"}]},
    "an empty candidate model version": {"candidates": [
        {"model_version": "", "output": "x"}, {"model_version": "b", "output": "y"}]},
    "a model version of 201 characters": {"model": {**MODEL, "version": "v" * 201}},
    # Bytes settle a length but past the limit, where the characters are counted.
    "an id of 201 two-byte characters": {"event_id": "é" * 201},
    "an id of white space past ASCII": {"event_id": "\xa0\u3000\x85"},
    "101 retries": {"retries": [{"change": "c", "output": "o"}] * 101},
    "settings of 70 KB": {"model": {**MODEL, "settings": {"k": "x" * 70_000}}},
    "settings 17 deep": {"model": {**MODEL, "settings": _deep(17)}},
    "a control character in the settings": {"model": {**MODEL, "settings": {"k": "\x02"}}},
    "a number past 64 bits in the settings": {"model": {**MODEL, "settings": {"n": 2**70}}},
    "a subject of 1,001 characters": {"subject": "s" * 1001},
    "a retry's output past 1 MiB": {
        "retries": [{"change": "c", "output": "o" * (MAX_TEXT_CHARS + 1)}]},
    "a retry's change past 1 MiB": {
        "retries": [{"change": "c" * (MAX_TEXT_CHARS + 1), "output": "o"}]},
}  # fmt: skip
CASES = TEXT_CASES | FORMAT_CASES
FORMATS = ["jsonl", "csv", "parquet", "parquet-native"]


def _events(change: dict[str, Any], native: bool = False) -> list[dict[str, Any]]:
    """Six events the build samples, and a seventh, a star rating it never samples, that
    breaks a rule (``native``: settings with a key, which a Parquet struct needs)."""
    events = make_events([(n % 3, 1, n) for n in range(6)])
    if native:
        for event in events:
            event["model"] = {**event["model"], "settings": {"t": 1}}
    unpicked = {**events[0], "event_id": "e6", "signal": "rating", "rating": 4}
    unpicked.pop("edited_output")
    events.append({**unpicked, **change})
    return events


def _write(tmp_path: Path, kind: str, events: list[dict[str, Any]]) -> Path:
    if kind == "jsonl":
        return hostile.write_jsonl(tmp_path / "e.jsonl", events)
    if kind == "csv":
        return hostile.write_csv(tmp_path / "e.csv", events)
    try:
        return hostile.write_parquet(tmp_path / "e.parquet", events, native=kind.endswith("native"))
    except Exception as err:  # a value Parquet cannot hold (an integer past 64 bits)
        pytest.skip(f"Parquet cannot hold it: {type(err).__name__}")


def _built_alike(tmp_path: Path, source: Path, options: BuildOptions = OPTIONS) -> Any:
    """Build ``source`` with the Python and DuckDB engines: the same bundle (its manifest
    without created_at, and its items' bytes), returned."""
    built = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.lbundle"
        build_bundle([source], options, out, engine=engine)
        built[engine] = hostile.bundle_parts(out)
    assert built["duckdb"] == built["python"]
    return built["python"]


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("case", sorted(FORMAT_CASES))
def test_an_unpicked_event_is_checked_as_the_reference_checks_it(
    tmp_path: Path, case: str, kind: str
) -> None:
    source = _write(tmp_path, kind, _events(CASES[case], native=kind.endswith("native")))
    messages = {}
    for engine in ("python", "duckdb"):
        out = tmp_path / f"{engine}.lbundle"
        with pytest.raises(ValidationError) as caught:
            build_bundle([source], OPTIONS, out, engine=engine)
        messages[engine] = str(caught.value)
        assert not out.exists()
    assert messages["duckdb"] == messages["python"]
    assert source.name in messages["python"]


def harmless_events(native: bool = False) -> list[dict[str, Any]]:
    harmless = {
        "output": r"match \bword\b" + "\x0b\x0c\x1c\x1f",
        "model": {**MODEL, "settings": {"note": "[[[[[[[[{{{{{{{{{{", "n": 5}},
        "ticket_text": "9" * 60,
        "subject": "ü" * 400,
    }
    events = _events(harmless, native=native)
    events[1]["output"] = "tab\tand a\\b"
    # At a length limit in characters, past it in bytes: within every rule.
    events[2]["event_id"] = "é" * 200
    events[3]["event_id"] = "\xa0x"  # starts with white space, is not only white space
    events[4]["subject"] = "ü" * 1000
    events[5]["model"] = {**events[5]["model"], "version": "é" * 200}
    return events


@pytest.mark.parametrize("kind", FORMATS)
@pytest.mark.parametrize("case", sorted(TEXT_CASES))
def test_an_unpicked_events_texts_are_held_to_no_rule(tmp_path: Path, case: str, kind: str) -> None:
    source = _write(tmp_path, kind, _events(TEXT_CASES[case], native=kind.endswith("native")))
    manifest, _ = _built_alike(tmp_path, source)
    assert manifest["statistics"]["events"] == 7


@pytest.mark.parametrize("kind", FORMATS)
def test_what_only_looks_suspect_builds_the_reference_bytes(tmp_path: Path, kind: str) -> None:
    """Texts a flag looks at but no rule refuses: an escaped backslash before a 'b' (a
    regular expression), the control characters the text rule allows, brackets in the
    settings' strings, a 60-character digit run in a text: every engine builds, alike."""
    source = _write(tmp_path, kind, harmless_events(native=kind.endswith("native")))
    _, items = _built_alike(tmp_path, source)
    assert json.loads(items.splitlines()[0])  # items were written


def test_the_name_pattern_is_the_reference_one() -> None:
    """sql.NAME_FORBIDDEN spells jsonio.NAME_FORBIDDEN for RE2 and Java: the same characters."""
    import re

    spelled = re.compile(q.NAME_FORBIDDEN.replace("\\x{", "\\U0000").replace("}", ""))
    for code in range(0x3000):
        char = chr(code)
        assert bool(spelled.match(char)) == bool(NAME_FORBIDDEN.match(char)), hex(code)


@pytest.mark.parametrize("kind", ["jsonl", "csv"])
@pytest.mark.parametrize("case", sorted(set(CASES) - {"NUL in a ticket's text"}))
def test_a_picked_event_is_checked_alike(tmp_path: Path, case: str, kind: str) -> None:
    """Every rule, the text rule too, on an event the build samples (DuckDB read a settings
    integer past 64 bits as a float there, which the rule accepts, and built what the
    reference refuses). A ticket's text is not among them: no item carries it."""
    events = make_events([(n % 3, 1, n) for n in range(6)])
    events[0].update(CASES[case])
    source = _write(tmp_path, kind, events)
    messages = {}
    for engine in ("python", "duckdb"):
        with pytest.raises(ValidationError) as caught:
            build_bundle([source], OPTIONS, tmp_path / f"{engine}.lbundle", engine=engine)
        messages[engine] = str(caught.value)
    assert messages["duckdb"] == messages["python"]


def test_a_settings_type_settles_the_rule_only_when_no_value_can_break_it() -> None:
    from labeler.triage.engines.duck_columns import _plain_settings

    deep = "STRUCT(a" * 17 + "DOUBLE" + ")" * 17
    assert _plain_settings("STRUCT(temperatureDOUBLE,top_kBIGINT,streamBOOLEAN)")
    assert _plain_settings("STRUCT(aSTRUCT(bUBIGINT),temperatureDECIMAL(2,1))")
    for kind in ("STRUCT(noteVARCHAR)", "STRUCT(xDECIMAL(38,0))", "STRUCT(xDECIMAL(19,2))",
                 "STRUCT(nHUGEINT)", "STRUCT(lDOUBLE[])", "STRUCT(MAXDOUBLE)",
                 "MAP(VARCHAR,DOUBLE)", deep):  # fmt: skip
        assert not _plain_settings(kind), kind


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_the_benchmarks_events_build_alike(tmp_path: Path, suffix: str) -> None:
    """The lake benchmark's events, written by DuckDB (settings {'temperature': 0.2} are a
    DECIMAL(2,1) in Parquet): the reference refused them as "a number out of range"."""
    from benchmarks.lake_data import write_events

    source = write_events(tmp_path / f"events{suffix}", 3000)
    options = BuildOptions(week="2026-W48", per_reason=20, normal=10, holdout_rate=0.1, seed=1)
    _, items = _built_alike(tmp_path, source, options)
    assert b'"temperature":0.2' in items


DUPLICATE_KEYS = {
    "the id": ('"event_id": "e6", ', "field 'event_id' is given twice"),
    "the model's name": (None, "field 'model' names 'name' twice"),
    "a retry step's change": (None, "entry 0 of 'retries' names 'change' twice"),
}


@pytest.mark.parametrize("case", sorted(DUPLICATE_KEYS))
def test_a_key_named_twice_is_refused_by_every_engine(tmp_path: Path, case: str) -> None:
    """Python's decoder kept the last value and built; DuckDB refused the line."""
    events = _events({})
    line = json.dumps(events[-1])
    if case == "the id":
        line = line.replace('{"event_id": "e6", ', '{"event_id": "e6", "event_id": "e7", ', 1)
    elif case == "the model's name":
        line = line.replace('"model": {"name": "m", ', '"model": {"name": "m", "name": "n", ', 1)
    else:
        line = line[:-1] + ', "retries": [{"change": "a", "change": "b", "output": "o"}]}'
    source = tmp_path / "e.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events[:-1]) + line + "\n")
    for engine in ("python", "duckdb"):
        with pytest.raises(ValidationError) as caught:
            build_bundle([source], OPTIONS, tmp_path / f"{engine}.lbundle", engine=engine)
        assert str(caught.value) == f"e.jsonl line 7: {DUPLICATE_KEYS[case][1]}.", engine


def test_keys_repeated_in_the_settings_build_alike(tmp_path: Path) -> None:
    events = _events({})
    lines = [json.dumps(e) for e in events]
    lines[0] = lines[0].replace('"settings": {}', '"settings": {"k": 1, "k": 2}', 1)
    lines.append(json.dumps({**events[1], "event_id": "e9", "output": "x", "note": {"a": 1}}))
    source = tmp_path / "e.jsonl"
    source.write_text("\n".join(lines) + "\n")
    _, items = _built_alike(tmp_path, source)
    assert b'"settings":{"k":2}' in items


@pytest.mark.parametrize("where", [0, -1])
def test_settings_nested_past_what_python_reads_are_a_sentence(tmp_path: Path, where) -> None:
    """DuckDB reads any depth; decoding its JSON text in Python raised a RecursionError
    traceback (a picked event's settings, or a flagged one's)."""
    events = _events({})
    lines = [json.dumps(e) for e in events]
    deep = '"settings": {"k": ' + "[" * 5000 + "]" * 5000 + "}"
    lines[where] = lines[where].replace('"settings": {}', deep, 1)
    source = tmp_path / "e.jsonl"
    source.write_text("\n".join(lines) + "\n")
    line = len(lines) if where == -1 else 1
    for engine in ("python", "duckdb"):
        with pytest.raises(ValidationError, match=rf"^e\.jsonl line {line}: nested too deeply\.$"):
            build_bundle([source], OPTIONS, tmp_path / f"{engine}.lbundle", engine=engine)
