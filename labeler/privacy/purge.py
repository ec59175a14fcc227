"""Deletion requests and retention: the privacy duties that come with holding customer text.

Purge removes every item of a subject, with its labels, resolutions, feedback, fingerprints and
audit entries, leaves a tombstone (a keyed hash of the subject) so later imports skip that
subject, and names the packs already exported that held it. Retention drops the raw texts of
items older than the workspace's setting (default 12 weeks); labels, hashes and statistics
stay. Both overwrite freed space (``secure_delete``) and checkpoint the WAL, so the text is
gone from the file's bytes, not just from queries.
"""

from __future__ import annotations

import datetime as dt
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
from labeler.store.connection import Store
from labeler.subjects import subject_hash

DEFAULT_RETENTION_WEEKS = 12


def _tombstone_key(store: Store) -> bytes:
    key = meta.get(store, "tombstone_key")
    if key is None:
        key = secrets.token_hex(32)
        meta.put(store, "tombstone_key", key)
    return bytes.fromhex(key)


def tombstone_hash(store: Store, subject_digest: str) -> str:
    return hmac.new(_tombstone_key(store), subject_digest.encode(), hashlib.sha256).hexdigest()


def tombstoned(store: Store, subject_digests: set[str]) -> set[str]:
    """The subject hashes (as bundles carry them) that a deletion request covers."""
    if not subject_digests:
        return set()
    known = sql.tombstone_keys(store)
    if not known:
        return set()
    return {s for s in subject_digests if tombstone_hash(store, s) in known}


@dataclass(frozen=True)
class PurgeResult:
    items: int
    labels: int
    packs: list[str]
    changes: Changes


def purge_subject(store: Store, reference: str) -> PurgeResult:
    """Delete everything of the customer ``reference`` (as captured in ``subject``)."""
    if not reference.strip():
        raise ValidationError("Give the subject reference to purge.")
    digest = subject_hash(reference.strip())
    assert digest is not None
    ids = sql.subject_item_ids(store, digest)
    packs = pack_rows.with_subject(store, digest)
    at = utc_now()
    with store.transaction():
        labels = sql.delete_items(store, ids)
        sql.add_tombstone(store, tombstone_hash(store, digest), at)
    connection.checkpoint(store)
    return PurgeResult(len(ids), labels, packs, Changes(items=frozenset(ids), all_items=True))


def retention_weeks(store: Store) -> int:
    value = meta.get(store, "retention_weeks")
    return int(value) if value else DEFAULT_RETENTION_WEEKS


def set_retention_weeks(store: Store, weeks: int) -> None:
    if not 1 <= weeks <= 520:
        raise ValidationError("Retention must be between 1 and 520 weeks.")
    with store.transaction():
        meta.put(store, "retention_weeks", str(weeks))


def cutoff_week(today: dt.date, weeks: int) -> str:
    year, week, _ = (today - dt.timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{week:02d}"


def apply_retention(store: Store, today: dt.date | None = None) -> int:
    """Drop the raw texts of items in weeks before the cutoff; return how many items."""
    cutoff = cutoff_week(today or dt.date.today(), retention_weeks(store))
    if not sql.has_texts_before(store, cutoff):
        return 0  # the common case on open: one indexed query, nothing imported
    from labeler import leakage  # numpy: only when there is something to purge

    rows = sql.texts_before(store, cutoff)
    with store.transaction():
        for item_id, text, holdout in rows:
            if holdout and text:  # keep the leakage guard working once the text is gone
                signature = leakage.minhash(text).tobytes()
                sql.keep_fingerprint(store, item_id, leakage.exact_key(text), signature)
        sql.drop_texts(store, [row[0] for row in rows])
    connection.checkpoint(store)
    return len(rows)
