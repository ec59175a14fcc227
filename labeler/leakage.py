"""Leakage guard: is a training item's input the same as, or nearly the same as, that of a
holdout item?

Measure: the input is normalised (Unicode NFKC, lower case, punctuation removed, whitespace
collapsed); equal normalised texts are exact duplicates. Near duplicates are found on the
set of character 5-gram shingles of the normalised text: Jaccard similarity >= 0.8, estimated
with a 128-permutation MinHash and looked up through LSH (32 bands of 4 rows: a pair at
Jaccard 0.8 is a candidate with probability > 0.9999), then confirmed on the MinHash estimate.
Texts shorter than a shingle are compared exactly only.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zlib
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

SHINGLE = 5
PERMUTATIONS = 128
BANDS, ROWS = 32, 4
THRESHOLD = 0.8
_PRIME = (1 << 61) - 1
_rng = np.random.default_rng(20261126)  # fixed: signatures must be comparable forever
_A = _rng.integers(1, _PRIME, PERMUTATIONS, dtype=np.uint64)
_B = _rng.integers(0, _PRIME, PERMUTATIONS, dtype=np.uint64)
_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _PUNCT.sub("", text)).strip()


def exact_key(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def minhash(text: str) -> np.ndarray:
    """128 uint64 minimum hashes of the normalised text's 5-gram shingles."""
    norm = normalise(text)
    if len(norm) < SHINGLE:
        return np.full(PERMUTATIONS, np.iinfo(np.uint64).max, dtype=np.uint64)
    shingles = {norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}
    values = np.fromiter(
        (zlib.crc32(s.encode("utf-8")) for s in shingles), dtype=np.uint64, count=len(shingles)
    )
    # (a * x + b) mod p per permutation; x < 2^32 and a < 2^61 overflow uint64, so the
    # product wraps: still a fixed, well-mixed function of x per permutation, which is all
    # MinHash needs (it only compares minima of the same functions).
    hashed = (values[None, :] * _A[:, None] + _B[:, None]) % _PRIME
    return hashed.min(axis=1)


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    return float(np.mean(first == second))


@dataclass
class HoldoutIndex:
    exact: set[str] = field(default_factory=set)
    signatures: list[np.ndarray] = field(default_factory=list)
    buckets: dict[tuple[int, bytes], list[int]] = field(default_factory=lambda: defaultdict(list))

    def add(self, exact: str, signature: np.ndarray) -> None:
        self.exact.add(exact)
        if signature[0] == np.iinfo(np.uint64).max:
            return
        index = len(self.signatures)
        self.signatures.append(signature)
        for band in range(BANDS):
            self.buckets[(band, signature[band * ROWS : (band + 1) * ROWS].tobytes())].append(index)

    def leaks(self, text: str) -> bool:
        if exact_key(text) in self.exact:
            return True
        signature = minhash(text)
        if signature[0] == np.iinfo(np.uint64).max:
            return False
        candidates: set[int] = set()
        for band in range(BANDS):
            candidates.update(
                self.buckets.get((band, signature[band * ROWS : (band + 1) * ROWS].tobytes()), ())
            )
        return any(similarity(signature, self.signatures[i]) >= THRESHOLD for i in candidates)
