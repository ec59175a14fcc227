"""Faults of the machine, not of the program, as one sentence for the command line.

A full disk, a folder that vanished, a read-only file system, the database driver or the
keychain refusing: the core turns these into ``LabelerError`` where it expects them; this is
the net for the places it does not, so the user never sees a traceback for a full disk. A
programming error (``KeyError``, ``TypeError``, ...) is not caught here and keeps its traceback.
"""

from __future__ import annotations

import errno

_OS_SENTENCES = {
    errno.ENOSPC: "the disk is full: free some space and try again; nothing half-written was kept",
    errno.EDQUOT: "the disk quota is used up: free some space and try again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.ENOENT: "no such file or folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ELOOP: "it is a link (or a loop of links)",
    errno.EIO: "the disk reported an input/output error",
}


def fault_sentence(err: BaseException, workspace: str | None = None) -> str | None:
    """The sentence for an environmental fault, or None for anything else (a bug)."""
    if isinstance(err, OSError):
        what = _OS_SENTENCES.get(err.errno or 0, err.strerror or type(err).__name__)
        where = f"{err.filename}: " if err.filename else ""
        return f"{where}{what[0].upper()}{what[1:]}."
    module = type(err).__module__ or ""
    if module.startswith("sqlcipher3"):
        from pathlib import Path

        from labeler.store.errors import explain

        return str(explain(err, Path(workspace or "the workspace"), writing=True))
    if module.startswith("keyring"):
        return f"The OS keychain refused ({type(err).__name__}: {str(err)[:120]})."
    return None
