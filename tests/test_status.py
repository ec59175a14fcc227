"""The week at a glance counts the week's items only, and its JSON and text come from the
typed status (the demo lead: three weeks, an eval of the last one, a gate run)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.demo.build import open_or_build_demo
from labeler.evals.build import build_eval
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.status import week_status
from labeler.store import bundles as bundle_rows
from labeler.triage.bundle_import import import_bundle
from tests.conftest import close_session
from tests.evals.test_evals import outputs
from tests.factories import lead_keys


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def test_status_counts_the_weeks_bundle_exactly(lead: LabelingSession) -> None:
    manifests = dict(bundle_rows.week_manifests(lead.store))
    status = week_status(lead, "2026-W48")  # the week the demo's eval bundle belongs to too
    stats = manifests["2026-W48"]["statistics"]
    assert status.bundle.items == manifests["2026-W48"]["item_count"]
    assert status.bundle.holdout == stats["holdout"]["total"]
    assert status.bundle.restricted == stats["restricted"]
    assert status.bundle.overlap == stats["overlap"]
    assert "eval" not in status.bundle.per_reason_code
    assert all(p.of == status.bundle.items for p in status.progress)
    assert status.weeks == ("2026-W46", "2026-W47", "2026-W48")


def test_an_eval_only_week_is_not_a_week_of_the_status(
    tmp_path: Path, lead: LabelingSession
) -> None:
    pack = tmp_path / "eval-pack"
    export_pack(lead, PackOptions("eval"), pack)
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v3", "!")
    build_eval(
        pack, current, candidate, 50, tmp_path / "w50.lbundle", week="2026-W50",
        keys=lead_keys(lead), allow_fewer=True,
    )  # fmt: skip
    import_bundle(lead.store, lead.writer, tmp_path / "w50.lbundle")
    assert week_status(lead).week == "2026-W48"
    assert week_status(lead, "2026-W50").bundle.items == 0


def test_the_weeks_agreement_leaves_eval_pairs_out(lead: LabelingSession) -> None:
    # Only eval pairs answer the per-side questions, and the demo's team paired on some.
    n = {q.question: q.n for q in week_status(lead, "2026-W48").agreement}
    assert n["safety_a"] == 0 and n["verdict"] > 0


def test_status_json_and_text_come_from_the_typed_status(lead: LabelingSession) -> None:
    status = week_status(lead)
    path = str(lead.store.path)
    close_session(lead)
    out = CliRunner().invoke(cli, ["--workspace", path, "status", "--json"])
    data = json.loads(out.output)
    assert data == json.loads(json.dumps(status.to_json()))
    assert data["bundle"]["items"] == status.bundle.items
    assert data["gate"]["verdict"] == "DO NOT SHIP" and data["gate"]["run_by"] == "Demo lead"
    assert {p["kind"] for p in data["packs"]} == {"eval"}
    text = CliRunner().invoke(cli, ["--workspace", path, "status"]).output
    assert text.startswith(f"Week 2026-W48: {status.bundle.items} items (")
    assert f"{status.bundle.holdout} holdout" in text and "last eval gate: DO NOT SHIP" in text


@pytest.mark.parametrize(
    "statistics",
    [None, "lots", {"by_signal": None}, {"by_signal": {"edit": "3", "retry": -4, "x": True}},
     {"by_signal": [1, 2]}, {"restricted": "all"}, {"by_signal": {"edit": 2**70}}],
)  # fmt: skip
def test_malformed_stored_statistics_do_not_crash_status(
    tmp_path: Path, memory_keyring, statistics: object
) -> None:
    """A manifest an older Labeler stored as it came: 'status' shows what it can."""
    from labeler.workspace import Workspace

    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        manifest = {"bundle_id": "old", "week": "2026-W48", "kind": "week",
                    "created_at": "2026-11-24T00:00:00Z", "item_count": "many",
                    "statistics": statistics}  # fmt: skip
        ws.writer.run(lambda tx: bundle_rows.insert(tx, manifest, "0" * 64, "2026-11-24"))
    for args in (["status"], ["status", "--json"]):
        result = CliRunner().invoke(cli, ["--workspace", str(path), *args])
        assert result.exit_code == 0, result.output
