"""How a benchmark runs the CLI or the app as its own process: as a user's install runs it."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child_env(passphrase: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked process: the workspace key from a passphrase (no
    keychain here), and compiled bytecode cached as an installed package has it (this
    machine sets PYTHONDONTWRITEBYTECODE, which made every process compile the ~170 modules
    it imports again: 0.09 s of each command, a cost no user's install pays)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), LABELER_PASSPHRASE=passphrase, **extra)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"  # the passphrase, always
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
