"""Eval pairs are not the week's items: they never enter a pack and never nest into the next
eval (the real path: demo lead, packs, eval build). Status: tests/test_status.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labeler.demo.build import open_or_build_demo
from labeler.errors import ValidationError
from labeler.evals.build import build_eval
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.store import evals as eval_rows
from labeler.store import items as item_rows
from labeler.triage.bundle_file import read_bundle
from tests.evals.test_evals import outputs
from tests.factories import lead_keys, resign


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    """Three labeled weeks, an eval pack, and an eval bundle built from it, imported and
    judged by the simulated team (the demo lead's workspace)."""
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def pack_rows(pack: Path) -> list[dict]:
    return [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]


def test_eval_pairs_have_their_own_kind(lead: LabelingSession) -> None:
    (first, *_) = eval_rows.bundles(lead.store)
    pair_ids = {item_id for item_id, _ in eval_rows.case_types(lead.store, first.bundle_id)}
    kinds = {item.id: item.kind for item in item_rows.all_items(lead.store)}
    assert pair_ids and all(kinds[i] == item_rows.EVAL_PAIR for i in pair_ids)
    assert {k for i, k in kinds.items() if i not in pair_ids} == {item_rows.WEEK}


def test_next_eval_built_from_a_later_eval_pack_does_not_nest(
    tmp_path: Path, lead: LabelingSession
) -> None:
    # The eval pairs are judged (gold labels), and they carry the holdout flag: yet the next
    # eval pack holds the week's holdout items only.
    pack = tmp_path / "eval-pack-2"
    manifest = export_pack(lead, PackOptions("eval"), pack)
    rows = pack_rows(pack)
    assert rows and not [
        r for r in rows if r["signal"] == "eval" or r["item_id"].startswith("eval-")
    ]
    assert {h["item_id"] for h in manifest["holdout"]} >= {r["item_id"] for r in rows}
    assert not [h for h in manifest["holdout"] if h["item_id"].startswith("eval-")]
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", " (v2)")
    built = build_eval(
        pack, current, candidate, 50, tmp_path / "next.lbundle", seed=1,
        keys=lead_keys(lead), allow_fewer=True,
    )  # fmt: skip
    ids = [item["id"] for item in read_bundle(tmp_path / "next.lbundle").items]
    assert ids and all(i.count("eval-") == 1 for i in ids), ids[:3]
    assert built["statistics"]["holdout_items"] == len(rows)


def test_training_pack_counts_only_week_holdout_items_as_excluded(
    tmp_path: Path, lead: LabelingSession
) -> None:
    manifest = export_pack(lead, PackOptions("training"), tmp_path / "train")
    week_holdout = sum(
        i.holdout for i in item_rows.all_items(lead.store) if i.kind == item_rows.WEEK
    )
    # Eval pairs are not even candidates for a pack (before, each was "excluded: holdout").
    assert manifest["counts"]["excluded"]["holdout"] <= week_holdout
    assert not [r for r in pack_rows(tmp_path / "train") if r["item_id"].startswith("eval-")]


def test_an_eval_bundle_is_refused_as_the_holdout(tmp_path: Path, lead: LabelingSession) -> None:
    pack = tmp_path / "eval-pack"
    export_pack(lead, PackOptions("eval"), pack)
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", "!")
    build_eval(
        pack, current, candidate, 50, tmp_path / "e.lbundle", keys=lead_keys(lead), allow_fewer=True
    )
    with pytest.raises(ValidationError, match="is an eval bundle"):
        build_eval(tmp_path / "e.lbundle", current, candidate, 50, tmp_path / "nested.lbundle")


def test_an_old_eval_pack_holding_pairs_does_not_nest(
    tmp_path: Path, lead: LabelingSession
) -> None:
    """Packs exported before items had kinds held eval pairs: eval build skips them."""
    pack = tmp_path / "eval-pack"
    export_pack(lead, PackOptions("eval"), pack)
    rows = pack_rows(pack)
    old = [*rows, {**rows[0], "item_id": f"eval-0000:{rows[0]['item_id']}", "signal": "eval"}]
    (pack / "labels.jsonl").write_text("".join(json.dumps(r) + "\n" for r in old))
    current, candidate = outputs(pack, tmp_path, "v1"), outputs(pack, tmp_path, "v2", "!")
    resign(pack, lead)  # such a pack was signed as it was written
    built = build_eval(
        pack, current, candidate, 50, tmp_path / "e.lbundle", keys=lead_keys(lead), allow_fewer=True
    )
    assert built["statistics"]["holdout_items"] == len(rows)
    assert all(i["id"].count("eval-") == 1 for i in read_bundle(tmp_path / "e.lbundle").items)


def test_migration_fills_kinds_from_the_bundle_kind() -> None:
    """A workspace from before kinds: its eval bundle's items become eval pairs."""
    import sqlite3

    from labeler.store import migrations

    conn = sqlite3.connect(":memory:", isolation_level=None)
    for migration in migrations.MIGRATIONS[:4]:
        migration(conn)
    conn.execute("PRAGMA user_version = 4")
    for bundle, kind in (("w48", "week"), ("eval-1", "eval")):
        conn.execute(
            "INSERT INTO bundles VALUES (?, '2026-W48', ?, '', '', '', '{}')", (bundle, kind)
        )
        conn.execute(
            "INSERT INTO items (id, bundle_id, seq, week, signal, captured_at, holdout, "
            "content_hash) VALUES (?, ?, 0, '2026-W48', 'edit', '', 1, '')",
            (f"{bundle}:item", bundle),
        )
    conn.execute("INSERT INTO gate_results VALUES (1, '', NULL, 'SHIP', '{}')")
    assert migrations.migrate(conn) == len(migrations.MIGRATIONS) - 4
    kinds = dict(conn.execute("SELECT id, kind FROM items"))
    assert kinds == {"w48:item": "week", "eval-1:item": "eval_pair"}
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "gate_runs" in tables and "gate_results" not in tables
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE items SET kind = 'other'")
