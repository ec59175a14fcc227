"""Small sealed files between roster members: one JSON part, signed by its author, encrypted
to the members it is for (label files, resolutions feedback, deletion notices).

Built on ``crypto.sealed`` and ``crypto.roster``; rule for callers: ``open_from_member``
checks the seal, that the signer is on this laptop's roster (and not revoked when the file
says it was sealed), and decrypts the part with this laptop's identity, all before the
caller looks at the payload; the caller then checks the member's role and the payload, and
writes nothing until every check has passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.clock import utc_now
from labeler.crypto import age_keys, roster, sealed, signing
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import strict_loads
from labeler.store.connection import Store

MAX_PAYLOAD_BYTES = 256 * 1024 * 1024  # as crypto.signed_files caps a plain signed file


@dataclass(frozen=True)
class Opened:
    """A sealed file whose seal, signer and part checked out."""

    file: sealed.SealedFile
    member: roster.Member
    payload: Any  # the part's JSON, parsed strictly


def seal_json(
    store: Store,
    target: Path,
    kind: str,
    header: dict[str, Any],
    part: str,
    payload: Any,
    recipients: list[str],
) -> str:
    """Write ``payload`` (JSON) as the one part of a sealed file signed by this laptop's key;
    returns the file's sha256. The JSON is made in memory only: nothing goes to disk in clear.
    """
    current = roster.current(store)
    if current is None:
        raise LabelerError("This workspace has no team roster: nothing to seal the file to.")
    if not recipients:
        raise LabelerError("Nobody on the team roster can read this file.")
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return sealed.write_sealed(
        target, kind, header, [sealed.Part(part, sorted(set(recipients)), [text])],
        signing.signing_key(store), created_at=utc_now(), roster_version=current.version,
    )  # fmt: skip


def open_from_member(store: Store, path: Path, kind: str, what: str, part: str) -> Opened:
    """Open a sealed ``kind`` file from a member of this laptop's roster; raises
    ``ValidationError`` (one sentence naming the file) for anything else."""
    name = path.name
    if roster.current(store) is None:
        raise ValidationError(
            f"{name}: a sealed {what}, but this workspace has no team roster to check who "
            "sealed it; import the roster first ('labeler roster import'); nothing was imported."
        )
    file = sealed.open_sealed(path, kind, what)
    if not file.has_part(part) or len(file.seal.parts) != 1:
        raise ValidationError(
            f"{name}: a {what} holds exactly one part, {part}{sealed.PART_SUFFIX}."
        )
    member = roster.signer(store, file.signer, file.seal.created_at, name)
    assert member is not None  # the laptop has a roster (checked above)
    data = sealed.read_part(file, part, age_keys.identities(store), MAX_PAYLOAD_BYTES)
    return Opened(file, member, strict_loads(data, f"{name}: {part}{sealed.PART_SUFFIX}"))


def plain_refused(store: Store, path: Path, what: str) -> None:
    """With a roster, a file that is not sealed is refused: everything that travels between
    members is signed and encrypted."""
    if roster.current(store) is not None and not sealed.is_sealed(path):
        raise ValidationError(
            f"{path.name}: not a sealed {what}; on a team (this workspace has a roster) a "
            f"{what} travels signed and encrypted; ask for a new export; nothing was imported."
        )
