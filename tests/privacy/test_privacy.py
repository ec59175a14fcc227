"""Deletion requests and retention: the text is gone from the file's bytes, not just hidden."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.demo.build import open_or_build_demo
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.privacy.purge import purge_subject
from labeler.privacy.retention import apply_retention, set_retention_weeks
from labeler.store import items as item_rows
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.sqlcipher_pages import contains
from tests.triage.test_sampling import make_events, write

MARKER = "Zebulon-Quartz-Marker-5521"


def subject_bundle(tmp_path: Path, week: str = "2026-W48", seal: Any = None) -> Path:
    """A week with three items of the subject to purge (sealed to a team with ``seal``)."""
    events = make_events([(0, 1, n) for n in range(3)] + [(1, 2, n) for n in range(3)], week)
    for event in events[:3]:
        event["subject"] = "acct-purge-me"
        event["input"] = f"{MARKER} asks about invoice {event['event_id']}"
    for event in events[3:]:
        event["subject"] = "acct-keep"
        event["event_id"] += f"-{week}"  # other subjects' events of another week: new items
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"{week}.lbundle"
    build_bundle(
        [write(tmp_path / f"{week}.jsonl", events)],
        BuildOptions(week=week, per_reason=50),
        path,
        seal=seal,
    )
    return path


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def test_purge_leaves_no_trace_and_blocks_reimport(tmp_path: Path, lead: LabelingSession) -> None:
    bundle = subject_bundle(tmp_path)
    import_bundle(lead.store, lead.writer, bundle)
    mine = [i for i in item_rows.all_items(lead.store) if i.input and MARKER in i.input]
    assert len(mine) == 3
    for item in mine:
        lead.save_label(
            lead.open_item(item.id),
            {"verdict": "correct", "safety": "pass", "formatting": "pass"},
            utc_now(),
            1,
        )
    manifest = export_pack(lead, PackOptions("training", ("2026-W48",)), tmp_path / "pack")
    key = lead.store.key.raw
    assert contains(lead.store.path, key, MARKER)  # the decryption sees it before
    result = purge_subject(lead.writer, "acct-purge-me")
    assert result.items == 3 and result.labels == 3
    assert manifest["pack_id"] in result.packs
    assert not contains(lead.store.path, key, MARKER)
    assert not [i for i in item_rows.all_items(lead.store) if i.input and MARKER in i.input]
    assert (
        import_bundle(lead.store, lead.writer, bundle).added == 0
    )  # the same bundle again: nothing
    later = import_bundle(
        lead.store, lead.writer, subject_bundle(tmp_path / "later", week="2026-W49")
    )
    assert later.skipped_purged == 3  # the subject's items come back: skipped
    assert not [i for i in item_rows.all_items(lead.store) if i.input and MARKER in i.input]
    kept = [
        i
        for i in item_rows.all_items(lead.store)
        if i.subject_hash and i.input and "invoice" not in i.input
    ]
    assert kept  # other subjects untouched


def test_purge_names_the_packs_that_held_the_subject(tmp_path: Path, lead: LabelingSession) -> None:
    import_bundle(lead.store, lead.writer, subject_bundle(tmp_path))
    target = next(
        i
        for i in item_rows.all_items(lead.store)
        if i.input and MARKER in i.input and not i.holdout
    )
    lead.save_label(
        lead.open_item(target.id),
        {"verdict": "correct", "safety": "pass", "formatting": "pass"},
        utc_now(),
        1,
    )
    manifest = export_pack(lead, PackOptions("training"), tmp_path / "pack")
    result = purge_subject(lead.writer, "acct-purge-me")
    assert result.packs == [manifest["pack_id"]]
    path = str(lead.store.path)
    close_session(lead)
    out = CliRunner().invoke(cli, ["--workspace", path, "purge", "--subject", "acct-unknown"])
    assert out.exit_code == 0 and "Purged 0 items" in out.output


def test_retention_drops_old_texts_keeps_labels_and_the_leakage_guard(
    tmp_path: Path, lead: LabelingSession
) -> None:
    labels_before = lead.store.scalar("SELECT count(*) FROM labels")
    old = [i for i in item_rows.all_items(lead.store) if i.week == "2026-W46"]
    marker = next(i.input for i in old if i.input)
    set_retention_weeks(lead.writer, 1)
    purged = apply_retention(lead.writer, today=dt.date(2026, 11, 26))
    assert purged == len(old)  # W46 is older than a week before W48; W47 is not
    after = {i.id: i for i in item_rows.all_items(lead.store)}
    assert all(after[i.id].text_purged and after[i.id].input is None for i in old)
    assert lead.store.scalar("SELECT count(*) FROM labels") == labels_before
    assert not contains(lead.store.path, lead.store.key.raw, marker)
    manifest = export_pack(lead, PackOptions("training"), tmp_path / "pack")
    assert manifest["counts"]["excluded"]["text_purged"] > 0
    fingerprints = lead.store.scalar("SELECT count(*) FROM input_fingerprints")
    assert fingerprints == sum(1 for i in old if i.holdout)


def test_retention_runs_on_open(tmp_path: Path, memory_keyring) -> None:
    path = tmp_path / "ws.lbw"
    with Workspace.create(path) as ws:
        import_bundle(ws.store, ws.writer, subject_bundle(tmp_path, week="2020-W10"))
    with Workspace.open(path) as ws:  # default 12 weeks: 2020 is long gone
        assert all(i.text_purged for i in item_rows.all_items(ws.store))
