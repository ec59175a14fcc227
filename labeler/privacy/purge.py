"""Deletion requests: remove every trace of one customer (subject) from the workspace.

Purge removes every item of a subject, with its labels, resolutions, feedback, fingerprints and
audit entries, leaves a tombstone (a keyed hash of the subject) so later imports skip that
subject, and names the packs already exported that held it. Freed space is overwritten
(``secure_delete``) and the WAL checkpointed, so the text is gone from the file's bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.errors import ValidationError
from labeler.store import connection, meta
from labeler.store import packs as pack_rows
from labeler.store import privacy as sql
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer
from labeler.subjects import normalise_subject, subject_hash


def _tombstone_key(store: Store) -> bytes | None:
    key = meta.get(store, "tombstone_key")
    return None if key is None else bytes.fromhex(key)


def _ensure_tombstone_key(tx: WriteStore) -> bytes:
    key = _tombstone_key(tx)
    if key is None:
        key = secrets.token_bytes(32)
        meta.put(tx, "tombstone_key", key.hex())
    return key


def _keyed(key: bytes, subject_digest: str) -> str:
    return hmac.new(key, subject_digest.encode(), hashlib.sha256).hexdigest()


def tombstoned(store: Store, subject_digests: set[str]) -> set[str]:
    """The subject hashes (as bundles carry them) that a deletion request covers."""
    if not subject_digests:
        return set()
    known = sql.tombstone_keys(store)
    key = _tombstone_key(store)
    if not known or key is None:
        return set()
    return {s for s in subject_digests if _keyed(key, s) in known}


@dataclass(frozen=True)
class PurgeResult:
    items: int
    labels: int
    packs: list[str]
    changes: Changes
    scrubbed: bool = True  # False: a reader held old pages; the next open finishes the job


def purge_subject(writer: Writer, reference: str) -> PurgeResult:
    """Delete everything of the customer ``reference`` (as captured in ``subject``)."""
    if normalise_subject(reference) is None:
        raise ValidationError("Give the subject reference to purge.")
    digest = subject_hash(reference)
    assert digest is not None

    def purge(tx: WriteStore) -> tuple[list[str], int, list[str]]:
        ids = sql.subject_item_ids(tx, digest)
        packs = pack_rows.with_subject(tx, digest)
        labels = sql.delete_items(tx, ids)
        sql.add_tombstone(tx, _keyed(_ensure_tombstone_key(tx), digest), utc_now())
        return ids, labels, packs

    ids, labels, packs = writer.run(purge)
    scrubbed = writer.run(connection.checkpoint, transaction=False)
    return PurgeResult(
        len(ids), labels, packs, Changes(items=frozenset(ids), all_items=True), scrubbed
    )
