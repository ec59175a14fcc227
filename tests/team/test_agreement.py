"""Agreement statistics against worked examples and an independent pairwise computation."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labeler.team.agreement import cohen_kappa, krippendorff_alpha, percent_agreement

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: four observers,
# twelve units, values 1-5, with missing data. Published: nominal .743, ordinal .815,
# interval .849.
N = None
OBSERVERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]
UNITS = [list(column) for column in zip(*OBSERVERS, strict=True)]


def brute_alpha(units: list[list], level: str) -> float:
    """The definition, pair by pair (no coincidence matrix): an independent check."""
    pairable = [[v for v in row if v is not None] for row in units]
    pairable = [row for row in pairable if len(row) >= 2]
    values = [v for row in pairable for v in row]
    n = len(values)
    freq = {v: values.count(v) for v in set(values)}

    def delta(c, k) -> float:
        if level == "nominal":
            return float(c != k)
        if level == "interval":
            return float((c - k) ** 2)
        low, high = min(c, k), max(c, k)
        between = sum(f for g, f in freq.items() if low <= g <= high)
        return (between - (freq[c] + freq[k]) / 2) ** 2

    observed = (
        sum(
            sum(delta(a, b) for a, b in itertools.permutations(row, 2)) / (len(row) - 1)
            for row in pairable
        )
        / n
    )
    expected = sum(delta(a, b) for a, b in itertools.permutations(values, 2)) / (n * (n - 1))
    return 1 - observed / expected


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_published_example(level: str, published: float) -> None:
    alpha = krippendorff_alpha(UNITS, level)
    assert round(alpha, 3) == published
    assert abs(alpha - brute_alpha(UNITS, level)) < 1e-9


def test_krippendorff_edge_cases() -> None:
    assert math.isnan(krippendorff_alpha([[1, 1], [1, 1]]))  # one value throughout
    assert math.isnan(krippendorff_alpha([[1, None], [None, 2]]))  # nothing pairable
    assert krippendorff_alpha([[1, 1], [2, 2], [3, None]]) == 1.0  # unit 3 does not count
    with pytest.raises(ValueError):
        krippendorff_alpha(UNITS, "ratio")


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=3, max_size=3),
        min_size=2,
        max_size=12,
    ),
    st.sampled_from(["nominal", "ordinal", "interval"]),
)
def test_krippendorff_matches_the_pairwise_definition(units: list[list], level: str) -> None:
    alpha = krippendorff_alpha(units, level)
    try:
        expected = brute_alpha(units, level)
    except ZeroDivisionError:
        assert math.isnan(alpha)
        return
    assert abs(alpha - expected) < 1e-9


def test_cohen_textbook_example() -> None:
    # 50 items: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> p_o = .7, p_e = .5, kappa = .4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert abs(cohen_kappa(a, b) - 0.4) < 1e-12
    assert percent_agreement(a, b) == 0.7


def brute_weighted_kappa(a: list, b: list, order: list, kind: str) -> float:
    k = len(order)
    pos = {v: i for i, v in enumerate(order)}

    def w(x, y) -> float:
        d = abs(pos[x] - pos[y]) / (k - 1)
        return d if kind == "linear" else d * d

    n = len(a)
    observed = sum(w(x, y) for x, y in zip(a, b, strict=True)) / n
    expected = sum(w(x, y) for x in a for y in b) / (n * n)
    return 1 - observed / expected


@pytest.mark.parametrize("kind", ["linear", "quadratic"])
def test_weighted_kappa_against_the_definition(kind: str) -> None:
    order = ["correct", "acceptable", "wrong"]
    a = ["correct", "correct", "acceptable", "wrong", "wrong", "acceptable", "correct", "wrong"]
    b = [
        "correct",
        "acceptable",
        "acceptable",
        "acceptable",
        "wrong",
        "correct",
        "correct",
        "wrong",
    ]
    got = cohen_kappa(a, b, weights=kind, categories=order)
    assert abs(got - brute_weighted_kappa(a, b, order, kind)) < 1e-9
    assert cohen_kappa(a, b, weights=kind, categories=order) != cohen_kappa(a, b)


def test_kappa_undefined_and_perfect() -> None:
    assert math.isnan(cohen_kappa(["a", "a"], ["a", "a"]))
    assert cohen_kappa(["a", "b", "a"], ["a", "b", "a"]) == 1.0
    assert math.isnan(percent_agreement([], []))
    with pytest.raises(ValueError):
        cohen_kappa(["a"], ["a", "b"])


def test_two_labeler_alpha_close_to_kappa_on_large_samples() -> None:
    a = ["x"] * 40 + ["y"] * 60
    b = ["x"] * 30 + ["y"] * 10 + ["x"] * 5 + ["y"] * 55
    alpha = krippendorff_alpha([[x, y] for x, y in zip(a, b, strict=True)])
    assert abs(alpha - cohen_kappa(a, b)) < 0.02


# -- the report's kappa: the two labelers who share the most items, never one with themself --

ANA = ["pass"] * 6 + ["fail"] * 4
BEN = ["pass"] * 4 + ["fail"] * 2 + ["pass"] + ["fail"] * 3 + ["pass", "fail"]
CAT = ["pass"] * 5 + ["fail"] * 7
# By hand. Ana and Ben on items 1-10: 4 pass/pass, 2 pass/fail, 1 fail/pass, 3 fail/fail:
# p_o = .7, p_e = .6 * .5 + .4 * .5 = .5, kappa = .4. Ben and Cat on items 1-12 (the pair
# sharing the most): p_o = 9/12, p_e = 6/12 * 5/12 + 6/12 * 7/12 = .5, kappa = .5. A labeler
# compared with themself would give 1.0.
KAPPA_ANA_BEN, KAPPA_BEN_CAT = 0.4, 0.5


def test_report_kappa_compares_two_different_labelers() -> None:
    from labeler.labeling.rubric import load_rubric
    from labeler.resources import default_rubric_path
    from labeler.team.agreement_report import stats_of_units

    question = load_rubric(default_rubric_path()).question("safety")
    assert question is not None
    two = [[a, b] for a, b in zip(ANA, BEN[:10], strict=True)]
    assert stats_of_units(two, question).kappa == KAPPA_ANA_BEN
    three = [[a, b, c] for a, b, c in zip([*ANA, None, None], BEN, CAT, strict=True)]
    assert stats_of_units(three, question).kappa == KAPPA_BEN_CAT


def test_workspace_report_kappa_is_the_hand_computed_one(workspace) -> None:
    from labeler.clock import utc_now
    from labeler.domain import Label, Profile
    from labeler.store import bundles, labelers, labels
    from labeler.store import items as item_rows
    from labeler.team.agreement_report import report

    session = workspace.session
    rubric = session.rubric

    def write(tx) -> None:
        bundles.insert(tx, {"bundle_id": "b", "week": "2026-W48", "created_at": "x"}, "0", "x")
        item_rows.insert_rows(tx, [
            (f"item-{n:02d}", "b", n, "2026-W48", "edit", "wrong", "x", "in", None, "m", "1",
             "{}", "out", "new", None, None, None, None, False, "[]", False, True, False, "h")
            for n in range(12)
        ], kind=item_rows.WEEK)  # fmt: skip
        for who, answers in (("ana", ANA), ("ben", BEN), ("cat", CAT)):
            labelers.upsert(tx, Profile(who, who.title(), "labeler", False), utc_now())
            for n, value in enumerate(answers):
                answer = {"safety": value}
                label = Label(f"item-{n:02d}", who, rubric.id, rubric.version, rubric.content_hash,
                              answer, "x", "x", 1.0)  # fmt: skip
                labels.put(tx, label)

    session.writer.run(write)
    safety = report(session).question("safety")
    assert safety is not None and safety.stats.n == 12
    assert safety.stats.kappa == KAPPA_BEN_CAT
    # The first two who answered, in id order: Ana/Ben on items 1-10, Ben/Cat on 11 and 12.
    assert safety.confusion.matrix == ((4, 2 + 1), (1, 3 + 1))
