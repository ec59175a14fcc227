"""Deletion notices: a lead's purge reaches every laptop of the team.

``labeler purge --subject S -o notice.ldel`` on the lead's laptop writes a sealed file (kind
``deletion-notice``, ``crypto.team_seal``) signed by the lead and encrypted to every roster
member. Its public, signed header says which exported pack rows the training team must delete
(``pack_rows``: pack id and the row's ``item_id``) and the notice's id; its one part,
``subject.age``, holds the subject's hash as bundles carry it (never the subject; and that
hash only inside the age part). ``labeler notice import notice.ldel`` on any laptop checks
that a lead on its roster sealed it and applies the same purge (items, labels, notes,
fingerprints, audit entries, a tombstone under this laptop's own key), once: a notice
already applied here (or written here) changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from labeler.clock import utc_now
from labeler.crypto import roster, team_seal
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert
from labeler.privacy import purge
from labeler.store import meta
from labeler.store import packs as pack_rows
from labeler.store.connection import Store
from labeler.store.writer import Writer
from labeler.subjects import normalise_subject, subject_hash

KIND = "deletion-notice"
PART = "subject"
WHAT = "deletion notice"
MAX_ROWS = 10_000_000

NoticeId = Annotated[str, Meta(pattern="^[0-9a-f]{32}$", description="32 lowercase hex")]
Sha256 = Annotated[str, Meta(pattern="^[0-9a-f]{64}$", description="sha256, lowercase hex")]
Timestamp = Annotated[str, Meta(max_length=40, description="RFC 3339 with an offset")]


class PackRow(msgspec.Struct, forbid_unknown_fields=True):
    pack_id: Annotated[str, Meta(min_length=1, max_length=200)]
    item_id: Annotated[str, Meta(min_length=1, max_length=200)]


class NoticeHeader(msgspec.Struct, forbid_unknown_fields=True):
    """The signed, public header: what the training team reads with the stock tools."""

    notice_id: NoticeId
    issued_at: Timestamp
    pack_rows: Annotated[list[PackRow], Meta(max_length=MAX_ROWS)]


class NoticePayload(msgspec.Struct, forbid_unknown_fields=True):
    """The sealed part: the subject's hash as bundles carry it (``subjects.subject_hash``)."""

    notice_id: NoticeId
    subject_hash: Sha256


@dataclass(frozen=True)
class NoticeOutcome:
    applied: bool  # False: already applied here; nothing changed
    header: NoticeHeader
    result: purge.PurgeResult | None


def _require_lead(store: Store) -> roster.Roster:
    team = roster.current(store)
    if team is None:
        raise LabelerError(
            "This workspace has no team roster: a deletion notice goes to the team's members, "
            "and there is no team here to send one to."
        )
    mine = roster.me(store)
    if mine is None or mine.role != "lead":
        raise LabelerError("Only the team's lead signs deletion notices.")
    return team


def purge_with_notice(
    store: Store, writer: Writer, reference: str, target: Path
) -> tuple[purge.PurgeResult, NoticeHeader]:
    """Purge the subject here and write the notice every other laptop applies. The notice
    is written first; if the purge then fails, it is removed again."""
    team = _require_lead(store)
    if normalise_subject(reference) is None:
        raise ValidationError("Give the subject reference to purge.")
    digest = subject_hash(reference)
    assert digest is not None
    forms = purge.subject_forms(store, digest)
    key = purge._tombstone_key(store)
    keyed = [] if key is None else [purge._keyed(key, digest)]
    rows = [PackRow(p, i) for p, i in pack_rows.rows_with_subject(store, [*forms, *keyed])]
    header = NoticeHeader(uuid.uuid4().hex, utc_now(), rows)
    payload = NoticePayload(header.notice_id, digest)
    team_seal.seal_json(
        store, target, KIND, msgspec.to_builtins(header), PART,
        msgspec.to_builtins(payload), team.recipients(),
    )  # fmt: skip
    try:
        result = purge.purge_digest(writer, digest, header.notice_id)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return result, header


def apply_notice(store: Store, writer: Writer, path: Path) -> NoticeOutcome:
    """Check a deletion notice whole, then apply it once; raises ``ValidationError`` (one
    sentence, nothing written) for a notice not sealed by a lead on this laptop's roster,
    not encrypted to this laptop, or changed in any byte."""
    name = path.name
    opened = team_seal.open_from_member(store, path, KIND, WHAT, PART)
    if opened.member.role != "lead":
        raise ValidationError(
            f"{name}: signed by {opened.member.display_name}, who is not a lead on the team "
            "roster; nothing was deleted."
        )
    header = convert(opened.file.header, NoticeHeader, name, "the notice's header")
    payload = convert(opened.payload, NoticePayload, name, "the notice")
    if payload.notice_id != header.notice_id:
        raise ValidationError(f"{name}: the sealed part is from another notice.")
    if meta.get(store, purge.NOTICE_APPLIED + header.notice_id) is not None:
        return NoticeOutcome(False, header, None)
    result = purge.purge_digest(writer, payload.subject_hash, header.notice_id)
    return NoticeOutcome(True, header, result)
