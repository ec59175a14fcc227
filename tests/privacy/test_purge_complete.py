"""A purge is done only when no page, WAL frame or free page holds the subject's text: a
reader that stops the checkpoint is reported and the next open finishes; eval pairs copied
from the holdout go too; the reference is normalised as at capture; no plain subject hash and
no interrupted backup copy is left."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from labeler.clock import utc_now
from labeler.evals.build import build_eval
from labeler.packs.export import PackOptions, export_pack
from labeler.privacy import backups
from labeler.privacy.purge import purge_subject
from labeler.store import connection
from labeler.store import items as item_rows
from labeler.subjects import subject_hash
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.factories import lead_keys
from tests.hostile import run
from tests.sqlcipher_pages import contains
from tests.triage.test_sampling import make_events, write

MARKER = "Quillon-Vesper-Marker-7730"
ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


def bundle_of(tmp_path: Path, subject: str, *, holdout_rate: float = 0.1) -> Path:
    events = make_events([(0, 1, n) for n in range(4)] + [(1, 2, n) for n in range(4)])
    for event in events[:4]:
        event["subject"] = subject
        event["input"] = f"{MARKER} about order {event['event_id']}"
    for event in events[4:]:
        event["subject"] = "acct-other"
    path = tmp_path / "week.lbundle"
    options = BuildOptions(week="2026-W48", per_reason=50, holdout_rate=holdout_rate)
    build_bundle([write(tmp_path / "events.jsonl", events)], options, path)
    return path


def lead_with(tmp_path: Path, bundle: Path) -> Workspace:
    ws = Workspace.create(tmp_path / "lead.lbw")
    import_bundle(ws.store, ws.writer, bundle)
    ws.session.create_profile("Lee", "lead", restricted_access=False)
    return ws


def marked(ws: Workspace) -> list[str]:
    return [i.id for i in item_rows.all_items(ws.store, kind=None) if MARKER in (i.input or "")]


_HOLDER = """
import os, sys, time
import sqlcipher3.dbapi2 as dbapi
conn = dbapi.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA key = " + os.environ["KEY_LITERAL"])
conn.execute("PRAGMA cipher_page_size = 16384")
conn.execute("PRAGMA cipher_hmac_algorithm = HMAC_SHA256")
conn.execute("BEGIN")
conn.execute("SELECT count(*) FROM items").fetchone()
print("holding", flush=True)
time.sleep(600)
"""


def test_a_reader_holding_old_pages_is_reported_and_the_next_open_finishes(
    tmp_path: Path, memory_keyring
) -> None:
    """Another process in a read transaction (the app, a backup tool) keeps the pages the
    purge replaced: the purge says it is not done; after that process is gone (killed: it
    never checkpoints), the next open scrubs the file."""
    ws = lead_with(tmp_path, bundle_of(tmp_path, "acct-purge"))
    path, key = ws.path, ws.key
    ws.writer.run(connection.checkpoint, transaction=False)
    ws.close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(path)],
        env={**os.environ, "KEY_LITERAL": key.sqlcipher_literal()},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"holding\n"
        result = run("--workspace", str(path), "purge", "--subject", "acct-purge", "--json")
        assert result.exit_code == 0, result.output
        reported = json.loads(result.stdout)
        assert reported["items"] == 4 and reported["scrubbed"] is False
        assert contains(path, key.raw, MARKER)  # honest: the text is still in the file
        text = run("--workspace", str(path), "purge", "--subject", "acct-purge")
        assert "Not yet gone from the file's bytes" in text.stderr
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    with Workspace.open(path) as reopened:
        assert marked(reopened) == []
    assert not contains(path, key.raw, MARKER)


def test_eval_pairs_copied_from_the_holdout_keep_the_subject(
    tmp_path: Path, memory_keyring
) -> None:
    """Pairs built from a bundle carry its subject hash, pairs built from an eval pack the
    pack's pseudonym: a purge in the lead's workspace removes both, and their text."""
    bundle = bundle_of(tmp_path, "acct-purge", holdout_rate=1.0)
    ws = lead_with(tmp_path, bundle)
    session = ws.session
    for item in item_rows.all_items(ws.store):
        session.save_label(session.open_item(item.id), ANSWERS, utc_now(), 1.0)
    export_pack(session, PackOptions("eval"), tmp_path / "eval-pack")
    for source, name in ((bundle, "from-bundle"), (tmp_path / "eval-pack", "from-pack")):
        ids = [i.id for i in item_rows.all_items(ws.store)]
        for version in ("v1", "v2"):  # versions per source: distinct pair ids
            rows = [{"item_id": i, "model_version": f"{name}-{version}", "output": MARKER}
                    for i in ids]  # fmt: skip
            lines = "".join(json.dumps(row) + "\n" for row in rows)
            (tmp_path / f"{name}-{version}.jsonl").write_text(lines)
        build_eval(source, tmp_path / f"{name}-v1.jsonl", tmp_path / f"{name}-v2.jsonl", 50,
                   tmp_path / f"{name}.lbundle", week="2026-W49", keys=lead_keys(session),
                   allow_fewer=True)  # fmt: skip
        import_bundle(ws.store, ws.writer, tmp_path / f"{name}.lbundle")
    pairs = [i for i in item_rows.all_items(ws.store, kind=None) if i.signal == "eval"]
    assert len(pairs) == 16 and all(p.subject_hash for p in pairs)
    result = purge_subject(ws.writer, "acct-purge")
    assert result.items == 4 + 2 * 4 and result.scrubbed
    left = [i for i in item_rows.all_items(ws.store, kind=None) if MARKER in (i.input or "")]
    assert left == []
    assert not contains(ws.path, ws.key.raw, "about order")  # the inputs the pairs copied
    ws.close()


def test_the_reference_is_normalised_as_at_capture(tmp_path: Path, memory_keyring) -> None:
    ws = lead_with(tmp_path, bundle_of(tmp_path, " acct-Ünïcode\n"))
    result = purge_subject(ws.writer, "acct-U\u0308ni\u0308code  ")  # NFD, trailing spaces
    assert result.items == 4 and marked(ws) == []
    ws.close()


def test_no_plain_subject_hash_is_left_and_pack_ids_still_named(
    tmp_path: Path, memory_keyring
) -> None:
    ws = lead_with(tmp_path, bundle_of(tmp_path, "acct-purge", holdout_rate=0.0))
    session = ws.session
    for item in item_rows.all_items(ws.store):
        session.save_label(session.open_item(item.id), ANSWERS, utc_now(), 1.0)
    manifest = export_pack(session, PackOptions("training"), tmp_path / "pack")
    digest = subject_hash("acct-purge")
    assert digest is not None and contains(ws.path, ws.key.raw, digest)
    assert purge_subject(ws.writer, "acct-purge").packs == [manifest["pack_id"]]
    assert not contains(ws.path, ws.key.raw, digest)  # no page, frame or free page holds it
    assert purge_subject(ws.writer, " acct-purge ").packs == [manifest["pack_id"]]  # again
    ws.close()


def test_purge_deletes_interrupted_backup_copies_and_names_finished_ones(
    tmp_path: Path, memory_keyring
) -> None:
    ws = lead_with(tmp_path, bundle_of(tmp_path, "acct-purge"))
    finished = tmp_path / "done.lbw"
    ws.backup(finished)
    partial = tmp_path / "killed.lbw.partial"
    backups.started(ws.writer, partial, portable=False)
    key = ws.key
    ws.writer.run(lambda tx: connection.export_copy(tx, partial, key), transaction=False)
    result = purge_subject(ws.writer, "acct-purge")  # the copy is there: this process 'died'
    assert result.removed_partials == [str(partial)] and not partial.exists()
    assert result.backups == [str(finished)] and finished.exists()
    path = ws.path
    ws.close()
    shown = run("--workspace", str(path), "purge", "--subject", "acct-purge")
    assert "may still hold the subject" in shown.output and str(finished) in shown.output
