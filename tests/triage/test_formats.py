"""The triage declarations as readers: what they refuse comes back as our one sentence naming
the file, line and field (never msgspec's text, never a traceback), and the hot path's
shortcuts give exactly what the slow, obvious way gives."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from labeler.cli import cli
from labeler.errors import ValidationError
from labeler.jsonio import canonical_json
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_file import content_hash, item_content_hash, read_bundle
from labeler.triage.bundle_import import _json_text
from labeler.triage.formats import BundleItem, Candidate, PiiSpan, RetryStep
from tests.triage.conftest import rewrite_bundle
from tests.triage.test_sampling import make_events, write

PREFIX = r"^bad\.lbundle: item 3 \(items\.jsonl line 4\): "


def _change(**fields):
    def edit(manifest: dict, items: list) -> None:
        for name, value in fields.items():
            if "." in name:
                outer, inner = name.split(".")
                items[3][outer][inner] = value
            else:
                items[3][name] = value

    return edit


ITEM_CASES = {
    "wrong type": (
        _change(restricted="yes"),
        "field 'restricted' must be true or false, not a string.",
    ),
    "nested type": (
        _change(**{"model.version": 2}),
        "field 'version' of 'model' must be a string, not a number.",
    ),
    "nested missing": (
        _change(retries=[{"change": "x"}]),
        r"field 'output' of 'retries\[0\]' is missing.",
    ),
    "list length": (
        _change(candidates=[{"model_version": "a", "output": "b"}]),
        "field 'candidates' must be a list of at least 2 entries.",
    ),
    "choice": (_change(picked=2), r"field 'picked' must be one of 0, 1 \(not 2\)."),
    "choice type": (_change(picked=True), "field 'picked' must be 0, 1 or null, not true/false."),
    "reason": (
        _change(reason_code="bad"),
        r"field 'reason_code' must be one of formatting, missing_info, sensitive_data, unsafe, "
        r"wrong \(not 'bad'\).",
    ),
    "text cap": (
        _change(input="x" * 1_048_577),
        "field 'input' must be a string of at most 1048576 characters.",
    ),
    "span order": (
        _change(pii=[{"kind": "email", "start": 5, "end": 5, "field": "input"}]),
        "entry 0 of 'pii' must start before it ends.",
    ),
    "eval signal in a week bundle": (
        _change(signal="eval"),
        "field 'signal' must be one of edit, retry, sample, side_by_side.",
    ),
    "week pattern": (
        _change(week="48"),
        r"field 'week' must be a string matching \^\\d\{4\}-W.* \(ISO week, e.g. 2026-W48\)\.",
    ),
    "64-bit overflow": (
        _change(**{"model.settings": {"seed": 2**70}}),
        "field 'settings' of 'model' holds a number out of range.",
    ),
}


@pytest.mark.parametrize("case", sorted(ITEM_CASES))
def test_item_errors_are_our_sentence(bundle_path: Path, tmp_path: Path, case: str) -> None:
    edit, message = ITEM_CASES[case]
    bad = rewrite_bundle(bundle_path, tmp_path / "bad.lbundle", edit)
    with pytest.raises(ValidationError, match=PREFIX + message) as caught:
        read_bundle(bad)
    assert "`" not in str(caught.value) and "$." not in str(caught.value)


def test_a_line_that_is_not_an_object(bundle_path: Path, tmp_path: Path) -> None:
    bad = rewrite_bundle(
        bundle_path, tmp_path / "bad.lbundle", lambda m, items: items.__setitem__(3, [1])
    )
    with pytest.raises(
        ValidationError, match=PREFIX + "the item must be a JSON object, not a list."
    ):
        read_bundle(bad)


MANIFEST_CASES = {
    "week": ({"week": "48"}, r"field 'week' must be a string matching"),
    "count cap": ({"item_count": 200_001}, r"field 'item_count' must be a whole number <= 200000."),
    "files": ({"files": {}}, r"field 'items.jsonl' of 'files' is missing."),
    "eval section": ({"kind": "eval"}, r"field 'eval' needs current_version"),
    "eval types": (
        {
            "kind": "eval",
            "eval": {"current_version": "a", "candidate_version": 2, "case_types": {}},
        },
        r"field 'candidate_version' of 'eval' must be a string, not a number.",
    ),
}


@pytest.mark.parametrize("case", sorted(MANIFEST_CASES))
def test_manifest_errors_are_our_sentence(bundle_path: Path, tmp_path: Path, case: str) -> None:
    fields, message = MANIFEST_CASES[case]
    bad = rewrite_bundle(bundle_path, tmp_path / "bad.lbundle", lambda m, items: m.update(fields))
    with pytest.raises(ValidationError, match=r"^bad\.lbundle: manifest\.json.*" + message):
        read_bundle(bad)


def test_cli_import_says_the_sentence_and_exits_2(
    bundle_path: Path, tmp_path: Path, memory_keyring
) -> None:
    bad = rewrite_bundle(bundle_path, tmp_path / "bad.lbundle", _change(holdout="no"))
    ws = str(tmp_path / "ws.lbw")
    runner = CliRunner()
    assert runner.invoke(cli, ["--workspace", ws, "init"]).exit_code == 0
    result = runner.invoke(cli, ["--workspace", ws, "bundle", "import", str(bad)])
    assert result.exit_code == 2
    assert result.output == (
        "Error: bad.lbundle: item 3 (items.jsonl line 4): field 'holdout' must be true or "
        "false, not a string.\n"
    )


LINE = r"^e\.jsonl line 2: "


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ({"retries": [{"change": "x"}]}, r"field 'output' of 'retries\[0\]' is missing\."),
        ({"rating": 9}, r"field 'rating' must be one of 1, 2, 3, 4, 5 \(not 9\)\."),
        ({"model": {"version": 3}}, r"field 'version' of 'model' must be a string or null"),
        ({"event_id": "   "}, r"field 'event_id' must be a non-empty string"),
        ({"ticket_text": "x" * 1_048_577}, r"field 'ticket_text' must be a string of at most"),
    ],
)
def test_event_errors_name_file_line_and_field(tmp_path: Path, line: dict, message: str) -> None:
    events = make_events([(0, 0, 1), (0, 0, 2)])
    events[1].update(line)
    with pytest.raises(ValidationError, match=LINE + message):
        build_bundle(
            [write(tmp_path / "e.jsonl", events)], BuildOptions(week="2026-W48"), tmp_path / "w"
        )
    assert not (tmp_path / "w").exists()


def test_csv_event_errors_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text(
        "event_id,captured_at,signal,candidates\n"
        'e1,2026-11-23T10:00:00Z,side_by_side,"[{""model_version"": ""a"", ""output"": 1}, {}]"\n'
    )
    with pytest.raises(
        ValidationError,
        match=r"^e\.csv line 2: field 'output' of 'candidates\[0\]' must be a string",
    ):
        build_bundle([path], BuildOptions(week="2026-W48"), tmp_path / "w.lbundle")


def test_the_struct_content_hash_is_the_dict_one(bundle_path: Path) -> None:
    items = read_bundle(bundle_path).items
    settings = {"temperature": 1e16, "nested": {"b": [1.5, None], "a": "\u2028"}, "n": -0.0}
    for item in items[:5]:
        for changed in (item, {**item, "model": {**item["model"], "settings": settings}}):
            decoded = msgspec.convert(changed, BundleItem)
            assert item_content_hash(decoded) == content_hash(changed)


texts = st.text(st.characters(codec="utf-8"), max_size=40)


@given(
    steps=st.lists(st.tuples(texts, texts), max_size=3),
    pair=st.tuples(texts, texts),
    spans=st.lists(st.tuples(st.integers(0, 2**62), texts), max_size=3),
)
def test_stored_json_texts_are_the_canonical_ones(steps, pair, spans) -> None:
    """The import writes retries, candidates and spans with msgspec; the store has always held
    orjson's canonical text of them, and must go on holding exactly that."""
    retries = [RetryStep(change, output) for change, output in steps]
    candidates = [Candidate(version, output) for version, output in (pair, pair[::-1])]
    pii = [PiiSpan("email", start, start + 1, field) for start, field in spans]
    for value in (retries, candidates, pii):
        assert _json_text(value) == canonical_json(msgspec.to_builtins(value))


def test_unicode_line_breaks_survive_build_and_import(tmp_path: Path, workspace) -> None:
    from labeler.store import items as item_rows
    from labeler.triage.bundle_import import import_bundle

    tricky = "one\u2028two\u2029three\x85four\x0bfive\x0csix\x1cseven\r\neight"
    events = make_events([(0, 0, 1), (0, 0, 2), (0, 0, 3)])
    events[1]["input"] = tricky
    events[1]["edited_output"] = tricky + " after"
    path = tmp_path / "w.lbundle"
    build_bundle([write(tmp_path / "e.jsonl", events)], BuildOptions(week="2026-W48"), path)
    assert read_bundle(path).manifest["item_count"] == 3
    result = import_bundle(workspace.store, workspace.writer, path)
    assert result.added == 3
    item = item_rows.get(workspace.store, "e1")
    assert item is not None
    assert item.input == tricky and item.edited_output == tricky + " after"
