"""Signed JSON envelopes for files that travel between laptops (labels, resolutions).

``{"format", "format_version", "public_key", "payload", "signature"}``: ``payload`` is a JSON
text signed exactly as written (Ed25519), so no canonical form is needed to verify it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.crypto import signing
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import strict_loads
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
    """Write the signed file through a ``.partial`` copy: complete, or not there at all."""
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    document = {
        "format": kind,
        "format_version": version,
        "public_key": key.public.encoded(),
        "payload": text,
        "signature": base64.b64encode(key.sign(text.encode("utf-8"))).decode("ascii"),
    }
    partial = target.with_name(target.name + ".partial")
    try:
        partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
        partial.replace(target)
    except OSError as err:  # a full disk, a missing folder: say so, leave nothing behind
        partial.unlink(missing_ok=True)
        raise LabelerError(f"Cannot write {target}: {err.strerror or err}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _read_capped(path: Path, cap: int) -> bytes:
    """The file's bytes, its size checked first (a 4 GiB file is never read into memory)."""
    name = path.name
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise ValidationError(f"{name}: not a regular file.")
        if info.st_size > cap:
            raise ValidationError(f"{name}: larger than {cap} bytes.")
        with path.open("rb") as handle:
            raw = handle.read(cap + 1)
    except OSError as err:
        raise ValidationError(f"{name}: cannot be read ({err.strerror}).") from None
    if len(raw) > cap:  # it grew while we looked
        raise ValidationError(f"{name}: larger than {cap} bytes.")
    return raw


def read_signed(path: Path, kind: str, version: int, what: str) -> SignedFile:
    """Parse and verify; raises ``ValidationError`` naming the file and the problem.

    The envelope and the payload are parsed strictly (``jsonio.strict_loads``: no key twice,
    no NaN, no lone surrogate, no runaway nesting), the payload only once its signature holds.
    """
    name = path.name
    raw = _read_capped(path, MAX_FILE_BYTES)
    document = strict_loads(raw, f"{name}: not a {what}")
    if not isinstance(document, dict) or document.get("format") != kind:
        raise ValidationError(f"{name}: not a {what}.")
    found_version = document.get("format_version")
    if found_version != version or type(found_version) is not int:
        raise ValidationError(f"{name}: unknown {what} version {_shown(found_version)}.")
    if not document.get("signature"):
        raise ValidationError(f"{name}: the file is unsigned; ask for a signed export.")
    key_text = document.get("public_key")
    if not isinstance(key_text, str) or len(key_text) > 1000:
        raise ValidationError(f"{name}: the file names no signing key.")
    try:
        public = signing.parse_public_key(key_text)
    except ValidationError as err:
        raise ValidationError(f"{name}: {err}") from None
    text = document.get("payload")
    try:
        signature = base64.b64decode(str(document["signature"]), validate=True)
    except ValueError:
        signature = b""
    if not isinstance(text, str) or not signing.verify(public, text.encode("utf-8"), signature):
        raise ValidationError(
            f"{name}: the signature does not match: the file was changed or damaged."
        )
    payload = strict_loads(text, f"{name}: the payload")
    return SignedFile(public, payload, hashlib.sha256(raw).hexdigest())


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


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
