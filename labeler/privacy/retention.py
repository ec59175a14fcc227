"""Retention: raw texts of items older than the workspace's setting (default 12 weeks) are
dropped; labels, hashes and statistics stay. Applied on every open and on demand.

Holdout items keep a fingerprint of their input so the leakage guard still works once the
text is gone. Freed space is overwritten and the WAL checkpointed, as for a purge.
"""

from __future__ import annotations

import datetime as dt

from labeler.errors import ValidationError
from labeler.store import connection, meta
from labeler.store import privacy as sql
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer

DEFAULT_RETENTION_WEEKS = 12


def retention_weeks(store: Store) -> int:
    value = meta.get(store, "retention_weeks")
    return int(value) if value else DEFAULT_RETENTION_WEEKS


def set_retention_weeks(writer: Writer, weeks: int) -> None:
    if not 1 <= weeks <= 520:
        raise ValidationError("Retention must be between 1 and 520 weeks.")
    writer.run(lambda tx: meta.put(tx, "retention_weeks", str(weeks)))


def cutoff_week(today: dt.date, weeks: int) -> str:
    year, week, _ = (today - dt.timedelta(weeks=weeks)).isocalendar()
    return f"{year}-W{week:02d}"


def _drop_old_texts(tx: WriteStore, today: dt.date) -> int:
    cutoff = cutoff_week(today, retention_weeks(tx))
    if not sql.has_texts_before(tx, cutoff):
        return 0  # the common case on open: one indexed query, nothing imported
    from labeler import leakage  # numpy: only when there is something to drop

    rows = sql.texts_before(tx, cutoff)
    for item_id, text, holdout in rows:
        if holdout and text:  # keep the leakage guard working once the text is gone
            signature = leakage.minhash(text).tobytes()
            sql.keep_fingerprint(tx, item_id, leakage.exact_key(text), signature)
    sql.drop_texts(tx, [row[0] for row in rows])
    return len(rows)


def apply_retention(writer: Writer, today: dt.date | None = None) -> int:
    """Drop the raw texts of items in weeks before the cutoff; return how many items."""
    dropped = writer.run(lambda tx: _drop_old_texts(tx, today or dt.date.today()))
    if dropped:
        writer.run(connection.checkpoint, transaction=False)
    return dropped
