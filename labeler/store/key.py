"""The key a workspace file opens with. Made by ``labeler.crypto.keys``; used here to open.

Rule for callers: a ``WorkspaceKey`` never goes into a log, a message or a file; its repr
shows only where it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field

SOURCE_KEYCHAIN = "keychain"
SOURCE_PASSPHRASE = "passphrase"


@dataclass(frozen=True)
class WorkspaceKey:
    """The raw SQLCipher key of one workspace file; ``source`` says where it came from."""

    raw: bytes = field(repr=False)
    salt: bytes = field(repr=False)
    source: str = SOURCE_KEYCHAIN

    def sqlcipher_literal(self) -> str:
        """The value for ``PRAGMA key`` / ``rekey``: raw key plus the file's salt, in hex."""
        return f"\"x'{self.raw.hex()}{self.salt.hex()}'\""
