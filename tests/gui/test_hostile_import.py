"""A hostile label file imported from the app: the check runs off the GUI thread, the same
sentence the CLI gives shows in an error dialog (never a traceback), and the lead's
workspace is unchanged to the byte."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox

from labeler.clock import utc_now
from labeler.crypto.signed_files import write_signed
from labeler.crypto.signing import signing_key
from labeler.gui import exchange_actions
from labeler.store import exchange
from labeler.team.label_exchange import export_labels
from labeler.workspace import Workspace
from tests.gui.test_two_laptops import laptops, open_window  # noqa: F401  (the fixture)
from tests.hostile import fingerprint


def _error_dialog() -> QMessageBox | None:
    found = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorDialog"]
    visible = [w for w in found if w.isVisible()]
    return visible[0] if visible else None  # type: ignore[return-value]


def test_a_hostile_label_file_shows_its_sentence_in_a_dialog(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    ana_ws, lead_ws = laptops
    session = ana_ws.session
    for row in session.queue()[:2]:
        session.save_label(
            session.open_item(row.id),
            {"verdict": "correct", "safety": "pass", "formatting": "pass"},
            utc_now(),
            1.0,
        )
    genuine = tmp_path / "ana.llabels"
    export_labels(session, genuine)
    payload = json.loads(json.loads(genuine.read_text())["payload"])
    payload["labeler"]["role"] = "lead"  # Ana's key, claiming the lead role
    hostile = tmp_path / "hostile.llabels"
    write_signed(hostile, "labeler-labels", 1, payload, signing_key(ana_ws.store))
    key = signing_key(ana_ws.store).public.encoded()
    lead_ws.writer.run(lambda tx: exchange.trust(tx, key, "Ana", utc_now()))
    lead_ws.writer.run(lambda tx: None)  # every earlier write is on disk before we look
    window = open_window(qtbot, lead_ws)
    before = fingerprint(lead_ws.path)
    exchange_actions.import_labels(window, lead_ws, hostile, window.changes_applied.emit)
    qtbot.waitUntil(lambda: _error_dialog() is not None, timeout=10_000)  # the worker is done
    box = _error_dialog()
    assert box is not None
    assert box.text() == (
        "hostile.llabels: the file claims the role 'lead'; a label file speaks for a labeler "
        "only, never for the lead."
    )
    assert "Traceback" not in box.text()
    box.close()
    assert fingerprint(lead_ws.path) == before
    window.close()
