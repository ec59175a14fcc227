"""Rotating this laptop's signing key (and, with ``age``, its age identity), crash-safe.

The order is the workspace-key rotation's (``keys.rotation_key``/``settle_keychain``): the new
secrets are parked in the keychain's '-pending' entries first, then one transaction makes the
workspace name them (and, on a lead's laptop, keeps the handover roster the old key signed),
and only then does the keychain's current entry change. A crash anywhere leaves a workspace
that signs: before the transaction with the old key, after it with the parked one, which the
next load promotes. The old public key stays recorded (``signing.own_public_keys``), and the
old age identity stays usable for files sealed to it before the roster named the new one.
"""

from __future__ import annotations

from dataclasses import dataclass

from labeler.crypto import age_keys, keys, signing
from labeler.crypto import roster as team
from labeler.errors import LabelerError
from labeler.store.connection import Store, WriteStore
from labeler.store.writer import Writer


@dataclass(frozen=True)
class Rotated:
    old: signing.PublicKey | None  # None: the old key was not recorded and is out of reach
    new: signing.PublicKey
    age_rotated: bool
    roster: team.Roster | None  # a lead's handover roster, for the team; None for a member


def rotate_signing(store: Store, writer: Writer, *, age: bool = False) -> Rotated:
    """Make a new key pair (and identity) for this workspace; see the module docstring.

    Works when the old private key is gone from the keychain too (then only a member can
    rotate: a lead's handover must be signed by the old key the team trusts).
    """
    old = _old_public(store)
    try:
        old_key: signing.SigningKey | None = signing.signing_key(store)
    except LabelerError:
        old_key = None
    new = signing.new_key()
    identity = age_keys.new_identity() if age else None
    recipient = str(identity.to_public()) if identity is not None else None
    handover = None
    if old_key is not None:
        handover = team.handover(store, old_key, new.public.encoded(), recipient)
    elif _was_lead(store, old):
        raise LabelerError(
            "Your old signing key is out of reach, and as the team's lead only it can hand the "
            "roster over to a new key: restore the keychain or open a --portable backup first."
        )
    signing.park(store, new)
    if identity is not None:
        age_keys.park(store, identity)

    def switch(tx: WriteStore) -> None:
        signing.switch(tx, new, old)
        if identity is not None:
            age_keys.switch(tx, store, identity)
        if handover is not None:
            handover[1](tx)

    try:
        writer.run(switch)
    except BaseException:
        signing.abandon(store)
        if identity is not None:
            age_keys.abandon(store)
        raise
    if store.key.source == keys.SOURCE_KEYCHAIN:
        signing.settle(store.key.salt, new.private.private_bytes_raw().hex())
        if identity is not None:
            age_keys.settle(store.key.salt, identity)
    return Rotated(old, new.public, identity is not None, handover[0] if handover else None)


def _old_public(store: Store) -> signing.PublicKey | None:
    try:
        return signing.public_key(store)
    except LabelerError:
        return None


def _was_lead(store: Store, old: signing.PublicKey | None) -> bool:
    here = team.current(store)
    if here is None or old is None:
        return False
    member = here.by_key(old.encoded())
    return member is not None and member.role == "lead"
