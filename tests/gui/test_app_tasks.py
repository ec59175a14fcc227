"""What was CLI-only, done in the app: trusting a key, feedback both ways between two
laptops, building an eval from a pack and running the gate — real files, real windows."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QApplication

from labeler.crypto import roster
from labeler.crypto.sealed import is_sealed
from labeler.crypto.signing import signing_key
from labeler.gui import eval_actions, pack_actions, team_actions
from labeler.gui.main_window import MainWindow
from labeler.resources import shipped_path
from labeler.store import exchange
from labeler.team.feedback import where_overruled
from labeler.workspace import Workspace
from tests.gui.test_reconcile_view import lead_window  # noqa: F401  (fixture)
from tests.gui.test_two_laptops import laptops, open_window, save_by_keys  # noqa: F401


def visible_dialogs(name: str) -> list[object]:
    return [w for w in QApplication.topLevelWidgets() if w.objectName() == name and w.isVisible()]


def close_messages() -> None:
    for box in visible_dialogs("messageDialog") + visible_dialogs("errorDialog"):
        box.close()  # type: ignore[attr-defined]


def wait_thread(qtbot, thread) -> None:  # type: ignore[no-untyped-def]
    def finished() -> bool:
        try:
            return bool(thread.isFinished())
        except RuntimeError:  # already deleted: it finished and was cleaned up
            return True

    qtbot.waitUntil(finished, timeout=20_000)
    qtbot.wait(50)  # its result is delivered through a queued signal


def test_trusting_a_key_in_the_app(
    qtbot,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    ana, lead_ws = laptops
    lead = open_window(qtbot, lead_ws)
    key = signing_key(ana.store).public.minisign_file()
    assert not team_actions.trust_key(lead, lead_ws, "not a key", "Ana", lead.changes_applied.emit)
    assert visible_dialogs("errorDialog") and exchange.trusted(lead_ws.store) == []
    close_messages()
    assert team_actions.trust_key(lead, lead_ws, key, " Ana ", lead.changes_applied.emit)
    assert [name for name, _ in exchange.trusted(lead_ws.store)] == ["Ana"]
    close_messages()
    lead.close()


def test_feedback_travels_from_the_lead_to_the_labeler_in_the_app(
    qtbot,
    tmp_path: Path,
    laptops: tuple[Workspace, Workspace],  # noqa: F811
) -> None:
    from PySide6.QtCore import Qt

    from labeler.team.label_exchange import export_labels, import_labels
    from labeler.team.reconcile import disagreements, resolve

    ana_ws, lead_ws = laptops
    ana = open_window(qtbot, ana_ws)
    item_id = save_by_keys(qtbot, ana, [Qt.Key.Key_1, Qt.Key.Key_1, Qt.Key.Key_1])
    export_labels(ana_ws.session, tmp_path / "ana.llabels")
    lead = open_window(qtbot, lead_ws)
    lead.show_tab("Label")
    lead.queue.select(item_id)
    save_by_keys(qtbot, lead, [Qt.Key.Key_2, Qt.Key.Key_1, Qt.Key.Key_1])
    ana_key = signing_key(ana_ws.store).public.minisign_file()
    assert team_actions.trust_key(lead, lead_ws, ana_key, "Ana", lead.changes_applied.emit)
    close_messages()
    import_labels(lead_ws.session, tmp_path / "ana.llabels")
    (entry,) = disagreements(lead_ws.session)
    item = lead_ws.session.open_item(entry.item_id)
    resolve(lead_ws.session, item, {"verdict": "acceptable", "safety": "pass",
            "formatting": "pass"}, "labeler_slip", "Acceptable, not correct.")  # fmt: skip
    feedback = tmp_path / "feedback.lresolutions"
    wait_thread(qtbot, team_actions.start_export_feedback(lead, lead_ws, feedback))
    assert feedback.exists()
    close_messages()
    lead_key = signing_key(lead_ws.store).public.minisign_file()
    assert team_actions.trust_key(ana, ana_ws, lead_key, "Lee", ana.changes_applied.emit)
    close_messages()
    wait_thread(
        qtbot, team_actions.start_import_feedback(ana, ana_ws, feedback, ana.changes_applied.emit)
    )
    assert not visible_dialogs("errorDialog")
    overruled = where_overruled(ana_ws.session)
    assert [(e["question"], e["yours"], e["final"]) for e in overruled] == [
        ("verdict", "correct", "acceptable")
    ]
    close_messages()
    ana.close()
    lead.close()


def test_running_the_gate_then_building_the_next_eval_in_the_app(
    qtbot,
    tmp_path: Path,
    lead_window: MainWindow,  # noqa: F811
) -> None:
    from labeler.evals.gate_runs import last_run
    from labeler.store.evals import gate_runs

    workspace = lead_window.workspace
    runs = len(gate_runs(workspace.store))
    policy = shipped_path("rubrics", "gate.yaml")
    applied = lead_window.changes_applied.emit
    wait_thread(qtbot, eval_actions.start_gate(lead_window, workspace, policy, applied))
    assert len(gate_runs(workspace.store)) == runs + 1
    run = last_run(workspace.session)
    assert run is not None and run.verdict == "DO NOT SHIP"  # the demo's candidate loses
    shown = visible_dialogs("messageDialog")
    assert shown and "DO NOT SHIP" in shown[0].text()  # type: ignore[attr-defined]
    close_messages()

    pack = tmp_path / "pack"
    results: list[dict] = []
    thread = pack_actions.start_export(lead_window, workspace, "eval", (), pack, results.append)
    wait_thread(qtbot, thread)
    close_messages()
    current, candidate = tmp_path / "current.jsonl", tmp_path / "candidate.jsonl"
    with current.open("w") as cur, candidate.open("w") as cand:
        for line in (pack / "labels.jsonl").read_text().splitlines():
            row = json.loads(line)
            for handle, version in ((cur, "v1"), (cand, "v2")):
                text = f"{version} answer to {row['item_id']}"
                handle.write(json.dumps({"item_id": row["item_id"], "model_version": version,
                                         "output": text}) + "\n")  # fmt: skip
    bundle = tmp_path / "next-eval.lbundle"
    before = workspace.info().bundles
    from labeler.evals.lineage import workspace_keys

    values = (pack, current, candidate, 50, bundle, "2026-W48", True)  # the demo holdout < 50
    keys = workspace_keys(workspace.store)

    def build() -> None:
        thread = eval_actions.start_build_eval(
            lead_window, workspace, values, lead_window.import_bundle, keys
        )
        wait_thread(qtbot, thread)

    build()  # the demo is on no team: an eval is never written in plaintext
    errors = visible_dialogs("errorDialog")
    assert errors and "sealed to the team roster" in errors[0].text()  # type: ignore[attr-defined]
    assert not bundle.exists()
    close_messages()
    roster.init(workspace.store, workspace.writer, "Lee")
    build()
    errors = visible_dialogs("errorDialog")
    assert not errors, errors[0].text()  # type: ignore[attr-defined]
    assert is_sealed(bundle) and b"answer to" not in bundle.read_bytes()
    qtbot.waitUntil(lambda: workspace.info().bundles == before + 1, timeout=30_000)
    close_messages()
    # The new eval has no judgments yet: the gate says so, and records nothing.
    wait_thread(qtbot, eval_actions.start_gate(lead_window, workspace, policy, applied))
    errors = visible_dialogs("errorDialog")
    assert errors and "nothing to gate on" in errors[0].text()  # type: ignore[attr-defined]
    assert len(gate_runs(workspace.store)) == runs + 1
    close_messages()
