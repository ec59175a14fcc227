"""In the window: send an item to the restricted queue, mark a name the detector missed, and
see every field (candidates too) in the redaction preview."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from labeler.gui.dialogs.mark_pii_dialog import MarkPiiDialog
from labeler.gui.dialogs.redaction_dialog import RedactionDialog
from labeler.triage.bundle_import import import_bundle
from labeler.workspace import Workspace
from tests.gui.test_two_laptops import open_window
from tests.labeling.test_pii_marks import NAME, pair_bundle


def answer_next_modal(act) -> None:  # type: ignore[no-untyped-def]
    """Run ``act`` on the next modal dialog once it shows."""

    def attempt() -> None:
        modal = QApplication.activeModalWidget()
        if modal is None:
            QTimer.singleShot(20, attempt)
            return
        act(modal)

    QTimer.singleShot(20, attempt)


def press_yes(box: QMessageBox) -> None:
    box.button(QMessageBox.StandardButton.Yes).click()


def test_a_labeler_without_access_sends_an_item_away(qtbot, tmp_path: Path, memory_keyring):
    with Workspace.create(tmp_path / "ana.lbw") as ws:
        import_bundle(ws.store, ws.writer, pair_bundle(tmp_path / "named.lbundle"))
        ws.session.create_profile("Ana", "labeler", restricted_access=False)
        window = open_window(qtbot, ws)
        assert window.current is not None and window.current.id == "item-named"
        assert window.item_view.restrict_button.isVisible()
        answer_next_modal(press_yes)
        window.item_view.restrict_button.click()
        assert window.queue.model.rowCount() == 0 and window.current is None
        assert "No items" in window.item_view.header.toPlainText()
        window.close()


def test_a_lead_marks_a_name_and_the_preview_covers_every_field(
    qtbot, tmp_path: Path, memory_keyring
) -> None:
    with Workspace.create(tmp_path / "lead.lbw") as ws:
        import_bundle(ws.store, ws.writer, pair_bundle(tmp_path / "named.lbundle"))
        ws.session.create_profile("Lee", "lead", restricted_access=True)
        ws.session.unlock_restricted()
        window = open_window(qtbot, ws)
        window.show_tab("Label")
        window.refresh_queue()

        def mark(dialog: QDialog) -> None:
            assert isinstance(dialog, MarkPiiDialog)
            dialog.text.setText(NAME)
            assert "2 found" in dialog.found.text()
            dialog.mark.click()

        answer_next_modal(mark)
        window.item_view.mark_button.click()
        item = window.current
        assert item is not None and item.restricted and {s.kind for s in item.pii} == {"name"}
        assert "name" in window.item_view.banner_text.text()
        preview = RedactionDialog(item, window)
        shown = preview.preview.toPlainText()
        assert "candidates[0].output" in shown and "Dear [NAME]" in shown and NAME not in shown
        preview.close()
        window.close()
