"""Files in and out of the window: opening workspaces and case files, importing, exporting.

Every long step runs through the window's TaskRunner; what to show afterwards is the window's
business (``switch`` to a workspace, ``refresh`` with what an import into the open one
changed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget

from annotator import paths
from annotator.formats.errors import FileRefused
from annotator.formats.mapping import uses_our_names
from annotator.formats.reader import sample_records
from annotator.services.calibration import DEFAULT_EXAMPLES, PackWritten, write_pack
from annotator.services.changes import Changes
from annotator.services.exporter import ExportCancelled, export_decisions, export_format
from annotator.services.importer import (
    ImportCancelled,
    ImportReport,
    ImportTarget,
    import_file,
)
from annotator.services.merge import (
    MergeCancelled,
    MergeReport,
    export_merged,
    merge_into_workspace,
)
from annotator.services.split import split_settings
from annotator.services.with_source import (
    SUFFIXES,
    SourceExport,
    SourceRefused,
    export_with_source,
    source_format,
)
from annotator.services.workspace import Workspace, WorkspaceError, default_workspace_for
from annotator.settings import Settings
from annotator.ui import dialogs
from annotator.ui.calibration_dialog import CalibrationDialog
from annotator.ui.export_dialog import ExportDialog
from annotator.ui.import_dialog import ImportChoice, ImportDialog, Settle
from annotator.ui.workers import Task, TaskRunner
from annotator.ui.writes import Writes

CASE_FILES = "Case files (*.jsonl *.ndjson *.json *.csv *.tsv *.txt *.parquet)"
WORKSPACES = "Workspaces (*.annotator)"


SKIPS_SHOWN = 5
"""Skipped lines an import's message names in its text; all of them are under its details."""


class Files(QObject):
    message = Signal(str)
    """A line for the status bar."""
    merged = Signal(object)
    """Reviewer files were merged into the open workspace (with the MergeReport)."""

    def __init__(
        self,
        parent: QWidget,
        settings: Settings,
        runner: TaskRunner,
        current: Callable[[], Workspace | None],
        switch: Callable[[Workspace], None],
        refresh: Callable[[Changes], None],
        *,
        writes: Writes | None = None,
        may_write: Callable[[], bool] = lambda: True,
    ) -> None:
        """``writes``: the window's (how long opening waits for a busy workspace, and what it
        shows meanwhile); ``may_write``: asked before an import or merge into the open
        workspace (it becomes read-only if another window took it over)."""
        super().__init__(parent)
        self.window = parent
        self.settings = settings
        self.runner = runner
        self.current = current
        self.switch = switch
        self.refresh = refresh
        self.writes = writes or Writes(self)
        self.may_write = may_write
        self.importer: Callable[..., ImportReport] = import_file
        """What imports a file (``import_file``'s arguments); tests may wrap it."""

    # -- opening ----------------------------------------------------------------------------------

    def open_path(self, path: Path) -> None:
        """Open a workspace, or a case file (imported into its own workspace, then resumed)."""
        path = Path(path)
        if not path.exists():
            if str(path) in self.settings.recent:
                self.settings.recent.remove(str(path))
                self._save_settings()
            dialogs.error(
                self.window,
                self.tr("File not found"),
                self.tr("{0} does not exist (moved or deleted?)").format(path),
            )
            return
        if Workspace.is_workspace(path):
            self.open_workspace(path)
        else:
            self.open_case_file(path)

    def open_workspace(self, path: Path) -> bool:
        ws = self._open(path)
        if ws is not None:
            self.switch(ws)
        return ws is not None

    def open_case_file(self, path: Path) -> None:
        """Open a case file in its own workspace: resumed if it was opened before."""
        target = default_workspace_for(path)
        if target.exists() and Workspace.holds_import_of(target, path):
            self.open_workspace(target)
            return
        if not _uses_our_names(path):
            self.ask_and_import(path, into_current=False)
            return
        into = self._open_target(path)
        if into is not None:
            choice = ImportChoice(path, None, False, None)
            self.run_import(into.ws, choice, switch=True, created=into.created)

    def ask_and_import(self, path: Path, *, into_current: bool) -> None:
        """The import dialog, which runs the import and stays open (with its choices and the
        reason) if the file is refused; into the open workspace if ``into_current`` and there
        is one, else into the file's own."""

        def submit(choice: ImportChoice, settle: Settle) -> None:
            ws = self.current() if into_current else None
            if ws is not None:
                self.run_import(ws, choice, switch=False, settle=settle)
                return
            into = self._open_target(choice.path)
            if into is None:
                settle(self.tr("the workspace could not be opened"))
                return
            self.run_import(into.ws, choice, switch=True, created=into.created, settle=settle)

        ImportDialog.ask(path, self.window, submit)

    def _save_settings(self) -> None:
        unsaved = self.settings.save()
        if unsaved is not None:
            self.message.emit(unsaved)

    def choose_and_open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window,
            self.tr("Open"),
            str(Path.home()),
            f"{CASE_FILES};;{WORKSPACES};;All files (*)",
        )
        if path:
            self.open_path(Path(path))

    def _open(self, path: Path) -> Workspace | None:
        try:
            return Workspace.open(
                path, busy_seconds=self.writes.patience, on_wait=self.writes.waiter(path.name)
            )
        except (WorkspaceError, OSError) as exc:
            dialogs.error(self.window, self.tr("Cannot open workspace"), str(exc))
            return None

    def _open_target(self, case_file: Path) -> ImportTarget | None:
        """The case file's own workspace, opened (made, perhaps) for its import."""
        try:
            return ImportTarget.open(
                case_file,
                busy_seconds=self.writes.patience,
                on_wait=self.writes.waiter(default_workspace_for(case_file).name),
            )
        except (WorkspaceError, OSError) as exc:
            dialogs.error(self.window, self.tr("Cannot open workspace"), str(exc))
            return None

    # -- importing --------------------------------------------------------------------------------

    def choose_and_import(self) -> None:
        """Add a case file to the open workspace (or open it in its own)."""
        path, _ = QFileDialog.getOpenFileName(
            self.window, self.tr("Import cases"), str(Path.home()), CASE_FILES
        )
        if path:
            self.ask_and_import(Path(path), into_current=True)

    def run_import(
        self,
        ws: Workspace,
        choice: ImportChoice,
        *,
        switch: bool,
        created: bool = False,
        settle: Settle | None = None,
    ) -> Task:
        """Import the chosen file into ``ws``; ``switch``: show that workspace after (one
        ``created`` for the import goes again if the import fails). ``settle``: the import
        dialog's, told how it ended (a refusal is shown there, not in a message box)."""
        if ws is self.current():
            self.may_write()

        def job(progress: Any, cancelled: Any) -> ImportReport:
            return self.importer(
                ws,
                choice.path,
                choice.mapping,
                **choice.import_options(),
                progress=progress,
                cancelled=cancelled,
                # (one made for it, not shown until it is done: nothing else reads it)
                made_for_it=created and switch,
            )

        def done(report: ImportReport) -> None:
            if settle is not None:
                settle(None)
            if switch:
                self.switch(ws)
            else:
                self.refresh(report.changes)
            self._report(report)

        def failed(exc: BaseException) -> None:
            if switch and ws is not self.current():
                ImportTarget(ws, created).abandon()  # closed; removed if made for this file
            if isinstance(exc, ImportCancelled):
                self.message.emit(
                    self.tr("Import of {0} cancelled: nothing was imported.").format(
                        choice.path.name
                    )
                )
            if settle is not None:
                settle(exc)  # (the dialog shows why, and offers what the import asks)
            elif not isinstance(exc, ImportCancelled):
                dialogs.error(
                    self.window, self.tr("Import refused — nothing was imported"), str(exc)
                )

        title = self.tr("Importing {0}…").format(choice.path.name)
        modal = QApplication.activeModalWidget()  # the import dialog, which stays open
        over = modal if settle is not None and isinstance(modal, ImportDialog) else None
        return self.runner.run(title, job, done, failed, over=over, unit="bytes")

    def _report(self, report: ImportReport) -> None:
        text = self.tr(
            "Imported {0}: {1} new cases, {2} already present, {3} disagreements."
        ).format(
            report.path.name,
            f"{report.added:,}",
            f"{report.present:,}",
            f"{report.disagreements:,}",
        )
        self.message.emit(text)
        if report.skipped:
            problems = report.describe_problems(limit=200)
            skipped = (
                self.tr("1 line was skipped:")
                if report.skipped == 1
                else self.tr("{0} lines were skipped:").format(f"{report.skipped:,}")
            )
            first = "\n".join(problems[:SKIPS_SHOWN])
            if len(problems) > SKIPS_SHOWN:  # the rest behind Show Details
                first += "\n" + self.tr("(every one under Show Details)")
            dialogs.message(
                self.window,
                QMessageBox.Icon.Warning,
                self.tr("Some lines were skipped"),
                f"{text}\n\n{skipped}\n{first}",
                "\n".join(problems) if len(problems) > SKIPS_SHOWN else "",
            )

    # -- exporting --------------------------------------------------------------------------------

    def choose_and_export(self) -> ExportDialog | None:
        """Ask where to write the labelled file (and whether with the source records, as
        last time), then write it. Returns the dialog, open (window-modal)."""
        ws = self.current()
        if ws is None:
            return None
        try:
            suffix: str | None = SUFFIXES[source_format(ws)]
            why_not = ""
        except (SourceRefused, WorkspaceError) as exc:  # (the export itself will say why too)
            suffix, why_not = None, str(exc)
        folder = Path(self.settings.export_dir) if self.settings.export_dir else Path.home()
        dialog = ExportDialog(
            self.window,
            folder / _export_name(ws.project().title, self.settings.reviewer),
            with_source=self.settings.export_with_source,
            source_suffix=suffix,
            why_not=why_not,
        )

        def accepted() -> None:
            chosen = dialog.chosen()
            if chosen is None:
                return
            path, name_filter = chosen
            with_source = dialog.with_source.isChecked()
            self.settings.export_dir = str(path.parent)
            self.settings.export_with_source = with_source
            self._save_settings()
            asked = "csv" if name_filter.startswith("CSV") else None
            self.export_to(path, export_format(path, asked), with_source=with_source)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _ask_export_path(self, title: str, what: str, filters: str) -> tuple[Path, str] | None:
        """Ask where to write (named after the project, in the last export folder), and
        remember the folder. Returns the path and the chosen filter."""
        ws = self.current()
        if ws is None:
            return None
        folder = Path(self.settings.export_dir) if self.settings.export_dir else Path.home()
        default = folder / f"{_safe_stem(ws.project().title)}-{what}.jsonl"
        path, chosen = QFileDialog.getSaveFileName(self.window, title, str(default), filters)
        if not path:
            return None
        self.settings.export_dir = str(Path(path).parent)
        self._save_settings()
        return Path(path), chosen

    def export_to(
        self, path: Path, fmt: str = "jsonl", *, with_source: bool = False
    ) -> Task | None:
        """Write the labelled file (or, ``with_source``, the source records with the
        decisions, in the source's format) to ``path``."""
        ws = self.current()
        if ws is None:
            return None

        def job(progress: Any, cancelled: Any) -> int | SourceExport:
            if with_source:
                return export_with_source(ws, path, progress=progress, cancelled=cancelled)
            return export_decisions(ws, path, fmt, progress=progress, cancelled=cancelled)

        def done(count: int | SourceExport) -> None:
            if isinstance(count, SourceExport):
                notes = "".join(f"; {note}" for note in count.plan.notes)
                self.message.emit(count.describe(path) + notes)
                return
            self.message.emit(self.tr("Wrote {0} decisions to {1}").format(count, path))

        title = self.tr("Exporting to {0}…").format(path.name)
        return self.runner.run(title, job, done, self._export_failed(path), unit="cases")

    def _export_failed(self, path: Path) -> Callable[[BaseException], None]:
        """An export's end other than done: cancelled (said in the status bar), or refused."""

        def failed(exc: BaseException) -> None:
            if isinstance(exc, ExportCancelled):
                self.message.emit(
                    self.tr("Export cancelled: {0} was not written.").format(path.name)
                    if not path.exists()
                    else self.tr("Export cancelled: {0} is as it was before.").format(path.name)
                )
                return
            dialogs.error(self.window, self.tr("Export failed"), str(exc))

        return failed

    # -- a lead's merge ---------------------------------------------------------------------------

    def choose_and_merge(self) -> None:
        ws = self.current()
        if ws is None:
            return
        folder = self.settings.export_dir or str(Path.home())
        bundled = paths.sample_file()
        if ws.imported_from(bundled):  # trying it out on the sample
            folder = str(bundled.parent / "reviews")
        chosen, _ = QFileDialog.getOpenFileNames(
            self.window,
            self.tr("Merge reviewer files"),
            folder,
            "Labelled files (*.jsonl);;All files (*)",
        )
        if chosen:
            self.merge([Path(p) for p in chosen])

    def merge(self, paths: list[Path]) -> Task | None:
        """Bring reviewers' labelled files into the open workspace (all or nothing)."""
        ws = self.current()
        if ws is None:
            return None
        self.may_write()

        def job(progress: Any, cancelled: Any) -> MergeReport:
            return merge_into_workspace(ws, paths, progress, cancelled=cancelled)

        def done(report: MergeReport) -> None:
            self.merged.emit(report)
            self.message.emit(
                self.tr("Merged {0} files: {1} reviewer conflicts to settle.").format(
                    len(paths), f"{report.open_conflicts:,}"
                )
            )
            dialogs.message(
                self.window,
                QMessageBox.Icon.Information,
                self.tr("Reviewer files merged"),
                self.tr(
                    "{0} cases reviewed: {1} unanimous, {2} reviewer conflicts ({3} open). "
                    "The queue now lists the conflicts."
                ).format(
                    *(
                        f"{n:,}"
                        for n in (
                            report.cases,
                            report.unanimous,
                            report.conflicts,
                            report.open_conflicts,
                        )
                    )
                ),
                report.describe(),
            )

        def failed(exc: BaseException) -> None:
            if isinstance(exc, MergeCancelled):
                self.message.emit(self.tr("Merge cancelled: nothing was merged."))
                return
            dialogs.error(self.window, self.tr("Merge refused — nothing was merged"), str(exc))

        title = self.tr("Merging {0} reviewer files…").format(len(paths))
        return self.runner.run(title, job, done, failed, unit="files")

    def choose_and_export_merged(self) -> None:
        asked = self._ask_export_path(
            self.tr("Export merged file"), "merged", "JSON Lines (*.jsonl)"
        )
        if asked is not None:
            self.export_merged_to(asked[0])

    def export_merged_to(self, path: Path) -> Task | None:
        ws = self.current()
        if ws is None:
            return None

        def job(progress: Any, cancelled: Any) -> MergeReport:
            return export_merged(ws, path, progress=progress, cancelled=cancelled)

        def done(report: MergeReport) -> None:
            self.message.emit(
                self.tr("Wrote {0} merged cases to {1} ({2} conflicts still open)").format(
                    report.cases, path, report.open_conflicts
                )
            )

        title = self.tr("Exporting the merged file to {0}…").format(path.name)
        return self.runner.run(title, job, done, self._export_failed(path), unit="cases")

    def choose_and_calibrate(self) -> CalibrationDialog | None:
        """Ask for the folder and the examples per criterion, then write the calibration pack
        there (docs/alignment.md)."""
        ws = self.current()
        if ws is None:
            return None
        split = split_settings(ws)
        folder = Path(self.settings.export_dir) if self.settings.export_dir else Path.home()
        default = folder / f"{_safe_stem(ws.project().title)}-calibration"
        dialog = CalibrationDialog(self.window, default, self.settings.calibration_examples, split)

        def accepted() -> None:
            chosen = dialog.chosen()
            if chosen is None:
                return
            path, examples = chosen
            self.settings.export_dir = str(path.parent)
            self.settings.calibration_examples = examples
            self._save_settings()
            self.calibrate_to(path, examples)

        dialog.accepted.connect(accepted)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def calibrate_to(self, folder: Path, examples: int = DEFAULT_EXAMPLES) -> Task | None:
        """Write the calibration pack of the open workspace into ``folder``, with up to
        ``examples`` examples per criterion, on the project's split (File › Held-out
        split…)."""
        ws = self.current()
        if ws is None:
            return None

        def job(_progress: Any, _cancelled: Any) -> PackWritten:
            return write_pack(ws, folder, k=examples)

        def done(written: PackWritten) -> None:
            self.message.emit(written.describe())

        def failed(exc: BaseException) -> None:
            dialogs.error(self.window, self.tr("Calibration pack not written"), str(exc))

        title = self.tr("Writing the calibration pack to {0}…").format(folder.name)
        # (no Cancel: the pack's writing does not stop once started)
        return self.runner.run(title, job, done, failed, cancellable=False)


def _uses_our_names(path: Path) -> bool:
    """True when the file already uses our field names, so no mapping step is needed."""
    try:
        records = sample_records(path, limit=5)
    except FileRefused:
        return False  # the dialog shows why, and offers another encoding
    return not records or uses_our_names(records)


def _export_name(title: str, reviewer: str) -> str:
    """The labelled file's name to offer: the project's and the reviewer's, so that each
    reviewer's file sent to the lead has a name of its own."""
    who = _safe_stem(reviewer) if reviewer else ""
    return f"{_safe_stem(title)}-decisions{'-' + who if who else ''}.jsonl"


def _safe_stem(title: str) -> str:
    """A file-name stem from a title: "Health & legal QA" -> "Health-legal-QA"."""
    words = "".join(c if c.isalnum() or c in "-_" else " " for c in title).split()
    return "-".join(words)[:60] or "decisions"
