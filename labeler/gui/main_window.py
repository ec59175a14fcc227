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
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QWidget,
)

from labeler.changes import Changes
from labeler.clock import utc_now
from labeler.domain import PAIR_SIGNALS, Item, Label
from labeler.errors import LabelerError, ValidationError
from labeler.gui import exchange_actions, pack_actions, session_actions, workspace_actions
from labeler.gui.errors import show_error
from labeler.gui.render_cache import Prepared, RenderCache
from labeler.gui.widgets.item_view import ItemView
from labeler.gui.widgets.queue_panel import QueuePanel
from labeler.gui.widgets.rubric_panel import NoteEdit, RubricPanel
from labeler.gui.writes import WriteWatcher
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
        self.reconcile_view: ReconcileView | None = None
        self.agreement_view: AgreementView | None = None
        self.eval_view: EvalView | None = None
        self.rollout_view: RolloutView | None = None
        self.home_view: HomeView | None = None
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.setCentralWidget(self.tabs)
        self.status_counts = QLabel()
        self.statusBar().addPermanentWidget(self.status_counts)
        self._build_menus()
        self._build_shortcuts()
        self.queue.item_selected.connect(self._on_queue_item_selected)
        self.queue.filters_changed.connect(self._on_queue_filters_changed)
        self.item_view.redact_requested.connect(self._on_item_view_redact_requested)
        self.rubric_panel.submitted.connect(self.save_and_advance)
        self.render_cache.rendered.connect(self._on_render_cache_rendered)
        self.render_cache.lines_marked.connect(self._on_render_cache_lines_marked)
        self.changes_applied.connect(self._on_changes_applied)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._on_color_scheme_changed)
        self._listening_to_scheme = True
        self._restore_layout()
        self.refresh_queue()
        self._select_start_item()
        self._add_lead_tabs()

    # -- building ------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self._action(file_menu, "&Import bundle…", self.import_bundle_dialog, "Ctrl+I")
        self._action(file_menu, "&Profile…", self.edit_profile)
        self._action(file_menu, "&Export my labels…", self.export_labels_dialog)
        self._action(file_menu, "Import &labels…", self.import_labels_dialog)
        self._action(file_menu, "Export &pack…", self.export_pack_dialog)
        self._action(file_menu, "P&urge subject…", self.purge_dialog)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        edit_menu = self.menuBar().addMenu("&Edit")
        self._action(edit_menu, "&Undo last label", self.undo_last_label)
        view_menu = self.menuBar().addMenu("&View")
        self.inline_action = self._action(view_menu, "&Inline diff", self._on_inline_toggled, "D")
        self.inline_action.setCheckable(True)
        self._action(view_menu, "Show &restricted items…", self.unlock_restricted)
        self._action(view_menu, "&Feedback from the lead…", self.show_feedback)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "Rubric &guidance", self.show_guidance, "F1")
        self._action(help_menu, "&About Labeler", self.show_about)

    def _action(
        self,
        menu: QMenu,
        text: str,
        slot: Callable[..., object],
        shortcut: str | QKeySequence.StandardKey | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_shortcuts(self) -> None:
        bindings: list[tuple[Qt.Key | QKeySequence.StandardKey, Callable[[], object]]] = [
            (Qt.Key.Key_Return, self.save_and_advance),
            (Qt.Key.Key_Enter, self.save_and_advance),
            (Qt.Key.Key_J, lambda: self.queue.step(1)),
            (Qt.Key.Key_K, lambda: self.queue.step(-1)),
            (Qt.Key.Key_Tab, lambda: self.rubric_panel.step_question(1)),
            (Qt.Key.Key_Backtab, lambda: self.rubric_panel.step_question(-1)),
            (QKeySequence.StandardKey.Undo, self.undo_last_label),
        ]
        for digit in range(1, 10):
            bindings.append((getattr(Qt.Key, f"Key_{digit}"), self._choose(str(digit))))
        for key, slot in bindings:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.activated.connect(slot)

    def _choose(self, key: str) -> Callable[[], object]:
        return lambda: self.rubric_panel.choose_key(key)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # arrows move in the queue from anywhere
        key = event.key()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and not isinstance(self.focusWidget(), NoteEdit):
            self.queue.step(1 if key == Qt.Key.Key_Down else -1)
            return
        super().keyPressEvent(event)

    # -- lead views: created on first use, refreshed from Changes ------------------------
    def _add_lead_tabs(self) -> None:
        profile = self.session.profile
        if profile is None or profile.role != "lead" or self.tabs.count() > 2:
            return
        self.tabs.addTab(QWidget(), "Reconcile")
        self.tabs.addTab(QWidget(), "Agreement")
        self.tabs.addTab(QWidget(), "Eval")
        self.tabs.addTab(QWidget(), "Rollout")
        self.show_tab("Reconcile")  # a lead's week starts with the disagreements

    def tab_names(self) -> list[str]:
        return [self.tabs.tabText(index) for index in range(self.tabs.count())]

    def show_tab(self, name: str) -> bool:
        """Open the tab ``name``; False when this seat has no such tab."""
        if name not in self.tab_names():
            return False
        self.tabs.setCurrentIndex(self.tab_names().index(name))
        return True

    def _make_view(self, name: str) -> QWidget | None:
        """The view behind a tab, made the first time it is opened (start-up stays light)."""
        from labeler.gui.views.agreement_view import AgreementView
        from labeler.gui.views.eval_view import EvalView
        from labeler.gui.views.home_view import HomeView
        from labeler.gui.views.reconcile_view import ReconcileView
        from labeler.gui.views.rollout_view import RolloutView

        if name == "Rollout":
            self.rollout_view = RolloutView(self.workspace)
            return self.rollout_view
        if name == "Home":
            self.home_view = HomeView(self.session, tabs=self.tab_names())
            self.home_view.open_requested.connect(self.show_tab)
            return self.home_view
        if name == "Reconcile":
            self.reconcile_view = ReconcileView(self.workspace, self.render_cache)
            self.reconcile_view.resolved.connect(self.changes_applied)
            return self.reconcile_view
        if name == "Eval":
            self.eval_view = EvalView(self.workspace)
            self.eval_view.item_requested.connect(self._on_eval_view_item_requested)
            return self.eval_view
        if name == "Agreement":
            self.agreement_view = AgreementView(self.session)
            return self.agreement_view
        return None

    def _on_tabs_current_changed(self, index: int) -> None:
        name = self.tabs.tabText(index)
        views = {"Home": self.home_view, "Reconcile": self.reconcile_view,
                 "Eval": self.eval_view, "Agreement": self.agreement_view,
                 "Rollout": self.rollout_view}  # fmt: skip
        if name not in views:
            return
        view = views[name] or self._make_view(name)
        if views[name] is None and view is not None:
            self._replace_tab(index, view, name)
        if getattr(view, "stale", True):  # views that follow Changes reload only when touched
            view.refresh()  # type: ignore[union-attr]

    def _on_eval_view_item_requested(self, item_id: str) -> None:
        self.show_tab("Label")
        self.queue.select(item_id)

    def _replace_tab(self, index: int, widget: QWidget, name: str) -> None:
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, name)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        if placeholder is not None:
            placeholder.deleteLater()

    # -- state ---------------------------------------------------------------------------
    def _settings_key(self, name: str) -> str:
        return f"workspace/{self.workspace.workspace_id}/{name}"

    def _restore_layout(self) -> None:
        """The last session's size and panes; on a first run, most of the screen."""
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self._first_run_geometry()
        sizes = self.settings.value("window/splitter")
        if sizes is None or not self.splitter.restoreState(sizes):
            self.splitter.setSizes(self._pane_widths(self.width()))
        inline = self.settings.value("view/inline", False, type=bool)
        self.inline_action.setChecked(bool(inline))
        self.item_view.set_inline(bool(inline))

    def _first_run_geometry(self) -> None:
        screen = QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(1440, 900)
            return
        area = screen.availableGeometry()
        width = max(min(area.width(), 1280), int(area.width() * 0.9))
        height = max(min(area.height(), 800), int(area.height() * 0.9))
        self.resize(min(width, area.width()), min(height, area.height()))
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(frame.topLeft())

    @staticmethod
    def _pane_widths(total: int) -> list[int]:
        """Queue, item and rubric: the item gets what the other two leave."""
        queue, rubric = total * 27 // 100, total * 23 // 100
        return [queue, total - queue - rubric, rubric]

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/splitter", self.splitter.saveState())
        self.settings.setValue("view/inline", self.inline_action.isChecked())
        if self.current is not None:  # on close, not per item: a settings write costs ~2 ms
            self.settings.setValue(self._settings_key("last_item"), self.current.id)
        self.settings.sync()  # now, while the settings folder (a demo's) still exists
        self._prefetch_timer.stop()
        self.writes.wait()  # every label the person saved is committed before we go
        # The style hints outlive this window: stop listening before its workspace closes.
        if self._listening_to_scheme:
            QGuiApplication.styleHints().colorSchemeChanged.disconnect(
                self._on_color_scheme_changed
            )
            self._listening_to_scheme = False
        self.render_cache.wait_idle(2000)
        for view in self._views():
            loader = getattr(view, "loader", None)
            if loader is not None:
                loader.wait()
        super().closeEvent(event)

    def _select_start_item(self) -> None:
        last = self.settings.value(self._settings_key("last_item"))
        if not (isinstance(last, str) and self.queue.select(last)):
            self.queue.step(1)

    # -- queue and items -----------------------------------------------------------------
    def refresh_queue(self) -> None:
        """Reload the queue's ids for the current filter (a bulk change or a new filter)."""
        ids = self.session.queue_ids(self.queue.filter())
        self.queue.set_ids(ids)
        if not ids:
            self._show_nothing()
        self._progress = self.session.queue_progress()
        self.queue.set_progress(*self._progress)
        info = self.workspace.info()
        profile = self.session.profile
        who = f"{profile.display_name} ({profile.role})" if profile else "no profile"
        self.status_counts.setText(
            f"{who} · {info.items} items · {info.bundles} bundles · key: {info.key_source}"
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
        self.rubric_panel.set_item(item.signal, label.answers if label else None)
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

    def _on_inline_toggled(self, checked: bool) -> None:
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
        if not changes:
            return
        if changes.all_items or changes.bundles or changes.profile:
            self.refresh_queue()
        else:
            self._refresh_rows(changes.labels | changes.items)
        current = self.current
        if current is not None and current.id in changes.items:
            self._on_queue_item_selected(current.id)  # its texts changed (a redaction)
        for view in self._views():
            note = getattr(view, "note_changes", None)
            if note is not None:
                note(changes)  # it reloads if shown, else when next shown

    def views_loading(self) -> bool:
        """Whether a view is still computing what it will show (screenshots wait for it)."""
        return any(
            getattr(view, "loader", None) is not None and view.loader.busy()  # type: ignore[attr-defined]
            for view in self._views()
        )

    def _views(self) -> list[QWidget]:
        views = (self.home_view, self.reconcile_view, self.agreement_view, self.eval_view,
                 self.rollout_view)  # fmt: skip
        return [view for view in views if view is not None]

    def _refresh_rows(self, item_ids: frozenset[str]) -> None:
        changed = self.queue.model.refresh_rows(item_ids)
        labeled, total = self._progress
        if len(changed) == len(item_ids) and all(before for before, _ in changed):
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

    def export_labels_dialog(self) -> None:
        self._exchange_thread = exchange_actions.export_labels_dialog(self, self.workspace)

    def import_labels_dialog(self) -> None:
        self._exchange_thread = exchange_actions.import_labels_dialog(
            self, self.workspace, self.changes_applied.emit
        )

    def show_feedback(self) -> None:
        exchange_actions.show_feedback(self, self.session)

    def export_pack_dialog(self) -> None:
        self._pack_thread = pack_actions.export_pack_dialog(self, self.workspace, self.session)

    def purge_dialog(self) -> None:
        self._purge_thread = pack_actions.purge_dialog(
            self, self.session, self.changes_applied.emit
        )

    def show_guidance(self) -> None:
        workspace_actions.show_guidance(self, self.session)

    def show_about(self) -> None:
        workspace_actions.show_about(self, self.workspace)
