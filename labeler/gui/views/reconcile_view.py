"""ReconcileView: the lead's comparison of labelers' answers, and the resolution of each
disagreement with a written note and a cause. Lowest agreement first.

The list is computed off the GUI thread (``ViewLoader``); after a save the view moves to the
next open disagreement at once, with a cleared note, so the next save can only land on the
item shown.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from labeler.changes import Changes
from labeler.domain import REASON_CODES, Item
from labeler.errors import LabelerError
from labeler.gui import session_actions
from labeler.gui.render_cache import RenderCache
from labeler.gui.views.finals_table import FinalsTable
from labeler.gui.views.loader import LoadedView
from labeler.gui.widgets.item_view import ItemView
from labeler.gui.widgets.rubric_panel import NoteEdit
from labeler.labeling.session import LabelingSession
from labeler.store import labelers
from labeler.store.items import EVAL_PAIR
from labeler.store.resolutions import history
from labeler.team.reconcile import CAUSES, Disagreement, canonical_answers, disagreements, resolve
from labeler.workspace import Workspace

ANY = "any"
LIST_COLUMNS = ("Status", "Differs on", "Reason", "Week", "Item")
KEYS_HINT = (
    "<span style='color:gray'><b>1–9</b> choose the final answer · <b>Tab</b> next question "
    "· <b>J</b>/<b>K</b> next/previous · <b>Enter</b> (in the note) saves</span>"
)


class ReconcileView(LoadedView):
    resolved = Signal(object)  # Changes: a resolution saved, or the shown item restricted

    def __init__(
        self, workspace: Workspace, cache: RenderCache, parent: QWidget | None = None
    ) -> None:
        super().__init__(workspace, parent)
        session = self.session
        self.cache = cache
        self.entries: list[Disagreement] = []
        self.current: Disagreement | None = None
        self._done: set[str] = set()  # resolved here since the list was loaded
        self._filter_values: tuple[str | None, str | None] = (None, None)
        self.question = QComboBox()
        self.question.addItem(ANY)
        self.question.addItems([q.id for q in session.rubric.questions if q.kind != "free_text"])
        self.reason = QComboBox()
        self.reason.addItems([ANY, *REASON_CODES, "none"])
        self.list = QTableWidget(0, len(LIST_COLUMNS))
        # The columns a lead decides by come first; the long item id last, stretched.
        self.list.setHorizontalHeaderLabels(list(LIST_COLUMNS))
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # J/K move, as in the queue
        self.list.verticalHeader().hide()
        header = self.list.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.list.currentCellChanged.connect(self._on_list_current_cell_changed)
        self.summary = QLabel()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        filters = QHBoxLayout()
        for label, combo in (("Question", self.question), ("Reason", self.reason)):
            filters.addWidget(QLabel(label))
            filters.addWidget(combo)
            combo.currentIndexChanged.connect(self._on_filter_changed)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.summary)
        left_layout.addWidget(self.list, 1)
        self.item_view = ItemView()
        self.item_view.redact_button.hide()
        # The privacy buttons act on the item shown, as they do in the Label tab.
        self.item_view.mark_requested.connect(lambda: self._item_action(session_actions.mark_pii))
        self.item_view.restrict_requested.connect(
            lambda: self._item_action(session_actions.send_to_restricted)
        )
        self.answers = FinalsTable()
        self.answers.finals_changed.connect(self._update_save)
        self.definitions = QLabel()
        self.definitions.setWordWrap(True)
        self.definitions.setTextFormat(Qt.TextFormat.RichText)
        self.cause = QComboBox()
        for key, text in CAUSES.items():
            self.cause.addItem(text, key)
        self.cause.currentIndexChanged.connect(self._on_cause_changed)
        self.clause = QComboBox()
        self.clause.addItem("—", None)
        for question in session.rubric.questions:
            self.clause.addItem(question.id, question.id)
            for choice in question.choices:
                self.clause.addItem(f"{question.id}/{choice.id}", f"{question.id}/{choice.id}")
        self.note = NoteEdit()
        self.note.setPlaceholderText("Why is this the answer? (required; Enter saves)")
        self.note.setMaximumHeight(110)
        self.note.textChanged.connect(self._on_note_text_changed)
        self.note.submitted.connect(self.save_current)
        self.save = QPushButton("Save resolution")
        self.save.setEnabled(False)
        self.save.clicked.connect(self._on_save_clicked)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setTextFormat(Qt.TextFormat.RichText)
        right = QWidget()
        form = QFormLayout(right)
        form.addRow(self.answers)
        form.addRow(self.definitions)
        form.addRow("Cause", self.cause)
        form.addRow("Rubric clause", self.clause)
        form.addRow("Note", self.note)
        form.addRow(self.save)
        form.addRow(self.message)
        form.addRow(self.history)
        keys = QLabel(KEYS_HINT)
        keys.setWordWrap(True)
        form.addRow(keys)
        splitter = QSplitter()
        for widget in (left, self.item_view, right):
            splitter.addWidget(widget)
        splitter.setSizes([380, 640, 460])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _filters(self) -> tuple[str | None, str | None]:
        question, reason = self.question.currentText(), self.reason.currentText()
        return (None if question == ANY else question), (None if reason == ANY else reason)

    def load(self, session: LabelingSession) -> list[Disagreement]:
        question, reason = self._filter_values  # as they were when the load was asked for
        return disagreements(session, question=question, reason_code=reason)

    def refresh(self, *_args: object) -> None:
        """Reload the disagreements off the GUI thread; ``refreshed`` follows."""
        self._filter_values = self._filters()
        super().refresh()

    def _on_filter_changed(self, *_args: object) -> None:
        self.refresh()

    def show_problem(self, err: BaseException) -> None:
        self.message.setText(str(err) if isinstance(err, LabelerError) else "Cannot load.")

    def show_data(self, entries: list[Disagreement]) -> None:
        keep = self.current.item_id if self.current is not None else None
        draft = self._draft()
        self.entries, self._done = entries, set()
        self._fill_list()
        row = next((r for r, e in enumerate(entries) if e.item_id == keep), None)
        if row is None:
            row = next((r for r, e in enumerate(entries) if e.resolution is None), None)
        self._select_row(row)
        if self.current is not None and self.current.item_id == keep:
            self._restore(draft)  # a reload (an import, a save elsewhere) keeps what was begun

    def _draft(self) -> tuple[dict[str, Any], str, int, int, bool]:
        """What the lead has begun on the item shown: answers, note, cause, clause, focus."""
        return (
            self.answers.chosen(), self.note.toPlainText(), self.cause.currentIndex(),
            self.clause.currentIndex(), self.note.hasFocus(),
        )  # fmt: skip

    def _restore(self, draft: tuple[dict[str, Any], str, int, int, bool]) -> None:
        chosen, note, cause, clause, typing = draft
        if not (chosen or note.strip()):
            return
        self.answers.choose(chosen)
        self.cause.setCurrentIndex(cause)
        self.clause.setCurrentIndex(clause)
        if note:
            self.note.setPlainText(note)
            cursor = self.note.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            self.note.setTextCursor(cursor)
        if typing:
            self.note.setFocus()
        self._update_save()

    def _fill_list(self) -> None:
        self.list.blockSignals(True)
        self.list.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            self._fill_row(row, entry)
        self.list.blockSignals(False)
        open_count = sum(1 for e in self.entries if not self._is_resolved(e))
        summary = f"{open_count} open · {len(self.entries) - open_count} resolved"
        pairs = sum(1 for e in self.entries if e.kind == EVAL_PAIR and not self._is_resolved(e))
        if pairs:  # Home counts them apart from the weeks' disagreements: say which they are
            summary += f" (of the open, {pairs} eval pair{'s' if pairs > 1 else ''})"
        self.summary.setText(summary)

    def _is_resolved(self, entry: Disagreement) -> bool:
        return entry.resolution is not None or entry.item_id in self._done

    def _fill_row(self, row: int, entry: Disagreement) -> None:
        agree = f"open · {entry.agreement:.0%} agree"
        status = "resolved" if self._is_resolved(entry) else agree
        if entry.kind == EVAL_PAIR:  # in the first column: the list is narrow
            status = f"eval pair · {status}"
        cells = (status, ", ".join(entry.questions), entry.reason_code or "—", entry.week)
        for column, text in enumerate((*cells, entry.item_id)):
            self.list.setItem(row, column, QTableWidgetItem(text))

    def _select_row(self, row: int | None) -> None:
        """Show the entry at ``row`` (None: nothing left to show)."""
        if row is None or not 0 <= row < len(self.entries):
            self.current = None
            self.list.clearSelection()
            self.item_view.clear()
            self.answers.empty()
            self.definitions.clear()
            self.history.clear()
            self.note.clear()
            self.save.setEnabled(False)
            return
        self.list.blockSignals(True)
        self.list.selectRow(row)
        self.list.blockSignals(False)
        self._show_entry(self.entries[row])

    def _on_list_current_cell_changed(self, row: int, *_args: object) -> None:
        if 0 <= row < len(self.entries):
            self._show_entry(self.entries[row])

    def _show_entry(self, entry: Disagreement) -> None:
        self.current = entry
        try:
            item = self.session.open_item(entry.item_id)
        except LabelerError as err:
            self.message.setText(str(err))
            return
        self.item_view.show_item(item, self.cache.show(item), "AB", revealed=True)
        self._fill_answers(entry)
        self._fill_definitions(entry)
        self._fill_history(entry)
        self.note.clear()
        self.message.clear()
        # A default that saves: the cause as chosen last, a gap citing what differs.
        self.clause.setCurrentIndex(0)
        if self.cause.currentData() == "guideline_gap":
            self._suggest_clause()
        self._update_save()

    def _item_action(
        self, action: Callable[[QWidget, LabelingSession, Item], Changes | None]
    ) -> None:
        """An action on the item shown (mark personal data, restrict it); its Changes go to
        every panel, this one included."""
        entry = self.current
        if entry is None:
            return
        try:
            item = self.session.open_item(entry.item_id)
        except LabelerError as err:
            self.message.setText(str(err))
            return
        changes = action(self, self.session, item)
        if changes:
            self.resolved.emit(changes)

    def _fill_answers(self, entry: Disagreement) -> None:
        names = []
        for lab in entry.labels:
            profile = labelers.get(self.session.store, lab.labeler_id)
            names.append(profile.display_name if profile else lab.labeler_id)
        self.answers.fill(entry, self.session.rubric, names)

    def _fill_definitions(self, entry: Disagreement) -> None:
        """The rubric's definition of every option chosen where the labelers differ."""
        lines = []
        for question_id in entry.questions:
            question = self.session.rubric.question(question_id)
            if question is None:
                continue
            chosen = {canonical_answers(lab).get(question_id) for lab in entry.labels}
            for choice in question.choices:
                if choice.id in chosen:
                    lines.append(
                        f"<b>{html.escape(question_id)} · {html.escape(choice.label)}</b>: "
                        f"{html.escape(choice.definition or '—')}"
                    )
        self.definitions.setText("<br>".join(lines))

    def _fill_history(self, entry: Disagreement) -> None:
        past = history(self.session.store, entry.item_id)
        if not past:
            self.history.setText("<i>Not resolved yet.</i>")
            return
        lines = []
        for res in past:
            who = labelers.get(self.session.store, res.resolved_by)
            name = html.escape(who.display_name if who else res.resolved_by)
            cause = html.escape(CAUSES.get(res.cause, res.cause))
            clause = f" ({html.escape(res.clause)})" if res.clause else ""
            when = html.escape(res.resolved_at[:16])
            lines.append(f"<b>{name}</b>, {when} — {cause}{clause}: {html.escape(res.note)}")
        self.history.setText("<br>".join(lines))

    # -- keyboard: choose, next, save ---------------------------------------------------
    def choose_key(self, key: str) -> bool:
        """A number key chooses the current question's final answer; once every differing
        question is decided, the note takes the keys."""
        chosen = self.answers.choose_key(key)
        if chosen and self.answers.done_choosing():
            self.note.setFocus()
        return chosen

    def step_question(self, delta: int) -> None:
        self.answers.step_question(delta)

    def step(self, delta: int) -> bool:
        """J/K: the next or previous disagreement in the list."""
        row = self.list.currentRow() + delta
        if not 0 <= row < len(self.entries):
            return False
        self._select_row(row)
        return True

    def save_current(self) -> None:
        if self.save.isEnabled():
            self._on_save_clicked()
        elif self.current is not None:
            self.message.setText(self.save.toolTip())

    def _on_cause_changed(self, *_args: object) -> None:
        """A guideline gap cites a clause: offer the first question the labelers differ on."""
        if self.cause.currentData() == "guideline_gap" and self.clause.currentData() is None:
            self._suggest_clause()

    def _suggest_clause(self) -> None:
        entry = self.current
        if entry is not None and entry.questions:
            self.clause.setCurrentIndex(max(0, self.clause.findData(entry.questions[0])))

    def _on_note_text_changed(self) -> None:
        self._update_save()

    def _update_save(self) -> None:
        """Save is offered once every differing question has a final answer and a note."""
        undecided = self.answers.undecided()
        noted = bool(self.note.toPlainText().strip())
        self.save.setEnabled(self.current is not None and noted and not undecided)
        if undecided:
            self.save.setToolTip(f"Choose the final answer of {', '.join(undecided)} first.")
        else:
            self.save.setToolTip("" if noted else "Write the note: why is this the answer?")

    def _on_save_clicked(self) -> None:
        entry = self.current
        if entry is None:
            return
        answers = self.answers.answers()
        try:
            item = self.session.open_item(entry.item_id)
            changes: Changes = resolve(
                self.session, item, answers, self.cause.currentData(), self.note.toPlainText(),
                clause=self.clause.currentData(),
            )  # fmt: skip
        except LabelerError as err:
            self.message.setText(str(err))
            return
        self._done.add(entry.item_id)
        row = self.entries.index(entry)
        self._fill_row(row, entry)
        self._fill_list()
        # The next open disagreement, shown now with a cleared note (the reload that the
        # change starts keeps it selected).
        order = list(range(row + 1, len(self.entries))) + list(range(row))
        following = next((r for r in order if not self._is_resolved(self.entries[r])), None)
        self._select_row(following)
        # The keys choose the next item's answers again, not type into its note.
        self.note.clearFocus()
        self.message.setText("Resolved." if following is not None else "All resolved.")
        self.resolved.emit(changes)
