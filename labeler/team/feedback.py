"""Feedback to labelers: the lead's resolutions as a signed file, and where the lead
decided otherwise than a labeler — shown only for items that labeler has already labeled,
so nobody sees a final answer (or, through it, the other labeler's) before giving their own.

On a team (a roster) the lead writes one sealed file per labeler (``--for MEMBER``, kind
``resolutions``), encrypted to that labeler only and holding only the items they labeled;
a labeler's laptop accepts it only when a lead on the roster sealed it. Without a roster the
plain signed file (all resolutions) is written and read as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from labeler import sides
from labeler.clock import utc_now
from labeler.crypto import roster, signing, team_seal
from labeler.crypto.signed_files import read_signed, require_trusted, write_signed
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import convert
from labeler.labeling.session import LabelingSession
from labeler.store import exchange, resolutions
from labeler.store import labels as label_rows
from labeler.store.connection import WriteStore
from labeler.team.formats import ResolutionsPayload
from labeler.team.reconcile import canonical_answers, choice_answers

FORMAT = "labeler-resolutions"
FORMAT_VERSION = 1
SEALED_KIND = "resolutions"
PART = "resolutions"
WHAT = "resolutions file"


def _member(team: roster.Roster, reference: str | None) -> roster.Member:
    if reference is None:
        raise LabelerError(
            "On a team, resolutions go to one labeler at a time: name them with --for MEMBER."
        )
    found = [m for m in team.members if reference in (m.id, m.display_name)]
    if len(found) != 1:
        raise LabelerError(f"No one member on the roster is {reference[:80]!r}.")
    return found[0]


def export_resolutions(
    session: LabelingSession, target: Path, for_member: str | None = None
) -> int:
    """Write the resolutions; on a team, only ``for_member``'s items, sealed to them."""
    me = session.profile
    if me is None or me.role != "lead":
        raise LabelerError("Only a lead exports resolutions.")
    decided = resolutions.latest(session.store)
    team = roster.current(session.store)
    reader = None if team is None else _member(team, for_member)
    if reader is not None:
        theirs = {label.item_id for label in label_rows.for_labeler(session.store, reader.id)}
        decided = {k: r for k, r in decided.items() if r.item_id in theirs}
    payload: dict[str, Any] = {
        "lead": {"id": me.id, "display_name": me.display_name},
        "exported_at": utc_now(),
        "resolutions": [
            {"item_id": r.item_id, "answers": r.answers, "cause": r.cause, "clause": r.clause,
             "note": r.note, "resolved_by": r.resolved_by, "resolved_at": r.resolved_at}
            for r in sorted(decided.values(), key=lambda r: r.item_id)
        ],
    }  # fmt: skip
    if reader is None:
        write_signed(target, FORMAT, FORMAT_VERSION, payload, signing.signing_key(session.store))
        return len(decided)
    payload["for_member"] = reader.id
    header = {"exported_at": payload["exported_at"], "for_member": reader.id}
    team_seal.seal_json(
        session.store, target, SEALED_KIND, header, PART, payload, [reader.age_recipient]
    )
    return len(decided)


def _read(session: LabelingSession, path: Path) -> ResolutionsPayload:
    """The payload, once the file is known to be the lead's (and, sealed, for this laptop)."""
    store = session.store
    team_seal.plain_refused(store, path, WHAT)
    if roster.current(store) is None:
        signed = read_signed(path, FORMAT, FORMAT_VERSION, WHAT)
        payload = convert(signed.payload, ResolutionsPayload, path.name, "the payload")
        require_trusted(store, signed, path.name, payload.lead.display_name)
        return payload
    opened = team_seal.open_from_member(store, path, SEALED_KIND, WHAT, PART)
    if opened.member.role != "lead":
        raise ValidationError(
            f"{path.name}: sealed by {opened.member.display_name}, who is not a lead on the "
            "team roster; nothing was imported."
        )
    payload = convert(opened.payload, ResolutionsPayload, path.name, "the payload")
    mine = roster.me(store)
    if mine is None or payload.for_member != mine.id:
        raise ValidationError(f"{path.name}: the feedback is for another member of the team.")
    return payload


def import_resolutions(session: LabelingSession, path: Path) -> int:
    payload = _read(session, path)
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
