"""The window's side of judge runs (services/judge_runs.py): File › Add judge run… (a file,
then its name with the fields guessed, then the import on a worker thread with progress and
Cancel) and File › Judge runs… (rename, remove, and undo of either).

A run's removal and rename are not decisions on a case, so they are not in the reviewer's
Edit › Undo history (which is per case, in the workspace); each is undone by the Undo button of
the Judge runs dialog, or of the status bar's message, for as long as the window is open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QFileDialog, QMainWindow, QPushButton, QWidget

from annotator.formats.errors import FileRefused
from annotator.formats.mapping import FieldMapping
from annotator.services.judge_runs import (
    JudgeRun,
    RunAdded,
    RunCancelled,
    add_run,
    guess_mapping,
    list_runs,
    remove_run,
    removed_runs,
    rename_run,
    restore_run,
)
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.ui import dialogs
from annotator.ui.judge_runs_dialog import AddRunDialog, JudgeRunsDialog
from annotator.ui.plain import piece, safe_tooltip
from annotator.ui.workers import Task, TaskRunner

UNDO_MS = 20_000
"""How long the status bar offers to undo a removal or rename."""
FILES = "Judge runs (*.jsonl *.ndjson *.json *.csv *.tsv *.parquet);;All files (*)"


@dataclass(frozen=True)
class _Step:
    """A change to the runs and how to take it back."""

    what: str
    """For the Undo button: ``removal of 'v2'``."""
    undo: Callable[[Workspace], object]


class JudgeRunFlow(QObject):
    message = Signal(str)
    runsChanged = Signal()
    """A run was added, renamed, removed or restored (``services.judge_runs.RUNS_CHANGED``)."""

    def __init__(
        self,
        window: QWidget,
        runner: TaskRunner,
        current: Callable[[], Workspace | None],
        check: Callable[[], object],
        reload: Callable[[], None],
    ) -> None:
        """``check`` makes the window read-only if another window took the workspace over (the
        write that follows is then refused with the reason, as every write of the window is);
        ``reload`` shows the current case again (its runs changed)."""
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.current = current
        self.check = check
        self.reload = reload
        self.steps: list[_Step] = []
        self.add_dialog: AddRunDialog | None = None
        self.dialog: JudgeRunsDialog | None = None
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.setFlat(True)
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.undo)
        self._hide_undo = QTimer(self)
        self._hide_undo.setSingleShot(True)
        self._hide_undo.timeout.connect(self.undo_button.hide)
        if isinstance(window, QMainWindow):
            window.statusBar().addPermanentWidget(self.undo_button)

    # -- adding -------------------------------------------------------------------------------

    def choose_and_add(self) -> None:
        if self.current() is None:
            return
        chosen, _ = QFileDialog.getOpenFileName(
            self.window, self.tr("Add judge run: the judge's verdicts"), "", self.tr(FILES)
        )
        if chosen:
            self.add_file(Path(chosen))

    def add_file(self, path: Path) -> AddRunDialog | None:
        """Ask for the run's name, showing the fields ``path`` will be read with; then add it."""
        ws = self.current()
        if ws is None:
            return None
        try:
            self.check()
            mapping = guess_mapping(path)
            taken = {r.name.casefold() for r in list_runs(ws)}
        except (FileRefused, WorkspaceError) as exc:
            dialogs.error(self.window, self.tr("Judge run not added"), str(exc))
            return None
        name, n = path.stem, 2
        while name.casefold() in taken:
            name, n = f"{path.stem} ({n})", n + 1
        dialog = AddRunDialog(self.window, path, mapping, name)
        dialog.accepted.connect(lambda: self.add(ws, path, mapping, *dialog.chosen()))
        self.add_dialog = dialog
        dialog.open()
        return dialog

    def add(
        self, ws: Workspace, path: Path, mapping: FieldMapping, name: str, model: str | None
    ) -> Task | None:
        if ws is not self.current():
            return None

        def job(progress: Any, cancelled: Any) -> RunAdded:
            return add_run(
                ws, path, name, mapping=mapping, model=model, progress=progress,
                cancelled=cancelled,
            )  # fmt: skip

        def done(added: RunAdded) -> None:
            text = self.tr("Added judge run {0}: {1} of {2} cases.").format(
                piece(added.run.name), added.run.cases, added.project_cases
            )
            if added.missing:
                text += " " + self.tr("{0} cases have no verdict in it.").format(added.missing)
            self.message.emit(text)
            self._changed()

        def failed(exc: BaseException) -> None:
            if isinstance(exc, RunCancelled):
                self.message.emit(self.tr("Cancelled: no judge run was added."))
                return
            if not isinstance(exc, FileRefused | WorkspaceError):
                raise exc  # a bug: the window's excepthook logs it
            dialogs.error(self.window, self.tr("Judge run not added"), str(exc))

        title = self.tr("Adding judge run {0}…").format(piece(name))
        return self.runner.run(title, job, done, failed)

    # -- the runs ------------------------------------------------------------------------------

    def manage(self) -> JudgeRunsDialog | None:
        """File › Judge runs…: the list (the removed runs greyed), with Rename, Remove,
        Restore and Undo."""
        if self.current() is None:
            return None
        if self.dialog is None:
            self.dialog = JudgeRunsDialog(self.window)
            self.dialog.renameRequested.connect(self.ask_rename)
            self.dialog.removeRequested.connect(self.remove)
            self.dialog.restoreRequested.connect(self.restore)
            self.dialog.undoRequested.connect(self.undo)
        self._fill()
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def ask_rename(self, run: JudgeRun) -> None:
        parent = self.dialog or self.window
        box = dialogs.input_dialog(parent, self.tr("Rename judge run"), self.tr("New name:"))
        box.setTextValue(run.name)
        box.textValueSelected.connect(lambda new: self.rename(run, new))
        box.open()

    def rename(self, run: JudgeRun, new: str) -> None:
        if new.strip() == run.name:
            return
        old = run.name
        done = self._do(lambda ws: rename_run(ws, old, new))
        if done is not None:
            self._record(
                _Step(
                    self.tr("rename of '{0}'").format(done.name),
                    lambda ws: rename_run(ws, done.name, old),
                ),  # fmt: skip
                self.tr("Renamed judge run {0} to {1}.").format(piece(old), piece(done.name)),
            )

    def remove(self, run: JudgeRun) -> None:
        done = self._do(lambda ws: remove_run(ws, run.name))
        if done is not None:
            self._record(
                _Step(
                    self.tr("removal of '{0}'").format(done.name),
                    lambda ws: restore_run(ws, done.id),
                ),  # fmt: skip
                self.tr("Removed judge run {0}.").format(piece(done.name)),
            )

    def restore(self, run: JudgeRun) -> None:
        """Bring back a removed run (one removed in an earlier session too)."""
        done = self._do(lambda ws: restore_run(ws, run.id))
        if done is not None:
            self._record(
                _Step(
                    self.tr("restore of '{0}'").format(done.name),
                    lambda ws: remove_run(ws, done.name),
                ),  # fmt: skip
                self.tr("Restored judge run {0}.").format(piece(done.name)),
            )

    def undo(self) -> None:
        if not self.steps:
            return
        step = self.steps[-1]
        if self._do(step.undo) is not None:
            self.steps.pop()
            self.message.emit(self.tr("Undid the {0}.").format(piece(step.what)))
            self.undo_button.hide()
            self._fill()

    def forget(self) -> None:
        """Another workspace is open: nothing of this one to undo, no dialog about it."""
        self.steps.clear()
        self.undo_button.hide()
        if self.dialog is not None:
            self.dialog.close()
            self.dialog = None

    def _do(self, change: Callable[[Workspace], Any]) -> Any:
        ws = self.current()
        if ws is None:
            return None
        try:
            self.check()
            result = change(ws)
        except WorkspaceError as exc:
            dialogs.error(self.dialog or self.window, self.tr("Judge runs not changed"), str(exc))
            return None
        self._changed()
        return result

    def _record(self, step: _Step, text: str) -> None:
        self.steps.append(step)
        self.message.emit(text)
        self.undo_button.setText(self.tr("Undo"))
        self.undo_button.setToolTip(safe_tooltip(self.tr("Undo the {0}").format(step.what)))
        self.undo_button.show()
        self._hide_undo.start(UNDO_MS)
        self._fill()

    def _changed(self) -> None:
        self.reload()
        self._fill()
        self.runsChanged.emit()

    def _fill(self) -> None:
        ws = self.current()
        if self.dialog is None or ws is None:
            return
        undo = self.steps[-1].what if self.steps else ""
        self.dialog.set_runs(list_runs(ws), undo, removed_runs(ws))
