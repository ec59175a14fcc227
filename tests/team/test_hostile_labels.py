"""Hostile label files through the real CLI: identity (the key decides who), answers against
the rubric version they name, timestamps, seconds spent, side order, an item twice, nesting,
lone surrogates, a 5 MB note, sizes. Each is refused with its sentence, exit 2, and the lead's
workspace unchanged to the byte."""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from labeler.clock import utc_now
from labeler.crypto import keys
from labeler.crypto.signed_files import write_signed
from labeler.crypto.signing import SigningKey, signing_key
from labeler.demo.events import synthetic_events
from labeler.store import exchange
from labeler.team.identity import key_labeler_id
from labeler.team.label_exchange import export_labels
from labeler.triage.build import BuildOptions, build_bundle
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.conftest import MEMORY_KEYRING, MemoryKeyring
from tests.hostile import refused, run

EDIT = {"verdict": "correct", "safety": "pass", "formatting": "pass"}


class Team:
    """Ana and Mallory (labelers, both trusted by the lead as such), Lee (the lead) and a
    stranger, each a real workspace, with Ana's genuine export."""

    def __init__(self, root: Path, backend: MemoryKeyring) -> None:
        self.root, self.backend = root, backend
        events = root / "events.jsonl"
        events.write_text(
            "".join(json.dumps(e) + "\n" for e in synthetic_events(dt.date(2026, 11, 23)))
        )
        bundle = root / "w48.lbundle"
        build_bundle([events], BuildOptions(week="2026-W48"), bundle)
        self.keys: dict[str, SigningKey] = {}
        for name, role in (("Ana", "labeler"), ("Mallory", "labeler"), ("Lee", "lead")):
            with Workspace.create(root / f"{name}.lbw") as ws:
                import_bundle(ws.store, ws.writer, bundle)
                ws.session.create_profile(name, role, restricted_access=False)
                self.keys[name] = signing_key(ws.store)
                if name == "Ana":
                    self._label(ws)
        with Workspace.create(root / "Stranger.lbw") as ws:
            self.keys["Stranger"] = signing_key(ws.store)
        with Workspace.open(root / "Lee.lbw") as lead:
            for name in ("Ana", "Mallory"):
                key = self.keys[name].public.encoded()
                lead.writer.run(lambda tx, k=key, n=name: exchange.trust(tx, k, n, utc_now()))
        self.lead = root / "Lee.lbw"

    def _label(self, ws: Workspace) -> None:
        session = ws.session
        rows = session.queue()
        edits = [r.id for r in rows if r.signal == "edit"][:3]
        pairs = [r.id for r in rows if r.signal == "side_by_side"][:1]
        for item_id in edits:
            session.save_label(session.open_item(item_id), EDIT, utc_now(), 2.0)
        for item_id in pairs:
            session.save_label(session.open_item(item_id), {"preference": "A"}, utc_now(), 2.0)
        self.genuine = self.root / "ana.llabels"
        export_labels(session, self.genuine)

    def payload(self) -> dict[str, Any]:
        return json.loads(json.loads(self.genuine.read_text())["payload"])

    def signed(self, name: str, payload: Any, signer: str = "Ana") -> Path:
        path = self.root / name
        write_signed(path, "labeler-labels", 1, payload, self.keys[signer])
        return path

    def raw(self, name: str, text: str, signer: str = "Ana") -> Path:
        """An envelope around a payload text written by hand (NaN, a key twice, ...)."""
        key = self.keys[signer]
        document = {
            "format": "labeler-labels", "format_version": 1, "public_key": key.public.encoded(),
            "payload": text, "signature": base64.b64encode(key.sign(text.encode())).decode(),
        }  # fmt: skip
        path = self.root / name
        path.write_text(json.dumps(document))
        return path


@pytest.fixture(scope="module")
def module_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory, module_keyring: MemoryKeyring) -> Team:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys, "PROTECTING_BACKENDS", keys.PROTECTING_BACKENDS | {MEMORY_KEYRING})
        keyring.set_keyring(module_keyring)
        return Team(tmp_path_factory.mktemp("team"), module_keyring)


@pytest.fixture
def team(built: Team, monkeypatch: pytest.MonkeyPatch) -> Iterator[Team]:
    """The team's workspaces with their keychain (each test's isolation resets the keyring)."""
    monkeypatch.setattr(keys, "PROTECTING_BACKENDS", keys.PROTECTING_BACKENDS | {MEMORY_KEYRING})
    keyring.set_keyring(built.backend)
    yield built


def _edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Team], Path]:
    def make(team: Team) -> Path:
        payload = team.payload()
        change(payload)
        return team.signed("hostile.llabels", payload)

    return make


def _first(kind: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """The first label of an edit (kind 'edit') or of a side-by-side pair (kind 'pair')."""

    def pick(payload: dict[str, Any]) -> dict[str, Any]:
        return next(e for e in payload["labels"] if (e["side_order"] is None) == (kind == "edit"))

    return pick


EDIT_LABEL, PAIR_LABEL = _first("edit"), _first("pair")
LABEL = r"^Error: hostile\.llabels: label \d+ \(item '[^']+'\): "


def _set(field: str, value: Any, which=EDIT_LABEL) -> Callable[[dict[str, Any]], None]:
    return lambda p: which(p).update({field: value})


def _answers(change: Callable[[dict[str, Any]], None], which=EDIT_LABEL):
    return lambda p: change(which(p)["answers"])


def _resigned_by(signer: str) -> Callable[[Team], Path]:
    return lambda t: t.signed("hostile.llabels", t.payload(), signer=signer)


def _raw_payload(transform: Callable[[str], str]) -> Callable[[Team], Path]:
    def make(team: Team) -> Path:
        text = json.dumps(team.payload(), sort_keys=True)
        return team.raw("hostile.llabels", transform(text))

    return make


HOSTILE: dict[str, tuple[Callable[[Team], Path], str]] = {
    # identity: the key decides who, never the payload
    "another labeler's payload re-signed": (
        _resigned_by("Mallory"),
        r"the file says it holds labeler 'labeler-[0-9a-f]+''s labels, but the key that signed it "
        r"is Mallory's",
    ),
    "another display name": (
        _edit(lambda p: p["labeler"].update(display_name="Ben")),
        r"the file names its labeler 'Ben', but the key that signed it is trusted as 'Ana'",
    ),
    "the lead role claimed": (
        _edit(lambda p: p["labeler"].update(role="lead")),
        r"the file claims the role 'lead'; a label file speaks for a labeler only",
    ),
    "a second identity": (
        _edit(lambda p: p["labeler"].update(id="labeler-0000000000000000beef")),
        r"holds labeler 'labeler-0000000000000000beef''s labels, but the key that signed it "
        r"is Ana's",
    ),
    "an untrusted key": (
        _resigned_by("Stranger"),
        r"signed by a key this workspace does not trust",
    ),
    "a control character in the name": (
        _edit(lambda p: p["labeler"].update(display_name="Ana\x1b[2J")),
        r"names its labeler 'Ana\\x1b\[2J'",
    ),
    # answers, against the rubric version they name
    "a choice that does not exist": (
        _edit(_answers(lambda a: a.update(verdict="superb"))),
        LABEL + r"'superb' is not an answer to Was the model's output right",
    ),
    "a question the rubric lacks": (
        _edit(_answers(lambda a: a.update(mood="happy"))),
        LABEL + r"'mood' is not a question of rubric default\.$",
    ),
    "a question for another signal": (
        _edit(_answers(lambda a: a.update(preference="A"))),
        LABEL + r"Which output is better\? does not apply to edit items\.$",
    ),
    "a required answer missing": (
        _edit(_answers(lambda a: a.pop("safety"))),
        LABEL + r"Safety is required\.$",
    ),
    "an answer of the wrong type": (
        _edit(_answers(lambda a: a.update(verdict=3))),
        r"a value in 'labels\[\d+\]\.answers' must be a string, not a number\.$",
    ),
    "a 5 MB note": (
        _edit(_answers(lambda a: a.update(note="n" * 5_000_000))),
        r"must be a string of at most 10000 characters\.$",
    ),
    "a note with a NUL": (
        _edit(_answers(lambda a: a.update(note="fine\x00"))),
        LABEL + r"an answer holds the control character U\+0000\.$",
    ),
    "a rubric version the file does not carry": (
        _edit(lambda p: (_set("rubric_hash", "0" * 64)(p), _set("rubric_version", "0.9")(p))),
        LABEL + r"made under rubric 'default' version '0\.9', whose text the file does not carry",
    ),
    "a carried rubric whose text is not its hash": (
        _edit(
            lambda p: (
                p["rubric"].update(hash="1" * 64, guidance="changed"),
                [e.update(rubric_hash="1" * 64) for e in p["labels"]],
            )
        ),
        r"hostile\.llabels: the rubric it carries does not match its hash\.$",
    ),
    # timestamps
    "started_at not a time": (
        _edit(_set("started_at", "yesterday")),
        LABEL + r"started_at is not an RFC 3339 timestamp\.$",
    ),
    "saved_at without an offset": (
        _edit(_set("saved_at", "2026-11-24T10:00:00")),
        LABEL + r"saved_at needs a time zone offset",
    ),
    "started after saved": (
        _edit(_set("started_at", "2099-01-01T00:00:00Z")),
        LABEL + r"started_at is 2099-01-01T00:00:00Z, not a time labels can be made at\.$",
    ),
    "exported in the year 3000": (
        _edit(lambda p: p.update(exported_at="3000-01-01T00:00:00Z")),
        r"hostile\.llabels: exported_at is 3000-01-01T00:00:00Z, not a time labels can be made at",
    ),
    "saved after the export": (
        _edit(lambda p: p.update(exported_at="2020-01-01T00:00:00Z")),
        LABEL + r"saved_at is after the file's exported_at\.$",
    ),
    # seconds spent
    "negative seconds": (
        _edit(_set("seconds_spent", -3)),
        r"field 'seconds_spent' of 'labels\[\d+\]' must be a number >= 0\.0\.$",
    ),
    "boolean seconds": (
        _edit(_set("seconds_spent", True)),
        r"field 'seconds_spent' of 'labels\[\d+\]' must be a number, not true/false\.$",
    ),
    "NaN seconds": (
        _raw_payload(lambda t: t.replace('"seconds_spent": 2.0', '"seconds_spent": NaN', 1)),
        r"hostile\.llabels: the payload: holds NaN, which is not a JSON number\.$",
    ),
    "infinite seconds": (
        _raw_payload(lambda t: t.replace('"seconds_spent": 2.0', '"seconds_spent": 1e999', 1)),
        r"the payload: holds a number too large for a double",
    ),
    "a month of seconds and more": (
        _edit(_set("seconds_spent", 31 * 24 * 3600 + 1)),
        r"field 'seconds_spent' of 'labels\[\d+\]' must be a number <= 2678400",
    ),
    # side order
    "sides on an edit": (_edit(_set("side_order", "AB")), LABEL + r"a edit item has no sides\.$"),
    "no sides on a pair": (
        _edit(_set("side_order", None, PAIR_LABEL)),
        LABEL + r"a side_by_side item needs a side_order \(AB or BA\)\.$",
    ),
    "sides named otherwise": (
        _edit(_set("side_order", "left")),
        r"field 'side_order' of 'labels\[\d+\]' must be one of AB, BA \(not 'left'\)\.$",
    ),
    # the same item twice
    "an item twice with different answers": (
        _edit(
            lambda p: p["labels"].append(
                {**EDIT_LABEL(p), "answers": {**EDIT, "verdict": "wrong", "failure_type": "wrong"}}
            )
        ),
        LABEL + r"the item is labeled twice in the file\.$",
    ),
    # JSON readers disagree on these
    "a key twice in the payload": (
        _raw_payload(lambda t: t.replace('"role": "labeler"', '"role": "labeler", "role": "lead"')),
        r"hostile\.llabels: the payload: has the key 'role' twice in one object\.$",
    ),
    "a lone surrogate in an answer": (
        _raw_payload(lambda t: t.replace('"verdict": "correct"', '"verdict": "\\ud800"', 1)),
        r"hostile\.llabels: the payload: holds a lone UTF-16 surrogate",
    ),
    "deep nesting in the payload": (
        _raw_payload(lambda t: t[:-1] + ', "extra": ' + "[" * 100_000 + "]" * 100_000 + "}"),
        r"hostile\.llabels: the payload: nested too deeply\.$",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_label_file_is_one_sentence_exit_2_and_nothing_written(
    team: Team, case: str
) -> None:
    make, message = HOSTILE[case]
    refused(team.lead, ["labels", "import", str(make(team))], message)


def test_envelope_faults(team: Team) -> None:
    good = json.loads(team.genuine.read_text())
    cases = {
        "dup.llabels": (
            json.dumps(good)[:-1] + ', "format": "labeler-labels"}',
            r"dup\.llabels: not a Labeler label file: has the key 'format' twice",
        ),
        "version.llabels": (
            json.dumps({**good, "format_version": True}),
            r"version\.llabels: unknown Labeler label file version True\.$",
        ),
        "key.llabels": (
            json.dumps({**good, "public_key": ["RW"]}),
            r"key\.llabels: the file names no signing key\.$",
        ),
        "deep.llabels": (
            "[" * 100_000 + "]" * 100_000,
            r"deep\.llabels: not a Labeler label file: nested",
        ),
        "latin1.llabels": (
            '{"format": "caf\xe9"}',
            r"latin1\.llabels: not a Labeler label file: not valid UTF-8",
        ),
    }
    for name, (text, message) in cases.items():
        path = team.root / name
        data = text.encode("latin-1") if name == "latin1.llabels" else text.encode()
        path.write_bytes(data)
        refused(team.lead, ["labels", "import", str(path)], message)


def test_a_huge_label_file_is_refused_before_it_is_read(team: Team) -> None:
    """A sparse 4 GiB file: the size comes from stat(), so no memory is spent on it."""
    path = team.root / "huge.llabels"
    with path.open("wb") as handle:
        handle.truncate(4 * 1024**3)
    refused(
        team.lead, ["labels", "import", str(path)], r"huge\.llabels: larger than 268435456 bytes"
    )


def test_own_labels_are_refused(team: Team) -> None:
    ana = team.root / "Ana.lbw"
    with Workspace.open(ana) as ws:
        key = team.keys["Ana"].public.encoded()
        ws.writer.run(lambda tx: exchange.trust(tx, key, "Ana", utc_now()))
    refused(ana, ["labels", "import", str(team.genuine)], r"these are your own labels")


def test_the_genuine_file_imports_under_the_keys_identity(team: Team) -> None:
    """After all the refusals, Ana's own file goes in, under the id and name her key gives."""
    result = run("--workspace", str(team.lead), "labels", "import", str(team.genuine))
    assert result.exit_code == 0, result.output
    assert "4 labels from Ana" in result.output
    with Workspace.open(team.lead) as ws:
        ana_id = key_labeler_id(team.keys["Ana"].public)
        stored = ws.store.query("SELECT count(*) FROM labels WHERE labeler_id = ?", (ana_id,))
        assert stored[0][0] == 4
        row = ws.store.query("SELECT display_name, role FROM labelers WHERE id = ?", (ana_id,))
        assert row == [("Ana", "labeler")]


def test_the_note_cap_is_the_rubrics() -> None:
    from labeler.labeling import rubric
    from labeler.team import formats

    assert formats.MAX_NOTE_CHARS == rubric.MAX_NOTE_CHARS
