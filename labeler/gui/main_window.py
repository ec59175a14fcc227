"""MainWindow: the queue on the left, the item in the centre, the rubric on the right.

Writes go through the ``LabelingSession`` to the workspace's writer; the ``Changes`` each
returns are emitted on ``changes_applied``, and the panels refresh from that one signal, each
deciding from its fields what to reload. A label is validated on the GUI thread, its commit
queued on the writer, and the next item shown at once; ``label_saved`` follows the commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeyEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QSplitter,
    QTabWidget,
    QWidget,
)

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.domain import PAIR_SIGNALS, Item, Label
from labeler.errors import LabelerError, ValidationError
from labeler.gui import session_actions, window_layout, workspace_actions
from labeler.gui.draft_keeper import DraftKeeper
from labeler.gui.errors import show_error
from labeler.gui.keys import KeyTarget, LabelKeys, ReconcileKeys, bind_keys
from labeler.gui.lead_tabs import LeadTabs, make_view
from labeler.gui.menus import build_menus
from labeler.gui.render_cache import Prepared, RenderCache
from labeler.gui.widgets.item_view import ItemView
from labeler.gui.widgets.queue_panel import QueuePanel
from labeler.gui.widgets.rubric_panel import NoteEdit, RubricPanel
from labeler.gui.writes import WriteWatcher
from labeler.labeling.session import LabelingSession
from labeler.render.html import Palette
from labeler.workspace import Workspace

if TYPE_CHECKING:  # not at start-up: these load numpy, reports and charts
    from labeler.gui.views.agreement_view import AgreementView
    from labeler.gui.views.eval_view import EvalView
    from labeler.gui.views.home_view import HomeView
    from labeler.gui.views.reconcile_view import ReconcileView
    from labeler.gui.views.rollout_view import RolloutView
    from labeler.triage.bundle_import import ImportResult

PREFETCH = 2
PREFETCH_DELAY_MS = 150


def is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


class MainWindow(QMainWindow):
    changes_applied = Signal(object)  # Changes
    item_shown = Signal(str)
    label_saved = Signal(str)  # the label of this item is committed
    label_failed = Signal(str)  # its commit failed: the item is shown again with its answers

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace
        self.session = workspace.session
        self.writes = WriteWatcher(self)
        self._progress = (0, 0)
        self._closed = False
        self.settings = QSettings()
        self.current: Item | None = None
        self._started_at = utc_now()
        self._started = time.monotonic()
        self.setWindowTitle(f"Labeler — {workspace.path.name}")
        self.render_cache = RenderCache(Palette.for_dark(is_dark()), self)
        self._prefetch_timer = QTimer(self)
        self._prefetch_timer.setSingleShot(True)
        self._prefetch_timer.setInterval(PREFETCH_DELAY_MS)
        self._prefetch_timer.timeout.connect(self._prefetch)
        self.drafts = DraftKeeper(
            self.session,
            self.writes,
            lambda: (self.current, self.rubric_panel.answers()),
            self.changes_applied.emit,
            lambda err: show_error(self, "The draft was not kept", err),
            self,
        )
        self.queue = QueuePanel(self.session.queue_rows)
        self.item_view = ItemView()
        self.rubric_panel = RubricPanel(self.session.rubric)
        self.splitter = QSplitter()
        for widget in (self.queue, self.item_view, self.rubric_panel):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(QWidget(), "Home")
        self.tabs.addTab(self.splitter, "Label")
        self.tabs.setCurrentIndex(1)  # labeling is where a labeler's day starts
        self.lead_tabs = LeadTabs(self.tabs, lambda name: make_view(self, name), self)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.setCentralWidget(self.tabs)
        self.status_counts = QLabel()
        self.statusBar().addPermanentWidget(self.status_counts)
        self.inline_action = build_menus(self)
        bind_keys(self, self._key_target)
        self.queue.item_selected.connect(self._on_queue_item_selected)
        self.queue.filters_changed.connect(self._on_queue_filters_changed)
        self.item_view.redact_requested.connect(self._on_item_view_redact_requested)
        self.item_view.mark_requested.connect(lambda: self._item_action(session_actions.mark_pii))
        self.item_view.restrict_requested.connect(
            lambda: self._item_action(session_actions.send_to_restricted)
        )
        self.rubric_panel.submitted.connect(self.save_and_advance)
        self.rubric_panel.answers_changed.connect(self.drafts.changed)
        self.render_cache.rendered.connect(self._on_render_cache_rendered)
        self.render_cache.lines_marked.connect(self._on_render_cache_lines_marked)
        self.changes_applied.connect(self._on_changes_applied)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self._listening_to_scheme = True
        self._restore_layout()
        self.refresh_queue(counts_later=True)
        self._select_start_item()
        self._add_lead_tabs()

    # -- keys and tabs -------------------------------------------------------------------
    def _key_target(self) -> KeyTarget | None:
        shown = self.tabs.currentWidget()
        if shown is self.splitter:
            return LabelKeys(self)
        if shown is not None and shown is self.reconcile_view:
            return ReconcileKeys(self.reconcile_view)
        return None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # arrows move in the queue from anywhere
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not isinstance(self.focusWidget(), NoteEdit):
            self.queue.step(1 if key == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    def _add_lead_tabs(self) -> None:
        profile = self.session.profile
        if profile is not None and profile.role == "lead":
            self.lead_tabs.add_lead_tabs()
            self.show_tab("Reconcile")  # a lead's week starts with the disagreements

    def tab_names(self) -> list[str]:
        return self.lead_tabs.names()

    def show_tab(self, name: str) -> bool:
        """Open the tab ``name``; False when this seat has no such tab."""
        return self.lead_tabs.show(name)

    @property
    def home_view(self) -> HomeView | None:
        return self.lead_tabs.views.get("Home")  # type: ignore[return-value]

    @property
    def reconcile_view(self) -> ReconcileView | None:
        return self.lead_tabs.views.get("Reconcile")  # type: ignore[return-value]

    @property
    def agreement_view(self) -> AgreementView | None:
        return self.lead_tabs.views.get("Agreement")  # type: ignore[return-value]

    @property
    def eval_view(self) -> EvalView | None:
        return self.lead_tabs.views.get("Eval")  # type: ignore[return-value]

    @property
    def rollout_view(self) -> RolloutView | None:
        return self.lead_tabs.views.get("Rollout")  # type: ignore[return-value]

    def views_loading(self) -> bool:
        return self.lead_tabs.loading()

    def _on_tabs_current_changed(self, _index: int) -> None:
        self.drafts.flush()

    def open_item_in_label_tab(self, item_id: str) -> None:
        self.show_tab("Label")
        self.queue.select(item_id)

    # -- state ---------------------------------------------------------------------------
    def _settings_key(self, name: str) -> str:
        return f"workspace/{self.workspace.workspace_id}/{name}"

    def _restore_layout(self) -> None:
        """The last session's size and panes; on a first run, most of the screen."""
        window_layout.restore(self, self.splitter, self.settings)
        inline = self.settings.value("view/inline", False, type=bool)
        self.inline_action.setChecked(bool(inline))
        self.item_view.set_inline(bool(inline))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closed = True
        window_layout.save(self, self.splitter, self.settings)
        self.settings.setValue("view/inline", self.inline_action.isChecked())
        if self.current is not None:  # on close, not per item: a settings write costs ~2 ms
            self.settings.setValue(self._settings_key("last_item"), self.current.id)
        self.settings.sync()  # now, while the settings folder (a demo's) still exists
        self._prefetch_timer.stop()
        self.drafts.flush()
        self.writes.wait()  # every label the person saved is committed before we go
        # The style hints outlive this window: stop listening before its workspace closes.
        if self._listening_to_scheme:
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(
                self._on_color_scheme_changed
            )
            self._listening_to_scheme = False
        self.render_cache.stop()  # no rendering starts after this (a delayed colouring)
        self.render_cache.wait_idle(2000)
        self.lead_tabs.wait()
        super().closeEvent(event)

    def _select_start_item(self) -> None:
        last = self.settings.value(self._settings_key("last_item"))
        if isinstance(last, str) and self.queue.select(last):
            return
        first = self.queue.model.id_at(0)  # the queue shows it already, unless it was empty
        if first is not None:
            self.queue.select(first)

    # -- queue and items -----------------------------------------------------------------
    def refresh_queue(self, *, counts_later: bool = False) -> None:
        """Reload the queue's ids for the current filter (a bulk change or a new filter).
        ``counts_later``: the progress and status counts follow once the first item is shown
        (start-up shows the item first; the counts cost ~40 ms on 100,000 items)."""
        self.queue.offer_mine(self.session.has_assignment())
        ids = self.session.queue_ids(self.queue.filter())
        self.queue.set_ids(ids)
        if not ids:
            self._show_nothing()
        if counts_later:
            self.queue.progress.setText("Counting…")
            QTimer.singleShot(0, self._refresh_counts)
        else:
            self._refresh_counts()

    def _refresh_counts(self) -> None:
        if self._closed:
            return  # a deferred count after the window (and maybe its workspace) closed
        self._progress = self.session.queue_progress()
        self.queue.set_progress(*self._progress)
        counts = self.workspace.counts()
        profile = self.session.profile
        who = f"{profile.display_name} ({profile.role})" if profile else "no profile"
        self.status_counts.setText(
            f"{who} · {counts['items']} items · {counts['bundles']} bundles · "
            f"key: {self.workspace.key_source}"
        )

    def _on_queue_filters_changed(self) -> None:
        # The shown item must be one the filter shows: set_ids selects the first otherwise.
        ids = self.session.queue_ids(self.queue.filter())
        self.queue.set_ids(ids)
        if not ids:
            self._show_nothing()
        self.queue.set_progress(*self._progress)

    def _show_nothing(self) -> None:
        """Nothing to show: an empty workspace says how to fill it; a filter says so."""
        self.current = None
        if self.session.queue_progress()[1] == 0:
            message = (
                "<b>No items yet.</b> Import this week's bundle: <b>File → Import bundle…</b> "
                "(Ctrl+I), or <code>labeler bundle import week.lbundle</code>."
            )
        else:
            message = "<i>No item matches these filters.</i>"
        self.item_view.clear(message)
        self.rubric_panel.clear()

    def _on_queue_item_selected(self, item_id: str) -> None:
        self.drafts.flush()
        try:
            item = self.session.open_item(item_id)
        except LabelerError as err:
            self.item_view.clear()
            self.statusBar().showMessage(str(err), 5000)
            return
        self.current = item
        self._started_at, self._started = utc_now(), time.monotonic()
        label = self.session.label_of(item.id) if self.session.profile else None
        order = (
            self.session.side_order(item.id)
            if item.signal in PAIR_SIGNALS and self.session.profile
            else "AB"
        )
        self.item_view.show_item(
            item, self.render_cache.show(item, order), order, label is not None
        )
        draft = self.session.draft_of(item.id) if self.session.profile else None
        self.rubric_panel.set_item(item.signal, draft or (label.answers if label else None), label)
        # Paint the item's texts now, before the event loop turns to what is queued behind
        # this key press (label commits, a coloured rendering arriving): Qt paints last, at
        # low priority, and the person is waiting for the texts (at once: 31 ms -> 10 ms).
        self.item_view.repaint()
        # Render ahead only once this item is painted: the worker holds the GIL while it
        # lexes, and would slow the painting of the item the person is waiting for.
        self._prefetch_timer.start()
        self.item_shown.emit(item.id)

    def _prefetch(self) -> None:
        view = self.item_view
        self.render_cache.widths = {
            "left": view.pair.left.viewport().width(),
            "right": view.pair.right.viewport().width(),
            "inline": view.single.viewport().width(),
        }
        upcoming = []
        for item_id in self.queue.next_ids(PREFETCH):
            row = self.queue.model.row_at(self.queue.model.row_of(item_id))
            if row is None or row.restricted:
                continue  # restricted texts are read only when shown (and audited)
            item = self.session.open_item(item_id)
            order = (
                self.session.side_order(item_id)
                if item.signal in PAIR_SIGNALS and self.session.profile
                else "AB"
            )
            upcoming.append((item, order))
        self.render_cache.prefetch(upcoming)

    def _on_render_cache_rendered(self, item_id: str, prepared: Prepared) -> None:
        if self.current is not None and self.current.id == item_id:
            self.item_view.apply_rendering(prepared)

    def _on_render_cache_lines_marked(
        self, item_id: str, lines: tuple[list[int], list[int]]
    ) -> None:
        if self.current is not None and self.current.id == item_id:
            self.item_view.mark_large_lines(*lines)

    def _on_color_scheme_changed(self, _scheme: object) -> None:
        """Follow the system's light/dark switch: re-render with the matching colours."""
        self.render_cache.set_palette(Palette.for_dark(is_dark()))
        if self.current is not None:
            self._on_queue_item_selected(self.current.id)

    def set_inline(self, checked: bool) -> None:
        self.item_view.set_inline(checked)
        if self.current is not None:
            order = self.item_view.side_order
            self.item_view.apply_rendering(self.render_cache.show(self.current, order))

    # -- labels --------------------------------------------------------------------------
    def save_and_advance(self) -> None:
        """Validate here, queue the commit, and show the next item without waiting for it."""
        item = self.current
        if item is None:
            return
        if self.session.profile is None and not self.edit_profile():
            return
        seconds = time.monotonic() - self._started
        try:
            label = self.session.prepare_label(
                item, self.rubric_panel.answers(), self._started_at, seconds
            )
        except ValidationError as err:
            self.rubric_panel.show_problem(str(err))
            return
        except LabelerError as err:
            show_error(self, "Cannot save the label", err)
            return
        self.drafts.forget()  # the save drops the draft in its own transaction
        self.queue.model.set_saving(item.id, True)
        self.writes.watch(
            self.session.submit_label(label),
            lambda changes: self._on_label_committed(item.id, changes),
            lambda err: self._on_label_failed(label, item.signal, err),
        )
        self.queue.step(1)

    def _on_label_committed(self, item_id: str, changes: Changes) -> None:
        self.queue.model.set_saving(item_id, False)
        self.changes_applied.emit(changes)
        if self.current is not None and self.current.id == item_id:
            self.item_view.set_revealed(True)  # the last item: blind versions now show
        self.statusBar().showMessage("Saved.", 2000)
        self.label_saved.emit(item_id)

    def _on_label_failed(self, label: Label, signal: str, err: BaseException) -> None:
        self.queue.model.set_saving(label.item_id, False)
        show_error(self, "The label was not saved", err)
        if self.queue.select(label.item_id) or self.current is not None:
            self.rubric_panel.set_item(signal, label.answers)  # the answers, to save again
        self.label_failed.emit(label.item_id)

    def undo_last_label(self) -> None:
        try:
            item_id, changes = self.session.undo_last_label()
        except LabelerError as err:
            show_error(self, "Cannot undo", err)
            return
        if item_id is None:
            self.statusBar().showMessage("Nothing to undo.", 2000)
            return
        self.changes_applied.emit(changes)
        self.queue.select(item_id)
        self._on_queue_item_selected(item_id)
        self.statusBar().showMessage("Undone.", 2000)

    def _on_changes_applied(self, changes: Changes) -> None:
        """Refresh what the change touched: one row for a label, the queue for a bulk change."""
        if not changes or self._closed:
            return  # a change (an import finishing) that arrives after the window closed
        if changes.all_items or changes.bundles or changes.profile:
            self.refresh_queue()
        else:
            self._refresh_rows(changes.labels | changes.items)
        current = self.current
        if current is not None and current.id in changes.items:
            self._on_queue_item_selected(current.id)  # its texts changed (a redaction)
        self.lead_tabs.note_changes(changes)

    def _refresh_rows(self, item_ids: frozenset[str]) -> None:
        changed = self.queue.model.refresh_rows(item_ids)
        labeled, total = self._progress
        # With an assignment a row shown under "All" may be outside one's share: count again.
        counted = not self.queue.filter().mine and self.session.has_assignment()
        if not counted and len(changed) == len(item_ids) and all(b for b, _ in changed):
            labeled += sum(after.labeled - before.labeled for before, after in changed if before)
            self._progress = (labeled, total)
        else:  # a row the queue had not painted (or not shown): count again
            self._progress = self.session.queue_progress()
        self.queue.set_progress(*self._progress)

    # -- profile, restricted, redaction --------------------------------------------------
    def edit_profile(self) -> bool:
        changes = session_actions.edit_profile(self, self.session)
        if changes is not None:
            self.changes_applied.emit(changes)
        return changes is not None

    def unlock_restricted(self) -> None:
        changes = session_actions.unlock_restricted(self, self.session)
        if changes is not None:
            self.changes_applied.emit(changes)

    def _item_action(
        self, action: Callable[[QWidget, LabelingSession, Item], Changes | None]
    ) -> None:
        """An action on the shown item; its Changes go to every panel."""
        item = self.current
        changes = action(self, self.session, item) if item is not None else None
        if changes:
            self.changes_applied.emit(changes)

    def _on_item_view_redact_requested(self) -> None:
        item = self.current
        changes = session_actions.redact(self, self.session, item) if item else None
        if item is not None and changes is not None:
            self.changes_applied.emit(changes)
            self._on_queue_item_selected(item.id)

    # -- import, exchange, packs, help -------------------------------------------------
    def apply_retention(self) -> None:
        """Drop texts past the retention setting, on a worker (done on every open)."""
        self._retention_thread = workspace_actions.start_retention(
            self, self.workspace, self.changes_applied.emit
        )

    def import_bundle_dialog(self) -> None:
        bundle = workspace_actions.choose_bundle(self)
        if bundle is not None:
            self.import_bundle(bundle)

    def import_bundle(self, bundle: Path) -> None:
        def done(result: ImportResult) -> None:
            self.changes_applied.emit(result.changes)
            self.statusBar().showMessage(f"Imported {result.added} items from {bundle.name}.", 5000)
            if self.current is None:
                self.queue.step(1)

        self._import_thread = workspace_actions.start_import(self, self.workspace, bundle, done)
