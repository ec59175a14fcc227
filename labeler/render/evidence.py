"""Everything an item view shows, rendered to HTML in one pure call.

``render_evidence(item, ...)`` runs in two modes: ``syntax=False`` is the fast first paint
(diff and HTML only, a few ms for 20 KB), ``syntax=True`` adds pygments colours and runs on a
worker (and ahead, for the next items). Items past ``LARGE_CHARS`` are not rendered to HTML
at all: the view shows their plain text at once and a worker marks the changed lines.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from labeler.domain import PAIR_SIGNALS, Item
from labeler.render.diffing import Diff, diff_texts
from labeler.render.html import (
    Palette,
    document,
    guess_language,
    inline,
    side_by_side,
    text_with_marks,
    token_lines,
)

# Total evidence text above which the view shows plain text (marked by line) instead of rich
# HTML: parsing HTML costs ~14 ms per 10 KB of coloured code a pane, and the window must
# never block for 100 ms.
LARGE_CHARS = 40_000


@dataclass(frozen=True)
class Rendering:
    """HTML per pane; ``kind`` says which panes a view shows."""

    kind: str  # edit | retry | side_by_side | sample | large
    left: str = ""
    right: str = ""
    inline: str = ""
    notes: list[str] = field(default_factory=list)
    syntax: bool = False


def evidence_size(item: Item) -> int:
    size = len(item.output or "") + len(item.edited_output or "") + len(item.input or "")
    for step in item.retries or []:
        size += len(step.get("output", "")) + len(step.get("change", ""))
    for candidate in item.candidates or []:
        size += len(candidate.get("output", ""))
    return size


def _pair(before: str, after: str, palette: Palette, syntax: bool) -> tuple[Diff, list, list]:
    language = guess_language(after or before) if syntax else None
    diff = diff_texts(before, after)
    return diff, token_lines(before, language, palette), token_lines(after, language, palette)


def _edit(item: Item, palette: Palette, syntax: bool) -> Rendering:
    diff, left_tokens, right_tokens = _pair(
        item.output or "", item.edited_output or "", palette, syntax
    )
    left, right = side_by_side(diff, left_tokens, right_tokens, palette)
    notes = list(diff.notes)
    if not diff.changed:
        notes.append("The edit left the text unchanged.")
    return Rendering(
        "edit", left, right, inline(diff, left_tokens, right_tokens, palette), notes, syntax
    )


def _heading(text: str, palette: Palette) -> str:
    return f'<p style="margin:8px 0 2px 0;color:{palette.muted}"><b>{html.escape(text)}</b></p>'


def _body(document: str) -> str:
    return document.removeprefix("<html>").split(">", 1)[1].removesuffix("</body></html>")


def _retry(item: Item, palette: Palette, syntax: bool) -> Rendering:
    steps = item.retries or []
    previous = item.output or ""
    language = guess_language(previous) if syntax else None
    parts = [_heading("Attempt 1 — the first output", palette)]
    parts.append(
        _body(text_with_marks(previous, token_lines(previous, language, palette), [], palette))
    )
    notes: list[str] = []
    for number, step in enumerate(steps, start=2):
        parts.append(_heading(f"The user changed: {step['change']}", palette))
        parts.append(
            _heading(f"Attempt {number} — what changed from attempt {number - 1}", palette)
        )
        diff, before_tokens, after_tokens = _pair(previous, step["output"], palette, syntax)
        if diff.changed:
            parts.append(_body(inline(diff, before_tokens, after_tokens, palette)))
        else:
            parts.append(_heading("(the same output as before)", palette))
        notes.extend(n for n in diff.notes if n not in notes)
        previous = step["output"]
    return Rendering("retry", inline=document(parts, palette), notes=notes, syntax=syntax)


def _single(text: str, palette: Palette, syntax: bool, marks: list[tuple[int, int]]) -> str:
    language = guess_language(text) if syntax else None
    return text_with_marks(text, token_lines(text, language, palette), marks, palette)


def _side_by_side(item: Item, palette: Palette, syntax: bool, side_order: str) -> Rendering:
    candidates = item.candidates or [{"output": ""}, {"output": ""}]
    first, second = (0, 1) if side_order == "AB" else (1, 0)
    left = _single(candidates[first]["output"], palette, syntax, [])
    right = _single(candidates[second]["output"], palette, syntax, [])
    return Rendering("side_by_side", left, right, syntax=syntax)


def render_evidence(
    item: Item, palette: Palette, *, syntax: bool, side_order: str = "AB"
) -> Rendering:
    """The item's evidence panes; ``Rendering('large')`` when it is too big for rich text."""
    if evidence_size(item) > LARGE_CHARS:
        return Rendering("large", notes=["Large item: plain text, with changed lines marked."])
    if item.signal == "edit":
        return _edit(item, palette, syntax)
    if item.signal == "retry":
        return _retry(item, palette, syntax)
    if item.signal in PAIR_SIGNALS:
        return _side_by_side(item, palette, syntax, side_order)
    return Rendering(
        "sample", inline=_single(item.output or "", palette, syntax, []), syntax=syntax
    )


def large_pair(item: Item, side_order: str = "AB") -> tuple[str, str]:
    """The two texts a large item shows side by side as plain text."""
    if item.signal in PAIR_SIGNALS and item.candidates:
        first, second = (0, 1) if side_order == "AB" else (1, 0)
        return item.candidates[first]["output"], item.candidates[second]["output"]
    if item.signal == "retry" and item.retries:
        return item.output or "", item.retries[-1]["output"]
    return item.output or "", item.edited_output or ""
