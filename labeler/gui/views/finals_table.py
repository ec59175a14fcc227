"""FinalsTable: each labeler's answers side by side, and the lead's final answer per question.

Where the labelers differ, the final starts empty (the lead decides, nothing is copied from
one labeler); where they agree, it starts at their answer. The current question takes the
number keys, as in labeling, and choosing moves to the next question still to decide.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from labeler.labeling.rubric import Question, Rubric
from labeler.team.reconcile import Disagreement, canonical_answers

DIFFERS = QColor(255, 196, 0, 70)
CURRENT_MARK = "▶ "


class FinalsTable(QTableWidget):
    finals_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 0, parent)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.finals: dict[str, QComboBox] = {}
        self.questions: list[Question] = []
        self.differing: list[str] = []
        self.current = 0

    def fill(self, entry: Disagreement, rubric: Rubric, names: list[str]) -> None:
        self.clear()
        questions = [q for q in rubric.questions_for(entry.signal) if q.kind != "free_text"]
        self.questions, self.differing = questions, list(entry.questions)
        self.setRowCount(len(questions))
        self.setColumnCount(len(entry.labels) + 1)
        self.setHorizontalHeaderLabels([*names, "Final"])
        decided = entry.resolution.answers if entry.resolution else {}
        shown = [canonical_answers(lab) for lab in entry.labels]  # sides as the lead sees them
        self.finals = {}
        for row, question in enumerate(questions):
            differs = question.id in entry.questions
            for column, answers in enumerate(shown):
                choice = question.choice(answers.get(question.id) or "")
                cell = QTableWidgetItem(choice.label if choice else "—")
                cell.setToolTip(choice.definition if choice else "")
                if differs:
                    cell.setBackground(QBrush(DIFFERS))
                self.setItem(row, column, cell)
            agreed = None if differs else shown[0].get(question.id)
            self.finals[question.id] = self._combo(question, decided.get(question.id, agreed))
            self.finals[question.id].currentIndexChanged.connect(self.finals_changed)
            self.setCellWidget(row, len(entry.labels), self.finals[question.id])
        self.current = 0
        self._move_to(self._next_open(-1))

    @staticmethod
    def _combo(question: Question, start: Any) -> QComboBox:
        combo = QComboBox()
        combo.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys choose; Tab is ours
        combo.addItem("—", None)
        for choice in question.choices:
            combo.addItem(f"[{choice.key}] {choice.label}", choice.id)
            combo.setItemData(combo.count() - 1, choice.definition, Qt.ItemDataRole.ToolTipRole)
        combo.setCurrentIndex(max(0, combo.findData(start)))
        return combo

    def empty(self) -> None:
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(0)
        self.finals, self.questions, self.differing = {}, [], []

    def answers(self) -> dict[str, Any]:
        return {qid: combo.currentData() for qid, combo in self.finals.items()}

    def chosen(self) -> dict[str, Any]:
        """The final answers chosen so far on the questions that differ."""
        return {q: self.finals[q].currentData() for q in self.differing if q in self.finals
                and self.finals[q].currentData() is not None}  # fmt: skip

    def choose(self, answers: dict[str, Any]) -> None:
        """Choose these final answers again (a reload of the same item), where the question
        still differs and still has that option."""
        for question_id, value in answers.items():
            combo = self.finals.get(question_id)
            if question_id in self.differing and combo is not None and combo.findData(value) >= 0:
                combo.setCurrentIndex(combo.findData(value))
        self._move_to(self._next_open(-1))

    def undecided(self) -> list[str]:
        """Differing questions with no final answer yet."""
        return [
            q for q in self.differing if q in self.finals and self.finals[q].currentData() is None
        ]

    def choose_key(self, key: str) -> bool:
        """Choose the current question's option with this key; then go to the next open one.
        False when no option has the key (or there is no question)."""
        if not self.questions:
            return False
        question = self.questions[self.current]
        combo = self.finals[question.id]
        for choice in question.choices:
            if choice.key == key:
                combo.setCurrentIndex(combo.findData(choice.id))
                following = self._next_open(self.current)
                if following is not None:
                    self._move_to(following)
                return True
        return False

    def step_question(self, delta: int) -> None:
        if self.questions:
            self._move_to((self.current + delta) % len(self.questions))

    def done_choosing(self) -> bool:
        return not self.undecided()

    def _next_open(self, after: int) -> int | None:
        """The next differing question after row ``after`` still without a final answer."""
        for row in range(after + 1, len(self.questions)):
            if self.questions[row].id in self.undecided():
                return row
        return None if after >= 0 else 0

    def _move_to(self, row: int | None) -> None:
        if row is None or not self.questions:
            return
        self.current = row
        self.setVerticalHeaderLabels(
            [(CURRENT_MARK if r == row else "") + q.id for r, q in enumerate(self.questions)]
        )
        cell = self.item(row, 0)
        if cell is not None:
            self.scrollToItem(cell)
