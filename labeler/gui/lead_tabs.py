"""LeadTabs: the tabs beside Label — Home for everyone; Reconcile, Agreement, Eval and
Rollout for a lead — each view made the first time its tab opens (start-up stays light),
told of every change and reloaded only when shown and touched."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget, QWidget

from labeler.changes import Changes

if TYPE_CHECKING:
    from labeler.gui.main_window import MainWindow

LEAD_TABS = ("Reconcile", "Agreement", "Eval", "Rollout")
ViewFactory = Callable[[str], QWidget | None]


class LeadTabs(QObject):
    def __init__(self, tabs: QTabWidget, make: ViewFactory, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tabs = tabs
        self._make = make
        self.views: dict[str, QWidget] = {}
        tabs.currentChanged.connect(self._on_tabs_current_changed)

    def add_lead_tabs(self) -> None:
        if any(name in self.names() for name in LEAD_TABS):
            return
        for name in LEAD_TABS:
            self.tabs.addTab(QWidget(), name)

    def names(self) -> list[str]:
        return [self.tabs.tabText(index) for index in range(self.tabs.count())]

    def show(self, name: str) -> bool:
        """Open the tab ``name``; False when this seat has no such tab."""
        if name not in self.names():
            return False
        self.tabs.setCurrentIndex(self.names().index(name))
        return True

    def shown_name(self) -> str:
        return self.tabs.tabText(self.tabs.currentIndex())

    def note_changes(self, changes: Changes) -> None:
        for view in self.views.values():
            note = getattr(view, "note_changes", None)
            if note is not None:
                note(changes)  # it reloads if shown, else when next shown

    def loading(self) -> bool:
        """Whether a view is still computing what it will show (screenshots wait for it)."""
        loaders = [getattr(view, "loader", None) for view in self.views.values()]
        return any(loader is not None and loader.busy() for loader in loaders)

    def wait(self) -> None:
        for view in self.views.values():
            loader = getattr(view, "loader", None)
            if loader is not None:
                loader.wait()

    def _on_tabs_current_changed(self, index: int) -> None:
        name = self.tabs.tabText(index)
        view = self.views.get(name)
        if view is None:
            view = self._make(name)
            if view is None:
                return  # the Label tab: always there
            self.views[name] = view
            self._replace(index, view, name)
        if getattr(view, "stale", True):
            view.refresh()  # type: ignore[attr-defined]

    def _replace(self, index: int, widget: QWidget, name: str) -> None:
        self.tabs.blockSignals(True)
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        self.tabs.insertTab(index, widget, name)
        self.tabs.setCurrentIndex(index)
        self.tabs.blockSignals(False)
        if placeholder is not None:
            placeholder.deleteLater()


def make_view(window: MainWindow, name: str) -> QWidget | None:
    """The view behind a tab (imported here: numpy, reports and charts load on first use)."""
    from labeler.gui.views.agreement_view import AgreementView
    from labeler.gui.views.eval_view import EvalView
    from labeler.gui.views.home_view import HomeView
    from labeler.gui.views.reconcile_view import ReconcileView
    from labeler.gui.views.rollout_view import RolloutView

    if name == "Rollout":
        return RolloutView(window.workspace)
    if name == "Home":
        home = HomeView(window.workspace, tabs=window.tab_names())
        home.open_requested.connect(window.show_tab)
        return home
    if name == "Reconcile":
        reconcile = ReconcileView(window.workspace, window.render_cache)
        reconcile.resolved.connect(window.changes_applied)
        return reconcile
    if name == "Eval":
        evals = EvalView(window.workspace)
        evals.item_requested.connect(window.open_item_in_label_tab)
        return evals
    if name == "Agreement":
        return AgreementView(window.workspace)
    return None
