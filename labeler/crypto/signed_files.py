"""Signed JSON envelopes for files that travel between laptops (labels, resolutions).

``{"format", "format_version", "public_key", "payload", "signature"}``: ``payload`` is a JSON
text signed exactly as written (Ed25519), so no canonical form is needed to verify it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.crypto import signing
from labeler.errors import ValidationError
from labeler.store import exchange
from labeler.store.connection import Store

MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class SignedFile:
    public_key: signing.PublicKey
    payload: Any
    sha256: str


def write_signed(
    target: Path, kind: str, version: int, payload: Any, key: signing.SigningKey
) -> None:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    document = {
        "format": kind,
        "format_version": version,
        "public_key": key.public.encoded(),
        "payload": text,
        "signature": base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii"),
    }
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
    partial.replace(target)


def read_signed(path: Path, kind: str, version: int, what: str) -> SignedFile:
    """Parse and verify; raises ``ValidationError`` naming the file and the problem."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ValidationError(f"{name}: cannot be read ({err.strerror}).") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ValidationError(f"{name}: larger than {MAX_FILE_BYTES} bytes.")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValidationError(f"{name}: not a {what} (not UTF-8 JSON).") from None
    if not isinstance(document, dict) or document.get("format") != kind:
        raise ValidationError(f"{name}: not a {what}.")
    if document.get("format_version") != version:
        raise ValidationError(f"{name}: unknown {what} version {document.get('format_version')!r}.")
    if not document.get("signature"):
        raise ValidationError(f"{name}: the file is unsigned; ask for a signed export.")
    public = signing.parse_public_key(str(document.get("public_key", "")))
    text = document.get("payload")
    try:
        signature = base64.b64decode(str(document["signature"]), validate=True)
    except ValueError:
        signature = b""
    if not isinstance(text, str) or not signing.verify(public, text.encode("utf-8"), signature):
        raise ValidationError(
            f"{name}: the signature does not match: the file was changed or damaged."
        )
    return SignedFile(public, json.loads(text), hashlib.sha256(raw).hexdigest())


def require_trusted(store: Store, signed: SignedFile, name: str, who: str) -> str:
    """The trusted name of the signer; raises with the command that would trust the key."""
    key_text = signed.public_key.encoded()
    trusted_as = exchange.trusted_name(store, key_text)
    if trusted_as is None:
        raise ValidationError(
            f"{name}: signed by a key this workspace does not trust "
            f"({signed.public_key.fingerprint()}); if it is {who}'s, run "
            f"'labeler keys trust {key_text} --name \"{who}\"'."
        )
    return trusted_as
