"""The workbench keys: each acts on the tab that is shown — Label, or the lead's Reconcile —
never on a hidden one (a digit pressed in Reconcile must not answer the Label tab's item).

Text fields keep their keys: Qt offers a shortcut to the focused text widget first, and a
text edit takes the printable ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut

if TYPE_CHECKING:
    from labeler.gui.main_window import MainWindow
    from labeler.gui.views.reconcile_view import ReconcileView


class KeyTarget(Protocol):
    def save(self) -> None: ...
    def step(self, delta: int) -> None: ...
    def step_question(self, delta: int) -> None: ...
    def choose(self, key: str) -> None: ...
    def undo(self) -> None: ...


class LabelKeys:
    """The Label tab's answer to each key."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def save(self) -> None:
        self.window.save_and_advance()

    def step(self, delta: int) -> None:
        self.window.queue.step(delta)

    def step_question(self, delta: int) -> None:
        self.window.rubric_panel.step_question(delta)

    def choose(self, key: str) -> None:
        self.window.rubric_panel.choose_key(key)

    def undo(self) -> None:
        self.window.undo_last_label()


class ReconcileKeys:
    """The Reconcile tab's answer to each key (it has no undo)."""

    def __init__(self, view: ReconcileView) -> None:
        self.view = view

    def save(self) -> None:
        self.view.save_current()

    def step(self, delta: int) -> None:
        self.view.step(delta)

    def step_question(self, delta: int) -> None:
        self.view.step_question(delta)

    def choose(self, key: str) -> None:
        self.view.choose_key(key)

    def undo(self) -> None:
        pass


Act = Callable[[KeyTarget], object]


def _chooser(digit: str) -> Act:
    return lambda target: target.choose(digit)


def bind_keys(window: MainWindow, target: Callable[[], KeyTarget | None]) -> None:
    """Window-wide shortcuts that go to whatever ``target()`` says is shown."""
    bindings: list[tuple[Any, Act]] = [
        (Qt.Key.Key_Return, lambda t: t.save()),
        (Qt.Key.Key_Enter, lambda t: t.save()),
        (Qt.Key.Key_J, lambda t: t.step(1)),
        (Qt.Key.Key_K, lambda t: t.step(-1)),
        (Qt.Key.Key_Tab, lambda t: t.step_question(1)),
        (Qt.Key.Key_Backtab, lambda t: t.step_question(-1)),
        (QKeySequence.StandardKey.Undo, lambda t: t.undo()),
    ]
    bindings += [(getattr(Qt.Key, f"Key_{digit}"), _chooser(digit)) for digit in "123456789"]

    def fire(act: Act) -> None:
        shown = target()
        if shown is not None:
            act(shown)

    for key, act in bindings:
        shortcut = QShortcut(QKeySequence(key), window)
        shortcut.activated.connect(lambda act=act: fire(act))
