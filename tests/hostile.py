"""The one assertion every hostile-input and fault test makes: through the real CLI, the
command exits 2 with one sentence on stderr, and no byte of the workspace changed (the file
and its WAL, hashed before and after; the writer had nothing to commit)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

from click.testing import CliRunner, Result

from labeler.cli import cli


def fingerprint(workspace: Path) -> dict[str, str | None]:
    """sha256 of the workspace file and of its WAL (None where absent)."""
    found: dict[str, str | None] = {}
    for suffix in ("", "-wal"):
        path = workspace.with_name(workspace.name + suffix)
        found[suffix or "file"] = (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        )
    return found


def run(*args: str, env: Mapping[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=dict(env or {}), catch_exceptions=True)


def refused(
    workspace: Path | None, args: list[str], message: str, env: Mapping[str, str] | None = None
) -> str:
    """Run ``labeler --workspace WORKSPACE ARGS``; assert exit 2, one sentence matching
    ``message`` (a regex), no traceback, and the workspace byte for byte as it was.
    ``workspace`` None: a command that needs none (``pack verify``)."""
    before = fingerprint(workspace) if workspace is not None else None
    prefix = ["--workspace", str(workspace)] if workspace is not None else []
    result = run(*prefix, *args, env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        result.exception,
        result.output,
    )
    assert result.exit_code == 2, result.output
    error = result.stderr
    assert error.startswith("Error: "), error
    assert error.count("\n") == 1, error  # one sentence: no traceback, no usage block
    assert "Traceback" not in result.output
    assert re.search(message, error), error
    if workspace is not None:
        assert fingerprint(workspace) == before, "the workspace changed"
    return error
