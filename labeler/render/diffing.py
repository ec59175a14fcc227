"""Before/after differences: lines aligned first, character highlights only where affordable.

Lines are aligned first (patience anchors, difflib in small gaps); a character pass runs only inside
changed line pairs under ``PAIR_LIMIT`` characters and while the item's total stays under
``INTRALINE_BUDGET``. Past either bound the diff degrades to line level and says so, instead
of spending seconds (a 200 KB single line with many edits takes ~0.7 s in ndiff).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from labeler.render import patience

PAIR_LIMIT = 4_000  # characters of one changed line pair compared character by character
INTRALINE_BUDGET = 60_000  # characters of intraline comparison per item

Span = tuple[int, int]  # [start, end) character offsets within one line


@dataclass(frozen=True)
class Row:
    """One aligned row: a line on either side (None where that side has no line)."""

    kind: str  # equal | replace | delete | insert
    left: str | None
    right: str | None
    left_no: int | None
    right_no: int | None
    left_spans: tuple[Span, ...] = ()
    right_spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class Diff:
    rows: list[Row]
    intraline: bool  # False when some changed pairs were left at line level
    notes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(row.kind != "equal" for row in self.rows)


def _char_spans(left: str, right: str) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    lefts: list[Span] = []
    rights: list[Span] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            lefts.append((i1, i2))
        if j2 > j1:
            rights.append((j1, j2))
    return tuple(lefts), tuple(rights)


def _lines(text: str) -> list[str]:
    return text.split("\n")


def diff_texts(before: str, after: str) -> Diff:
    """Aligned rows of ``before`` and ``after`` with bounded character highlights."""
    left, right = _lines(before), _lines(after)
    notes: list[str] = []
    opcodes = patience.opcodes(left, right)
    rows: list[Row] = []
    budget = INTRALINE_BUDGET
    complete = True
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            rows.extend(
                Row("equal", left[i1 + k], right[j1 + k], i1 + k + 1, j1 + k + 1)
                for k in range(i2 - i1)
            )
            continue
        pairs = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for k in range(pairs):
            a, b = left[i1 + k], right[j1 + k]
            size = len(a) + len(b)
            if size <= PAIR_LIMIT and size <= budget:
                budget -= size
                spans = _char_spans(a, b)
            else:
                complete = False
                spans = (((0, len(a)),) if a else (), ((0, len(b)),) if b else ())
            rows.append(Row("replace", a, b, i1 + k + 1, j1 + k + 1, spans[0], spans[1]))
        rows.extend(Row("delete", left[i], None, i + 1, None) for i in range(i1 + pairs, i2))
        rows.extend(Row("insert", None, right[j], None, j + 1) for j in range(j1 + pairs, j2))
    if not complete:
        notes.append("Long changed lines: highlighted by line, not by character.")
    return Diff(rows, complete, notes)


def changed_line_numbers(before: str, after: str) -> tuple[list[int], list[int]]:
    """1-based numbers of changed lines on each side (line-level only: for huge texts)."""
    diff_rows = diff_texts_line_level(before, after)
    lefts = [r.left_no for r in diff_rows if r.kind != "equal" and r.left_no is not None]
    rights = [r.right_no for r in diff_rows if r.kind != "equal" and r.right_no is not None]
    return lefts, rights


def diff_texts_line_level(before: str, after: str) -> list[Row]:
    left, right = _lines(before), _lines(after)
    opcodes = patience.opcodes(left, right)
    rows: list[Row] = []
    for tag, i1, i2, j1, j2 in opcodes:
        kind = "equal" if tag == "equal" else "replace"
        for k in range(max(i2 - i1, j2 - j1)):
            a = i1 + k + 1 if i1 + k < i2 else None
            b = j1 + k + 1 if j1 + k < j2 else None
            rows.append(Row(kind, None, None, a, b))
    return rows
