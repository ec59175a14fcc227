"""Items past the large-item threshold: no rich HTML, the two texts as plain text, and the
changed lines found by line — through the real bundle, store and render code."""

from __future__ import annotations

from pathlib import Path

from labeler.render.diffing import changed_line_numbers
from labeler.render.evidence import LARGE_CHARS, evidence_size, large_pair, render_evidence
from labeler.render.html import Palette
from labeler.store import items as item_rows
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.triage.test_sampling import make_events, write

CHANGED = (10, 700, 1400)  # 1-based lines the user's edit changed


def long_text(lines: int = 1500) -> str:
    """~60,000 characters of distinct lines, as a long generated document has."""
    return "\n".join(f"line {n:04d}: the quarterly figures, restated" for n in range(1, lines + 1))


def edited(text: str) -> str:
    lines = text.split("\n")
    for number in CHANGED:
        lines[number - 1] += " (corrected)"
    return "\n".join(lines)


def large_bundle(folder: Path) -> Path:
    """A week with a large edit, a large side-by-side pair and a small edit."""
    events = make_events([(0, 0, 1), (1, 0, 2), (2, 0, 3)])
    text = long_text()
    events[0].update(event_id="big-edit", output=text, edited_output=edited(text))
    events[1].update(
        event_id="big-pair",
        signal="side_by_side",
        output=None,
        edited_output=None,
        candidates=[
            {"model_version": "m-1", "output": text},
            {"model_version": "m-2", "output": edited(text)},
        ],
        picked=1,
    )
    events[2]["event_id"] = "small-edit"
    path = folder / "large.lbundle"
    build_bundle([write(folder / "e.jsonl", events)], BuildOptions(week="2026-W48"), path)
    return path


def test_large_items_take_the_plain_path(tmp_path: Path, workspace: Workspace) -> None:
    import_bundle(workspace.store, workspace.writer, large_bundle(tmp_path))
    palette = Palette.for_dark(False)
    big = item_rows.get(workspace.store, "big-edit")
    assert big is not None and evidence_size(big) > LARGE_CHARS
    for syntax in (False, True):
        rendering = render_evidence(big, palette, syntax=syntax)
        assert rendering.kind == "large" and not (rendering.left or rendering.inline)
    before, after = large_pair(big)
    assert before == long_text() and after == edited(long_text())
    assert changed_line_numbers(before, after) == (list(CHANGED), list(CHANGED))

    pair = item_rows.get(workspace.store, "big-pair")
    assert pair is not None and render_evidence(pair, palette, syntax=False).kind == "large"
    assert large_pair(pair, "BA") == (edited(long_text()), long_text())  # blind order kept

    small = item_rows.get(workspace.store, "small-edit")
    assert small is not None and render_evidence(small, palette, syntax=False).kind == "edit"
