"""View › Alignment of judge runs… (Ctrl+Shift+L): the window's side of the Alignment page.

The report, another pair of runs compared, and the ids of the cases a run fixed or broke all
come from ``services.alignment`` off the GUI thread (the window's ``TaskRunner``: a pass over
the decided cases, seconds at a million); the page only lays them out. A click on *fixed* or
*broken* lists exactly those cases in the queue (``QueuePanel.show_cases``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from annotator.domain.alignment import Comparison
from annotator.services.alignment import (
    AlignmentReport,
    Run,
    Which,
    alignment_report,
    changed_cases,
    compare_runs,
)
from annotator.services.workspace import Workspace
from annotator.ui import dialogs
from annotator.ui.alignment_page import AlignmentPage
from annotator.ui.plain import piece
from annotator.ui.queue_panel import CaseList, QueuePanel
from annotator.ui.workers import TaskRunner
from annotator.untrusted import one_line


class AlignmentFlow(QObject):
    def __init__(
        self,
        window: QWidget,
        runner: TaskRunner,
        queue: QueuePanel,
        workspace: Callable[[], Workspace | None],
        beside_queue: Callable[[QWidget], None],
    ) -> None:
        """``beside_queue(page)``: put the page where the queue stays in sight (the
        Agreement page's place)."""
        super().__init__(window)
        self.window = window
        self.runner = runner
        self.queue = queue
        self.workspace = workspace
        self.beside_queue = beside_queue
        self.page: AlignmentPage | None = None

    def show(self) -> None:
        """The Alignment page, computed in the background (and again on Recompute)."""
        ws = self.workspace()
        if ws is None:
            return
        title = ws.project().title

        def job(_progress: Any, _cancelled: Any) -> AlignmentReport:
            return alignment_report(ws)

        def done(report: AlignmentReport) -> None:
            old = self.page  # computed again: the new page where the old one was, same tab
            tab = old.tabs.tabText(old.tabs.currentIndex()) if old is not None else ""
            geometry = old.geometry() if old is not None and old.isVisible() else None
            self.close()
            page = AlignmentPage(report, title, self.window)
            page.comparisonNeeded.connect(self._compare)
            page.casesRequested.connect(self._open_cases)
            page.refreshRequested.connect(self.show)
            for i in range(page.tabs.count()):
                if page.tabs.tabText(i) == tab:
                    page.tabs.setCurrentIndex(i)
            page.show()
            if geometry is not None:
                page.setGeometry(geometry)
            else:
                self.beside_queue(page)
            self.page = page

        self.runner.run(
            self.tr("Computing alignment…"),
            job,
            done,
            self._failed(self.tr("Alignment failed")),
            cancellable=False,
        )

    def refresh(self) -> None:
        """Compute the page again if it is open (the judge runs changed)."""
        if self.page is not None and self.page.isVisible():
            self.show()

    def close(self) -> None:
        """Close the page (another workspace was opened: it described the one left)."""
        if self.page is not None:
            self.page.close()
            self.page = None

    def _compare(self, criterion: str, before: int, after: int) -> None:
        """Two runs the report does not compare, compared off the GUI thread."""
        found = self._pair(criterion, before, after)
        if found is None:
            return
        ws, page, first, second = found

        def job(_progress: Any, _cancelled: Any) -> Comparison:
            return compare_runs(ws, first, second, criterion)

        def done(comparison: Comparison) -> None:
            if self.page is page:
                page.set_comparison(criterion, before, after, comparison)

        self.runner.run(
            self.tr("Comparing runs…"),
            job,
            done,
            self._failed(self.tr("Comparison failed")),
            cancellable=False,
            over=page,
        )

    def _open_cases(self, criterion: str, before: int, after: int, which: str) -> None:
        """The cases ``after`` fixed (or broke) against ``before``, listed in the queue."""
        found = self._pair(criterion, before, after)
        if found is None:
            return
        ws, page, first, second = found
        kind: Which = "fixed" if which == "fixed" else "broken"

        def job(_progress: Any, _cancelled: Any) -> tuple[str, ...]:
            return changed_cases(ws, first, second, criterion, kind)

        def done(ids: tuple[str, ...]) -> None:
            caption = (
                self.tr("Fixed by run {0} ({1}) since run {2}: {3} cases")
                if kind == "fixed"
                else self.tr("Broken by run {0} ({1}) since run {2}: {3} cases")
            ).format(after + 1, piece(one_line(second.name, 30)), before + 1, len(ids))
            crit = f" ({piece(one_line(criterion, 30))})" if criterion else ""
            self.queue.reset_filters()  # exactly those cases: no other filter hides one
            self.queue.show_reviews(CaseList(caption + crit, ids))
            if self.page is not None:
                self.beside_queue(self.page)
            self.window.raise_()
            self.window.activateWindow()

        self.runner.run(
            self.tr("Finding the cases…"),
            job,
            done,
            self._failed(self.tr("Could not list the cases")),
            cancellable=False,
            over=page,
        )

    def _pair(
        self, criterion: str, before: int, after: int
    ) -> tuple[Workspace, AlignmentPage, Run, Run] | None:
        """The workspace, the page, and two of ``criterion``'s runs by their index (None: the
        page or the workspace is gone)."""
        ws, page = self.workspace(), self.page
        c = page.report.criterion(criterion) if page is not None else None
        if ws is None or page is None or c is None:
            return None
        return ws, page, c.runs[before].run, c.runs[after].run

    def _failed(self, title: str) -> Callable[[BaseException], None]:
        def failed(exc: BaseException) -> None:
            dialogs.error(self.page or self.window, title, str(exc))

        return failed
