"""Deletion requests: remove every trace of one customer (subject) from the workspace.

Purge removes every item of a subject — week items and the eval pairs copied from them, which
keep the subject (as the bundle's hash, or as the pack's salted pseudonym when the eval was
built from a pack) — with its labels, resolutions, feedback, fingerprints and audit entries,
leaves a tombstone (a keyed hash of the subject) so later imports skip that subject, and names
the packs already exported that held it (their record keeps only the keyed hash, never the
subject's plain hash). Interrupted backups' partial copies are deleted; finished backups,
which the purge cannot reach, are named.

Done means the text is in no page, WAL frame or free page of the file: ``secure_delete``
zeroes freed space and pages as they are freed, and a TRUNCATE checkpoint moves the WAL into
the file and empties it. A reader holding an old snapshot (another process) stops the
checkpoint short: the purge says so, and the next open of the workspace finishes it
(``finish_pending_scrub``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.errors import ValidationError
from labeler.privacy import backups
from labeler.store import connection, meta
from labeler.store import packs as pack_rows
from labeler.store import privacy as sql
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer
from labeler.subjects import normalise_subject, pack_pseudonym, subject_hash

SCRUB_PENDING = "scrub_pending"
NOTICE_APPLIED = "deletion_notice:"  # + a notice's id: this laptop applied (or wrote) it
PACK_SALT = "pack_subject_salt"  # labeler.packs.export keeps the packs' salt under this key


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
    removed_partials: list[str] = field(default_factory=list)  # interrupted backups deleted
    backups: list[str] = field(default_factory=list)  # finished backups that may hold it


def subject_forms(store: Store, digest: str) -> list[str]:
    """Every form the subject is kept in beside items: the hash bundles carry, and the packs'
    salted pseudonym (eval pairs built from a pack carry that one)."""
    salt = meta.get(store, PACK_SALT)
    return [digest] if salt is None else [digest, pack_pseudonym(salt, digest)]


def purge_subject(writer: Writer, reference: str, notice_id: str | None = None) -> PurgeResult:
    """Delete everything of the customer ``reference`` (as captured in ``subject``)."""
    if normalise_subject(reference) is None:
        raise ValidationError("Give the subject reference to purge.")
    digest = subject_hash(reference)
    assert digest is not None
    return purge_digest(writer, digest, notice_id)


def purge_digest(writer: Writer, digest: str, notice_id: str | None = None) -> PurgeResult:
    """Delete everything of the subject whose hash (as bundles carry it) is ``digest``;
    ``notice_id``: the deletion notice this purge wrote or applies, kept in the same
    transaction so the notice applies once (``privacy.notices``)."""

    def purge(tx: WriteStore) -> tuple[list[str], int, list[str]]:
        forms = subject_forms(tx, digest)
        ids = sql.subject_item_ids(tx, forms)
        keyed = _keyed(_ensure_tombstone_key(tx), digest)
        packs = pack_rows.with_subject(tx, [*forms, keyed])
        pack_rows.replace_subject(tx, forms, keyed)  # no plain hash of the subject stays
        labels = sql.delete_items(tx, ids)
        sql.add_tombstone(tx, keyed, utc_now())
        if notice_id is not None:
            if meta.get(tx, NOTICE_APPLIED + notice_id) is not None:
                raise ValidationError("That deletion notice was applied meanwhile.")
            meta.put(tx, NOTICE_APPLIED + notice_id, utc_now())
        meta.put(tx, SCRUB_PENDING, "1")
        return ids, labels, packs

    ids, labels, packs = writer.run(purge)
    removed = backups.remove_partials(writer)
    scrubbed = finish_pending_scrub(writer)
    return PurgeResult(
        len(ids),
        labels,
        packs,
        Changes(items=frozenset(ids), all_items=True),
        scrubbed,
        [str(path) for path in removed if path.suffix == ".partial"],
        [record.path for record in writer.run(backups.existing)],
    )


def finish_pending_scrub(writer: Writer, reader: Store | None = None) -> bool:
    """Checkpoint a purge's deletions out of the WAL; True when nothing is left to do.

    Called by every purge and on every open: a purge that a reader interrupted is finished
    by the next open that has the file to itself. ``reader``: where to look first (an open
    reads, and waits on the writer only when there is something to do).
    """
    pending = (
        meta.get(reader, SCRUB_PENDING)
        if reader is not None
        else writer.run(lambda tx: meta.get(tx, SCRUB_PENDING))
    )
    if pending is None:
        return True
    if not writer.run(connection.checkpoint, transaction=False):
        return False
    writer.run(lambda tx: meta.delete(tx, SCRUB_PENDING))
    # Clearing the flag wrote a frame (of the meta page, no text): empty the WAL again.
    writer.run(connection.checkpoint, transaction=False)
    return True


def leftover_partials(writer: Writer) -> list[Path]:
    """Interrupted backups' copies, deleted (on open: they hold every text of the file)."""
    return backups.remove_partials(writer)
