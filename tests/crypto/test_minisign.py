"""minisign signatures: ours check out with the real tool and its check out with ours, and a
changed trusted comment is refused by both (the comment is signed: it names the file and
the time, and must not be rewritten)."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from labeler.crypto import minisign
from labeler.crypto.signing import SigningKey, parse_public_key
from labeler.errors import ValidationError

DATA = b'{"pack_id": "eval-0123", "rows": 3}\n'


def tool() -> str:
    found = shutil.which("minisign")
    if found is None:
        assert not os.environ.get("CI"), "minisign must be installed in CI (.ci/run does)"
        pytest.skip("minisign is not installed (apt-get install minisign)")
    return found


def minisign_accepts(folder: Path, signature: str) -> bool:
    (folder / "manifest.json.minisig").write_text(signature)
    done = subprocess.run(
        [tool(), "-V", "-p", "lead.pub", "-m", "manifest.json"],
        cwd=folder,
        capture_output=True,
    )
    return done.returncode == 0


def with_comment(signature: str, comment: str) -> str:
    lines = signature.splitlines(keepends=True)
    lines[2] = f"trusted comment: {comment}\n"
    return "".join(lines)


@pytest.fixture
def key() -> SigningKey:
    return SigningKey(secrets.token_bytes(8), Ed25519PrivateKey.generate())


def test_an_altered_trusted_comment_is_refused_by_us_and_by_minisign(
    tmp_path: Path, key: SigningKey
) -> None:
    (tmp_path / "manifest.json").write_bytes(DATA)
    (tmp_path / "lead.pub").write_text(key.public.minisign_file())
    signature = minisign.sign(key, DATA, "manifest.json", timestamp=1_764_000_000)
    assert minisign.check(key.public, DATA, signature).startswith("timestamp:1764000000\t")
    assert minisign_accepts(tmp_path, signature)
    for comment in (
        "timestamp:1864000000\tfile:manifest.json\thashed",  # a later date
        "timestamp:1764000000\tfile:other.json\thashed",  # another file's name
        "timestamp:1764000000\tfile:manifest.json\thashed ",  # one byte added
    ):
        altered = with_comment(signature, comment)
        for strict in (True, False):
            with pytest.raises(ValidationError, match="trusted comment was changed"):
                minisign.check(key.public, DATA, altered, strict=strict)
        assert not minisign_accepts(tmp_path, altered), comment


def test_the_real_tools_signature_checks_out_here(tmp_path: Path) -> None:
    """Signed by minisign itself (its own key, its own comment line): we accept it when not
    strict, and refuse it, as minisign does, once its trusted comment is changed."""
    run = tool()
    subprocess.run(
        [run, "-G", "-W", "-p", "lead.pub", "-s", "lead.key", "-f"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    (tmp_path / "manifest.json").write_bytes(DATA)
    subprocess.run(
        [run, "-S", "-s", "lead.key", "-m", "manifest.json", "-t", "file:manifest.json"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    public = parse_public_key((tmp_path / "lead.pub").read_text())
    signature = (tmp_path / "manifest.json.minisig").read_text()
    assert minisign.check(public, DATA, signature, strict=False) == "file:manifest.json"
    with pytest.raises(ValidationError, match="layout or comment line"):
        minisign.check(public, DATA, signature)  # strict: only our own comment line
    altered = with_comment(signature, "file:manifest.json (approved)")
    with pytest.raises(ValidationError, match="trusted comment was changed"):
        minisign.check(public, DATA, altered, strict=False)
    assert not minisign_accepts(tmp_path, altered)
    assert minisign_accepts(tmp_path, signature)
