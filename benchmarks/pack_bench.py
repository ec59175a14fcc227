"""Pack benchmarks (issue: signed label packs): export and sign 100k labels, then verify."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from benchmarks.synthetic import bundle_items
from labeler.crypto.signing import signing_key
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.packs.verify import verify_pack
from labeler.triage.bundle_file import write_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace


def _labeled_workspace(folder: Path, count: int) -> LabelingSession:
    # Every tenth item is holdout: the leakage guard has work, over inputs and answers.
    items = bundle_items(count, distinct_outputs=True)
    bundle = folder / "big.lbundle"
    manifest = {"format_version": 1, "kind": "week", "bundle_id": "bench-pack",
                "week": "2026-W48", "created_at": "2026-11-24T00:00:00Z"}  # fmt: skip
    write_bundle(bundle, manifest, items)
    ws = Workspace.create(folder / "ws.lbw", passphrase="bench")
    import_bundle(ws.store, ws.writer, bundle)
    session = ws.session
    session.create_profile("Lead", "lead", restricted_access=True)
    rubric, me = session.rubric, session.profile
    assert me is not None
    answers = json.dumps({"verdict": "correct", "safety": "pass", "formatting": "pass"})
    ws.writer.run(
        lambda tx: tx.conn.executemany(
            "INSERT INTO labels(item_id, labeler_id, rubric_id, rubric_version, rubric_hash, "
            "answers, started_at, saved_at, seconds_spent) "
            "VALUES (?, ?, ?, ?, ?, ?, '', '', 1)",
            [
                (i["id"], me.id, rubric.id, rubric.version, rubric.content_hash, answers)
                for i in items
            ],
        )
    )
    return session


def pack_export_and_verify(scale: float) -> list[dict]:
    count = int(100_000 * scale)
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        session = _labeled_workspace(folder, count)
        started = time.perf_counter()
        manifest = export_pack(session, PackOptions("training"), folder / "pack")
        exported = time.perf_counter() - started
        key = folder / "lead.pub"
        key.write_text(signing_key(session.store).public.minisign_file())
        started = time.perf_counter()
        verify_pack(folder / "pack", key)
        verified = time.perf_counter() - started
        rows = manifest["counts"]["rows"]
        session.writer.close()
        session.store.close()
    return [
        # 15 s, not the 10 s of an input-only guard: the guard now compares every text field
        # (input, output, edited output: 3.4x the characters here), across fields.
        {"name": "pack_export_100k_s", "value": exported / scale, "unit": "s", "budget": 15.0,
         "note": f"{rows} labels exported, hashed and signed (scaled to 100k)"},
        {"name": "pack_verify_100k_s", "value": verified / scale, "unit": "s", "budget": 3.0,
         "note": "signature, every file's size and sha256 (scaled to 100k)"},
    ]  # fmt: skip


BENCHMARKS = [pack_export_and_verify]
