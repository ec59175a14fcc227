"""The leakage guard's measure: every text field, across fields, exact and near copies found
with their owners; Arrow's normalisation is Python's; signatures unchanged (kept
fingerprints of purged holdout inputs must still match)."""

from __future__ import annotations

import hashlib
import random

import pyarrow as pa
import pytest

from labeler import leakage

HOLDOUT_OUTPUT = (
    "Hi there,\n\nThanks for reaching out, and sorry for the wait. Order 88231 left our "
    "warehouse on Tuesday and the carrier now expects to deliver it by Thursday."
)


def test_comparable_texts_cover_every_field_but_short_ones_and_retry_changes() -> None:
    texts = leakage.comparable_texts(
        "Hi",
        HOLDOUT_OUTPUT,
        "Done.",
        '[{"change": "Asked for a shorter answer please", "output": "' + "x" * 30 + '"}]',
        [{"model_version": "a", "output": "y" * 25}, {"model_version": "b", "output": "no"}],
    )
    assert [name for name, _ in texts] == [
        "input", "output", "retries[0].output", "candidates[0].output"
    ]  # fmt: skip


def test_matches_across_fields_with_owners() -> None:
    index = leakage.HoldoutIndex()
    index.add_texts([("h1", "edited_output", HOLDOUT_OUTPUT), ("h2", "input", "Sum the rows")])
    near = HOLDOUT_OUTPUT.replace("Thursday", "Friday")
    found = index.matches([HOLDOUT_OUTPUT.upper() + "!!", near, "sum the rows.", "unrelated text"])
    assert [(m.row, m.owner, m.field, m.exact) for m in found] == [
        (0, "h1", "edited_output", True), (1, "h1", "edited_output", False),
        (2, "h2", "input", True),
    ]  # fmt: skip
    assert 0.8 <= found[1].similarity < 1
    groups = [[("input", "other"), ("output", near)], [("input", "fresh")]]
    (hit,) = leakage.group_matches(index, groups)
    assert (hit.group, hit.field, hit.match.owner) == (0, "output", "h1")


def test_arrow_normalisation_is_the_python_one() -> None:
    rng = random.Random(4)
    alphabet = [chr(c) for c in range(128)] + ["é", "ß", "Ǆ", "\u00a0", "\u2028", "ｆ"]
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    for values in (pa.array([t for t in texts if t.isascii()] + [None]), pa.array(texts)):
        codes, lengths, norm_of = leakage.arrow_codes(values)
        norms = [leakage.normalise(t or "") for t in values.to_pylist()]
        expected_codes, expected_lengths = leakage.codes_of(norms)
        assert (codes == expected_codes).all() and (lengths == expected_lengths).all()
        assert [norm_of(i) for i in range(len(norms))] == norms


@pytest.mark.parametrize(
    ("text", "digest"),
    [
        ("Sum the rows (7)", "fa02ccc75c3419fd"),
        (HOLDOUT_OUTPUT, "57758104079607f0"),
    ],
)
def test_signatures_are_those_kept_fingerprints_were_made_with(text: str, digest: str) -> None:
    found = hashlib.sha256(leakage.minhash(text).tobytes()).hexdigest()[:16]
    assert found == digest
