"""Sealed bundles: the week's items signed by the triage member and encrypted to the team.

A sealed bundle (``crypto.sealed``, kind ``bundle``) has three parts:

* ``manifest`` — to every member: the bundle's manifest (as a plain bundle's, over all its
  items: open items first, then restricted ones) and the ids of the restricted items;
* ``items`` — to every member: the open items, one canonical JSON line each;
* ``restricted`` — only to the members with restricted access: the restricted items.

A laptop without restricted access never receives a restricted item's text: it keeps only
its id and kind (``withheld``). One with access checks the manifest's sha256 over both parts
put together, as for a plain bundle. Parts are decrypted as streams, line by line.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from labeler.clock import utc_now
from labeler.crypto import age_keys, roster, sealed, signing
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import canonical_bytes, strict_loads
from labeler.store.connection import Store
from labeler.triage.bundle_file import (
    ITEMS,
    MAX_ITEMS,
    MAX_MANIFEST_BYTES,
    MAX_UNCOMPRESSED_BYTES,
    BundleSource,
    parse_manifest,
)

KIND = "bundle"
MANIFEST_PART, ITEMS_PART, RESTRICTED_PART = "manifest", "items", "restricted"
SEALING_ROLES = ("triage", "lead")
MAX_INDEX_BYTES = MAX_MANIFEST_BYTES + 64 * MAX_ITEMS


@dataclass(frozen=True)
class SealTo:
    """Whom a bundle is sealed to, and who seals it."""

    key: signing.SigningKey
    everyone: list[str]
    restricted: list[str]
    roster_version: int


def seal_to_team(store: Store) -> SealTo:
    """The team of this workspace's roster; the sealer must be on it as triage or lead."""
    team = roster.current(store)
    if team is None:
        raise LabelerError(
            "A bundle is sealed to the team roster, and this workspace has none: run the build "
            "in the triage member's workspace once it has imported the lead's roster "
            "('labeler roster import'), or start a team ('labeler roster init')."
        )
    me = roster.me(store)
    if me is None or me.role not in SEALING_ROLES:
        raise LabelerError(
            "Only the team's triage member or lead builds bundles; the roster "
            f"v{team.version} gives you {'no place' if me is None else 'the role ' + me.role}."
        )
    restricted = team.recipients(restricted_only=True)
    return SealTo(signing.signing_key(store), team.recipients(), restricted, team.version)


def write_sealed_bundle(
    path: Path, manifest: dict[str, Any], items: list[dict[str, Any]], seal: SealTo
) -> dict[str, Any]:
    """Seal the bundle; returns the manifest completed with item_count and files."""
    open_items = [item for item in items if not item["restricted"]]
    closed = [item for item in items if item["restricted"]]
    if closed and not seal.restricted:
        raise LabelerError(
            f"{len(closed)} items are restricted, and no one on the roster has restricted "
            "access to receive them: the lead gives someone access ('labeler roster set NAME "
            "--restricted') first."
        )
    open_lines = [canonical_bytes(item) + b"\n" for item in open_items]
    closed_lines = [canonical_bytes(item) + b"\n" for item in closed]
    digest = hashlib.sha256()
    size = 0
    for line in (*open_lines, *closed_lines):
        digest.update(line)
        size += len(line)
    manifest = dict(manifest)
    manifest["item_count"] = len(items)
    manifest["files"] = {ITEMS: {"sha256": digest.hexdigest(), "size": size}}
    index = {"manifest": manifest, "restricted_ids": [item["id"] for item in closed]}
    parts = [
        sealed.Part(MANIFEST_PART, seal.everyone, [msgspec.json.encode(index)]),
        sealed.Part(ITEMS_PART, seal.everyone, open_lines),
    ]
    if closed:
        parts.append(sealed.Part(RESTRICTED_PART, seal.restricted, closed_lines))
    header = {"bundle_id": manifest["bundle_id"], "week": manifest["week"],
              "kind": manifest.get("kind", "week")}  # fmt: skip
    try:
        sealed.write_sealed(path, KIND, header, parts, seal.key, created_at=utc_now(),
                            roster_version=seal.roster_version)  # fmt: skip
    except LabelerError as err:
        raise ValidationError(str(err)) from None
    return manifest


class _PartLines:
    """The item lines of the parts this laptop reads, decrypted afresh as a stream on each
    call: memory is bounded by a few blocks of plaintext and the longest line, never by the
    bundle. Every read checks the caps, that the lines add up to ``expected``, the manifest's
    sha256 when it covers what is read, and that it read the same bytes as the first read (a
    file swapped between an import's check and its write is refused, not half-trusted).

    A sentence about the plaintext comes at the end of a read, after its lines: callers write
    nothing before a read has ended (the import checks in one read and writes in a second,
    inside its transaction)."""

    def __init__(self, file: sealed.SealedFile, identities: list[Any], parts: list[str],
                 expected: int, declared: dict[str, Any] | None) -> None:  # fmt: skip
        self.file, self.identities, self.parts = file, identities, parts
        self.expected = expected
        self.declared = declared  # the manifest's hash and size, when they cover these parts
        self._first: str | None = None

    def __call__(self) -> Iterator[bytes]:
        name = self.file.path.name
        digest = hashlib.sha256()
        size = count = 0
        tail = b""
        for block in decrypted_blocks(self.file, self.identities, self.parts):
            size += len(block)
            if size > MAX_UNCOMPRESSED_BYTES:
                raise ValidationError(f"{name}: the items expand beyond the cap.")
            digest.update(block)
            pieces = (tail + block).split(b"\n")
            tail = pieces.pop()
            count += len(pieces)
            if count > min(self.expected, MAX_ITEMS):
                raise self._miscount()
            yield from pieces
        if tail:
            raise ValidationError(f"{name}: the last item line is not ended.")
        if count != self.expected:
            raise self._miscount()
        if self.declared is not None and (digest.hexdigest(), size) != (
            self.declared["sha256"], self.declared["size"]
        ):  # fmt: skip
            raise ValidationError(f"{name}: the items do not match the sha256 in the manifest.")
        if self._first is None:
            self._first = digest.hexdigest()
        elif self._first != digest.hexdigest():
            raise ValidationError(
                f"{name}: the file changed while it was being imported; nothing was imported."
            )

    def _miscount(self) -> ValidationError:
        return ValidationError(
            f"{self.file.path.name}: the manifest says {self.expected} items "
            f"{'in all' if self.declared else 'for this laptop'}; the parts hold another number."
        )


_END = object()
BLOCK_BYTES = 1 << 20  # plaintext handed over a MB at a time: a few hundred hand-overs


def decrypted_blocks(
    file: sealed.SealedFile, identities: list[Any], parts: list[str]
) -> Iterator[bytes]:
    """The plaintext of ``parts``, one after the other, in blocks of about a MB.

    age (pyrage) decrypts by pushing plaintext into a sink; a thread runs it and hands blocks
    over a queue of four, so the caller pulls lines at its own pace with at most ~5 MB in
    flight. (Collecting a part's lines in a list was simpler and held the whole bundle.) A
    caller that stops early stops the decryption; an error in it is raised here."""
    handover: queue.Queue[Any] = queue.Queue(maxsize=4)
    stop = threading.Event()

    def put(value: Any) -> None:
        while not stop.is_set():
            try:
                handover.put(value, timeout=0.05)
                return
            except queue.Full:
                continue
        raise _Stopped

    pending: list[bytes] = []
    held = 0

    def sink(chunk: bytes) -> None:
        nonlocal held
        pending.append(chunk)
        held += len(chunk)
        if held >= BLOCK_BYTES:
            put(b"".join(pending))
            pending.clear()
            held = 0

    def run() -> None:
        try:
            for part in parts:
                file.decrypt(part, identities, sink)
            if pending:
                put(b"".join(pending))
            put(_END)
        except _Stopped:
            pass
        except BaseException as err:  # handed to the reader, which raises it
            with contextlib.suppress(_Stopped):
                put(err)

    worker = threading.Thread(target=run, name="bundle-decrypt", daemon=True)
    worker.start()
    try:
        while (value := handover.get()) is not _END:
            if isinstance(value, BaseException):
                raise value
            yield value
    finally:
        stop.set()
        worker.join()


class _Stopped(Exception):
    """The reader stopped early: the decryption ends where it is."""


def open_sealed_bundle(store: Store, path: Path) -> BundleSource:
    """Open a sealed bundle for this workspace: the sealer must be the team's triage member or
    lead; what this laptop may read is decrypted, the rest is withheld (ids only)."""
    team = roster.current(store)
    name = path.name
    file = sealed.open_sealed(path, KIND, "bundle")
    if team is None:
        raise ValidationError(
            f"{name}: a sealed bundle is checked against the team roster, and this workspace "
            "has none yet: import the lead's roster first ('labeler roster import')."
        )
    member = roster.signer(store, file.signer, file.seal.created_at, name)
    if member is None or member.role not in SEALING_ROLES:
        raise ValidationError(
            f"{name}: sealed by {member.display_name if member else 'someone'}, who is not the "
            "team's triage member or lead; nothing was imported."
        )
    identities = age_keys.identities(store)
    index = strict_loads(
        sealed.read_part(file, MANIFEST_PART, identities, MAX_INDEX_BYTES), f"{name}: manifest"
    )
    if not isinstance(index, dict) or set(index) != {"manifest", "restricted_ids"}:
        raise ValidationError(f"{name}: the sealed manifest is not a bundle index.")
    ids = index["restricted_ids"]
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        raise ValidationError(f"{name}: the sealed manifest's restricted ids are not ids.")
    manifest = parse_manifest(path, msgspec.json.encode(index["manifest"]))
    if file.header != {"bundle_id": manifest["bundle_id"], "week": manifest["week"],
                       "kind": manifest.get("kind", "week")}:  # fmt: skip
        raise ValidationError(f"{name}: the seal and the manifest name different bundles.")
    me = roster.me(store)
    reads_restricted = (
        bool(ids) and file.has_part(RESTRICTED_PART) and me is not None and me.restricted
    )
    if ids and not file.has_part(RESTRICTED_PART):
        raise ValidationError(f"{name}: the restricted items' part is missing.")
    parts = [ITEMS_PART, RESTRICTED_PART] if reads_restricted else [ITEMS_PART]
    for part in parts:  # said now, not at the first line: this laptop cannot read it at all
        file.check_readable(part, identities)
    for part in set(file.part_names) - {MANIFEST_PART, *parts}:
        file.check_part(part)  # not for this laptop, but no byte of the file goes unchecked
    expected = manifest["item_count"] - (0 if reads_restricted else len(ids))
    if not 0 <= expected <= MAX_ITEMS:
        raise ValidationError(
            f"{name}: the manifest says {manifest['item_count']} items; the parts hold another "
            "number."
        )
    declared = manifest["files"][ITEMS] if reads_restricted or not ids else None
    lines = _PartLines(file, identities, parts, expected, declared)
    withheld = () if reads_restricted else tuple(ids)
    read = tuple(ids) if reads_restricted else ()
    return BundleSource(path, manifest, file.sha256, lines, expected, withheld, member.id, read)
