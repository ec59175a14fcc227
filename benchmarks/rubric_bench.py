"""Rubric release benchmarks: installing a version that sends a third of 100,000 gold labels
back for re-check, then the queue reading the re-check status."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import bundle_items
from labeler.labeling.session import LabelingSession
from labeler.resources import default_rubric_path
from labeler.store.queue import RECHECK, QueueFilter
from labeler.team.rubric_release import install_rubric
from labeler.triage.bundle_file import write_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace

FINE = {"safety": "pass", "formatting": "pass"}
ANSWERS = [
    json.dumps({"verdict": "correct", **FINE}),
    json.dumps({"verdict": "acceptable", **FINE}),
    json.dumps({"verdict": "wrong", "failure_type": "missing_info", **FINE}),
]


def _labeled(folder: Path, count: int) -> tuple[LabelingSession, list[str]]:
    items = bundle_items(count)
    bundle = folder / "big.lbundle"
    manifest = {"format_version": 1, "kind": "week", "bundle_id": "bench-rubric",
                "week": "2026-W48", "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(bundle, manifest, items)
    ws = Workspace.create(folder / "ws.lbw", passphrase="bench")
    import_bundle(ws.store, ws.writer, bundle)
    session = ws.session
    session.create_profile("Lead", "lead", restricted_access=True)
    rubric, me = session.rubric, session.profile
    assert me is not None
    rows = [
        (i["id"], me.id, rubric.id, rubric.version, rubric.content_hash, ANSWERS[n % 3])
        for n, i in enumerate(items)
    ]
    ws.writer.run(
        lambda tx: tx.conn.executemany(
            "INSERT INTO labels(item_id, labeler_id, rubric_id, rubric_version, rubric_hash, "
            "answers, started_at, saved_at, seconds_spent) VALUES (?, ?, ?, ?, ?, ?, '', '', 1)",
            rows,
        )
    )
    return session, [i["id"] for i in items]


def _new_version(folder: Path) -> Path:
    text = default_rubric_path().read_text(encoding="utf-8")
    text = text.replace('version: "2026.11.1"', 'version: "2026.12"')
    text = text.replace("Leaves out something the user needed.", "Leaves out a step asked for.")
    (folder / "default.md").write_text("Guidance.", encoding="utf-8")
    path = folder / "v2.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def rubric_release(scale: float) -> list[dict]:
    count = int(100_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        session, ids = _labeled(folder, count)
        started = time.perf_counter()
        release = install_rubric(session, _new_version(folder))
        installed = time.perf_counter() - started
        started = time.perf_counter()
        waiting = session.queue_ids(QueueFilter(status=RECHECK))
        filtered = time.perf_counter() - started
        block = ids[: min(200, len(ids))]  # what the queue view fetches as it paints
        started = time.perf_counter()
        for _ in range(10):
            session.queue_rows(block)
        rows_ms = (time.perf_counter() - started) / 10 * 1000
        assert len(waiting) == release.queued
        session.writer.close()
        session.store.close()
    return [
        {"name": "rubric_release_100k_s", "value": installed / scale, "unit": "s", "budget": 5.0,
         "note": f"gold labels read, {release.queued} items queued for re-check "
         "(scaled to 100k)"},
        {"name": "recheck_filter_100k_s", "value": filtered / scale, "unit": "s", "budget": 1.0,
         "note": f"queue ids under the re-check filter, {len(waiting)} open (scaled to 100k)"},
        {"name": "queue_rows_200_recheck_ms", "value": rows_ms, "unit": "ms", "budget": 10.0,
         "note": "one block of 200 queue rows with their re-check status"},
    ]  # fmt: skip


BENCHMARKS = [rubric_release]
