"""Labels as integer codes: the one pass from stored answers to the arrays agreement runs on.

Each distinct set of answers (with its side order) is parsed and put in the canonical frame
once (labeler.sides); each question's values are mapped to small integer codes once. After
that everything is numpy over (labels x questions) and (items x labelers) arrays.

Three codings of a value, because the report compares values three ways (and did before
this module existed): *raw* codes tell values apart as ``repr`` does (whether labels
differ), *equal* codes as ``==`` does (agreement figures, a label against the gold answer);
*stat* codes are what the statistics count: the equal code, or an ordinal question's rank
(a value outside its scale counts as missing). Code -1 is missing: no key, or null.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from labeler import sides
from labeler.labeling.rubric import Question
from labeler.store.agreement import LabelColumns

MISSING = -1


def _key(value: Any) -> Any:
    """A dict key that separates values as ``repr`` does (cheap for strings)."""
    return value if type(value) is str else (type(value).__name__, repr(value))


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return ("unhashable", repr(value))
    return value


class ValueCodes:
    """The codes of one question's values, grown as values are met."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.raw: dict[Any, int] = {}
        self.values: list[Any] = []  # value of each raw code
        self.equal: dict[Any, int] = {}  # value -> equal code (== semantics)
        self.equal_of_raw: list[int] = []
        self.equal_values: list[Any] = []  # first value met of each equal code
        self.rank = {c.id: i for i, c in enumerate(question.choices)}

    def code(self, value: Any) -> int:
        if value is None:
            return MISSING
        key = _key(value)
        found = self.raw.get(key)
        if found is None:
            found = self.raw[key] = len(self.values)
            self.values.append(value)
            hashable = _hashable(value)
            equal = self.equal.get(hashable)
            if equal is None:
                equal = self.equal[hashable] = len(self.equal_values)
                self.equal_values.append(value)
            self.equal_of_raw.append(equal)
        return found

    def equal_code(self, value: Any) -> int:
        """The equal code of a value that may never have been met (the lead's answer)."""
        if value is None:
            return MISSING
        return self.equal.get(_hashable(value), -2)  # -2 equals no label's value

    def equal_table(self) -> np.ndarray:
        """The equal code of each raw code, with a last entry for MISSING."""
        return np.array([*self.equal_of_raw, MISSING], dtype=np.int64)

    def stat_table(self) -> tuple[np.ndarray, list[Any]]:
        """(stat code of each raw code, with a last entry for MISSING; value of each code)."""
        if self.question.kind == "ordinal":
            ranks = [self.rank.get(v, MISSING) if isinstance(v, str) else MISSING
                     for v in self.values]  # fmt: skip
            values: list[Any] = list(range(len(self.question.choices)))
            return np.array([*ranks, MISSING], dtype=np.int32), values
        table = np.array([*self.equal_of_raw, MISSING], dtype=np.int32)
        return table, list(self.equal_values)


@dataclass(frozen=True)
class CodedLabels:
    """Every fetched label as codes; rows ordered by item, then labeler."""

    item_ids: list[str]  # distinct items, in id order
    item_of: np.ndarray  # (labels,) index into item_ids
    labeler_ids: list[str]  # sorted
    labeler_of: np.ndarray  # (labels,) index into labeler_ids
    raw: np.ndarray  # (labels, questions) raw codes
    present: np.ndarray  # (labels, questions) the key is in the canonical answers
    codes: list[ValueCodes]  # per question

    @property
    def first_of_item(self) -> np.ndarray:
        """Index of each item's first label row (rows of an item are contiguous)."""
        return np.searchsorted(self.item_of, np.arange(len(self.item_ids)))


def code_labels(columns: LabelColumns, questions: Sequence[Question]) -> CodedLabels:
    codes = [ValueCodes(q) for q in questions]
    distinct: dict[str, int] = {}
    seen = distinct.setdefault
    index = np.fromiter(
        (seen(text, len(distinct)) for text in columns.sided_answers),
        dtype=np.int64,
        count=len(columns.sided_answers),
    )
    raw = np.full((len(distinct), len(questions)), MISSING, dtype=np.int32)
    present = np.zeros((len(distinct), len(questions)), dtype=bool)
    ids = [q.id for q in questions]
    for row, text in enumerate(distinct):
        answers = orjson.loads(text[1:])
        if text[0] == "B":  # the labeler saw the sides swapped: name them as the lead does
            answers = sides.flip(answers)
        for column, (qid, coder) in enumerate(zip(ids, codes, strict=True)):
            if qid in answers:
                present[row, column] = True
                raw[row, column] = coder.code(answers[qid])
    item_ids, item_of = _runs(columns.item_ids)
    labeler_ids = sorted(set(columns.labeler_ids))
    position = {labeler_id: i for i, labeler_id in enumerate(labeler_ids)}
    labeler_of = np.fromiter(
        (position[x] for x in columns.labeler_ids), dtype=np.int64, count=len(index)
    )
    return CodedLabels(
        item_ids, item_of, labeler_ids, labeler_of, raw[index], present[index], codes
    )


def _runs(sorted_ids: list[str]) -> tuple[list[str], np.ndarray]:
    """(distinct ids, index of each entry) for ids that come sorted."""
    if not sorted_ids:
        return [], np.zeros(0, dtype=np.int64)
    ids = np.array(sorted_ids, dtype=object)
    starts = np.concatenate(([True], ids[1:] != ids[:-1]))
    return list(ids[starts]), np.cumsum(starts) - 1


@dataclass(frozen=True)
class Units:
    """One question's answers over a list of rows (items): (rows x labelers) stat codes."""

    question: Question
    level: str
    codes: np.ndarray  # (rows, labelers) stat codes, MISSING where not answered
    values: list[Any]  # value of each stat code
    unit: np.ndarray  # (rows,) bool: the row counts as a unit of this question


def level_of(question: Question) -> str:
    return "ordinal" if question.kind == "ordinal" else "nominal"


def paired_units(labels: CodedLabels, paired: np.ndarray, column: int, question: Question) -> Units:
    """The units of one question over the paired items (``paired``: item indexes, sorted):
    one row per paired item, one column per labeler, units where two or more answered."""
    table, values = labels.codes[column].stat_table()
    row_of_item = np.full(len(labels.item_ids), -1, dtype=np.int64)
    row_of_item[paired] = np.arange(len(paired))
    rows = row_of_item[labels.item_of]
    keep = rows >= 0
    codes = np.full((len(paired), len(labels.labeler_ids)), MISSING, dtype=np.int32)
    codes[rows[keep], labels.labeler_of[keep]] = table[labels.raw[keep, column]]
    unit = (codes >= 0).sum(axis=1) >= 2
    return Units(question, level_of(question), codes, values, unit)


def units_of_values(rows: Sequence[Sequence[Any]], question: Question) -> Units:
    """Units given as values (one row per item, None where missing), every row a unit: the
    figures of explicit units, as ``question_stats`` took them before (ordinal as ranks)."""
    coder = ValueCodes(question)
    width = max((len(row) for row in rows), default=0)
    raw = np.array(
        [[coder.code(v) for v in (*row, *([None] * (width - len(row))))] for row in rows],
        dtype=np.int32,
    ).reshape(len(rows), width)
    table = np.array([*coder.equal_of_raw, MISSING], dtype=np.int32)
    return Units(question, level_of(question), table[raw], list(coder.equal_values),
                 np.ones(len(rows), dtype=bool))  # fmt: skip
