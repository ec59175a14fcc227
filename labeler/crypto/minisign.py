"""minisign signatures (prehashed Ed25519, "ED"): make them, and check them without minisign.

A ``.minisig`` file is four lines: an untrusted comment; base64 of "ED" + key id (8 bytes) +
Ed25519(BLAKE2b-512(file)); "trusted comment: ..."; base64 of Ed25519(signature + the trusted
comment's text). The public key is "Ed" + key id + the 32-byte key (``signing.PublicKey``).
So ``minisign -V -p lead.pub -m manifest.json`` accepts what we sign, and ``verify`` here needs
neither minisign, Qt nor a workspace.
"""

from __future__ import annotations

import base64
import hashlib
import time

from labeler.crypto.signing import PublicKey, SigningKey, verify
from labeler.errors import ValidationError

PREHASHED = b"ED"


def _prehash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=64).digest()


def sign(key: SigningKey, data: bytes, file_name: str, timestamp: int | None = None) -> str:
    """The text of a ``.minisig`` file for ``data``."""
    signature = key.sign(_prehash(data))
    moment = int(time.time()) if timestamp is None else timestamp
    trusted = f"timestamp:{moment}\tfile:{file_name}\thashed"
    global_signature = key.sign(signature + trusted.encode("utf-8"))
    blob = base64.b64encode(PREHASHED + key.key_id + signature).decode("ascii")
    return (
        f"{_untrusted_comment(key.public)}\n"
        f"{blob}\n"
        f"trusted comment: {trusted}\n"
        f"{base64.b64encode(global_signature).decode('ascii')}\n"
    )


def _untrusted_comment(public: PublicKey) -> str:
    return f"untrusted comment: signature from labeler key {public.key_id_hex}"


def check(public: PublicKey, data: bytes, signature_text: str, strict: bool = True) -> str:
    """Raise ``ValidationError`` unless the signature is good; return the trusted comment.

    minisign itself does not sign the untrusted comment line or the layout; ``strict`` also
    requires both to be exactly what ``sign`` writes, so that no byte of a pack can change
    unnoticed.
    """
    lines = signature_text.splitlines()
    if len(lines) < 4 or not lines[2].startswith("trusted comment: "):
        raise ValidationError("The signature file is not a minisign signature.")
    try:
        blob = base64.b64decode(lines[1], validate=True)
        global_signature = base64.b64decode(lines[3], validate=True)
    except ValueError:
        raise ValidationError("The signature file is damaged (bad base64).") from None
    if len(blob) != 74 or blob[:2] != PREHASHED:
        raise ValidationError("The signature is not a prehashed Ed25519 minisign signature.")
    if blob[2:10] != public.key_id:
        raise ValidationError("The signature was made with another key than the one given.")
    exact = "\n".join(lines[:4]) + "\n"
    if strict and (signature_text != exact or lines[0] != _untrusted_comment(public)):
        raise ValidationError("The signature file was changed (its layout or comment line).")
    signature = blob[10:]
    if not verify(public, _prehash(data), signature):
        raise ValidationError("The signature does not match: the signed file was changed.")
    trusted = lines[2][len("trusted comment: ") :]
    if not verify(public, signature + trusted.encode("utf-8"), global_signature):
        raise ValidationError("The signature's trusted comment was changed.")
    return trusted
