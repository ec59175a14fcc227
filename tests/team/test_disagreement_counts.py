"""Every disagreement count shown (status, Home, the agreement report, Reconcile's summary)
is the count of what Reconcile lists: the week's items of the report's week and of every
week, and eval pairs apart (their raters' disagreements are settled there too: an eval judges
a pair by its gold label)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from labeler.cli import cli
from labeler.demo.build import open_or_build_demo
from labeler.status import week_status
from labeler.store.items import EVAL_PAIR, WEEK
from labeler.team.agreement_report import report
from labeler.team.reconcile import disagreement_counts, disagreements


def test_counts_are_what_reconcile_lists(tmp_path: Path, memory_keyring) -> None:
    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    try:
        listed = Counter(
            (e.kind, e.week, e.resolution is not None) for e in disagreements(ws.session)
        )
        assert listed[(EVAL_PAIR, "2026-W48", False)] >= 1  # the demo has an eval pair to settle
        status = week_status(ws.session)
        dis = status.disagreements
        week_items = {k: v for k, v in listed.items() if k[0] == WEEK}
        assert dis.open == sum(v for (_, _, done), v in week_items.items() if not done)
        assert dis.resolved == sum(v for (_, _, done), v in week_items.items() if done)
        assert (dis.week_open, dis.week_resolved) == (
            listed[(WEEK, "2026-W48", False)],
            listed[(WEEK, "2026-W48", True)],
        )
        assert (dis.eval_open, dis.eval_resolved) == (
            sum(v for (kind, _, done), v in listed.items() if kind == EVAL_PAIR and not done),
            sum(v for (kind, _, done), v in listed.items() if kind == EVAL_PAIR and done),
        )
        earlier = report(ws.session, week="2026-W47", intervals=False).disagreements
        assert (earlier.open, earlier.resolved) == (dis.open, dis.resolved)  # every week
        assert (earlier.eval_open, earlier.eval_resolved) == (dis.eval_open, dis.eval_resolved)
        assert (earlier.week_open, earlier.week_resolved) == (
            listed[(WEEK, "2026-W47", False)],
            listed[(WEEK, "2026-W47", True)],
        )
        assert disagreement_counts(ws.session, EVAL_PAIR) == (dis.eval_open, dis.eval_resolved)
        path = str(ws.path)
    finally:
        ws.close()
    out = CliRunner().invoke(cli, ["--workspace", path, "status"])
    assert out.exit_code == 0, out.output
    assert f"disagreements: {dis.text()}" in out.output
    assert f"eval pairs: {dis.eval_open} open, {dis.eval_resolved} resolved" in out.output
    out = CliRunner().invoke(cli, ["--workspace", path, "agreement", "--week", "2026-W47"])
    assert out.exit_code == 0, out.output
    assert f"Disagreements: {earlier.text()}." in out.output


def test_a_week_the_workspace_lacks_is_refused(tmp_path: Path, memory_keyring) -> None:
    """'agreement --week bogus' and 'status --week 2026-W40' printed a report of nothing,
    exit 0."""
    ws = open_or_build_demo(tmp_path / "lead.lbw", role="lead")
    path = str(ws.path)
    ws.close()
    for args, said in (
        (["agreement", "--week", "bogus"], "--week 'bogus' is not an ISO week like 2026-W48."),
        (["agreement", "--week", "2026-W40", "--json"], "--week 2026-W40: this workspace holds "
         "no items of it (weeks: 2026-W46, 2026-W47, 2026-W48)."),
        (["status", "--week", "2026-W40"], "no items of it"),
    ):  # fmt: skip
        out = CliRunner().invoke(cli, ["--workspace", path, *args])
        assert out.exit_code == 2 and said in out.output, out.output
    assert (
        CliRunner().invoke(cli, ["--workspace", path, "status", "--week", "2026-W47"]).exit_code
        == 0
    )
