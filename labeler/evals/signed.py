"""Documents signed with the workspace key: a verdict (gate or rollout) or a judgments file as
canonical JSON bytes and a minisign signature of them (the same format packs use), so that
``minisign -V -p lead.pub -m verdict.json`` checks one written out, and ``read_signed``
checks one read back against the keys a workspace trusts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from labeler.crypto import minisign
from labeler.crypto.signing import PublicKey, SigningKey
from labeler.errors import ValidationError

SUFFIX = ".minisig"


def sign(key: SigningKey, data: bytes, file_name: str) -> str:
    """The text of the ``.minisig`` file for ``data`` (written as ``file_name``)."""
    return minisign.sign(key, data, file_name)


def write_with_signature(target: Path, data: bytes, signature: str) -> Path:
    """Write ``target`` and ``target.minisig`` beside it; return the signature's path."""
    target.write_bytes(data)
    signature_path = target.with_name(target.name + SUFFIX)
    signature_path.write_text(signature, encoding="utf-8")
    return signature_path


def signer_of(data: bytes, signature: str, keys: Sequence[PublicKey], name: str) -> PublicKey:
    """The key among ``keys`` that signed ``data``; a ``ValidationError`` naming ``name``
    when none did, or the signature is damaged or was made for other bytes."""
    problems = []
    for key in keys:
        try:
            minisign.check(key, data, signature)
        except ValidationError as err:
            problems.append(str(err))
            continue
        return key
    if not keys:
        raise ValidationError(f"{name}: no key to check its signature against.")
    other_key = "The signature was made with another key than the one given."
    if all(p == other_key for p in problems):
        raise ValidationError(f"{name}: signed by a key that is not trusted here.")
    found = next(p for p in problems if p != other_key)
    raise ValidationError(f"{name}: {found[0].lower()}{found[1:]}")


def read_signature(path: Path) -> str:
    """The ``.minisig`` beside ``path``; refused when it is missing."""
    signature_path = path.with_name(path.name + SUFFIX)
    if not signature_path.is_file():
        raise ValidationError(
            f"{path.name} is unsigned ({signature_path.name} is missing); ask for the signed "
            "export, or sign it with the exporter's key."
        )
    return signature_path.read_text(encoding="utf-8", errors="replace")
