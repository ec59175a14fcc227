"""Feedback to labelers: the lead's resolutions as a signed file, and where the lead
decided otherwise than a labeler — shown only for items that labeler has already labeled,
so nobody sees a final answer (or, through it, the other labeler's) before giving their own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from labeler import sides
from labeler.clock import utc_now
from labeler.crypto import signing
from labeler.crypto.signed_files import read_signed, require_trusted, write_signed
from labeler.errors import LabelerError
from labeler.jsonio import convert
from labeler.labeling.session import LabelingSession
from labeler.store import exchange, resolutions
from labeler.store.connection import WriteStore
from labeler.team.formats import ResolutionsPayload
from labeler.team.reconcile import canonical_answers, choice_answers

FORMAT = "labeler-resolutions"
FORMAT_VERSION = 1


def export_resolutions(session: LabelingSession, target: Path) -> int:
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError("Only a lead exports resolutions.")
    decided = resolutions.latest(session.store)
    payload = {
        "lead": {"id": me.id, "display_name": me.display_name},
        "exported_at": utc_now(),
        "resolutions": [
            {"item_id": r.item_id, "answers": r.answers, "cause": r.cause, "clause": r.clause,
             "note": r.note, "resolved_by": r.resolved_by, "resolved_at": r.resolved_at}
            for r in sorted(decided.values(), key=lambda r: r.item_id)
        ],
    }  # fmt: skip
    write_signed(target, FORMAT, FORMAT_VERSION, payload, signing.signing_key(session.store))
    return len(decided)


def import_resolutions(session: LabelingSession, path: Path) -> int:
    signed = read_signed(path, FORMAT, FORMAT_VERSION, "resolutions file")
    payload = convert(signed.payload, ResolutionsPayload, path.name, "the payload")
    require_trusted(session.store, signed, path.name, payload.lead.display_name)
    entries = [msgspec.structs.asdict(entry) for entry in payload.resolutions]
    known = exchange.known_item_ids(session.store, [e["item_id"] for e in entries])

    def write(tx: WriteStore) -> None:
        for entry in entries:
            if entry["item_id"] in known:
                resolutions.put_feedback(tx, entry)

    session.writer.run(write)
    return len(known)


def where_overruled(session: LabelingSession) -> list[dict[str, Any]]:
    """Where the lead's final answer differs from this labeler's, named as they saw the item.

    Answers are compared in the canonical frame (A = candidate 0), then both "yours" and
    "final" -- and a per-side question's name (safety_a / safety_b) -- are shown in this
    labeler's own side order: someone who saw the pair as BA and pressed A reads "you A".
    """
    me = session.profile
    if me is None:
        return []
    found = []
    for entry in resolutions.feedback(session.store):
        mine = session.label_of(entry.item_id)
        if mine is None:
            continue  # not labeled yet: the final answer stays hidden
        final = choice_answers(entry.answers, session.rubric)
        yours = choice_answers(canonical_answers(mine), session.rubric)
        order = mine.side_order
        for question, answer in sorted(final.items()):
            if yours.get(question) != answer:
                shown = next(iter(sides.to_shown({question: answer}, order)))
                found.append(
                    {"item_id": entry.item_id, "question": shown,
                     "yours": sides.shown_value(yours.get(question), order),
                     "final": sides.shown_value(answer, order),
                     "cause": entry.cause, "note": entry.note}
                )  # fmt: skip
    return found
