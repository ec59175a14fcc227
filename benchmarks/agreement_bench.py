"""Agreement over 100,000 paired items for every rubric question (issue: paired labeling)."""

from __future__ import annotations

import random
import time

from labeler.labeling.rubric import load_rubric
from labeler.resources import default_rubric_path
from labeler.team.agreement import cohen_kappa, krippendorff_alpha, percent_agreement


def agreement_100k(scale: float) -> dict:
    count = int(100_000 * scale)
    rng = random.Random(3)
    rubric = load_rubric(default_rubric_path())
    questions = [q for q in rubric.questions if q.kind != "free_text"]
    pairs = {}
    for question in questions:
        choices = [c.id for c in question.choices]
        first = [rng.choice(choices) for _ in range(count)]
        second = [a if rng.random() < 0.8 else rng.choice(choices) for a in first]
        pairs[question.id] = (first, second, choices)
    started = time.perf_counter()
    for first, second, choices in pairs.values():
        percent_agreement(first, second)
        cohen_kappa(first, second, categories=choices)
        krippendorff_alpha(list(zip(first, second, strict=True)), "nominal")
    seconds = (time.perf_counter() - started) / scale
    note = f"{len(questions)} questions x {count} pairs: percent, kappa, alpha"
    return {"name": "agreement_100k_s", "value": seconds, "unit": "s", "budget": 1.0, "note": note}


BENCHMARKS = [agreement_100k]
