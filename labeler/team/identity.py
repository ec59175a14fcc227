"""Who signed a file: a labeler's id, name and role come from the key, never from the file.

With a team roster (``crypto.roster``) the source is the roster the lead signed: the member
whose key signed, with the roster's id, name and role; a key the roster does not name, or one
revoked before the file says it was signed, is refused. Without one (a workspace not yet on a
team) it is this workspace's record of trusted keys (``labeler keys trust KEY --name N``): the
name is the one the key was trusted under, the role is always ``labeler`` (the lead role is
never granted through a file), and the id follows from the key itself, so a key can speak for
one labeler only and no labeler can be spoken for by another key.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from labeler.crypto import roster
from labeler.crypto.signing import PublicKey
from labeler.errors import ValidationError
from labeler.store import exchange
from labeler.store.connection import Store

ROLE_LABELER = "labeler"
ID_PREFIX = "labeler-"


@dataclass(frozen=True)
class Identity:
    labeler_id: str
    display_name: str
    role: str


def key_labeler_id(public: PublicKey) -> str:
    """The labeler id a signing key gives: ``labeler-`` and 20 hex of its sha256."""
    return ID_PREFIX + hashlib.sha256(public.raw).hexdigest()[:20]


def signer_identity(
    store: Store, public: PublicKey, signed_at: str | None = None, where: str = "the file"
) -> Identity | None:
    """The identity this workspace gives the key, or None when it does not trust it.

    With a roster: the member's, or ``ValidationError`` (not on the team, or revoked by
    ``signed_at``). Without: a key that signed labels here before ids came from keys keeps the
    id it was first seen with (its labels stay one labeler's); any other key's id is
    ``key_labeler_id``.
    """
    member = roster.signer(store, public, signed_at, where)
    if member is not None:
        return Identity(member.id, member.display_name, member.role)
    key_text = public.encoded()
    name = exchange.trusted_name(store, key_text)
    if name is None:
        return None
    bound = exchange.labeler_id_of_key(store, key_text)
    return Identity(bound or key_labeler_id(public), name, ROLE_LABELER)


def same_name(a: str, b: str) -> bool:
    """Names compared as people read them: NFC, case and runs of white space ignored."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


def check_claim(
    where: str, identity: Identity, public: PublicKey, claimed_id: str, name: str, role: str
) -> None:
    """Refuse a file whose payload claims another labeler, name or role than its key's."""
    if role != ROLE_LABELER:
        raise ValidationError(
            f"{where}: the file claims the role {role!r}; a label file speaks for a labeler "
            "only, never for the lead."
        )
    if claimed_id not in (identity.labeler_id, key_labeler_id(public)):
        raise ValidationError(
            f"{where}: the file says it holds labeler {claimed_id[:100]!r}'s labels, but the "
            f"key that signed it is {identity.display_name}'s ({identity.labeler_id}); "
            "nothing was imported."
        )
    if not same_name(name, identity.display_name):
        raise ValidationError(
            f"{where}: the file names its labeler {name[:80]!r}, but the key that signed it is "
            f"trusted as {identity.display_name!r}; if that is the same person, trust the key "
            f'again with --name "{name[:80]}".'
        )
