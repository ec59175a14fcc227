"""Subject references: the customer a piece of feedback is about, for deletion requests.

A reference is normalised the same way wherever it is read (capture, purge, notices), so
" cust-42\\n" and "cust-42" name the same customer; only a pseudonym (a namespaced sha256) is
kept beside the items.
"""

from __future__ import annotations

import hashlib
import unicodedata

SUBJECT_NAMESPACE = "labeler-subject-v1:"


def normalise_subject(reference: str | None) -> str | None:
    """NFC, surrounding white space removed; None for an empty reference."""
    if reference is None:
        return None
    text = unicodedata.normalize("NFC", reference).strip()
    return text or None


def subject_hash(reference: str | None) -> str | None:
    """A stable pseudonym of the (normalised) customer reference."""
    subject = normalise_subject(reference)
    if subject is None:
        return None
    return hashlib.sha256((SUBJECT_NAMESPACE + subject).encode("utf-8")).hexdigest()


def pack_pseudonym(salt: str, digest: str) -> str:
    """A subject hash as a workspace's packs carry it: salted per workspace, so the same
    customer is the same value in its packs and nothing outside (docs/formats/pack.md)."""
    return hashlib.sha256((salt + digest).encode()).hexdigest()
