"""The published JSON Schemas in docs/formats/ are made from the declarations the readers
decode into, and describe what we really read and write."""

from __future__ import annotations

import datetime as dt
import importlib.machinery
import importlib.util
import json
import typing
import zipfile
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from labeler import domain
from labeler.crypto.signed_files import read_signed
from labeler.demo.build import open_or_build_demo
from labeler.demo.events import synthetic_events
from labeler.evals.results import judgments
from labeler.packs.export import PackOptions, export_pack
from labeler.team.feedback import export_resolutions
from labeler.team.label_exchange import export_labels
from labeler.triage import formats, pii
from labeler.triage.build import BuildOptions, build_bundle

ROOT = Path(__file__).resolve().parents[1]
FORMATS = ROOT / "docs" / "formats"


def make_schemas() -> ModuleType:
    """scripts/make-schemas, loaded as a module (it has no .py suffix: it is a command)."""
    path = ROOT / "scripts" / "make-schemas"
    loader = importlib.machinery.SourceFileLoader("make_schemas", str(path))
    spec = importlib.util.spec_from_loader("make_schemas", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def schema(name: str) -> dict:
    document = json.loads((FORMATS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(document)
    return document


def test_committed_schemas_are_the_generated_ones() -> None:
    script = make_schemas()
    assert script.stale() == [], "run scripts/make-schemas and commit docs/formats"
    committed = {path.name for path in FORMATS.glob("*.schema.json")}
    assert committed == set(script.generated()), "a schema file without a declaration"


def test_every_schema_is_named_by_a_format_page() -> None:
    pages = " ".join(path.read_text() for path in FORMATS.glob("*.md"))
    for name in make_schemas().generated():
        assert f"({name})" in pages, f"no docs/formats/*.md links {name}"


def test_declared_choices_are_the_domain_ones() -> None:
    assert typing.get_args(formats.Signal) == domain.ALL_SIGNALS
    assert typing.get_args(formats.ItemSignal) == domain.LABELED_SIGNALS
    assert typing.get_args(formats.ReasonCode) == domain.REASON_CODES
    assert typing.get_args(formats.PiiKind) == pii.KINDS


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
        items = [json.loads(line) for line in archive.read("items.jsonl").split(b"\n") if line]
    manifest_schema = schema("bundle-manifest.schema.json")
    jsonschema.validate(manifest, manifest_schema)
    over_cap = {**manifest, "item_count": 200_001}  # the documented cap, as a constraint
    assert not jsonschema.Draft202012Validator(manifest_schema).is_valid(over_cap)
    item_schema = schema("bundle-item.schema.json")
    for item in items:
        jsonschema.validate(item, item_schema)
    too_long = {**items[0], "input": "x" * 1_048_577}
    assert not jsonschema.Draft202012Validator(item_schema).is_valid(too_long)


def test_schemas_reject_what_the_reader_rejects() -> None:
    validator = jsonschema.Draft202012Validator(schema("bundle-item.schema.json"))
    assert not validator.is_valid({"id": "x", "signal": "rating"})


def test_what_the_lead_writes_matches_the_schemas(tmp_path: Path, memory_keyring) -> None:
    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    session = ws.session
    try:
        export_labels(session, tmp_path / "lead.llabels")
        labels = read_signed(tmp_path / "lead.llabels", "labeler-labels", 1, "label file")
        jsonschema.validate(labels.payload, schema("labels-payload.schema.json"))
        export_resolutions(session, tmp_path / "lead.lresolutions")
        feedback = read_signed(tmp_path / "lead.lresolutions", "labeler-resolutions", 1, "file")
        assert feedback.payload["resolutions"]
        jsonschema.validate(feedback.payload, schema("resolutions-payload.schema.json"))
        export_pack(session, PackOptions("eval"), tmp_path / "pack")
        manifest = json.loads((tmp_path / "pack" / "manifest.json").read_text())
        jsonschema.validate(manifest, schema("pack-manifest.schema.json"))
        found = judgments(session)
        assert found
        judgment_schema = schema("eval-judgment.schema.json")
        for judgment in found:
            jsonschema.validate(judgment.to_json(), judgment_schema)
    finally:
        ws.close()


@pytest.mark.parametrize(
    ("name", "document"),
    [
        ("labels-payload.schema.json", {"labeler": {"id": "a", "display_name": "A"}}),
        ("eval-judgment.schema.json", {"item_id": "a", "case_type": "wrong", "winner": "?"}),
        ("pack-manifest.schema.json", {"format_version": 2}),
    ],
)
def test_schemas_refuse_malformed_documents(name: str, document: dict) -> None:
    assert not jsonschema.Draft202012Validator(schema(name)).is_valid(document)
