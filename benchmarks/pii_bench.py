"""PII detector on 1 MB of adversarial text (issue: weekly bundles): the worst of several
inputs built to make regular expressions backtrack."""

from __future__ import annotations

import time

from labeler.triage.pii import detect

ADVERSARIAL = [
    "a" * 1_000_000,
    "1" * 1_000_000,
    "1 " * 500_000,
    "a@" * 500_000,
    "1." * 500_000,
    ":" * 1_000_000,
    "a:" * 500_000,
    "-----BEGIN RSA PRIVATE KEY-----" * 32_000,
    "password=" * 110_000,
    "GB82 " * 200_000,
    "eyJaaaaaaaaa." * 77_000,
    "+1 415-555-0132 " * 62_000,
    # Beyond ASCII: folded full-width digits and no-break separators, letters of any script
    # in addresses, lower-case IBAN candidates.
    "\uff14" * 1_000_000,
    "1\u00a0" * 500_000,
    "\u00e9@" * 500_000,
    "\u0436." * 500_000,
    "gb82 " * 200_000,
    "0044 " * 200_000,
]


def pii_adversarial(scale: float) -> dict:
    worst, name = 0.0, ""
    for text in ADVERSARIAL:
        sample = text[: int(len(text) * scale)] if scale < 1 else text
        started = time.perf_counter()
        detect(sample)
        seconds = (time.perf_counter() - started) / scale
        if seconds > worst:
            worst, name = seconds, repr(text[:12])
    return {"name": "pii_1mb_adversarial_s", "value": worst, "unit": "s", "budget": 1.0,
            "note": f"worst of {len(ADVERSARIAL)} adversarial 1 MB texts ({name}...)"}  # fmt: skip


BENCHMARKS = [pii_adversarial]
