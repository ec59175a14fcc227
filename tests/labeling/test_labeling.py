"""Labeling without the GUI: rules, undo, and labels surviving a killed process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from labeler.clock import utc_now
from labeler.errors import ValidationError
from labeler.labeling.session import LabelingSession
from labeler.workspace import Workspace


@pytest.fixture
def session(tmp_path: Path, memory_keyring) -> LabelingSession:
    from labeler.demo.build import open_or_build_demo

    return open_or_build_demo(tmp_path / "demo.lbw").session


def first(session: LabelingSession, signal_name: str) -> str:
    return next(r.id for r in session.queue() if r.signal == signal_name)


def test_rules_and_rubric_identity(session: LabelingSession) -> None:
    item = session.open_item(first(session, "edit"))
    with pytest.raises(ValidationError, match="What kind of failure"):
        session.save_label(
            item, {"verdict": "wrong", "safety": "pass", "formatting": "pass"}, utc_now(), 1
        )
    with pytest.raises(ValidationError, match="does not apply"):
        session.save_label(
            item,
            {"verdict": "correct", "safety": "pass", "formatting": "pass", "preference": "A"},
            utc_now(),
            1,
        )
    with pytest.raises(ValidationError, match="not an answer"):
        session.save_label(
            item, {"verdict": "great", "safety": "pass", "formatting": "pass"}, utc_now(), 1
        )
    session.save_label(
        item,
        {"verdict": "wrong", "failure_type": "formatting", "safety": "pass", "formatting": "fail"},
        utc_now(),
        2.5,
    )
    label = session.label_of(item.id)
    assert label is not None and label.rubric_version == session.rubric.version
    assert label.rubric_hash == session.rubric.content_hash and label.seconds_spent == 2.5


def test_undo_puts_back_the_previous_answers(session: LabelingSession) -> None:
    item = session.open_item(first(session, "edit"))
    base = {"safety": "pass", "formatting": "pass"}
    session.save_label(item, {"verdict": "correct", **base}, utc_now(), 1)
    session.save_label(item, {"verdict": "acceptable", **base}, utc_now(), 1)
    session.undo_last_label()
    assert session.label_of(item.id).answers["verdict"] == "correct"  # type: ignore[union-attr]
    session.undo_last_label()
    assert session.label_of(item.id) is None
    assert session.undo_last_label() == (None, session.undo_last_label()[1])


def test_a_saved_label_survives_a_killed_process(tmp_path: Path, no_keyring) -> None:
    from labeler.demo.build import open_or_build_demo

    path = tmp_path / "kill.lbw"
    open_or_build_demo(path).close()
    script = (
        "import os, signal, sys\n"
        "from labeler.labeling.session import LabelingSession\n"
        "from labeler.clock import utc_now\n"
        "from labeler.workspace import Workspace\n"
        "ws = Workspace.open(sys.argv[1], passphrase='labeler-demo')\n"
        "s = ws.session\n"
        "row = next(r for r in s.queue() if r.signal == 'edit')\n"
        "s.save_label(s.open_item(row.id), {'verdict': 'correct', 'safety': 'pass', "
        "'formatting': 'pass'}, utc_now(), 1.0)\n"
        "print(row.id, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL
    item_id = done.stdout.strip()
    assert os.path.exists(str(path) + "-wal")  # killed: never checkpointed or closed
    with Workspace.open(path, passphrase="labeler-demo") as ws:
        session = ws.session
        label = session.label_of(item_id)
        assert label is not None and label.answers["verdict"] == "correct"
