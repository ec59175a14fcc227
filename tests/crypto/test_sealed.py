"""Sealed files: signed seal, age parts, every byte covered, the stock tools agree."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pyrage import x25519

from labeler.crypto import sealed
from labeler.crypto.signing import SigningKey
from labeler.errors import ValidationError

NOW = "2026-12-02T00:00:00+00:00"


def _key() -> SigningKey:
    return SigningKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())


@pytest.fixture
def people() -> tuple[x25519.Identity, x25519.Identity]:
    return x25519.Identity.generate(), x25519.Identity.generate()


def _write(
    path: Path, key: SigningKey, everyone: list[str], few: list[str], count: int = 5000
) -> Path:
    lines = [b'{"n": %d, "text": "card 4111 1111 1111 1111"}\n' % n for n in range(count)]
    sealed.write_sealed(
        path, "bundle", {"week": "2026-W48"},
        [sealed.Part("items", everyone, iter(lines)), sealed.Part("restricted", few, [b"secret"])],
        key, created_at=NOW, roster_version=3,
    )  # fmt: skip
    return path


def _collect(file: sealed.SealedFile, part: str, who: x25519.Identity) -> bytes:
    out = bytearray()
    file.decrypt(part, [who], out.extend)
    return bytes(out)


def test_round_trip_streams_and_keeps_restricted_to_its_readers(tmp_path: Path, people) -> None:
    ana, lee = people
    key = _key()
    path = _write(tmp_path / "w.lbundle", key, [str(ana.to_public()), str(lee.to_public())],
                  [str(lee.to_public())])  # fmt: skip
    raw = path.read_bytes()
    assert b"4111" not in raw and b"secret" not in raw  # nothing in clear
    opened = sealed.open_sealed(path, "bundle", "bundle")
    assert opened.signer == key.public
    assert opened.header == {"week": "2026-W48"} and opened.seal.roster_version == 3
    chunks: list[int] = []
    opened.decrypt("items", [ana], lambda c: chunks.append(len(c)))
    assert sum(chunks) == len(_collect(opened, "items", lee)) and len(chunks) > 1  # a stream
    assert _collect(opened, "restricted", lee) == b"secret"
    with pytest.raises(ValidationError, match="encrypted to no identity this laptop holds"):
        _collect(opened, "restricted", ana)


def test_every_byte_is_covered(tmp_path: Path, people) -> None:
    ana, _ = people
    path = _write(tmp_path / "w.lbundle", _key(), [str(ana.to_public())], [str(ana.to_public())],
                  count=3)  # fmt: skip
    raw = path.read_bytes()
    # Flip every byte of the file, each alone: opening or decrypting must refuse.
    for offset in range(len(raw)):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x01
        target = tmp_path / "d.lbundle"
        target.write_bytes(bytes(damaged))
        with pytest.raises(ValidationError):
            opened = sealed.open_sealed(target, "bundle", "bundle")
            _collect(opened, "items", ana)
            _collect(opened, "restricted", ana)


def test_a_reseal_by_another_key_is_another_signer(tmp_path: Path, people) -> None:
    ana, _ = people
    path = _write(tmp_path / "w.lbundle", _key(), [str(ana.to_public())], [str(ana.to_public())])
    forged = tmp_path / "f.lbundle"
    other = _key()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(forged, "w") as out:
        seal = source.read(sealed.SEAL)
        for name in source.namelist():
            if name != sealed.SIGNATURE:  # laid out as the writer does: only the signer differs
                out.writestr(sealed._info(name), source.read(name))
        from labeler.crypto import minisign

        out.writestr(sealed._info(sealed.SIGNATURE), minisign.sign(other, seal, sealed.SEAL))
    with pytest.raises(ValidationError, match="another key"):
        sealed.open_sealed(forged, "bundle", "bundle")


@pytest.mark.parametrize(
    "content, message",
    [(b"not a zip", "not a zip"), (None, "no signed seal")],
)
def test_plain_files_are_refused(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "x.lbundle"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("manifest.json", "{}")
            archive.writestr("items.jsonl", "")
    else:
        path.write_bytes(content)
    with pytest.raises(ValidationError, match=message):
        sealed.open_sealed(path, "bundle", "bundle")


def test_a_part_added_beside_the_seal_is_refused(tmp_path: Path, people) -> None:
    ana, _ = people
    path = _write(tmp_path / "w.lbundle", _key(), [str(ana.to_public())], [str(ana.to_public())])
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(sealed._info("extra.age"), b"x")
    with pytest.raises(ValidationError, match="unexpected member"):
        sealed.open_sealed(path, "bundle", "bundle")


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        assert not os.environ.get("CI"), f"{name} must be installed in CI (.ci/run does)"
        pytest.skip(f"{name} is not installed (apt-get install {name})")
    return found


def test_the_stock_age_and_minisign_open_it(tmp_path: Path, people) -> None:
    ana, lee = people
    key = _key()
    path = _write(tmp_path / "w.lbundle", key, [str(ana.to_public())], [str(lee.to_public())])
    age, minisign = _tool("age"), _tool("minisign")
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "x")
    (tmp_path / "signer.pub").write_text(key.public.minisign_file())
    (tmp_path / "ana.key").write_text(str(ana) + "\n")
    checked = subprocess.run(
        [minisign, "-V", "-p", str(tmp_path / "signer.pub"), "-m", "seal.json"],
        cwd=tmp_path / "x", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    opened = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "ana.key"), str(tmp_path / "x" / "items.age")],
        capture_output=True, check=False,
    )  # fmt: skip
    assert opened.returncode == 0, opened.stderr
    assert opened.stdout.count(b"\n") == 5000 and b"4111" in opened.stdout
    refused = subprocess.run(
        [age, "-d", "-i", str(tmp_path / "ana.key"), str(tmp_path / "x" / "restricted.age")],
        capture_output=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
