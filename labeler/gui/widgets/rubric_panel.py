"""RubricPanel: the rubric's questions beside the item, answered from the keyboard.

The current question takes the number keys; choosing moves on to the next open question.
Questions that do not apply to the item's signal are hidden; rules (required when...) are
checked by the rubric on save and shown here.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QButtonGroup,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from labeler.domain import Label
from labeler.labeling.rubric import Question, Rubric


class NoteEdit(QPlainTextEdit):
    """Free text; Enter saves (Shift+Enter for a new line), Tab leaves the field."""

    submitted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setTabChangesFocus(True)
        self.setMaximumHeight(90)
        self.setPlaceholderText("Optional note (Enter saves, Shift+Enter for a new line)")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class QuestionBox(QFrame):
    """One question: its prompt, choices with their keys and definitions, or a text field."""

    answered = Signal(str)

    def __init__(self, question: Question) -> None:
        super().__init__()
        self.question = question
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        self.title = QLabel(f"<b>{html.escape(question.prompt)}</b>")
        self.title.setWordWrap(True)
        # The current-question marker has a fixed size: changing it re-lays out nothing
        # (a new title text re-measured the whole panel on every item).
        self.marker = QLabel()
        self.marker.setFixedWidth(self.marker.fontMetrics().horizontalAdvance("▶ "))
        heading = QHBoxLayout()
        heading.addWidget(self.marker, 0, Qt.AlignmentFlag.AlignTop)
        heading.addWidget(self.title, 1)
        layout.addLayout(heading)
        self.group = QButtonGroup(self)
        self.buttons: dict[str, QRadioButton] = {}
        self.note: NoteEdit | None = None
        if question.kind == "free_text":
            self.note = NoteEdit()
            layout.addWidget(self.note)
        for choice in question.choices:
            button = QRadioButton(f"[{choice.key}]  {choice.label}")
            button.setToolTip(choice.definition)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.group.addButton(button)
            self.buttons[choice.id] = button
            layout.addWidget(button)
            if choice.definition:
                hint = QLabel(f"<span style='color:gray'>{html.escape(choice.definition)}</span>")
                hint.setWordWrap(True)
                hint.setContentsMargins(22, 0, 0, 2)
                layout.addWidget(hint)
        self.group.buttonClicked.connect(lambda _b: self.answered.emit(self.question.id))
        self.setAutoFillBackground(True)
        self._current = True
        self.set_current(False)

    def set_current(self, current: bool) -> None:
        # A background role and a marker, not a style sheet: re-polishing five boxes on every
        # item cost more than the rest of showing it; and only a box whose state changes is
        # touched (a new label text re-lays out the panel).
        if current == self._current:
            return
        self._current = current
        self.setBackgroundRole(
            QPalette.ColorRole.AlternateBase if current else QPalette.ColorRole.Window
        )
        self.marker.setText("▶" if current else "")

    def choose_key(self, key: str) -> bool:
        for choice in self.question.choices:
            if choice.key == key:
                self.buttons[choice.id].setChecked(True)
                return True
        return False

    def value(self) -> Any:
        if self.note is not None:
            return self.note.toPlainText().strip() or None
        for choice_id, button in self.buttons.items():
            if button.isChecked():
                return choice_id
        return None

    def set_value(self, value: Any) -> None:
        if self.note is not None:
            if self.note.toPlainText() != (value or ""):
                self.note.setPlainText(value or "")
            return
        self.group.setExclusive(False)
        for choice_id, button in self.buttons.items():
            button.setChecked(choice_id == value)
        self.group.setExclusive(True)


KEYS_HINT = (
    "<span style='color:gray'><b>Enter</b> save &amp; next · <b>1–9</b> choose · "
    "<b>Tab</b> next question · <b>J</b>/<b>K</b> move · <b>Ctrl+Z</b> undo · "
    "<b>F1</b> guidance</span>"
)


class RubricPanel(QWidget):
    submitted = Signal()  # Enter in the note
    answers_changed = Signal(bool)  # the person changed an answer (True: a choice, at once)

    def __init__(self, rubric: Rubric, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rubric = rubric
        self.boxes: list[QuestionBox] = []
        self.current = 0
        self._loading = False  # answers being set from the store, not by the person
        inner = QWidget()
        self._column = column = QVBoxLayout(inner)
        self.heading = QLabel()
        self.heading.setWordWrap(True)  # "labeled under v…" fits a narrow panel
        self._heading = ""
        column.addWidget(self.heading)
        column.addStretch(1)
        self.set_rubric(rubric)
        # The problem and the keys sit below the scrolling questions: always in view.
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c62828;")
        self.keys = QLabel(KEYS_HINT)
        self.keys.setWordWrap(True)
        self.keys.setTextFormat(Qt.TextFormat.RichText)
        self.questions_area = QScrollArea()
        self.questions_area.setWidget(inner)
        self.questions_area.setWidgetResizable(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.questions_area, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.keys)

    def set_rubric(self, rubric: Rubric) -> None:
        """Ask ``rubric``'s questions (a new version was installed or imported)."""
        for box in self.boxes:
            self._column.removeWidget(box)
            box.deleteLater()
        self.rubric = rubric
        self.boxes = [QuestionBox(q) for q in rubric.questions]
        for position, box in enumerate(self.boxes, start=1):  # after the heading
            self._column.insertWidget(position, box)
            box.answered.connect(self._on_box_answered)
            if box.note is not None:
                box.note.submitted.connect(self.submitted)
                box.note.textChanged.connect(self._on_note_text_changed)
        self.current = 0
        self._set_heading(None)

    def _set_heading(self, label: Label | None) -> None:
        """The version asked; for a label made under another, that one too."""
        rubric = self.rubric
        text = f"<b>{html.escape(rubric.title)}</b> · v{html.escape(rubric.version)}"
        if label is not None and label.rubric_hash != rubric.content_hash:
            text += (
                f" · <span style='color:#b26a00'>labeled under "
                f"v{html.escape(label.rubric_version)}</span>"
            )
        if text != self._heading:  # a new text re-lays out the panel: only when it changes
            self._heading = text
            self.heading.setText(text)

    def visible_boxes(self) -> list[QuestionBox]:
        return [box for box in self.boxes if not box.isHidden()]

    def set_item(
        self, signal: str, answers: dict[str, Any] | None, label: Label | None = None
    ) -> None:
        """Show the questions for ``signal`` with ``answers``; ``label`` is the saved label
        of the item, if any (its version shows in the heading when it is not this one)."""
        self._set_heading(label)
        self._loading = True
        for box in self.boxes:
            box.setHidden(not box.question.applies_to(signal))
            box.set_value((answers or {}).get(box.question.id))
        self._loading = False
        if self.message.text():  # clearing an empty label still re-lays out the panel
            self.message.clear()
        self._focus(0)

    def clear(self) -> None:
        """No item: no question to answer."""
        for box in self.boxes:
            box.setHidden(True)
        self.message.clear()
        self.current = 0

    def answers(self) -> dict[str, Any]:
        return {box.question.id: box.value() for box in self.visible_boxes()}

    def show_problem(self, text: str) -> None:
        self.message.setText(text)

    def choose_key(self, key: str) -> bool:
        boxes = self.visible_boxes()
        if not boxes:
            return False
        box = boxes[self.current]
        if box.note is not None:
            return False
        if box.choose_key(key):
            self._advance_after(box)
            self.answers_changed.emit(True)
            return True
        return False

    def step_question(self, step: int) -> None:
        boxes = self.visible_boxes()
        if boxes:
            self._focus((self.current + step) % len(boxes))

    def _on_box_answered(self, question_id: str) -> None:
        boxes = self.visible_boxes()
        for index, box in enumerate(boxes):
            if box.question.id == question_id:
                self.current = index
                self._advance_after(box)
        self.answers_changed.emit(True)

    def _on_note_text_changed(self) -> None:
        if not self._loading:
            self.answers_changed.emit(False)

    def _advance_after(self, box: QuestionBox) -> None:
        """Go to the next question that still needs an answer (skipping unneeded ones)."""
        boxes = self.visible_boxes()
        answers = self.answers()
        start = boxes.index(box)
        for index in range(start + 1, len(boxes)):
            candidate = boxes[index].question
            needed = candidate.is_required(answers) or candidate.kind == "free_text"
            if needed and answers.get(candidate.id) is None:
                self._focus(index)
                return
        self._focus(start)

    def _focus(self, index: int) -> None:
        boxes = self.visible_boxes()
        self.current = min(max(index, 0), max(len(boxes) - 1, 0))
        for position, box in enumerate(boxes):
            box.set_current(position == self.current)
        if boxes:
            box = boxes[self.current]
            self.questions_area.ensureWidgetVisible(box)  # the current question is always in view
            if box.note is not None:
                box.note.setFocus()
            elif self.focusWidget() is not None and isinstance(self.focusWidget(), NoteEdit):
                self.setFocus()

    def current_question(self) -> Question | None:
        boxes = self.visible_boxes()
        return boxes[self.current].question if boxes else None
