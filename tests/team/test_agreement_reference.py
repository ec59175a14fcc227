"""The typed, vectorised agreement report against the implementation it replaced (a frozen
copy in agreement_reference.py): the lead demo, generated workspaces, explicit units with
their bootstrap intervals, and the bootstrap's draws against numpy's own ``integers``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.agreement_data import Layout, build
from labeler.demo.build import open_or_build_demo
from labeler.labeling.rubric import Choice, Question, load_rubric
from labeler.labeling.session import LabelingSession
from labeler.resources import default_rubric_path
from labeler.store import agreement as rows_of
from labeler.team import agreement_report as new
from labeler.team.bootstrap import resample_type_counts
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.team import agreement_reference as old
from tests.team.test_agreement_golden import assert_close

RUBRIC = load_rubric(default_rubric_path())
ORDINAL = Question(
    "quality", "Quality", "ordinal", tuple(Choice(c, c, str(i)) for i, c in enumerate("abcd"))
)


def assert_same_report(session: LabelingSession, **options: object) -> None:
    got = new.report(session, **options).to_json()  # type: ignore[arg-type]
    # Rubric release markers came after the implementation frozen here (none in these data).
    assert got.pop("releases") == []
    want = old.report(session, **options)
    if want["pooled"]["weeks"] == [want["week"]]:
        # Pooled over the week alone: the same items now give the week's interval (the old
        # report resampled them a second time and printed a different one).
        for pooled, week in zip(want["pooled"]["questions"], want["questions"], strict=True):
            pooled["alpha_ci95"] = week["alpha_ci95"]
        assert [q["alpha_ci95"] for q in got["pooled"]["questions"]] == [
            q["alpha_ci95"] for q in got["questions"]
        ]
    assert_close(got, want, "report")


@pytest.fixture(scope="module")
def lead(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabelingSession]:
    """One lead demo for the module (read only), built as conftest isolates a test."""
    import keyring

    from tests.conftest import MemoryKeyring

    folder = tmp_path_factory.mktemp("lead")
    previous = keyring.get_keyring()
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("LABELER_")]:
            patch.delenv(name)
        patch.setenv("XDG_DATA_HOME", str(folder / "xdg-data"))
        patch.setenv("XDG_CONFIG_HOME", str(folder / "xdg-config"))
        keyring.set_keyring(MemoryKeyring())
        session = open_or_build_demo(folder / "lead.lbw", role="lead").session
        yield session
        close_session(session)
    keyring.set_keyring(previous)


def test_lead_demo_equals_the_old_report(lead: LabelingSession) -> None:
    assert_same_report(lead)
    assert_same_report(lead, week="2026-W47", pooled_weeks=2, seed=5)
    assert_same_report(lead, intervals=False)
    for week in (None, "2026-W48", "2026-W46"):
        digest = [g.to_json() for g in new.gap_digest(lead, week)]
        assert_close(digest, old.guideline_gaps(lead, week), "gaps")


def test_pack_summary_figures_equal_the_old_ones(lead: LabelingSession) -> None:
    paired = old.paired_labels(lead)
    for weeks in ({"2026-W48"}, {"2026-W46", "2026-W47"}, set()):
        rows = [row for row in paired.rows if row[1] in weeks]
        questions = [q for q in lead.rubric.questions if q.kind != "free_text"]
        want = [old.question_stats(old.answer_units(paired, q, rows), q, None) for q in questions]
        got = [s.to_json() for s in new.question_figures(lead, weeks)]
        assert_close(got, want, "figures")


@pytest.mark.parametrize(
    "layout",
    [
        Layout(paired=120, weeks=3, third=0.6, swap_pair=0.2, singles=30, side_by_side=0.3,
               evals=0.2, missing=0.15, odd=0.05, resolved=0.5, ordinal=True, seed=11),
        Layout(paired=90, weeks=2, noise=0.4, side_by_side=0.5, resolved=0.2, seed=12),
        Layout(paired=60, weeks=6, third=1.0, missing=0.3, ordinal=True, seed=13),
    ],
)  # fmt: skip
def test_generated_workspaces_equal_the_old_report(
    tmp_path: Path, no_keyring: None, layout: Layout, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks.agreement_data import PASSPHRASE

    path = build(tmp_path / "ws.lbw", layout)
    monkeypatch.setenv("LABELER_PASSPHRASE", PASSPHRASE)
    ws = Workspace.open(path)
    try:
        assert_same_report(ws.session)
        assert_same_report(ws.session, week=old.report(ws.session)["weeks"][0], seed=3)
        for week in (None, "2026-W31"):
            got = [g.to_json() for g in new.gap_digest(ws.session, week)]
            assert_close(got, old.guideline_gaps(ws.session, week), "gaps")
    finally:
        ws.close()


def _units(width: int, values: list) -> st.SearchStrategy[list[list]]:
    cell = st.one_of(st.none(), st.sampled_from(values))
    return st.lists(st.lists(cell, min_size=width, max_size=width), min_size=0, max_size=40)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 3).flatmap(lambda w: _units(w, ["pass", "fail", "other"])),
    st.integers(0, 2**32 - 1),
)
def test_explicit_units_equal_the_old_figures(units: list[list], seed: int) -> None:
    question = RUBRIC.question("safety")
    assert question is not None
    want = old.question_stats(units, question, np.random.default_rng(seed))
    assert_close(new.stats_of_units(units, question, seed).to_json(), want, "stats")


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 4).flatmap(lambda w: _units(w, [0, 1, 2, 3])), st.integers(0, 99))
def test_explicit_ordinal_units_equal_the_old_figures(units: list[list], seed: int) -> None:
    want = old.question_stats(units, ORDINAL, np.random.default_rng(seed))
    assert_close(new.stats_of_units(units, ORDINAL, seed).to_json(), want, "stats")


def test_many_values_and_labelers_equal_the_old_figures() -> None:
    """30 values among 4 labelers: too many to pack a unit's counts in one integer."""
    question = RUBRIC.question("verdict")
    assert question is not None
    rng = np.random.default_rng(8)
    values = [f"v{i}" for i in range(30)]
    units = [[None if rng.random() < 0.2 else values[int(rng.integers(0, 30))]
              for _ in range(4)] for _ in range(60)]  # fmt: skip
    want = old.question_stats(units, question, np.random.default_rng(1))
    assert_close(new.stats_of_units(units, question, 1).to_json(), want, "stats")


@pytest.mark.parametrize("size", [2, 3, 7, 1024, 1025, 99_991, 2**31 + 1])
def test_draws_in_blocks_are_the_draws_of_one_call(size: int) -> None:
    """What the bootstrap relies on: numpy's bounded integers in consecutive calls (int32 or
    int64) are the values of one call, and leave the generator where that call does.
    2**31 + 1 makes Lemire's method reject nearly half the words."""
    whole = np.random.default_rng(17).integers(0, size, size=(7, 50_000))
    rng = np.random.default_rng(17)
    dtype = np.int32 if size < 2**31 else np.int64
    blocks = [rng.integers(0, size, size=(rows, 50_000), dtype=dtype) for rows in (1, 4, 2)]
    assert np.array_equal(np.concatenate(blocks), whole)
    after = np.random.default_rng(17)
    after.integers(0, size, size=(7, 50_000))
    assert np.array_equal(rng.integers(0, 10, size=9), after.integers(0, 10, size=9))


def test_resampled_type_counts_match_one_integers_call() -> None:
    rng = np.random.default_rng(4)
    numpy_rng, ours = np.random.default_rng(0), np.random.default_rng(0)
    for size in (2, 50, 3_000, 120_000, 1_000_000):
        types = rng.integers(0, 5, size=size)
        resamples = 1000 if size < 10_000 else 40 if size < 500_000 else 10
        draws = numpy_rng.integers(0, size, size=(resamples, size))
        want = np.stack([np.bincount(types[row], minlength=5) for row in draws])
        assert np.array_equal(resample_type_counts(ours, types, 5, resamples), want), size
    assert np.array_equal(ours.integers(0, 99, size=5), numpy_rng.integers(0, 99, size=5))


def test_the_report_never_reads_item_texts(lead: LabelingSession) -> None:
    """Only ids, weeks, kinds and reason codes of items are read (an authorizer sees each
    column)."""
    read: set[tuple[str, str]] = set()

    def note(action: int, table: str | None, column: str | None, *_: object) -> int:
        if action == 20 and table == "items":  # SQLITE_READ
            read.add((table, column or ""))
        return 0  # SQLITE_OK

    lead.store.conn.set_authorizer(note)
    try:
        new.report(lead)  # its item reads run on a reader of their own: read them here too
        rows_of.item_weeks(lead.store)
        rows_of.item_reasons(lead.store, "2026-W48")
        new.gap_digest(lead)
    finally:
        lead.store.conn.set_authorizer(None)
    assert {column for _, column in read} <= {"id", "week", "kind", "reason_code", "ROWID", ""}
    assert ("items", "week") in read


def test_a_question_that_fails_to_code_stops_the_report_instead_of_hanging_it(
    lead: LabelingSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intervals' thread waits for each question to be coded; a failure there must
    reach the caller, not leave that thread waiting (the report would never return)."""
    import threading

    from labeler.team import agreement_report as ar

    coded = ar._Compared.question

    def second_fails(self: ar._Compared, column: int) -> ar._Question:
        if column == 1:
            raise RuntimeError("cannot code")
        return coded(self, column)

    monkeypatch.setattr(ar._Compared, "question", second_fails)
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            ar.report(lead)
        except RuntimeError as err:
            outcome.append(err)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive(), "the report hung"
    assert [str(e) for e in outcome] == ["cannot code"]
