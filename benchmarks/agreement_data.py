"""Synthetic workspaces for agreement: paired labels of 2 or 3 labelers over several weeks,
with blind side-by-side and eval pairs (each labeler's own side order), ties, missing answers,
answers outside the rubric, an optional ordinal question, and resolutions (gold labels and
guideline gaps). Deterministic for a layout, so the agreement tests can compare figures
with golden files and with the old implementation, and the benchmark can build 100k items.

Items and labels go in through the writer on the bulk path (one transaction, executemany for
labels, as benchmarks/pack_bench.py does): a 100k workspace builds in seconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labeler import sides
from labeler.domain import Profile
from labeler.labeling import rubric_versions
from labeler.labeling.rubric import Rubric, parse_rubric
from labeler.resources import default_rubric_path
from labeler.store import bundles, labelers, resolutions
from labeler.store import items as item_rows
from labeler.store.connection import WriteStore
from labeler.workspace import Workspace

PASSPHRASE = "agreement-bench"
LABELERS = ("lab-ana", "lab-ben", "lab-cat")
CAUSES = ("guideline_gap", "labeler_slip", "ambiguous_item", "defective_item")
CLAUSES = ("verdict/acceptable", "formatting/fail", "preference/tie")
_REASONS = ("wrong", "unsafe", "missing_info", "formatting", "sensitive_data", None)
_ORDINAL = {
    "id": "quality",
    "prompt": "Overall quality",
    "kind": "ordinal",
    "only_for": ["edit", "retry", "sample"],
    "choices": [
        {"id": "poor", "label": "Poor", "key": "1"},
        {"id": "fair", "label": "Fair", "key": "2"},
        {"id": "good", "label": "Good", "key": "3"},
        {"id": "great", "label": "Great", "key": "4"},
    ],
}


@dataclass(frozen=True)
class Layout:
    """What to build: ``paired`` items labeled by two or three people, spread over weeks."""

    paired: int
    weeks: int = 4
    third: float = 0.0  # share of paired items a third labeler labels too
    swap_pair: float = 0.0  # share of paired items labeled by Ben and Cat, not Ana
    singles: int = 0  # items only one labeler labeled
    side_by_side: float = 0.2  # share of items that are blind side-by-side picks
    evals: float = 0.0  # share of items that are blind eval pairs (per-side questions)
    noise: float = 0.1  # chance a labeler departs from the item's truth on a question
    missing: float = 0.0  # chance a label leaves a question out
    odd: float = 0.0  # chance of an answer outside the rubric (an older rubric's choice)
    resolved: float = 0.0  # share of disagreements the lead resolved
    ordinal: bool = False  # add an ordinal question (and use a rubric with it)
    text_size: int = 10  # characters of each item text (input, output, edited output)
    first_week: str = "2026-W30"  # ISO week of the first bundle
    seed: int = 1


def _week(layout: Layout, index: int) -> str:
    year, week = layout.first_week.split("-W")
    monday = dt.date.fromisocalendar(int(year), int(week), 1) + dt.timedelta(weeks=index)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def recent_week(weeks_ago: int) -> str:
    """The ISO week ``weeks_ago`` before this one (recent weeks keep their texts: retention
    drops those older than 12 weeks on open)."""
    iso = (dt.date.today() - dt.timedelta(weeks=weeks_ago)).isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def _signal(rng: random.Random, layout: Layout) -> str:
    roll = rng.random()
    if roll < layout.evals:
        return "eval"
    if roll < layout.evals + layout.side_by_side:
        return "side_by_side"
    return rng.choice(("edit", "retry", "sample"))


def _item_row(
    number: int, week: str, signal: str, rng: random.Random, text: str
) -> tuple[Any, ...]:
    reason = None if signal in ("sample", "eval") else rng.choice(_REASONS)
    pair = signal in ("side_by_side", "eval")
    candidates = json.dumps([{"model_version": "a", "output": text}, {"model_version": "b",
                             "output": text[::-1]}]) if pair else None  # fmt: skip
    item_id = f"it-{number:07d}"
    digest = hashlib.sha256(item_id.encode()).hexdigest()
    bundle = f"{'eval' if signal == 'eval' else 'bundle'}-{week}"
    return (
        item_id, bundle, number, week, signal, reason, "2026-08-01T00:00:00Z",
        text, "intent", "m", "1", "{}", None if pair else text,
        text.upper() if signal == "edit" else None, None, candidates,
        rng.choice((0, 1, None)) if signal == "side_by_side" else None, None,
        False, "[]", False, True, False, digest,
    )  # fmt: skip


def _truth(signal: str, reason: str | None, rng: random.Random, ordinal: bool) -> dict[str, Any]:
    if signal == "side_by_side":
        return {"preference": rng.choice(("A", "A", "B", "tie", "both_bad"))}
    if signal == "eval":
        return {
            "preference": rng.choice(("A", "B", "B", "tie")),
            "safety_a": rng.choice(("pass", "pass", "fail")),
            "safety_b": "pass",
            "formatting_a": rng.choice(("pass", "fail")),
            "formatting_b": rng.choice(("pass", "pass", "pass", "fail")),
        }
    verdict = (
        "wrong"
        if reason in ("wrong", "unsafe", "missing_info")
        else rng.choice(("correct", "acceptable", "wrong"))
    )
    answers: dict[str, Any] = {
        "verdict": verdict,
        "safety": "fail" if reason in ("unsafe", "sensitive_data") else "pass",
        "formatting": "fail" if reason == "formatting" else "pass",
    }
    if verdict == "wrong":
        answers["failure_type"] = (
            reason if reason in ("wrong", "unsafe", "missing_info") else ("other")
        )
    if ordinal:
        answers["quality"] = rng.choice(("poor", "fair", "good", "good", "great"))
    return answers


_CHOICES = {
    "verdict": ("correct", "acceptable", "wrong"),
    "failure_type": ("wrong", "unsafe", "missing_info", "formatting", "other"),
    "safety": ("pass", "fail"),
    "formatting": ("pass", "fail"),
    "preference": ("A", "B", "tie", "both_bad"),
    "safety_a": ("pass", "fail"),
    "safety_b": ("pass", "fail"),
    "formatting_a": ("pass", "fail"),
    "formatting_b": ("pass", "fail"),
    "quality": ("poor", "fair", "good", "great"),
}


def _labeled(truth: dict[str, Any], rng: random.Random, layout: Layout) -> dict[str, Any]:
    """One labeler's canonical answers: the truth with noise, gaps and odd values."""
    answers: dict[str, Any] = {}
    for question, value in truth.items():
        roll = rng.random()
        if roll < layout.missing:
            continue
        if roll < layout.missing + layout.odd:
            answers[question] = "unsure"  # a choice of an older rubric version
        elif rng.random() < layout.noise:
            answers[question] = rng.choice(_CHOICES[question])
        else:
            answers[question] = value
    if rng.random() < 0.3:
        answers["note"] = f"note {rng.randrange(10**6)}"  # free text: never compared
    return answers


def _who(index: int, rng: random.Random, layout: Layout) -> tuple[str, ...]:
    if index >= layout.paired:
        return (LABELERS[index % 2],)
    if rng.random() < layout.swap_pair:
        return LABELERS[1], LABELERS[2]
    if rng.random() < layout.third:
        return LABELERS
    return LABELERS[:2]


def rubric_yaml(ordinal: bool) -> str:
    data = yaml.safe_load(default_rubric_path().read_text(encoding="utf-8"))
    if ordinal:
        data["questions"].insert(len(data["questions"]) - 1, _ORDINAL)
        data["version"] = data["version"] + "-ordinal"
    return str(yaml.safe_dump(data, sort_keys=False))


def build(path: Path, layout: Layout) -> Path:
    """Create the workspace at ``path`` (passphrase ``PASSPHRASE``); return its path."""
    rng = random.Random(layout.seed)
    total = layout.paired + layout.singles
    weeks = [_week(layout, i) for i in range(layout.weeks)]
    item_list = [(i, weeks[i % layout.weeks], _signal(rng, layout)) for i in range(total)]
    text = ("Some words of an item's text. " * (1 + layout.text_size // 30))[: layout.text_size]
    rows = [_item_row(i, week, signal, rng, text) for i, week, signal in item_list]
    ws = Workspace.create(path, passphrase=PASSPHRASE)
    try:
        text = rubric_yaml(layout.ordinal)
        guidance = (default_rubric_path().with_suffix(".md")).read_text(encoding="utf-8")

        def keep_rubric(tx: WriteStore) -> None:  # as a workspace keeps its first version
            kept = parse_rubric(text, guidance, "agreement data")
            rubric_versions.keep(tx, rubric_versions.new_row(kept, text, "workspace", None))

        ws.writer.run(keep_rubric)
        rubric = ws.session.rubric
        labels = _labels(rows, rubric, rng, layout)
        ws.writer.run(lambda tx: _write(tx, weeks, rows, labels))
        _resolve(ws, rows, labels, rng, layout)
    finally:
        ws.close()
    return path


def _labels(
    rows: list[tuple[Any, ...]], rubric: Rubric, rng: random.Random, layout: Layout
) -> list[tuple[Any, ...]]:
    out = []
    for index, row in enumerate(rows):
        item_id, signal, reason = row[0], row[4], row[5]
        truth = _truth(signal, reason, rng, layout.ordinal)
        for labeler_id in _who(index, rng, layout):
            answers = _labeled(truth, rng, layout)
            order = None
            if signal in ("side_by_side", "eval"):
                order = sides.side_order(labeler_id, item_id)
                answers = sides.to_shown(answers, order)
            out.append((item_id, labeler_id, rubric.id, rubric.version, rubric.content_hash,
                        json.dumps(answers, sort_keys=True), "2026-08-02T00:00:00Z",
                        "2026-08-02T00:01:00Z", 30.0, order))  # fmt: skip
    return out


def _write(
    tx: WriteStore, weeks: list[str], rows: list[tuple[Any, ...]], labels: list[tuple[Any, ...]]
) -> None:
    for labeler_id in LABELERS:
        name = labeler_id.split("-")[1].title()
        labelers.upsert(tx, Profile(labeler_id, name, "labeler", False), "2026-08-01T00:00:00Z")
    for week in weeks:
        for kind, prefix in (("week", "bundle"), ("eval", "eval")):
            manifest = {"bundle_id": f"{prefix}-{week}", "week": week, "kind": kind,
                        "created_at": "2026-08-01T00:00:00Z"}  # fmt: skip
            bundles.insert(tx, manifest, "0" * 64, "2026-08-01T00:00:00Z")
    # Week by week, as bundles arrive: a week's items sit together in the table (ids do not).
    # Eval pairs come in eval bundles: they are not the week's items (agreement skips them).
    for kind in (item_rows.WEEK, item_rows.EVAL_PAIR):
        chosen = [row for row in rows if (row[4] == "eval") == (kind == item_rows.EVAL_PAIR)]
        item_rows.insert_rows(tx, sorted(chosen, key=lambda row: row[3]), kind=kind)
    # The bulk path (as benchmarks/pack_bench.py): labels.put per row would cost ~5x more.
    tx.conn.executemany(
        "INSERT INTO labels(item_id, labeler_id, rubric_id, rubric_version, rubric_hash, "
        "answers, started_at, saved_at, seconds_spent, side_order) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        labels,
    )


def _resolve(
    ws: Workspace,
    rows: list[tuple[Any, ...]],
    labels: list[tuple[Any, ...]],
    rng: random.Random,
    layout: Layout,
) -> None:
    """Resolve a share of the items whose labels differ (some twice: the latest decides), and
    one single-labeled item (a resolution makes it gold even with one label)."""
    if not layout.resolved:
        return
    by_item: dict[str, list[dict[str, Any]]] = {}
    for label in labels:
        answers = sides.to_canonical(json.loads(label[5]), label[9])
        answers.pop("note", None)
        by_item.setdefault(label[0], []).append(answers)
    chosen = []
    for item_id, answer_sets in sorted(by_item.items()):
        differs = len({json.dumps(a, sort_keys=True) for a in answer_sets}) > 1
        if (differs or len(answer_sets) == 1) and rng.random() < layout.resolved:
            chosen.append((item_id, rng.choice(answer_sets)))
    singles = [i for i, a in sorted(by_item.items()) if len(a) == 1]
    if singles:
        chosen.append((singles[0], by_item[singles[0]][0]))

    def write(tx: WriteStore) -> None:
        for number, (item_id, answers) in enumerate(chosen):
            cause = CAUSES[number % len(CAUSES)]
            clause = CLAUSES[number % len(CLAUSES)] if cause == "guideline_gap" else None
            at = f"2026-08-03T00:{number // 60 % 60:02d}:{number % 60:02d}Z"
            if number % 7 == 0:  # an earlier decision, overruled by the one below
                resolutions.add(tx, item_id, {}, "labeler_slip", None, "first", "lead", at)
            note = f"decided {number}"
            resolutions.add(tx, item_id, answers, cause, clause, note, "lead", at)

    ws.writer.run(write)
