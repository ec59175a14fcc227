"""Evidence as HTML for Qt's rich-text views: diffs, retry paths, plain texts with marks.

Pure functions (no Qt). Syntax colours come from pygments where the text looks like code or
markdown and is small enough (lexing costs ~3 ms per KB here: it runs off the GUI thread, see
``gui/render_cache.py``). Changed characters, whitespace made visible, and PII spans are laid
over the token colours.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from labeler.render.diffing import Diff, Row, Span

SYNTAX_LIMIT = 60_000  # characters per text coloured by pygments

_CODE_HINTS = {
    "python": re.compile(r"^\s*(def |class |import |from \S+ import |return\b)", re.M),
    "sql": re.compile(r"\bSELECT\b[\s\S]{0,400}?\bFROM\b", re.I),
    "json": re.compile(r"^\s*[\[{]\s*\"", re.S),
    "markdown": re.compile(r"^(#{1,6} |\|.*\|\s*$|```|\s*[-*] \S)", re.M),
}


@dataclass(frozen=True)
class Palette:
    text: str
    muted: str
    delete_line: str
    delete_span: str
    insert_line: str
    insert_span: str
    pii: str
    style: str  # pygments style name

    @staticmethod
    def for_dark(dark: bool) -> Palette:
        if dark:
            return Palette("#e6e6e6", "#8b949e", "#3d1d20", "#7c2d35", "#1b3a26", "#2e6b3f",
                           "#6b5500", "monokai")  # fmt: skip
        return Palette("#1f2328", "#8c959f", "#ffebe9", "#ffb3b0", "#e6ffec", "#9be9a8",
                       "#fff2a8", "default")  # fmt: skip


def guess_language(text: str) -> str | None:
    """A pygments lexer name for code or markdown, or None for prose."""
    sample = text[:4000]
    for name, pattern in _CODE_HINTS.items():
        if pattern.search(sample):
            return name
    return None


@lru_cache(maxsize=8)
def _lexer(language: str) -> Any:
    from pygments.lexers import get_lexer_by_name

    return get_lexer_by_name(language, stripnl=False, ensurenl=False)


@lru_cache(maxsize=4)
def _style(name: str) -> Any:
    from pygments.styles import get_style_by_name

    return get_style_by_name(name)


@lru_cache(maxsize=512)
def _colour(style_name: str, token_type: Any) -> str | None:
    colour = _style(style_name).style_for_token(token_type).get("color")
    return f"#{colour}" if colour else None


Run = tuple[str, str | None]  # (text, colour)


def token_lines(text: str, language: str | None, palette: Palette) -> list[list[Run]]:
    """The text split into lines of coloured runs (one plain run per line without a lexer)."""
    if not language or len(text) > SYNTAX_LIMIT:
        return [[(line, None)] for line in text.split("\n")]
    lines: list[list[Run]] = [[]]
    for token_type, value in _lexer(language).get_tokens(text):
        colour = _colour(palette.style, token_type)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                lines[-1].append((part, colour))
    return lines


def _visible_ws(text: str) -> str:
    return text.replace(" ", "·").replace("\t", "→")


def _runs_html(runs: list[Run], marks: Iterable[tuple[int, int, str]], show_ws: bool) -> str:
    """HTML of one line: token colours, with ``marks`` (start, end, background) laid over."""
    cuts = sorted({0, *(p for start, end, _ in marks for p in (start, end))})
    mark_list = list(marks)
    out: list[str] = []
    offset = 0
    for text, colour in runs:
        start = offset
        offset += len(text)
        bounds = sorted({start, offset, *(c for c in cuts if start < c < offset)})
        for a, b in itertools.pairwise(bounds):
            piece = text[a - start : b - start]
            background = next((bg for s, e, bg in mark_list if s <= a and b <= e), None)
            if background and show_ws and piece.isspace():
                piece = _visible_ws(piece)  # a whitespace-only change: make it visible
            style = []
            if colour:
                style.append(f"color:{colour}")
            if background:
                style.append(f"background-color:{background}")
            escaped = html.escape(piece, quote=False)
            out.append(f'<span style="{";".join(style)}">{escaped}</span>' if style else escaped)
    return "".join(out)


def _line(number: int | None, body: str, background: str | None, palette: Palette) -> str:
    gutter = f"{number:>5} " if number is not None else "      "
    bg = f"background-color:{background};" if background else ""
    return (
        f'<p style="margin:0;white-space:pre-wrap;{bg}">'
        f'<span style="color:{palette.muted}">{gutter}</span>{body}</p>'
    )


def document(lines: list[str], palette: Palette) -> str:
    return (
        f'<html><body style="font-family:monospace;color:{palette.text}">'
        + "".join(lines)
        + "</body></html>"
    )


def _side(row: Row, left: bool) -> tuple[str | None, int | None, tuple[Span, ...]]:
    if left:
        return row.left, row.left_no, row.left_spans
    return row.right, row.right_no, row.right_spans


def side_by_side(
    diff: Diff,
    before_tokens: list[list[Run]],
    after_tokens: list[list[Run]],
    palette: Palette,
) -> tuple[str, str]:
    """(left HTML, right HTML), aligned row by row; an absent line is a blank filler row."""
    halves: tuple[list[str], list[str]] = ([], [])
    for row in diff.rows:
        for left, out, tokens in (
            (True, halves[0], before_tokens),
            (False, halves[1], after_tokens),
        ):
            text, number, spans = _side(row, left)
            line_bg = palette.delete_line if left else palette.insert_line
            span_bg = palette.delete_span if left else palette.insert_span
            if text is None or number is None:
                out.append(_line(None, "", None, palette))
                continue
            marks = [(a, b, span_bg) for a, b in spans]
            body = _runs_html(tokens[number - 1], marks, show_ws=True)
            out.append(_line(number, body, None if row.kind == "equal" else line_bg, palette))
    return document(halves[0], palette), document(halves[1], palette)


def inline(
    diff: Diff,
    before_tokens: list[list[Run]],
    after_tokens: list[list[Run]],
    palette: Palette,
) -> str:
    """One column: removed lines then added lines for each changed block."""
    out: list[str] = []
    pending_add: list[str] = []
    for row in diff.rows:
        if row.kind == "equal":
            out.extend(pending_add)
            pending_add = []
            assert row.right_no is not None
            out.append(
                _line(
                    row.right_no,
                    _runs_html(after_tokens[row.right_no - 1], [], False),
                    None,
                    palette,
                )
            )
            continue
        if row.left is not None and row.left_no is not None:
            marks = [(a, b, palette.delete_span) for a, b in row.left_spans]
            body = _runs_html(before_tokens[row.left_no - 1], marks, True)
            out.append(_line(row.left_no, "− " + body, palette.delete_line, palette))
        if row.right is not None and row.right_no is not None:
            marks = [(a, b, palette.insert_span) for a, b in row.right_spans]
            body = _runs_html(after_tokens[row.right_no - 1], marks, True)
            pending_add.append(_line(row.right_no, "+ " + body, palette.insert_line, palette))
    out.extend(pending_add)
    return document(out, palette)


def text_with_marks(
    text: str, tokens: list[list[Run]], marks: list[tuple[int, int]], palette: Palette
) -> str:
    """A plain text (input, output) with marked character ranges, e.g. PII spans."""
    starts = [0]
    for line in text.split("\n")[:-1]:
        starts.append(starts[-1] + len(line) + 1)
    out = []
    for index, runs in enumerate(tokens):
        begin = starts[index] if index < len(starts) else 0
        length = sum(len(t) for t, _ in runs)
        local = [
            (max(a, begin) - begin, min(b, begin + length) - begin, palette.pii)
            for a, b in marks
            if a < begin + length and b > begin
        ]
        out.append(_line(index + 1, _runs_html(runs, local, False), None, palette))
    return document(out, palette)
