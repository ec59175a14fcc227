"""Moving labels between laptops: a signed ``.llabels`` file per labeler.

The file is JSON: ``{"format", "format_version", "public_key", "payload", "signature"}``;
``payload`` is itself a JSON text (signed exactly as written, so no canonical form is needed)
holding the labeler, the bundle ids, the rubric and every label (declared in
``team.formats.LabelsPayload``). Import checks everything — signature, shape, trust, key,
bundles, items, rubric, staleness — before one transaction writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.crypto import signing
from labeler.crypto.signed_files import SignedFile, read_signed, require_trusted, write_signed
from labeler.domain import Label, Profile
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert
from labeler.labeling.session import LabelingSession
from labeler.store import bundles, exchange, labelers
from labeler.store import labels as label_rows
from labeler.store.connection import WriteStore
from labeler.team.formats import LabelsPayload

FORMAT = "labeler-labels"
FORMAT_VERSION = 1


def export_labels(session: LabelingSession, target: Path) -> int:
    """Write this labeler's labels, signed; returns how many."""
    me = session.profile
    if me is None:
        raise LabelerError("Set up your labeler profile first.")
    store = session.store
    key = signing.signing_key(store)
    mine = label_rows.for_labeler(store, me.id)
    rubric = session.rubric
    payload = {
        "labeler": {"id": me.id, "display_name": me.display_name, "role": me.role},
        "workspace_id": session.workspace_id,
        "exported_at": utc_now(),
        "bundle_ids": bundles.ids(store),
        "rubric": {"id": rubric.id, "version": rubric.version, "hash": rubric.content_hash},
        "labels": [_label_json(label) for label in mine],
    }
    write_signed(target, FORMAT, FORMAT_VERSION, payload, key)
    return len(mine)


def _label_json(label: Label) -> dict[str, Any]:
    return {
        "item_id": label.item_id,
        "answers": label.answers,
        "rubric_id": label.rubric_id,
        "rubric_version": label.rubric_version,
        "rubric_hash": label.rubric_hash,
        "started_at": label.started_at,
        "saved_at": label.saved_at,
        "seconds_spent": label.seconds_spent,
        "side_order": label.side_order,
    }


def read_label_file(path: Path) -> tuple[SignedFile, LabelsPayload]:
    """Parse, verify the signature, and decode the payload into its declaration."""
    signed = read_signed(path, FORMAT, FORMAT_VERSION, "Labeler label file")
    return signed, convert(signed.payload, LabelsPayload, path.name, "the payload")


@dataclass(frozen=True)
class ImportOutcome:
    labeler: str
    labels: int
    changes: Changes
    note: str


def import_labels(
    session: LabelingSession, path: Path, accept_rubric: bool = False
) -> ImportOutcome:
    """Import one labeler's signed export; everything is checked before anything is written."""
    store = session.store
    name = path.name
    label_file, payload = read_label_file(path)
    who = payload.labeler
    key_text = label_file.public_key.encoded()
    require_trusted(store, label_file, name, who.display_name)
    me = session.profile
    if me is not None and who.id == me.id:
        raise ValidationError(f"{name}: these are your own labels; nothing to import.")
    known = labelers.get(store, who.id)
    if known is not None and known.public_key and known.public_key != key_text:
        raise ValidationError(f"{name}: labeler {who.id} is known here with another key.")
    missing = sorted(set(payload.bundle_ids) - set(bundles.ids(store)))
    if missing:
        raise ValidationError(
            f"{name}: made on bundles this workspace does not have: {', '.join(missing)}."
        )
    entries = payload.labels
    ids = [entry.item_id for entry in entries]
    unknown = sorted(set(ids) - exchange.known_item_ids(store, ids))
    if unknown:
        raise ValidationError(
            f"{name}: labels for items this workspace does not have: {unknown[0]}."
        )
    rubric = session.rubric
    other = [e for e in entries if e.rubric_hash != rubric.content_hash]
    if other and not accept_rubric:
        first = other[0]
        raise ValidationError(
            f"{name}: {len(other)} labels were made under rubric {first.rubric_id} "
            f"version {first.rubric_version}, not this workspace's {rubric.id} version "
            f"{rubric.version}; import with --accept-rubric (the lead's confirmation) to take them."
        )
    previous = exchange.last_import(store, who.id)
    if previous is not None and previous[1] == label_file.sha256:
        return ImportOutcome(
            who.display_name, len(entries), Changes(), "already imported; nothing changed"
        )
    if previous is not None and previous[0] > payload.exported_at:
        raise ValidationError(
            f"{name}: older than the export of {who.display_name} already imported "
            f"({previous[0]}); nothing was changed."
        )
    new = [
        Label(
            item_id=e.item_id,
            labeler_id=who.id,
            rubric_id=e.rubric_id,
            rubric_version=e.rubric_version,
            rubric_hash=e.rubric_hash,
            answers=e.answers,
            started_at=e.started_at,
            saved_at=e.saved_at,
            seconds_spent=e.seconds_spent,
            side_order=e.side_order,
        )
        for e in entries
    ]
    profile = Profile(
        id=who.id, display_name=who.display_name, role=who.role, restricted_access=False,
        is_self=False, public_key=key_text, trusted=True,
    )  # fmt: skip

    def write(tx: WriteStore) -> None:
        labelers.upsert(tx, profile, utc_now())
        exchange.replace_labels(tx, who.id, new, payload.exported_at, label_file.sha256, utc_now())

    session.writer.run(write)
    note = "supersedes the earlier import" if previous else "first import from this labeler"
    return ImportOutcome(
        who.display_name, len(new), Changes(labels=frozenset(ids), all_items=True), note
    )
