"""Lineage from packs to model: the holdout pack an eval is built from and the training packs
the candidate was trained on, each verified against a trusted key and named in the eval
bundle's manifest (``eval.lineage``); and the holdout items an eval may not use because
those training packs hold them, or hold a row that equals or nearly equals one of their texts
(the leakage guard's measure over every text field, labeler/leakage.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from labeler import leakage
from labeler.crypto.signing import PublicKey
from labeler.errors import ValidationError
from labeler.packs.verify import MANIFEST, verify_with_any


@dataclass(frozen=True)
class PackRef:
    """A verified pack as the eval manifest names it."""

    pack_id: str
    kind: str
    manifest_sha256: str
    signer_key_id: str
    created_at: str
    rows: int
    weeks: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "weeks": list(self.weeks)}


@dataclass(frozen=True)
class LeftOut:
    """A holdout item the eval may not use, and the training pack that makes it so."""

    item_id: str
    cause: str  # in_training_pack | near_duplicate_of_training
    pack_id: str


def workspace_keys(store: Any) -> list[PublicKey]:
    """The keys a workspace accepts packs from: its own signing key and the keys it trusts."""
    from labeler.crypto.signing import own_public_keys, parse_public_key
    from labeler.store import exchange

    # Every key this laptop has signed with: packs made before a rotation still count.
    own = own_public_keys(store)
    return [*own, *(parse_public_key(key) for _, key in exchange.trusted(store))]


def pack_rows(folder: Path) -> list[dict[str, Any]]:
    path = folder / "labels.jsonl"
    if not path.is_file():
        raise ValidationError(f"{folder}: not a label pack (no labels.jsonl).")
    rows = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValidationError(f"{path.name} line {number}: not valid JSON.") from None
        if not isinstance(row, dict) or not isinstance(row.get("item_id"), str):
            raise ValidationError(f"{folder.name}/{path.name} line {number}: no item_id.")
        rows.append(row)
    return rows


def verified(folder: Path, keys: Sequence[PublicKey], kind: str) -> PackRef:
    """The pack at ``folder``, refused unless one of ``keys`` signed it, every file checks
    out (labeler/packs/verify.py) and it is of ``kind``."""
    if not keys:
        raise ValidationError(
            f"{folder}: no key to verify the pack with; give --pubkey (the lead's public key) "
            "or a workspace that trusts it."
        )
    manifest, key = verify_with_any(folder, keys)
    if manifest["kind"] != kind:
        raise ValidationError(f"{folder} is a {manifest['kind']} pack; give a {kind} pack.")
    return PackRef(
        pack_id=manifest["pack_id"], kind=manifest["kind"],
        manifest_sha256=hashlib.sha256((folder / MANIFEST).read_bytes()).hexdigest(),
        signer_key_id=key.key_id_hex, created_at=manifest["created_at"],
        rows=manifest["counts"]["rows"], weeks=tuple(manifest["weeks"]),
    )  # fmt: skip


def texts_of(row: dict[str, Any]) -> list[tuple[str, str]]:
    return leakage.comparable_texts(
        row.get("input"), row.get("output"), row.get("edited_output"), row.get("retries"),
        row.get("candidates"),
    )  # fmt: skip


def left_out(
    holdout: Sequence[dict[str, Any]], trained: Sequence[tuple[PackRef, list[dict[str, Any]]]]
) -> list[LeftOut]:
    """The holdout items (rows with ``id`` and their texts) a training pack holds (by item
    id or content hash) or nearly copies, in holdout order; the first pack found is named."""
    found: dict[str, LeftOut] = {}
    by_id = {r["id"]: r for r in holdout}
    hashes = {r["content_hash"]: r["id"] for r in holdout if r.get("content_hash")}
    for ref, rows in trained:
        for row in rows:
            same = (
                row["item_id"] if row["item_id"] in by_id else hashes.get(row.get("content_hash"))
            )
            if same is not None and same not in found:
                found[same] = LeftOut(same, "in_training_pack", ref.pack_id)
    index = leakage.HoldoutIndex()
    index.add_texts([(r["id"], name, text) for r in holdout for name, text in texts_of(r)])
    flat = [(ref, row) for ref, rows in trained for row in rows]
    for hit in leakage.group_matches(index, [texts_of(row) for _, row in flat], once=True):
        owner = hit.match.owner
        if owner not in found:
            found[owner] = LeftOut(owner, "near_duplicate_of_training", flat[hit.group][0].pack_id)
    order = {r["id"]: n for n, r in enumerate(holdout)}
    return sorted(found.values(), key=lambda f: order[f.item_id])
