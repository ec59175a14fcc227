"""Leakage guard: does a text equal, or nearly equal, one of an index of held-out texts?

Measure: a text is normalised (Unicode NFKC, lower case, punctuation removed, whitespace
collapsed); equal normalised texts are exact duplicates. Near duplicates are judged on the
set of character 5-gram shingles of the normalised text: Jaccard similarity >= 0.8,
estimated with a 128-bin one-permutation MinHash (densified) and found through LSH (32 bands
of 4 bins; a candidate shares at least 2 bands, so a pair at Jaccard 0.8 becomes one with
probability > 0.999999), then confirmed on the signature estimate.

Every text field takes part (``comparable_texts``): the input, the output, the edited
output, each retry's output and each side-by-side candidate, compared across fields (a
training item's output that copies a holdout item's edited output leaks it as surely as a
copied input). Near-duplicate is symmetric, so one index of the holdout side answers both
directions: training texts against the holdout, and holdout texts against what was trained on.

Speed: texts are hashed a few thousand at a time (``CHUNK``: the working arrays stay in
cache) in a few numpy passes. Before the per-band binary searches (the costly part), a
bitmap of every indexed band key keeps only the texts with at least ``MIN_BANDS`` band keys
found in it; an unrelated text has none, so only near duplicates and a few false positives
are looked up and confirmed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SHINGLE = 5
BINS = 128
BANDS, ROWS = 32, 4
THRESHOLD = 0.8
# A candidate shares at least two bands: at Jaccard 0.8 that misses one pair in a million,
# and it keeps texts that share only a common phrase (one band) out of the slow check.
MIN_BANDS = 2
# Fields other than the input are compared only from this many normalised characters: a
# short output ("Done.", "Yes, that works") is the same across unrelated items, and flagging
# it would drop good training rows without protecting anything.
MIN_FIELD_CHARS = 20
EMPTY = np.iinfo(np.uint32).max  # a bin no shingle fell into (signatures are uint32)
_EMPTY_BAND = np.iinfo(np.uint64).max
_PUNCT = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")
_ASCII_PUNCT = str.maketrans("", "", "!\"#$%&'()*+,-./:;<=>?@[\\]^`{|}~")


def normalise(text: str) -> str:
    if text.isascii():  # the common case, without the regex and NFKC passes
        return " ".join(text.lower().translate(_ASCII_PUNCT).split())
    text = unicodedata.normalize("NFKC", text).lower()
    return _SPACE.sub(" ", _PUNCT.sub("", text)).strip()


def _digest(norm: str) -> str:
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


def exact_key(text: str) -> str:
    return _digest(normalise(text))


def _steps(value: Any) -> list[Any]:
    """A retry path or candidate pair, as stored (a list) or as packs write it (JSON text)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return value if isinstance(value, list) else []


def comparable_texts(
    input: str | None,
    output: str | None = None,
    edited_output: str | None = None,
    retries: Any = None,
    candidates: Any = None,
) -> list[tuple[str, str]]:
    """(field, text) of every text an item holds that the guard compares.

    Retry *changes* are left out: they are the user's short instructions ("Asked for a
    shorter answer"), repeated across unrelated items, not content a model could learn the
    answer from; the retry outputs are compared."""
    found: list[tuple[str, Any]] = [("input", input)] if input else []
    found += [("output", output), ("edited_output", edited_output)]
    for number, step in enumerate(_steps(retries)):
        if isinstance(step, dict):
            found.append((f"retries[{number}].output", step.get("output")))
    for number, candidate in enumerate(_steps(candidates)):
        if isinstance(candidate, dict):
            found.append((f"candidates[{number}].output", candidate.get("output")))
    return [
        (name, text)
        for name, text in found
        if isinstance(text, str) and text and (name == "input" or _long_enough(text))
    ]


def _long_enough(text: str) -> bool:
    # Normalising shortens a text only by its punctuation and spaces: a text four times the
    # bar is long enough without paying for it.
    return len(text) >= 4 * MIN_FIELD_CHARS or len(normalise(text)) >= MIN_FIELD_CHARS


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser (uint32 wraps), in place: spreads the window hashes."""
    values ^= values >> np.uint32(16)
    np.multiply(values, np.uint32(0x85EBCA6B), out=values)
    values ^= values >> np.uint32(13)
    np.multiply(values, np.uint32(0xC2B2AE35), out=values)
    values ^= values >> np.uint32(16)
    return values


def codes_of(norms: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(code points of the concatenated texts, each text's length) for ``raw_bins``."""
    lengths = np.fromiter(map(len, norms), dtype=np.int64, count=len(norms))
    return np.frombuffer("".join(norms).encode("utf-32-le"), dtype=np.uint32), lengths


def window_hashes(codes: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hash, owning text) of every 5-character window; a window that crosses from one text
    into the next is owned by ``len(lengths)``, a spare row callers drop."""
    count = len(codes) - SHINGLE + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int32)
    hashed = codes[:count].copy()  # a polynomial hash of the window; wraps mod 2^32
    for offset in range(1, SHINGLE):
        np.multiply(hashed, np.uint32(1_000_003), out=hashed)
        np.add(hashed, codes[offset : offset + count], out=hashed)
    mixed = _fmix32(hashed)
    rows = len(lengths)
    owner = np.repeat(np.arange(rows, dtype=np.int32), lengths)[:count]
    ends = np.cumsum(lengths)
    for back in range(1, SHINGLE):  # windows starting in a text's last 4 characters
        crossing = ends - back
        owner[crossing[(crossing >= 0) & (crossing < count)]] = rows
    return mixed, owner


def raw_bins(codes: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """One-permutation MinHash before densification: a row of 128 uint32 bins per text, each
    the least (hash >> 7) of the windows whose low 7 bits name that bin; ``EMPTY`` where none
    fell. ``(value << 7) | bin`` is the window's whole hash."""
    mixed, owner = window_hashes(codes, lengths)
    rows = len(lengths)
    result = np.full((rows + 1, BINS), EMPTY, dtype=np.uint32)
    if len(mixed):
        key = (mixed & np.uint32(BINS - 1)).astype(np.int32)
        key += owner * np.int32(BINS)
        # minimum.at, not a sort: 0.04 s against 2.4 s for lexsort on 20M shingles here.
        np.minimum.at(result.reshape(-1), key, mixed >> np.uint32(7))
    return result[:rows]


def signatures(texts: Sequence[str], *, normalised: bool = False) -> np.ndarray:
    """One-permutation MinHash: a row of 128 uint32 bins per text (``EMPTY`` where unfilled).

    All texts are hashed in one pass over their concatenation; windows that would cross from
    one text into the next go to a spare row that is dropped.
    """
    norms = list(texts) if normalised else [normalise(text) for text in texts]
    if len(norms) <= CHUNK:
        return densify(raw_bins(*codes_of(norms)))
    parts = [norms[start : start + CHUNK] for start in range(0, len(norms), CHUNK)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # numpy frees the GIL
        return np.concatenate(list(pool.map(lambda p: densify(raw_bins(*codes_of(p))), parts)))


def densify(sig: np.ndarray) -> np.ndarray:
    """Fill each empty bin from the next filled bin to its right (circularly), offset by the
    distance (rotation densification, Shrivastava 2017). Without it, bins empty in two short
    texts compare equal and bands collide on common phrases: a third of unrelated inputs
    became candidates in testing. (int16 positions and a flat gather: 2x the int64 version.)"""
    rows, bins = sig.shape
    filled = sig != EMPTY
    columns = np.arange(bins, dtype=np.int16)
    position = np.where(filled, columns, np.int16(2 * bins))
    following = np.minimum.accumulate(position[:, ::-1], axis=1)[:, ::-1]
    first = position.min(axis=1, keepdims=True)
    following = np.where(following >= 2 * bins, first + np.int16(bins), following)
    distance = (following - columns).astype(np.uint32)
    flat = (np.arange(rows, dtype=np.int64) * bins)[:, None] + (following & np.int16(bins - 1))
    source = np.take(sig.reshape(-1), flat)
    source += distance * np.uint32(0x9E3779B1)
    dense = np.where(filled, sig, source)
    dense[~filled.any(axis=1)] = EMPTY  # no shingle at all: nothing to compare
    return dense


def minhash(text: str) -> np.ndarray:
    return signatures([text])[0]


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal bins (0 for a text without shingles)."""
    if first[0] == EMPTY and (first == EMPTY).all():
        return 0.0
    return float(np.mean(first == second))


def _band_keys(sigs: np.ndarray) -> np.ndarray:
    """One uint64 per band of four bins; a text without shingles matches nothing."""
    bands = sigs.reshape(len(sigs), BANDS, ROWS).astype(np.uint64)
    keys = (bands[:, :, 0] << np.uint64(32)) | bands[:, :, 1]
    keys = keys * np.uint64(0x9E3779B97F4A7C15)
    keys ^= (bands[:, :, 2] << np.uint64(32)) | bands[:, :, 3]
    keys[(bands == EMPTY).all(axis=2)] = _EMPTY_BAND
    return keys


@dataclass(frozen=True)
class Match:
    """Query text ``row`` equals (``exact``) or nearly equals an indexed text."""

    row: int
    owner: str  # what the indexed text belongs to, e.g. a holdout item id
    field: str  # which of its texts: input, output, retries[0].output, ...
    similarity: float  # estimated Jaccard; 1.0 for an exact copy
    exact: bool


class _BitSet:
    """Membership of uint64 keys in a power-of-two bitmap of at least 64 bits a key (false
    positives only send a text on to the exact lookup)."""

    def __init__(self, keys: np.ndarray) -> None:
        bits = max(1 << 16, 1 << (64 * max(len(keys), 1) - 1).bit_length())
        self.mask = np.uint64(min(bits, 1 << 34) - 1)
        self.bytes = np.zeros((int(self.mask) + 1) // 8, dtype=np.uint8)
        slots = keys & self.mask
        bit = np.left_shift(np.uint8(1), (slots & np.uint64(7)).astype(np.uint8))
        np.bitwise_or.at(self.bytes, (slots >> np.uint64(3)).astype(np.int64), bit)

    def contains(self, keys: np.ndarray) -> np.ndarray:
        slots = keys & self.mask
        found = self.bytes[(slots >> np.uint64(3)).astype(np.int64)]
        return (found >> (slots & np.uint64(7)).astype(np.uint8)) & np.uint8(1) == 1


@dataclass(frozen=True)
class _Frozen:
    sigs: np.ndarray
    # Per band: the distinct keys (sorted), where each one's entries start in ``entries``
    # (one more start at the end), and the entries in key order: one binary search a key.
    keys: list[np.ndarray]
    starts: list[np.ndarray]
    entries: list[np.ndarray]
    bands: _BitSet  # every entry's band keys (mixed with the band number)


# Rows hashed together: ~4k texts keep the working arrays in cache (8x faster than 100k here).
CHUNK = 4096
# Candidates joined with the index together: their (text, entry) pairs, sorted, stay in cache.
NEAR_ROWS = 1024
_BAND_SALT = (np.arange(BANDS, dtype=np.uint64) + np.uint64(1)) * np.uint64(0xD6E8FEB86659FD93)


def _salted(keys: np.ndarray) -> np.ndarray:
    """Band keys made distinct per band and mixed (splitmix64's finaliser), for one bitmap
    over all bands: a key's low bits come from two of its four bins only, and bins often
    hold the same common shingle, so unmixed keys crowded a few slots (90% false hits)."""
    z = keys ^ _BAND_SALT
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@dataclass
class HoldoutIndex:
    """Held-out texts (or their kept fingerprints) that queries are compared against.

    Equal texts (after normalising) are kept once, with every (owner, field) that holds them:
    a holdout where 10,000 items share one answer is one text to search, not 10,000, and a
    training row copying it is one hit (expanded to owners only as far as the caller asks).
    """

    _digests: dict[str, int] = field(default_factory=dict)  # exact key -> distinct text
    _owners: list[list[tuple[str, str]]] = field(default_factory=list)  # per distinct text
    _sigs: list[np.ndarray] = field(default_factory=list)
    _entries: int = 0
    _frozen: _Frozen | None = None

    @property
    def exact(self) -> set[str]:
        return set(self._digests)

    def __len__(self) -> int:
        return self._entries

    def add(self, exact: str, signature: np.ndarray, owner: str = "", field: str = "input") -> None:
        """One entry from its exact key and signature (a purged text's kept fingerprint)."""
        self._entries += 1
        text = self._digests.get(exact)
        if text is not None:  # the same normalised text: the same signature
            self._owners[text].append((owner, field))
            return
        self._digests[exact] = len(self._sigs)
        self._owners.append([(owner, field)])
        self._sigs.append(np.asarray(signature, dtype=np.uint32))
        self._frozen = None

    def add_texts(self, entries: Sequence[tuple[str, str, str]]) -> None:
        """Index (owner, field, text) entries, hashed as one batch; empty texts are skipped."""
        norms = normalise_many([text for _, _, text in entries])
        kept = [(owner, name, norm) for (owner, name, _), norm in zip(entries, norms, strict=True)]
        kept = [entry for entry in kept if entry[2]]
        norms = [norm for _, _, norm in kept]
        for (owner, name, norm), sig in zip(kept, signatures(norms, normalised=True), strict=True):
            self.add(_digest(norm), sig, owner, name)

    def freeze(self) -> None:
        """Build the lookup structures now (queries from several threads then only read)."""
        self._index()

    def _index(self) -> _Frozen:
        if self._frozen is None:
            sigs = np.stack(self._sigs) if self._sigs else np.zeros((0, BINS), np.uint32)
            keys = _band_keys(sigs)
            found: tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]] = ([], [], [])
            for band in range(BANDS):
                order = np.argsort(keys[:, band], kind="stable")
                distinct, first = np.unique(keys[order, band], return_index=True)
                found[0].append(distinct)
                found[1].append(np.append(first, len(order)))
                found[2].append(order)
            present = keys != _EMPTY_BAND
            self._frozen = _Frozen(sigs, *found, _BitSet(_salted(keys)[present]))
        return self._frozen

    def leaking(self, texts: Sequence[str]) -> list[bool]:
        """For each text: equal to, or a near duplicate of, some indexed text."""
        found = [False] * len(texts)
        for match in self.matches(texts, per_row=1):
            found[match.row] = True
        return found

    def matches(
        self,
        texts: Sequence[str],
        *,
        normalised: bool = False,
        per_row: int | None = None,
        once: bool = False,
    ) -> list[Match]:
        """The (query text, indexed text) pairs that are exact or near duplicates: at most
        ``per_row`` owners a query text (None: all), and with ``once`` each indexed owner
        only for the first query text that matched it (who is contaminated, not how often)."""
        if not self._sigs or not texts:
            return []
        self.freeze()  # before the threads: they only read
        chunks = [texts[start : start + CHUNK] for start in range(0, len(texts), CHUNK)]

        def hits_of(part: Sequence[str]) -> list[tuple[int, int, float, bool]]:
            if normalised:
                return self._hits(*codes_of(part), part.__getitem__)
            return self._hits(*arrow_codes(_arrow_strings(part)))

        found: list[Match] = []
        seen: set[int] | None = set() if once else None
        # Arrow's and numpy's kernels release the GIL: chunks hashed on every core at once.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for number, hits in enumerate(pool.map(hits_of, chunks)):
                for match in self._expand(hits, per_row, seen):
                    found.append(dataclasses.replace(match, row=match.row + number * CHUNK))
        return found

    def matches_of_codes(
        self,
        codes: np.ndarray,
        lengths: np.ndarray,
        norm_of: Callable[[int], str],
        per_row: int | None = None,
    ) -> list[Match]:
        """``matches`` for normalised texts given as code points and lengths (``codes_of``);
        ``norm_of(row)`` gives a row's normalised text, asked only for the few rows that get
        as far as the exact lookup. Feed a few thousand rows at a time (``CHUNK``)."""
        return self._expand(self._hits(codes, lengths, norm_of), per_row, None)

    def owners_of(self, text: int) -> list[tuple[str, str]]:
        return list(self._owners[text])

    def _expand(
        self,
        hits: list[tuple[int, int, float, bool]],
        per_row: int | None,
        seen: set[int] | None,
    ) -> list[Match]:
        found, counts = [], Counter[int]()
        for row, text, share, exact in hits:
            if seen is not None:
                if text in seen:
                    continue
                seen.add(text)
            for owner, name in self._owners[text]:
                if per_row is not None and counts[row] >= per_row:
                    break
                counts[row] += 1
                found.append(Match(row, owner, name, share, exact))
        return found

    def _hits(
        self, codes: np.ndarray, lengths: np.ndarray, norm_of: Callable[[int], str]
    ) -> list[tuple[int, int, float, bool]]:
        """(query row, distinct indexed text, estimated Jaccard, exact) of every match."""
        if not self._sigs or not len(lengths):
            return []
        index = self._index()
        sigs = densify(raw_bins(codes, lengths))
        keys = _band_keys(sigs)
        present = keys != _EMPTY_BAND
        hits = (index.bands.contains(_salted(keys)) & present).sum(axis=1)
        # A near duplicate shares >= MIN_BANDS bands; an exact copy shares all of them, or,
        # shorter than one shingle, none. Only those two kinds need the exact lookup (a
        # Python hash of the text); the rest are settled on their signatures.
        short = lengths < SHINGLE
        rows = np.flatnonzero((hits >= MIN_BANDS) & ~short)
        whole = (hits == present.sum(axis=1)) & (hits > 0)
        found: dict[tuple[int, int], tuple[int, int, float, bool]] = {}
        for row in np.flatnonzero(short | whole).tolist():
            norm = norm_of(row)
            text = self._digests.get(_digest(norm)) if norm else None
            if text is not None:
                found[(row, text)] = (row, text, 1.0, True)
        for start in range(0, len(rows), NEAR_ROWS):
            part = rows[start : start + NEAR_ROWS]
            for row, text, share in _near(sigs[part], keys[part], index):
                key = (int(part[row]), text)
                found.setdefault(key, (key[0], text, share, False))
        return sorted(found.values())


def _near(
    query: np.ndarray, query_keys: np.ndarray, index: _Frozen
) -> list[tuple[int, int, float]]:
    """(query row, indexed entry, estimated Jaccard) of pairs sharing >= MIN_BANDS bands and
    estimated at >= THRESHOLD, all bands looked up at once."""
    pairs = []
    for band in range(BANDS):
        keys, distinct = query_keys[:, band], index.keys[band]
        at = np.minimum(np.searchsorted(distinct, keys), max(len(distinct) - 1, 0))
        hit = (distinct[at] == keys) & (keys != _EMPTY_BAND) if len(distinct) else keys < 0
        rows, at = np.flatnonzero(hit), at[hit]
        low, high = index.starts[band][at], index.starts[band][at + 1]
        width = high - low
        rows = np.repeat(rows.astype(np.int64), width)
        starts = np.repeat(low - np.cumsum(width) + width, width) + np.arange(len(rows))
        pairs.append(rows << 32 | index.entries[band][starts].astype(np.int64))
    joined = np.sort(np.concatenate(pairs))
    if not len(joined):
        return []
    # Runs of equal pairs in the sorted list: a run of MIN_BANDS or more shares that many bands.
    edges = np.flatnonzero(np.diff(joined)) + 1
    run_starts = np.concatenate(([0], edges))
    run_lengths = np.diff(np.concatenate((run_starts, [len(joined)])))
    unique = joined[run_starts[run_lengths >= MIN_BANDS]]
    rows, entries = unique >> 32, unique & 0xFFFFFFFF
    shares = (query[rows] == index.sigs[entries]).mean(axis=1)
    keep = shares >= THRESHOLD
    return list(
        zip(
            rows[keep].tolist(), entries[keep].tolist(), shares[keep].round(4).tolist(), strict=True
        )
    )


@dataclass(frozen=True)
class GroupMatch:
    """A text of query group ``group`` (an item, a row) matched an indexed text."""

    group: int
    field: str  # the query text's field
    match: Match


def group_matches(
    index: HoldoutIndex,
    groups: Sequence[Sequence[tuple[str, str]]],
    *,
    per_row: int | None = None,
    once: bool = False,
) -> list[GroupMatch]:
    """Every match of the (field, text) texts of each group (e.g. ``comparable_texts``);
    ``per_row`` and ``once`` as in ``HoldoutIndex.matches``."""
    flat: list[str] = []
    where: list[tuple[int, str]] = []
    for number, texts in enumerate(groups):
        for name, text in texts:
            flat.append(text)
            where.append((number, name))
    found = index.matches(flat, per_row=per_row, once=once)
    return [GroupMatch(*where[m.row], m) for m in found]


# ASCII text normalised inside Arrow (RE2), exactly as ``normalise`` does it: punctuation
# (not "_", a word character) removed, whitespace runs (str.split's ASCII set) one space.
_ARROW_PUNCT = r"[!-/:-@\[-\^`{-~]+"
_ARROW_SPACE = r"[\t-\r\x1c-\x1f ]{2,}|[\t-\r\x1c-\x1f]"


def _arrow_strings(texts: Sequence[str]) -> Any:
    import pyarrow as pa

    return pa.array(texts, type=pa.string())


def _arrow_normalised(strings: Any) -> tuple[Any, list[str] | None]:
    """(the normalised Arrow array, or None; the normalised texts as a list, or None): ASCII
    rows in Arrow (2.5x Python's loop here); a chunk with other rows becomes a list, its
    ASCII rows still from Arrow and the others through ``normalise``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    strings = pc.fill_null(strings.cast(pa.string()), "")
    lowered = pc.ascii_lower(strings)
    cleaned = pc.replace_substring_regex(lowered, pattern=_ARROW_PUNCT, replacement="")
    spaced = pc.replace_substring_regex(cleaned, pattern=_ARROW_SPACE, replacement=" ")
    normed = pc.utf8_trim(spaced, characters=" ")
    if isinstance(normed, pa.ChunkedArray):
        normed = normed.combine_chunks()
    ascii_rows = pc.string_is_ascii(strings)
    if pc.all(ascii_rows).as_py():
        return normed, None
    norms = normed.to_pylist()
    originals = strings.to_pylist()
    for row, plain in enumerate(ascii_rows.to_pylist()):
        if not plain:
            norms[row] = normalise(originals[row])
    return None, norms


def normalise_many(texts: Sequence[str]) -> list[str]:
    """``normalise`` of every text, through Arrow a chunk at a time."""
    found: list[str] = []
    for start in range(0, len(texts), CHUNK):
        normed, norms = _arrow_normalised(_arrow_strings(texts[start : start + CHUNK]))
        found += norms if norms is not None else normed.to_pylist()
    return found


def arrow_codes(strings: Any) -> tuple[np.ndarray, np.ndarray, Callable[[int], str]]:
    """(code points, lengths, normalised text of row i) of a pyarrow string array, for
    ``HoldoutIndex.matches_of_codes``; nulls are empty texts. An all-ASCII chunk is read
    straight from Arrow's buffer (one byte a code point). Feed at most ``CHUNK`` rows."""
    normed, norms = _arrow_normalised(strings)
    if norms is not None:
        codes, lengths = codes_of(norms)
        return codes, lengths, norms.__getitem__
    offsets = np.frombuffer(normed.buffers()[1], dtype=np.int32)
    offsets = offsets[normed.offset : normed.offset + len(normed) + 1]
    data = normed.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    codes = raw[offsets[0] : offsets[-1]].astype(np.uint32)
    return codes, np.diff(offsets).astype(np.int64), lambda row: str(normed[row].as_py())
