"""Hostile packs through ``labeler pack verify``: a link in place of a pack file is never
followed (even to a copy that would pass), signed manifests of the wrong shape are one
sentence, and so is a public-key file that is not UTF-8; exit 2 each time."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labeler.crypto import minisign
from labeler.crypto.signing import SigningKey, signing_key
from labeler.demo.build import open_or_build_demo
from labeler.packs.export import PackOptions, export_pack
from tests.hostile import refused, run

KEY = SigningKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real eval pack and the lead's public key file."""
    import keyring

    from labeler.crypto import keys
    from tests.conftest import MEMORY_KEYRING, MemoryKeyring

    root = tmp_path_factory.mktemp("packs")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "PROTECTING_BACKENDS", keys.PROTECTING_BACKENDS | {MEMORY_KEYRING})
        keyring.set_keyring(MemoryKeyring())
        with open_or_build_demo(root / "lead.lbw", role="lead") as ws:
            export_pack(ws.session, PackOptions("eval"), root / "real")
            public = root / "lead.pub"
            public.write_text(signing_key(ws.store).public.minisign_file())
    return root / "real", public


def copy(pack: tuple[Path, Path], target: Path) -> Path:
    shutil.copytree(pack[0], target, symlinks=True)
    return target


def verify(folder: Path, public: Path, message: str) -> None:
    refused(None, ["pack", "verify", str(folder), "--pubkey", str(public)], message)


def test_the_real_pack_verifies(pack: tuple[Path, Path]) -> None:
    result = run("pack", "verify", str(pack[0]), "--pubkey", str(pack[1]))
    assert result.exit_code == 0 and result.output.startswith("OK: eval pack")


@pytest.mark.parametrize("name", ["labels.jsonl", "manifest.json", "manifest.json.minisig"])
def test_a_link_in_place_of_a_pack_file_is_never_followed(
    pack: tuple[Path, Path], tmp_path: Path, name: str
) -> None:
    """The link points at an identical, valid copy: following it would pass."""
    folder = copy(pack, tmp_path / "linked")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.move(folder / name, elsewhere / name)
    (folder / name).symlink_to(elsewhere / name)
    verify(folder, pack[1], rf"linked: {re.escape(name)} is a link; a pack holds only")


def test_a_dangling_link_and_a_folder_in_a_pack_are_refused(
    pack: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = copy(pack, tmp_path / "dangling")
    (folder / "README.md").unlink()
    (folder / "README.md").symlink_to(tmp_path / "nowhere")
    verify(folder, pack[1], r"README\.md is a link")
    other = copy(pack, tmp_path / "nested")
    (other / "extra").mkdir()
    verify(other, pack[1], r"nested: extra is not a regular file\.$")


def _signed(folder: Path, manifest_bytes: bytes) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_bytes(manifest_bytes)
    (folder / "manifest.json.minisig").write_text(
        minisign.sign(KEY, manifest_bytes, "manifest.json")
    )
    public = folder.parent / f"{folder.name}.pub"
    public.write_text(KEY.public.minisign_file())
    return public


def _good_manifest(pack: tuple[Path, Path]) -> dict[str, Any]:
    return json.loads((pack[0] / "manifest.json").read_text())


SHAPES: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "a list": (lambda m: [m], r"manifest\.json: the manifest must be a JSON object, not a list"),
    "counts missing": (lambda m: m.pop("counts"), r"field 'counts' is missing\.$"),
    "rows missing": (lambda m: m["counts"].pop("rows"), r"field 'rows' of 'counts' is missing"),
    "files an object": (
        lambda m: m.update(files={"a": 1}),
        r"field 'files' must be a list, not an object",
    ),
    "a file entry a string": (
        lambda m: m.update(files=["labels.jsonl"]),
        r"entry 0 of 'files' must be an object, not a string",
    ),
    "rubric a string": (lambda m: m.update(rubric="default"), r"field 'rubric' must be an object"),
    "a negative size": (
        lambda m: m["files"][0].update(size=-1),
        r"field 'size' of 'files\[0\]' must be a whole number >= 0",
    ),
    "a file name with a slash": (
        lambda m: m["files"][0].update(name="../labels.jsonl"),
        r"field 'name' of 'files\[0\]' must be a string matching",
    ),
    "a huge pack id": (
        lambda m: m.update(pack_id="p" * 10_000),
        r"field 'pack_id' must be a string of at most 200 characters",
    ),
    "agreement alpha a string": (
        lambda m: m["agreement"][next(iter(m["agreement"]))].update(alpha="high"),
        r"must be a number or null, not a string",
    ),
}


@pytest.mark.parametrize("case", sorted(SHAPES))
def test_a_signed_manifest_of_the_wrong_shape_is_one_sentence(
    pack: tuple[Path, Path], tmp_path: Path, case: str
) -> None:
    edit, message = SHAPES[case]
    manifest = _good_manifest(pack)
    result = edit(manifest)
    document = result if isinstance(result, list) else manifest
    folder = tmp_path / "shape"
    public = _signed(folder, json.dumps(document).encode())
    verify(folder, public, message)


@pytest.mark.parametrize(
    ("splice", "message"),
    [
        (', "kind": "training"', r"has the key 'kind' twice in one object"),
        (', "x": NaN', r"holds NaN, which is not a JSON number"),
        (', "x": "\\udc00"', r"holds a lone UTF-16 surrogate"),
        (', "x": ' + "[" * 50_000 + "]" * 50_000, r"nested too deeply"),
    ],
)
def test_signed_json_readers_disagree_on_is_refused(
    pack: tuple[Path, Path], tmp_path: Path, splice: str, message: str
) -> None:
    text = json.dumps(_good_manifest(pack))
    folder = tmp_path / "json"
    public = _signed(folder, (text[:-1] + splice + "}").encode())
    verify(folder, public, r"manifest\.json: " + message)


def test_public_key_files_that_are_not_keys(pack: tuple[Path, Path], tmp_path: Path) -> None:
    latin = tmp_path / "latin1.pub"
    latin.write_bytes("untrusted comment: clé\nRWQ\xe9\n".encode("latin-1"))
    verify(pack[0], latin, r"latin1\.pub: not a minisign public key \(not UTF-8 text\)\.$")
    binary = tmp_path / "random.pub"
    binary.write_bytes(secrets.token_bytes(64) + b"\xff")
    verify(pack[0], binary, r"random\.pub: not a minisign public key \(not UTF-8 text\)\.$")
    junk = tmp_path / "junk.pub"
    junk.write_text("hello\n")
    verify(pack[0], junk, r"junk\.pub: Not a minisign public key \(bad base64\)\.$")
    big = tmp_path / "big.pub"
    big.write_bytes(b"A" * 10_000)
    verify(pack[0], big, r"big\.pub is larger than 4096 bytes\.$")
    verify(pack[0], tmp_path, r"is not a regular file\.$")


def test_a_signature_that_is_not_text_and_a_pack_that_is_a_file(
    pack: tuple[Path, Path], tmp_path: Path
) -> None:
    folder = copy(pack, tmp_path / "sig")
    (folder / "manifest.json.minisig").write_bytes(b"\xff\xfe\x00garbage")
    verify(folder, pack[1], r"The signature file is not a minisign signature\.$")
    verify(folder / "labels.jsonl", pack[1], r"labels\.jsonl is not a pack folder\.$")
    verify(tmp_path / "missing", pack[1], r"missing is not a pack folder\.$")
