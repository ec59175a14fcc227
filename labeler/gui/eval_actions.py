"""Eval → Build an eval bundle…, Run the gate…: what 'labeler eval build' and 'labeler eval
gate' do, in the app, off the GUI thread. The eval report itself is the Eval tab."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from labeler.changes import Changes
from labeler.errors import ValidationError
from labeler.gui.errors import show_error, show_message
from labeler.gui.tasks import TaskThread, run_on_reader, run_task
from labeler.progress import CancelCheck, ProgressCallback
from labeler.resources import shipped_path
from labeler.workspace import Workspace


def _path_row(line: QLineEdit, choose: Callable[[], str]) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(line, 1)
    browse = QPushButton("Browse…")
    browse.clicked.connect(lambda: line.setText(choose() or line.text()))
    layout.addWidget(browse)
    return row


class EvalBuildDialog(QDialog):
    """The holdout (an eval pack), the two models' outputs, the size, where to write."""

    def __init__(self, week: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Build an eval bundle")
        self.pack, self.current, self.candidate = QLineEdit(), QLineEdit(), QLineEdit()
        self.output = QLineEdit(str(Path.home() / "eval.lbundle"))
        self.week = QLineEdit(week)
        from labeler.evals.build import SIZE_RANGE

        self.pairs = QSpinBox()
        self.pairs.setRange(*SIZE_RANGE)
        self.pairs.setValue(SIZE_RANGE[0])
        outputs = "Outputs (*.jsonl);;All files (*)"
        form = QFormLayout(self)
        form.addRow("Eval pack (holdout)", _path_row(self.pack, self._folder))
        form.addRow("Current model outputs", _path_row(self.current, lambda: self._file(outputs)))
        form.addRow("Candidate outputs", _path_row(self.candidate, lambda: self._file(outputs)))
        form.addRow("Pairs", self.pairs)
        self.allow_fewer = QCheckBox("Build it even if fewer pairs are eligible")
        form.addRow("", self.allow_fewer)
        form.addRow("Week", self.week)
        form.addRow("Write to", self.output)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _folder(self) -> str:
        return QFileDialog.getExistingDirectory(self, "The eval pack's folder")

    def _file(self, kinds: str) -> str:
        return QFileDialog.getOpenFileName(self, "Outputs", "", kinds)[0]

    def values(self) -> tuple[Path, Path, Path, int, Path, str, bool]:
        fields = (self.pack, self.current, self.candidate, self.output)
        if not all(line.text().strip() for line in fields):
            raise ValidationError("Give the eval pack, both outputs files and where to write.")
        pack, current, candidate, output = (Path(line.text().strip()) for line in fields)
        week = self.week.text().strip()
        return (
            pack,
            current,
            candidate,
            self.pairs.value(),
            output,
            week,
            self.allow_fewer.isChecked(),
        )


def build_eval_dialog(
    parent: QWidget, workspace: Workspace, then_import: Callable[[Path], None]
) -> TaskThread | None:
    year, week, _ = dt.date.today().isocalendar()
    dialog = EvalBuildDialog(f"{year}-W{week:02d}", parent)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    try:
        values = dialog.values()
    except ValidationError as err:
        show_error(parent, "Cannot build the eval", err)
        return None
    from labeler.evals.lineage import workspace_keys

    keys = workspace_keys(workspace.store)
    return start_build_eval(parent, workspace, values, then_import, keys)


def start_build_eval(
    parent: QWidget,
    workspace: Workspace,
    values: tuple[Path, Path, Path, int, Path, str, bool],
    then_import: Callable[[Path], None],
    keys: list[Any],
) -> TaskThread:
    """Build off the GUI thread, signed and sealed to the workspace's team (a workspace on no
    team is refused, as 'labeler eval build' refuses it); the pack must verify against
    ``keys`` (the workspace's)."""
    from labeler.evals.build import build_eval, seal_for_eval

    pack, current, candidate, size, output, week_text, allow_fewer = values

    def operation(_progress: ProgressCallback, _cancel: CancelCheck) -> dict[str, Any]:
        store = workspace.open_reader()  # the worker reads through its own connection
        try:
            seal = seal_for_eval(store)
            return build_eval(pack, current, candidate, size, output, week=week_text or None,
                              keys=keys, allow_fewer=allow_fewer, seal=seal,
                              store=store)  # fmt: skip
        finally:
            store.close()

    def done(manifest: dict[str, Any]) -> None:
        withheld = manifest["statistics"].get("withheld")
        show_message(
            parent,
            "Eval bundle built",
            f"{manifest['item_count']} blind pairs in {output}, sealed to the team"
            + (f" (fewer than the {size} asked for)" if manifest["item_count"] < size else "")
            + (
                f"; {withheld} restricted items are not readable on this laptop, so none of "
                "them is in the eval"
                if withheld
                else ""
            )
            + "; importing it now.",
        )
        then_import(output)

    return run_task(
        parent,
        "Building the eval bundle",
        operation,
        done,
        lambda err: show_error(parent, "Cannot build the eval", err),
    )


def run_gate_dialog(
    parent: QWidget, workspace: Workspace, applied: Callable[[Changes], None]
) -> TaskThread | None:
    """Run the ship gate on this workspace's judgments of the latest eval; it is recorded."""
    default = str(shipped_path("rubrics", "gate.yaml"))
    name, _ = QFileDialog.getOpenFileName(
        parent, "The gate policy", default, "Policies (*.yaml *.yml);;All files (*)"
    )
    return start_gate(parent, workspace, Path(name), applied) if name else None


def start_gate(
    parent: QWidget, workspace: Workspace, policy: Path, applied: Callable[[Changes], None]
) -> TaskThread:
    from labeler.evals.gate_runs import run_in_workspace

    def done(result: Any) -> None:
        verdict, _run = result
        applied(Changes(runs=True))
        reasons = "\n".join(f"• {reason}" for reason in verdict.reasons) or "Every rule holds."
        show_message(parent, f"Gate: {verdict.word}", f"{verdict.word}\n\n{reasons}")

    return run_on_reader(
        parent,
        workspace,
        "Running the gate",
        lambda session, _p, _c: run_in_workspace(session, policy),
        done,
        lambda err: show_error(parent, "Cannot run the gate", err),
    )
