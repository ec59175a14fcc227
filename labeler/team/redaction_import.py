"""Redactions that travel: a restricted labeler's confirmed redactions ride in their sealed
label file (spans: kind, field and offsets, never text) and the lead's laptop applies the same
spans to its own copy of each item, in the label import's one transaction, so the item is
exportable in packs without being redacted twice.

Checked before anything is written: the file is sealed by a roster member with restricted
access, each item is here with its texts, each span lies within the text it names and is of a
kind Labeler redacts. An item already redacted here is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labeler.crypto.roster import Member
from labeler.domain import PiiSpan
from labeler.errors import ValidationError
from labeler.labeling.redaction import MANUAL_KINDS, field_text, redacted_fields
from labeler.store import audit
from labeler.store import items as item_rows
from labeler.store.connection import Store, WriteStore
from labeler.team.formats import LabelsPayload, RedactionEntry
from labeler.triage.pii import PLACEHOLDERS

KINDS = frozenset(MANUAL_KINDS) | frozenset(PLACEHOLDERS)


@dataclass(frozen=True)
class Redaction:
    item_id: str
    spans: list[PiiSpan]
    values: dict[str, Any]  # the item's redacted text columns
    redacted_at: str


def checked(
    store: Store, name: str, payload: LabelsPayload, member: Member | None
) -> list[Redaction]:
    """The redactions to apply here, or ``ValidationError`` for the first problem."""
    entries = payload.redactions or []
    if not entries:
        return []
    if member is None:
        raise ValidationError(
            f"{name}: carries redactions, which only a sealed label file from a member of the "
            "team can carry; nothing was imported."
        )
    if not member.restricted:
        raise ValidationError(
            f"{name}: carries redactions, but {member.display_name} has no restricted access "
            "on the team roster; nothing was imported."
        )
    found: list[Redaction] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{name}: redaction {index} (item {entry.item_id[:100]!r})"
        if entry.item_id in seen:
            raise ValidationError(f"{where}: the item is redacted twice in the file.")
        seen.add(entry.item_id)
        redaction = _one(store, where, entry)
        if redaction is not None:
            found.append(redaction)
    return found


def _one(store: Store, where: str, entry: RedactionEntry) -> Redaction | None:
    item = item_rows.get(store, entry.item_id)
    if item is None:
        raise ValidationError(f"{where}: the item is not in this workspace.")
    if item.redaction_confirmed:
        return None  # redacted here already: its texts hold placeholders, not the original
    if item.text_purged:
        raise ValidationError(f"{where}: the item's texts were removed here (retention).")
    spans = []
    for span in entry.spans:
        if span.kind not in KINDS:
            raise ValidationError(f"{where}: unknown kind of personal data {span.kind[:40]!r}.")
        text = field_text(item, span.field)
        if text is None:
            raise ValidationError(f"{where}: the item has no text field {span.field[:40]!r}.")
        if not 0 <= span.start < span.end <= len(text):
            raise ValidationError(
                f"{where}: a span ({span.start}-{span.end}) lies outside the "
                f"{len(text)}-character text of {span.field}."
            )
        spans.append(PiiSpan(span.kind, span.start, span.end, span.field))
    return Redaction(entry.item_id, spans, redacted_fields(item, spans), entry.redacted_at)


def apply(tx: WriteStore, redactions: list[Redaction], by: str, at: str) -> None:
    """Write the redactions (inside the import's transaction; the caller checkpoints)."""
    for redaction in redactions:
        item_rows.apply_redaction(tx, redaction.item_id, redaction.values)
        item_rows.keep_redaction(tx, redaction.item_id, redaction.spans, by, redaction.redacted_at)
        audit.record(tx, at, by, "redact_imported", redaction.item_id)


def exported(store: Store, my_id: str) -> list[dict[str, Any]]:
    """This labeler's confirmed redactions, as the label file carries them."""
    return [
        {"item_id": item_id, "spans": [s.as_dict() for s in spans], "redacted_at": at}
        for item_id, spans, at in item_rows.redactions_by(store, my_id)
    ]
