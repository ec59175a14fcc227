"""The holdout guard both ways at pack export, over every text field: a training item that
copies a holdout item's output and edit under another input stays out of training; a holdout
item that a training pack already shipped, or nearly copied, stays out of the eval pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labeler.clock import utc_now
from labeler.demo.build import open_or_build_demo
from labeler.domain import Item
from labeler.labeling.session import LabelingSession
from labeler.packs.export import PackOptions, export_pack
from labeler.store import items as item_rows

ANSWERS = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


@pytest.fixture
def lead(tmp_path: Path, memory_keyring) -> LabelingSession:
    return open_or_build_demo(tmp_path / "lead.lbw", role="lead").session


def _rows(pack: Path) -> list[dict]:
    return [json.loads(line) for line in (pack / "labels.jsonl").read_text().splitlines()]


def _edits(lead: LabelingSession, holdout: bool) -> list[Item]:
    return [
        i for i in item_rows.all_items(lead.store, kind="week")
        if i.holdout == holdout and not i.restricted and i.signal == "edit"
    ]  # fmt: skip


def _set(lead: LabelingSession, item_id: str, **values: object) -> None:
    assignments = ", ".join(f"{name} = ?" for name in values)
    lead.writer.run(
        lambda tx: tx.conn.execute(
            f"UPDATE items SET {assignments} WHERE id = ?", (*values.values(), item_id)
        )
    )


def test_a_copied_output_and_edit_under_another_input_stays_out_of_training(
    tmp_path: Path, lead: LabelingSession
) -> None:
    holdout = _edits(lead, holdout=True)[0]
    target = next(i for i in _edits(lead, holdout=False) if lead.label_of(i.id) is None)
    assert target.input != holdout.input
    _set(lead, target.id, output=holdout.output, edited_output=holdout.edited_output)
    lead.save_label(lead.open_item(target.id), ANSWERS, utc_now(), 1)
    manifest = export_pack(lead, PackOptions("training"), tmp_path / "t")
    assert target.id not in {r["item_id"] for r in _rows(tmp_path / "t")}
    assert manifest["counts"]["excluded"]["near_duplicate_of_holdout"] >= 1
    assert "every text field" in manifest["leakage_guard"]["measure"]


def test_a_holdout_item_a_training_pack_already_shipped_is_flagged_at_eval_export(
    tmp_path: Path, lead: LabelingSession
) -> None:
    export_pack(lead, PackOptions("eval"), tmp_path / "e0")
    before = {r["item_id"] for r in _rows(tmp_path / "e0")}
    export_pack(lead, PackOptions("training"), tmp_path / "t")
    shipped = {r["item_id"]: r for r in _rows(tmp_path / "t")}
    # A later holdout item whose answer nearly copies a row the training team already has.
    copier = next(i for i in _edits(lead, holdout=True) if i.id in before)
    source = next(r for r in shipped.values() if r["output"] and len(r["output"]) > 80)
    _set(lead, copier.id, output=source["output"].replace("\n", " ") + " Thanks!")
    # A shipped training item that a raised holdout rate has since made a holdout item.
    promoted = next(iter(sorted(shipped)))
    _set(lead, promoted, holdout=1)
    manifest = export_pack(lead, PackOptions("eval"), tmp_path / "e")
    packed = {r["item_id"] for r in _rows(tmp_path / "e")}
    assert copier.id not in packed and promoted not in packed
    flagged = {f["item_id"]: f["cause"] for f in manifest["leakage_guard"]["flagged"]}
    assert flagged[copier.id] == "near_duplicate_of_training"
    assert flagged[promoted] == "in_training_pack"
    excluded = manifest["counts"]["excluded"]
    assert excluded["near_duplicate_of_training"] >= 1 and excluded["in_training_pack"] == 1
    assert manifest["leakage_guard"]["excluded"] == len(flagged)
