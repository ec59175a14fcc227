"""The published JSON Schemas in docs/formats/ describe what we really read and write."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path

import jsonschema

from labeler.demo.events import synthetic_events
from labeler.triage.build import BuildOptions, build_bundle

FORMATS = Path(__file__).resolve().parents[1] / "docs" / "formats"


def schema(name: str) -> dict:
    document = json.loads((FORMATS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def test_demo_events_and_built_bundle_match_the_schemas(tmp_path: Path) -> None:
    events = list(synthetic_events(dt.date(2026, 11, 23)))
    event_schema = schema("capture-event.schema.json")
    for event in events:
        jsonschema.validate(event, event_schema)
    source = tmp_path / "events.jsonl"
    source.write_text("".join(json.dumps(e) + "\n" for e in events))
    build_bundle([source], BuildOptions(week="2026-W48"), tmp_path / "w.lbundle")
    with zipfile.ZipFile(tmp_path / "w.lbundle") as archive:
        manifest = json.loads(archive.read("manifest.json"))
        items = [json.loads(line) for line in archive.read("items.jsonl").splitlines()]
    jsonschema.validate(manifest, schema("bundle-manifest.schema.json"))
    item_schema = schema("bundle-item.schema.json")
    for item in items:
        jsonschema.validate(item, item_schema)


def test_schemas_reject_what_the_reader_rejects() -> None:
    item_schema = schema("bundle-item.schema.json")
    validator = jsonschema.Draft202012Validator(item_schema)
    assert not validator.is_valid({"id": "x", "signal": "rating"})
