"""Sealed files: signed by their author, their contents encrypted with age to their readers.

A sealed file is a zip (stored, not compressed: age output does not compress) of

* ``seal.json`` — what the file is (``kind``), who sealed it (``signer``, a minisign public
  key), when, under which roster version, a small public ``header``, and each part's
  recipients, ciphertext size and sha256;
* ``seal.json.minisig`` — the signer's minisign signature of ``seal.json``;
* ``<part>.age`` — each part, encrypted with age (pyrage) to the part's recipients.

So the stock tools open one by hand: ``unzip -p F seal.json.minisig`` and ``minisign -V``
check the seal, ``unzip -p F items.age | age -d -i me.key`` decrypts a part. Every byte is
covered: the seal by its signature, each part by the sha256 the signed seal names (and age's
own authentication). Reading checks the seal first and then decrypts a part as a stream into
the caller's sink, so memory is bounded by what the sink keeps, never by the file; the part's
hash and size are checked at its end, and the caller writes nothing until every part it needs
has ended well.
"""

from __future__ import annotations

import hashlib
import io
import stat
import struct
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import msgspec

from labeler.crypto import minisign
from labeler.crypto.signing import PublicKey, SigningKey, parse_public_key
from labeler.errors import LabelerError, ValidationError
from labeler.jsonio import strict_loads

FORMAT = "labeler-sealed"
FORMAT_VERSION = 1
SEAL = "seal.json"
SIGNATURE = "seal.json.minisig"
PART_SUFFIX = ".age"
MAX_SEAL_BYTES = 4 * 1024 * 1024
MAX_PART_BYTES = 2**31 - 2  # below the zip64 limit: every header stays the plain one
MAX_PARTS = 8
MAX_RECIPIENTS = 256
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class PartEntry(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    recipients: list[str]
    size: int
    sha256: str


class Seal(msgspec.Struct, forbid_unknown_fields=True):
    format: str
    format_version: int
    kind: str
    created_at: str
    signer: str
    roster_version: int | None
    header: dict[str, Any]
    parts: list[PartEntry]


@dataclass
class Part:
    """A part to write: its name, its readers' age recipients, and its plaintext chunks."""

    name: str
    recipients: list[str]
    chunks: Iterable[bytes]


@dataclass(frozen=True)
class SealedFile:
    """An opened sealed file whose seal checked out; parts are decrypted on request."""

    path: Path
    seal: Seal
    signer: PublicKey
    sha256: str  # of the whole file, as it came
    _parts: dict[str, PartEntry] = field(repr=False)

    @property
    def header(self) -> dict[str, Any]:
        return self.seal.header

    @property
    def part_names(self) -> list[str]:
        return list(self._parts)

    def has_part(self, name: str) -> bool:
        return name in self._parts

    def recipients(self, name: str) -> list[str]:
        return list(self._parts[name].recipients)

    def check_readable(self, name: str, identities: list[Any]) -> None:
        """Raise ``ValidationError`` unless one of ``identities`` is among the part's readers."""
        mine = {str(identity.to_public()) for identity in identities}
        if not mine.intersection(self._parts[name].recipients):
            raise ValidationError(
                f"{self.path.name}: {name}{PART_SUFFIX} is encrypted to no identity this "
                "laptop holds; it is for other members of the team."
            )

    def check_part(self, name: str) -> None:
        """Check a part this laptop will not decrypt against the signed seal (its size and
        the sha256 of its ciphertext), so that no byte of the file goes unchecked."""
        entry = self._parts[name]
        where = f"{self.path.name}: {name}{PART_SUFFIX}"
        try:
            with _open_zip(self.path) as (_, archive), archive.open(name + PART_SUFFIX) as member:
                reader = _HashingReader(member, entry.size, where)
                while reader.read(1 << 20):
                    pass
        except (OSError, EOFError, zipfile.BadZipFile):  # a CRC that no longer holds
            raise ValidationError(f"{where} was changed or damaged.") from None
        if reader.count != entry.size or reader.digest() != entry.sha256:
            raise ValidationError(
                f"{self.path.name}: {name}{PART_SUFFIX} does not match its sha256 in the signed "
                "seal: the file was changed or damaged."
            )

    def decrypt(self, name: str, identities: list[Any], sink: Callable[[bytes], None]) -> None:
        """Stream part ``name`` through age into ``sink`` (chunks of plaintext); raises
        ``ValidationError`` if no identity opens it, or the part was changed."""
        entry = self._parts[name]
        where = f"{self.path.name}: {name}{PART_SUFFIX}"
        self.check_readable(name, identities)
        import pyrage

        try:
            reader = self._decrypt(name, identities, sink)
        except LabelerError:  # the sink's own sentence (a bad item), or ours
            raise
        except pyrage.DecryptError:
            raise ValidationError(
                f"{where} was changed or damaged: age cannot authenticate it with this laptop's "
                "identity, which the seal names among its readers."
            ) from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, RuntimeError):
            raise ValidationError(
                f"{where} was changed or damaged (age authentication failed)."
            ) from None
        if reader.count != entry.size or reader.digest() != entry.sha256:
            raise ValidationError(f"{where} does not match its sha256 in the signed seal.")

    def _decrypt(
        self, name: str, identities: list[Any], sink: Callable[[bytes], None]
    ) -> _HashingReader:
        import pyrage

        entry = self._parts[name]
        with _open_zip(self.path) as (_, archive), archive.open(name + PART_SUFFIX) as member:
            reader = _HashingReader(member, entry.size, f"{self.path.name}: {name}{PART_SUFFIX}")
            pyrage.decrypt_io(reader, _Sink(sink), identities)
            if reader.read(1):
                raise ValidationError(
                    f"{self.path.name}: {name}{PART_SUFFIX} has bytes after its end."
                )
        return reader


class _Sink(io.RawIOBase):
    """What pyrage writes plaintext into: each chunk goes to the caller's function."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._sink(chunk)
        return len(chunk)


class _HashingReader(io.RawIOBase):
    """Reads a zip member, counting and hashing the ciphertext, refusing more than declared."""

    def __init__(self, member: IO[bytes], declared: int, where: str) -> None:
        self._member = member
        self._where = where
        self._hash = hashlib.sha256()
        self._declared = declared
        self.count = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._member.read(1 << 16 if size is None or size < 0 else size)
        self.count += len(data)
        if self.count > self._declared:
            raise ValidationError(f"{self._where} is longer than its signed seal says.")
        self._hash.update(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def digest(self) -> str:
        return self._hash.hexdigest()


class _HashingWriter(io.RawIOBase):
    def __init__(self, target: IO[bytes]) -> None:
        self._target = target
        self._hash = hashlib.sha256()
        self.count = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._target.write(chunk)
        self._hash.update(chunk)
        self.count += len(chunk)
        return len(chunk)

    def digest(self) -> str:
        return self._hash.hexdigest()


class _ChunkReader(io.RawIOBase):
    """A reader over an iterable of chunks (what pyrage encrypts from)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        want = 1 << 16 if size is None or size < 0 else size
        while len(self._pending) < want:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._pending += chunk
        data, self._pending = self._pending[:want], self._pending[want:]
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def write_sealed(
    target: Path,
    kind: str,
    header: dict[str, Any],
    parts: list[Part],
    key: SigningKey,
    *,
    created_at: str,
    roster_version: int | None,
) -> str:
    """Seal ``parts`` into ``target`` through a ``.partial`` file; returns the file's sha256.

    Plaintext exists only in memory, chunk by chunk: nothing is written in clear.
    """
    import pyrage

    from labeler.crypto.age_keys import parse_recipient

    if len(parts) > MAX_PARTS:
        raise LabelerError(f"a sealed file holds at most {MAX_PARTS} parts.")
    partial = target.with_name(target.name + ".partial")
    entries = []
    try:
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_STORED) as archive:
            for part in parts:
                if not part.recipients:
                    raise LabelerError(f"the part {part.name!r} has no reader to seal it to.")
                recipients = [parse_recipient(text) for text in part.recipients]
                info = _info(part.name + PART_SUFFIX)
                with archive.open(info, "w") as member:
                    out = _HashingWriter(member)
                    pyrage.encrypt_io(_ChunkReader(part.chunks), out, recipients)
                entries.append(
                    PartEntry(part.name, sorted(set(part.recipients)), out.count, out.digest())
                )
            seal = Seal(FORMAT, FORMAT_VERSION, kind, created_at, key.public.encoded(),
                        roster_version, header, entries)  # fmt: skip
            seal_bytes = msgspec.json.format(msgspec.json.encode(seal), indent=1)
            archive.writestr(_info(SEAL), seal_bytes)
            archive.writestr(_info(SIGNATURE), minisign.sign(key, seal_bytes, SEAL))
        with partial.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        partial.replace(target)
    except OSError as err:  # a full disk, a missing folder: nothing half-written is left
        partial.unlink(missing_ok=True)
        raise LabelerError(f"Cannot write {target}: {err.strerror or err}.") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return digest


def _info(name: str) -> zipfile.ZipInfo:
    """A member as we write it: every header field fixed, so the layout is canonical."""
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.create_system = 3  # as on Unix, wherever it is written
    return info


# The zip record layouts (APPNOTE 4.3.12 and 4.3.16), as zipfile itself packs them.
_CENTRAL = "<4s4B4HL2L5H2L"
_CENTRAL_MAGIC = b"PK\001\002"
_END = "<4s4H2LH"
_END_MAGIC = b"PK\005\006"
_DOS_DATE = (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
_DOS_TIME = ZIP_DATE[3] << 11 | ZIP_DATE[4] << 5 | ZIP_DATE[5] // 2


def _check_layout(name: str, handle: io.BufferedReader, infos: list[zipfile.ZipInfo]) -> None:
    """The zip must be laid out byte for byte as ``write_sealed`` lays it out.

    The seal's signature covers the seal and its hashes cover the parts, but not the zip's
    own headers; checking them against the canonical ones leaves no byte of the file that
    can change unnoticed (the members' CRCs are checked as they are read).
    """
    offset = 0
    central = bytearray()
    for info in sorted(infos, key=lambda i: i.header_offset):
        ref = _info(info.filename)
        ref.CRC, ref.compress_size, ref.file_size = info.CRC, info.compress_size, info.file_size
        header = ref.FileHeader(zip64=False)
        handle.seek(offset)
        if info.header_offset != offset or handle.read(len(header)) != header:
            raise ValidationError(f"{name}: the zip's headers were changed.")
        encoded = info.filename.encode("ascii")
        central += struct.pack(
            _CENTRAL, _CENTRAL_MAGIC, ref.create_version,
            ref.create_system, ref.extract_version, 0, 0, zipfile.ZIP_STORED, _DOS_TIME,
            _DOS_DATE, info.CRC, info.compress_size, info.file_size, len(encoded), 0, 0, 0, 0,
            ref.external_attr, offset,
        ) + encoded  # fmt: skip
        offset += len(header) + info.compress_size
    count = len(infos)
    end = struct.pack(_END, _END_MAGIC, 0, 0, count, count,
                      len(central), offset, 0)  # fmt: skip
    handle.seek(offset)
    if handle.read(len(central) + len(end) + 1) != bytes(central) + end:
        raise ValidationError(f"{name}: the zip's directory was changed.")


class _open_zip:
    """The file and its zip, for a with-block; a non-zip is a sentence."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> tuple[io.BufferedReader, zipfile.ZipFile]:
        try:
            self.handle = self.path.open("rb")
        except OSError as err:
            raise ValidationError(f"{self.path.name}: cannot be read ({err.strerror}).") from None
        try:
            self.archive = zipfile.ZipFile(self.handle)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            self.handle.close()
            raise ValidationError(
                f"{self.path.name}: not a sealed Labeler file (not a zip)."
            ) from None
        return self.handle, self.archive

    def __exit__(self, *exc: object) -> None:
        self.archive.close()
        self.handle.close()


def is_sealed(path: Path) -> bool:
    """Whether ``path`` looks like a sealed file (a zip holding a seal); never raises, and
    never opens what is not a regular file (a FIFO would block the open)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            return False
        with zipfile.ZipFile(path) as archive:
            return SEAL in archive.namelist()
    except (OSError, zipfile.BadZipFile, ValueError, EOFError):
        return False


def open_sealed(path: Path, kind: str, what: str) -> SealedFile:
    """Check the zip, the seal and its signature; raises ``ValidationError`` naming the file.

    Who signed is returned, not judged: the caller checks the signer against the roster.
    """
    name = path.name
    try:
        info = path.stat()
    except OSError as err:
        raise ValidationError(f"{name}: cannot be read ({err.strerror}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValidationError(f"{name}: not a {what} (not a regular file).")
    with _open_zip(path) as (handle, archive):
        members = {i.filename: i for i in archive.infolist()}
        if len(members) != len(archive.infolist()):
            raise ValidationError(f"{name}: the zip has duplicate member names.")
        if SEAL not in members or SIGNATURE not in members:
            raise ValidationError(
                f"{name}: not a sealed {what} (no signed seal); a {what} from this Labeler is "
                "always signed and encrypted."
            )
        if not all(n.isascii() for n in members):
            raise ValidationError(f"{name}: a member name is not ASCII.")
        _check_layout(name, handle, archive.infolist())
        if members[SEAL].file_size > MAX_SEAL_BYTES or members[SIGNATURE].file_size > 4096:
            raise ValidationError(f"{name}: the seal is larger than a seal can be.")
        try:
            seal_bytes = archive.read(SEAL)
            signature = archive.read(SIGNATURE).decode("utf-8")
        except (zipfile.BadZipFile, OSError, UnicodeDecodeError, ValueError, EOFError):
            raise ValidationError(f"{name}: the seal is damaged.") from None
        seal = _parse_seal(name, seal_bytes, kind, what)
        try:
            signer = parse_public_key(seal.signer)
        except ValidationError as err:
            raise ValidationError(f"{name}: the seal names no signing key ({err})") from None
        try:
            minisign.check(signer, seal_bytes, signature)
        except ValidationError as err:
            raise ValidationError(f"{name}: {err} Nothing was imported.") from None
        parts = _check_parts(name, seal, members)
        handle.seek(0)
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return SealedFile(path, seal, signer, digest, parts)


def _parse_seal(name: str, data: bytes, kind: str, what: str) -> Seal:
    document = strict_loads(data, f"{name}: seal.json")
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValidationError(f"{name}: not a sealed Labeler file.")
    if document.get("format_version") != FORMAT_VERSION:
        raise ValidationError(f"{name}: unknown sealed-file version.")
    if document.get("kind") != kind:
        raise ValidationError(f"{name}: a sealed {str(document.get('kind'))[:40]}, not a {what}.")
    try:
        return msgspec.convert(document, Seal)
    except msgspec.ValidationError as err:
        raise ValidationError(f"{name}: seal.json: {err}.") from None


def _check_parts(
    name: str, seal: Seal, members: dict[str, zipfile.ZipInfo]
) -> dict[str, PartEntry]:
    parts: dict[str, PartEntry] = {}
    if len(seal.parts) > MAX_PARTS:
        raise ValidationError(f"{name}: more than {MAX_PARTS} parts.")
    for entry in seal.parts:
        if entry.name in parts or not entry.name.isidentifier():
            raise ValidationError(f"{name}: the seal names a bad or repeated part.")
        if not entry.recipients or len(entry.recipients) > MAX_RECIPIENTS:
            raise ValidationError(f"{name}: part {entry.name!r} names no or too many readers.")
        member = members.get(entry.name + PART_SUFFIX)
        if member is None:
            raise ValidationError(f"{name}: the part {entry.name}{PART_SUFFIX} is missing.")
        if member.file_size != entry.size or entry.size > MAX_PART_BYTES:
            raise ValidationError(
                f"{name}: {entry.name}{PART_SUFFIX} is not the size its signed seal says."
            )
        parts[entry.name] = entry
    expected = {SEAL, SIGNATURE} | {p + PART_SUFFIX for p in parts}
    extra = sorted(set(members) - expected)
    if extra:
        raise ValidationError(f"{name}: unexpected member {extra[0][:80]!r} beside the seal.")
    return parts


def read_part(sealed: SealedFile, name: str, identities: list[Any], cap: int) -> bytes:
    """A whole (small) part in memory, at most ``cap`` bytes of plaintext."""
    out = bytearray()

    def keep(chunk: bytes) -> None:
        out.extend(chunk)
        if len(out) > cap:
            raise ValidationError(f"{sealed.path.name}: {name} is larger than {cap} bytes.")

    sealed.decrypt(name, identities, keep)
    return bytes(out)
