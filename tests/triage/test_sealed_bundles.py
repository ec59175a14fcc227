"""Sealed bundles across laptops: triage seals to the roster; restricted text reaches only the
laptops allowed to open it; forged, foreign and tampered bundles write nothing."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from labeler.cli import cli
from labeler.crypto import roster, signing
from labeler.errors import ValidationError
from labeler.store import meta, rosters
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.triage.sealed_bundle import seal_to_team
from labeler.workspace import Workspace
from tests.triage.test_sampling import make_events, write

PEOPLE = {  # name: (role, restricted access)
    "lee": ("lead", True), "tia": ("triage", False), "ana": ("labeler", False),
    "bo": ("labeler", True),
}  # fmt: skip


@pytest.fixture
def team(tmp_path: Path, memory_keyring: object) -> Iterator[dict[str, Workspace]]:
    """Four laptops on one team: each imported the lead's roster."""
    laptops = {name: Workspace.create(tmp_path / f"{name}.lbw") for name in PEOPLE}
    lee = laptops["lee"]
    roster.init(lee.store, lee.writer, "Lee")
    for name, (role, restricted) in PEOPLE.items():
        if name == "lee":
            continue
        card = tmp_path / f"{name}.card"
        roster.write_card(laptops[name].store, card, name.title())
        roster.add(lee.store, lee.writer, card, role, restricted)
    roster.export(lee.store, tmp_path / "team.roster")
    lead_key = signing.signing_key(lee.store).public.encoded()
    for name, ws in laptops.items():
        if name != "lee":
            roster.accept(ws.store, ws.writer, tmp_path / "team.roster", lead_key=lead_key)
    yield laptops
    for ws in laptops.values():
        ws.close()


def _events(tmp_path: Path) -> Path:
    # reason 4 is sensitive_data: those items are restricted; others carry a card number.
    events = make_events([(r, n % 7, n) for r in range(6) for n in range(12)])
    for event in events[:3]:
        event["input"] = "my card is 4111 1111 1111 1111, please help"
    return write(tmp_path / "events.jsonl", events)


def _build(tmp_path: Path, ws: Workspace, name: str = "week.lbundle") -> Path:
    out = tmp_path / name
    build_bundle([_events(tmp_path)], BuildOptions(week="2026-W48"), out,
                 seal=seal_to_team(ws.store))  # fmt: skip
    return out


def _item_texts(ws: Workspace) -> str:
    rows = ws.store.query("SELECT id, coalesce(input, '') || coalesce(output, '') FROM items")
    return " ".join(f"{r[0]} {r[1]}" for r in rows)


def test_restricted_text_reaches_only_the_laptops_allowed(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    bundle = _build(tmp_path, team["tia"])
    raw = bundle.read_bytes()
    assert b"4111" not in raw and b"input 0" not in raw  # nothing in clear, anywhere
    for name in ("lee", "ana", "bo"):
        import_bundle(team[name].store, team[name].writer, bundle)
    ana, bo = team["ana"], team["bo"]
    restricted_bo = bo.store.query("SELECT id FROM items WHERE restricted")
    assert restricted_bo, "the week has restricted items"
    withheld = {r[0] for r in ana.store.query("SELECT id FROM withheld_items")}
    assert withheld == {r[0] for r in restricted_bo}
    # Ana's workspace holds no restricted item, no text of one: only ids and kinds, aside.
    assert ana.store.query("SELECT count(*) FROM items WHERE restricted") == [(0,)]
    assert "4111" not in _item_texts(ana)
    assert "4111" in _item_texts(bo) and rosters.withheld_count(bo.store) == 0
    assert ana.store.query("SELECT DISTINCT kind FROM withheld_items") == [("week",)]
    # Both laptops hold the same open items, under the same ids.
    open_ids = "SELECT id FROM items WHERE NOT restricted ORDER BY id"
    assert ana.store.query(open_ids) == bo.store.query(open_ids)


def test_a_bundle_sealed_by_a_labeler_or_a_stranger_is_refused(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    with pytest.raises(Exception, match="Only the team's triage member or lead"):
        seal_to_team(team["ana"].store)
    stranger = Workspace.create(tmp_path / "eve.lbw")
    try:
        roster.init(stranger.store, stranger.writer, "Eve")  # her own team of one
        forged = _build(tmp_path, stranger, "forged.lbundle")
    finally:
        stranger.close()
    ana = team["ana"]
    before = meta.counts(ana.store)
    with pytest.raises(ValidationError, match="not on the team roster"):
        import_bundle(ana.store, ana.writer, forged)
    assert meta.counts(ana.store) == before


def test_a_team_workspace_refuses_a_plain_bundle(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    plain = tmp_path / "plain.lbundle"
    build_bundle([_events(tmp_path)], BuildOptions(week="2026-W48"), plain)
    with pytest.raises(ValidationError, match="not a sealed bundle"):
        import_bundle(team["ana"].store, team["ana"].writer, plain)
    # A file cut short, or none: said as it is (they were 'not a sealed bundle' too).
    cut = tmp_path / "cut.lbundle"
    cut.write_bytes(plain.read_bytes()[: plain.stat().st_size // 2])
    with pytest.raises(ValidationError, match=r"^cut\.lbundle: not a bundle \(not a zip file"):
        import_bundle(team["ana"].store, team["ana"].writer, cut)
    with pytest.raises(ValidationError, match="no such file"):
        import_bundle(team["ana"].store, team["ana"].writer, tmp_path / "gone.lbundle")


def test_a_laptop_on_no_team_cannot_check_a_sealed_bundle(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    bundle = _build(tmp_path, team["tia"])
    with Workspace.create(tmp_path / "new.lbw") as fresh:
        with pytest.raises(ValidationError, match="import the lead's roster first"):
            import_bundle(fresh.store, fresh.writer, bundle)
        assert meta.counts(fresh.store)["items"] == 0


def test_tampering_anywhere_writes_nothing(team: dict[str, Workspace], tmp_path: Path) -> None:
    bundle = _build(tmp_path, team["tia"])
    raw = bundle.read_bytes()
    bo = team["bo"]
    for offset in range(0, len(raw), max(1, len(raw) // 60)):
        damaged = bytearray(raw)
        damaged[offset] ^= 0x20
        target = tmp_path / "t.lbundle"
        target.write_bytes(bytes(damaged))
        with pytest.raises(ValidationError):
            import_bundle(bo.store, bo.writer, target)
    assert meta.counts(bo.store)["items"] == 0 and rosters.withheld_count(bo.store) == 0


def test_a_member_removed_from_the_roster_cannot_open_the_next_bundle(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    lee, tia, ana = team["lee"], team["tia"], team["ana"]
    roster.remove(lee.store, lee.writer, "Ana")
    roster.export(lee.store, tmp_path / "v6.roster")
    roster.accept(tia.store, tia.writer, tmp_path / "v6.roster")
    bundle = _build(tmp_path, tia)
    with pytest.raises(ValidationError, match="encrypted to no identity this laptop holds"):
        import_bundle(ana.store, ana.writer, bundle)


def test_the_cli_builds_sealed_and_says_why_it_cannot(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    events = _events(tmp_path)
    out = tmp_path / "cli.lbundle"
    for ws in team.values():
        ws.close()  # the CLI opens them itself
    runner = CliRunner()
    args = ["bundle", "build", str(events), "--week", "2026-W48", "-o", str(out)]
    done = runner.invoke(cli, ["--workspace", str(tmp_path / "tia.lbw"), *args])
    assert done.exit_code == 0, done.output
    # the roster's labelers share the week (the workspace named by the global option)
    assert "Assigned: Ana " in done.output and "Bo " in done.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == [
            "items.age", "manifest.age", "restricted.age", "seal.json", "seal.json.minisig",
        ]  # fmt: skip
    refused = runner.invoke(cli, ["--workspace", str(tmp_path / "ana.lbw"), *args])
    assert refused.exit_code == 2 and "Only the team's triage member or lead" in refused.output
    shown = runner.invoke(cli, ["--workspace", str(tmp_path / "ana.lbw"), "bundle", "inspect",
                                str(out)])  # fmt: skip
    assert shown.exit_code == 0, shown.output
    imported = runner.invoke(cli, ["--workspace", str(tmp_path / "ana.lbw"), "bundle", "import",
                                   str(out)])  # fmt: skip
    assert imported.exit_code == 0 and "items added" in imported.output
    assert "restricted items are sealed to the members with restricted access" in imported.output
    purge = runner.invoke(cli, ["--workspace", str(tmp_path / "ana.lbw"), "purge", "--subject",
                                "acct-1"])  # fmt: skip
    assert purge.exit_code == 2 and "go through the lead" in purge.output
    team.clear()  # closed above


def test_a_bundle_swapped_between_the_check_and_the_write_writes_nothing(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    # The import reads a sealed bundle twice (checks, then writes in its transaction): if the
    # file changes in between, the second read is refused and the transaction rolls back.
    bundle = _build(tmp_path, team["tia"])
    (tmp_path / "again").mkdir()
    other = _build(tmp_path / "again", team["tia"])  # the same items, sealed afresh
    assert other.read_bytes() != bundle.read_bytes()
    bo = team["bo"]
    before = meta.counts(bo.store)

    def swap(done: int, total: int, what: str) -> None:
        if what.startswith("Writing"):
            bundle.write_bytes(other.read_bytes())

    with pytest.raises(
        ValidationError, match=r"week\.lbundle: items\.age (is longer than|does not match)"
    ):
        import_bundle(bo.store, bo.writer, bundle, progress=swap)
    assert meta.counts(bo.store) == before
    assert bo.store.query("SELECT count(*) FROM bundles") == [(0,)]


def test_a_part_this_laptop_cannot_read_is_still_checked(
    team: dict[str, Workspace], tmp_path: Path
) -> None:
    """A byte changed in the restricted part: Ana cannot decrypt it, but the signed seal's
    sha256 of it must still hold, or Ana and Bo would hold different weeks."""
    bundle = _build(tmp_path, team["tia"])
    with zipfile.ZipFile(bundle) as archive:
        info = archive.getinfo("restricted.age")
    start = info.header_offset + 30 + len(info.filename)
    raw = bytearray(bundle.read_bytes())
    raw[start + info.compress_size // 2] ^= 0x01
    damaged = tmp_path / "damaged.lbundle"
    damaged.write_bytes(bytes(raw))
    for name in ("ana", "bo"):
        with pytest.raises(ValidationError, match="changed or damaged"):
            import_bundle(team[name].store, team[name].writer, damaged)
        assert meta.counts(team[name].store)["items"] == 0
