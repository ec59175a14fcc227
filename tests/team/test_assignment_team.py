"""Assignment across laptops: two labelers import one assigned bundle, each queue's "mine and
pairs" is exactly their share, the lead sees progress per person from their label files, and
a label outside its assignment is kept but makes no pair."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.clock import utc_now
from labeler.crypto.signing import signing_key
from labeler.labeling.session import LabelingSession
from labeler.status import week_status
from labeler.store import exchange, migrations
from labeler.store import resolutions as resolution_rows
from labeler.store.queue import QueueFilter
from labeler.team.identity import key_labeler_id
from labeler.team.label_exchange import export_labels, import_labels
from labeler.team.reconcile import disagreements, gold_labels
from labeler.triage.assignment import AssignedLabeler
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import close_session
from tests.factories import assigned_bundle
from tests.team.test_label_exchange import ANSWERS, labeler_id

MINE = QueueFilter(mine=True)
OVERLAP = (0, 1, 2)


def _seat(tmp_path: Path, name: str, role: str) -> LabelingSession:
    session = Workspace.create(tmp_path / f"{name}.lbw").session
    session.create_profile(name, role, restricted_access=False)
    return session


def _label(session: LabelingSession, ids: list[str], verdict: str = "correct") -> None:
    for item_id in ids:
        answers = {**ANSWERS, "verdict": verdict}
        session.save_label(session.open_item(item_id), answers, utc_now(), 2.0)


def test_two_laptops_see_their_share_and_the_lead_sees_each_persons_progress(
    tmp_path: Path, memory_keyring
) -> None:
    ana, bo = _seat(tmp_path, "Ana", "labeler"), _seat(tmp_path, "Bo", "labeler")
    lee = _seat(tmp_path, "Lee", "lead")
    team = [AssignedLabeler(labeler_id(ana), "Ana"), AssignedLabeler(labeler_id(bo), "Bo")]
    bundle = assigned_bundle(tmp_path / "w.lbundle", 20, team, overlap=OVERLAP)
    for session in (ana, bo, lee):
        import_bundle(session.store, session.writer, bundle)
    assigned = dict(lee.store.query("SELECT item_id, labeler_id FROM assignments ORDER BY item_id"))
    pairs = [f"item-2026-W48-{n:06d}" for n in OVERLAP]
    shares = {}
    for session, name in ((ana, "Ana"), (bo, "Bo")):
        me = labeler_id(session)
        own = sorted(i for i, who in assigned.items() if who == me)
        assert own, name
        shares[name] = own
        assert sorted(session.queue_ids(MINE)) == sorted(own + pairs)
        assert len(session.queue_ids()) == 20  # "All" is still there
        assert session.has_assignment()
        assert session.queue_progress() == (0, len(own) + len(pairs))
    assert sorted(shares["Ana"] + shares["Bo"]) == sorted(assigned)
    assert not set(assigned) & set(pairs)

    _label(ana, shares["Ana"][:3] + pairs)
    _label(bo, shares["Bo"][:1] + pairs[:2], verdict="acceptable")
    assert len(shares["Ana"]) > 3
    # Outside Bo's assignment: one item Ana labeled too, one she did not.
    _label(bo, [shares["Ana"][0], shares["Ana"][-1]], verdict="acceptable")
    assert ana.queue_progress() == (6, len(shares["Ana"]) + 3)
    assert bo.queue_progress() == (3, len(shares["Bo"]) + 3)  # the stray label is not counted
    # Each laptop's own status counts its person's labels (stored under their profile id, not
    # the id the assignment names them by: they counted as none, and as outside).
    mine = {p.display_name: p for p in week_status(ana, "2026-W48").people}
    assert (mine["Ana"].own_labeled, mine["Ana"].pairs_labeled, mine["Ana"].outside) == (3, 3, 0)
    mine = {p.display_name: p for p in week_status(bo, "2026-W48").people}
    assert (mine["Bo"].own_labeled, mine["Bo"].pairs_labeled, mine["Bo"].outside) == (1, 2, 2)

    for session, name in ((ana, "ana"), (bo, "bo")):
        file = tmp_path / f"{name}.llabels"
        export_labels(session, file)
        key = signing_key(session.store).public.encoded()
        lee.writer.run(lambda tx, k=key, n=name: exchange.trust(tx, k, n.title(), utc_now()))
        import_labels(lee, file)
    status = week_status(lee, "2026-W48")
    people = {p.display_name: p for p in status.people}
    assert (people["Ana"].own_labeled, people["Ana"].own) == (3, len(shares["Ana"]))
    assert (people["Ana"].pairs_labeled, people["Ana"].pairs) == (3, 3)
    assert (people["Bo"].own_labeled, people["Bo"].own) == (1, len(shares["Bo"]))
    assert (people["Bo"].pairs_labeled, people["Bo"].outside) == (2, 2)
    assert status.outside_assignment == 2

    # The stray label is kept, but only the two overlap items both labeled are pairs.
    stray = shares["Ana"][0]
    kept = lee.store.query("SELECT labeler_id FROM labels WHERE item_id = ?", (stray,))
    assert sorted(r[0] for r in kept) == sorted([labeler_id(ana), labeler_id(bo)])
    paired = resolution_rows.labels_by_item(lee.store, paired_only=True)
    assert sorted(paired) == sorted(pairs[:2])
    assert status.disagreements.open == 2  # the two pairs, not the stray label's item
    assert sorted(d.item_id for d in disagreements(lee)) == sorted(pairs[:2])
    gold = gold_labels(lee)
    assert gold[stray].answers["verdict"] == "correct"  # Ana's: the item is hers
    assert gold[shares["Ana"][-1]].answers["verdict"] == "acceptable"  # only Bo labeled it

    out = CliRunner().invoke(cli, ["status", "--workspace", str(lee.store.path)])
    assert out.exit_code == 0, out.output
    assert f"Ana: 3 / {len(shares['Ana'])} of their share, 3 / 3 pairs" in out.output
    assert "2 outside assignment" in out.output
    data = json.loads(
        CliRunner().invoke(cli, ["status", "--json", "--workspace", str(lee.store.path)]).output
    )
    assert {p["display_name"]: p["own"] for p in data["people"]} == {
        "Ana": len(shares["Ana"]),
        "Bo": len(shares["Bo"]),
    }
    assert data["outside_assignment"] == 2
    for session in (ana, bo, lee):
        close_session(session)


def test_migrations_are_numbered_by_name_and_a_missing_number_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers = [migrations.number(m) for m in migrations.MIGRATIONS]
    assert numbers == sorted(set(numbers)) and numbers[-1] == migrations.SCHEMA_VERSION
    assert 11 in numbers
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for migration in migrations.MIGRATIONS[:9]:
        migration(conn)
    conn.execute("PRAGMA user_version = 9")
    # As on a branch where another's 10 has not landed yet: 9 goes straight to 11.
    without_10 = [m for m in migrations.MIGRATIONS if migrations.number(m) != 10]
    monkeypatch.setattr(migrations, "MIGRATIONS", without_10)
    assert migrations.migrate(conn) == 1
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 11
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"assignments", "assignment_labelers"} <= tables


def test_bundle_build_takes_its_labelers_from_the_roster(tmp_path: Path, memory_keyring) -> None:
    from labeler.crypto import roster
    from tests.factories import sealed_parts
    from tests.triage.test_sampling import make_events, write

    lee, ana = Workspace.create(tmp_path / "lee.lbw"), Workspace.create(tmp_path / "ana.lbw")
    roster.init(lee.store, lee.writer, "Lee")
    roster.write_card(ana.store, tmp_path / "ana.card", "Ana")
    roster.add(lee.store, lee.writer, tmp_path / "ana.card", "labeler", True)
    ana_id = key_labeler_id(signing_key(ana.store).public)
    ana.close(), lee.close()
    events = write(
        tmp_path / "e.jsonl", make_events([(r, n % 7, n) for r in range(6) for n in range(20)])
    )
    out = tmp_path / "w.lbundle"
    result = CliRunner().invoke(
        cli, ["bundle", "build", str(events), "--week", "2026-W48", "-o", str(out), "--roster",
              "--workspace", str(tmp_path / "lee.lbw")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    section = sealed_parts(out, str(tmp_path / "lee.lbw"))[0]["assignment"]
    assert section["labelers"] == [{"id": ana_id, "display_name": "Ana", "restricted": True}]
    assert set(section["items"].values()) == {ana_id}
