"""The review flow's first half: which case is shown, with what was typed on it, and moving on.

``controller.ReviewController`` adds the changes (saving, skipping, clearing, undo and redo).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import Future

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from annotator.domain.model import Confidence, WhoRight
from annotator.services.review import CaseDetail, Progress, ReviewError, ReviewService
from annotator.services.workspace import WorkspaceError
from annotator.ui.case_view import CaseView
from annotator.ui.decision_panel import DecisionPanel
from annotator.ui.draft import Draft
from annotator.ui.held_drafts import HeldDrafts
from annotator.ui.queue_panel import QueuePanel
from annotator.ui.widgets import lay_out_now
from annotator.ui.workers import background
from annotator.ui.writes import Writes

COUNT_LATER = 100_000
"""Opening a workspace of this many cases or more (by row id), the case is shown before the
progress counts are in; smaller ones are counted by the time the case is shown."""
OPEN_WAIT = 0.15
"""How long opening a workspace waits for every id of its queue before it shows the first rows
and the case where the reviewer resumes (the rest come in the background)."""


class CaseFlow(QObject):
    progressChanged = Signal(object)
    """A :class:`Progress` (None: not counted yet, on opening a large workspace)."""
    _counted = Signal(object, int)
    """From the thread counting the progress on opening: its future, and which counting."""
    message = Signal(str)
    changed = Signal(object)
    """The reviewer changed the workspace (the service's :class:`Changes`): for the window
    to route (``MainWindow.apply``)."""
    historyChanged = Signal()
    allDecided = Signal(object)
    """Every case in review scope is decided (a :class:`Progress`)."""
    caseShown = Signal(object)
    """The :class:`CaseDetail` now shown, or None."""
    problem = Signal(str)
    """A change was refused (a busy or read-only workspace, a case changed elsewhere), or a
    draft could not be written yet: for the status bar."""

    def __init__(
        self,
        queue: QueuePanel,
        view: CaseView,
        panel: DecisionPanel,
        ensure_reviewer: Callable[[], str | None],
        *,
        writes: Writes | None = None,
        may_write: Callable[[], bool] = lambda: True,
    ) -> None:
        """``writes``: the window's writes (one at a time, waiting for a busy workspace);
        ``may_write``: asked before each write (the window checks it still holds the
        workspace, and becomes read-only if not)."""
        super().__init__(queue)
        self.queue = queue
        self.view = view
        self.panel = panel
        self.ensure_reviewer = ensure_reviewer
        self.writes = writes or Writes(self)
        self.may_write = may_write
        self.service: ReviewService | None = None
        self.detail: CaseDetail | None = None
        self.include_agreements = False
        self.drafts = HeldDrafts(self, self.writes, may_write)
        """What was typed and is not in the workspace yet (it was busy, or is read-only)."""
        self.drafts.problem.connect(self.problem)
        self.drafts.written.connect(queue.model.refresh_case)  # marked as a draft
        # Unsaved input is written to the workspace shortly after typing stops, and on leaving.
        self._autosave = QTimer(self, singleShot=True, interval=700)
        self._autosave.timeout.connect(self.keep_draft)
        self._pending: tuple[int | None] | None = None
        """A case to show once the write under way is over (see :meth:`show`)."""
        self._show_later = QTimer(self, singleShot=True, interval=50)
        self._show_later.timeout.connect(self._show_pending)
        self._counts_asked = 0
        """How many times the progress was counted: counts from opening that come after a
        newer count are dropped."""
        self._counted.connect(self._show_counted, Qt.ConnectionType.QueuedConnection)
        panel.draftChanged.connect(self._autosave.start)
        queue.caseActivated.connect(self.show)

    def set_service(self, service: ReviewService | None) -> None:
        self.keep_draft()
        self.drafts.set_service(service)  # the window asked before leaving drafts unwritten
        self.service = service
        self.detail = None
        self.queue.select_when_in(None)
        # The progress counts walk every case's status (at a million cases, a tenth of a
        # second or more): counted on a thread of their own while the queue and the case are
        # read. (A workspace in memory has one connection for every thread: counted here.)
        counting = None
        if service is not None and service.ws.path is not None:
            counting = self._count(service)
        # The first rows, not every id (at a million cases, a few tenths of a second): the rest
        # come in the background, and the case where the reviewer resumes is shown meanwhile.
        self.queue.model.set_workspace(
            service.ws if service else None, self.queue.current_filter(), wait=OPEN_WAIT
        )
        self.refresh_vocabulary()
        self.historyChanged.emit()
        if service is None or not self.resume():
            self.show(None)
        if counting is None:
            self.update_progress()
        elif counting.done() or service is None or service.last_row_id() < COUNT_LATER:
            self.progressChanged.emit(counting.result())
        else:  # shown when counted, a moment after the case (none of another workspace's)
            self.progressChanged.emit(None)
            asked = self._counts_asked
            counting.add_done_callback(lambda done: self._tell_counted(done, asked))
        # Keys go to the review, not to a text box: digits choose labels from here.
        self.focus_review()

    def _count(self, service: ReviewService) -> Future[Progress]:
        """The progress of ``service``'s workspace, counted on a thread of the pool."""
        self._counts_asked += 1
        include = self.include_agreements
        return background(lambda: service.progress(include))

    def _tell_counted(self, counted: Future[Progress], asked: int) -> None:
        """From the counting thread: the counts are in (queued to the GUI thread)."""
        with contextlib.suppress(RuntimeError):  # the window is gone
            self._counted.emit(counted, asked)

    def _show_counted(self, counted: Future[Progress], asked: int) -> None:
        if asked != self._counts_asked:  # counted again since (a decision, another workspace)
            return
        try:
            progress = counted.result()
        except (ReviewError, WorkspaceError) as exc:
            self.problem.emit(str(exc))
            return
        self.progressChanged.emit(progress)

    def resume(self) -> bool:
        """Show the first undecided case in queue order (where the reviewer stopped). While the
        queue's rows are still coming in and its row is not among them yet, the case is shown
        at once and its row selected when it comes."""
        model = self.queue.model
        if model.loading:
            found = model.first_open_id()
            if found is not None and model.row_of(found) is None:
                self.show(found)
                self.queue.select_when_in(found)
                return self.detail is not None
        return self.next_undecided(from_start=True) or self.queue.select_row(0)

    # -- showing ------------------------------------------------------------

    def show(self, row_id: int | None) -> None:
        if self.writes.busy:
            # Chosen while a write waits (a queue that finished loading, say): shown after it.
            self._pending = (row_id,)
            self._show_later.start()
            return
        self._pending = None
        self.keep_draft()
        if row_id is None or self.service is None:
            self._show_none(self._empty_text())
            return
        try:
            detail = self.service.case(row_id)
        except (ReviewError, WorkspaceError) as exc:  # a damaged workspace, say
            self._show_none(str(exc))
            self.problem.emit(str(exc))
            return
        self._display(detail, self.drafts.get(row_id))

    def _show_pending(self) -> None:
        if self._pending is None:
            return
        if self.writes.busy:
            self._show_later.start()
            return
        self.show(self._pending[0])

    def _show_none(self, text: str) -> None:
        self.detail = None
        self.view.show_case(None, empty_text=text)
        self.panel.set_case(None, [])
        self.caseShown.emit(None)

    def _display(self, detail: CaseDetail, typed: Draft | None) -> None:
        """Show ``detail``, with ``typed`` (what the reviewer typed on it and has not saved) or
        else the draft the workspace keeps for it."""
        assert self.service is not None
        self.detail = detail
        row = self.queue.model.row_of(detail.row_id)
        total = self.queue.model.rowCount()
        position = f"{row + 1:,} / {total:,}" if row is not None else ""
        self.view.show_case(detail, position)
        self.panel.set_case(detail, self.service.tags())
        if typed is None and detail.draft is not None:
            typed = Draft.from_json(detail.draft)
        if typed is not None:
            self.panel.apply_draft(typed)
        self.caseShown.emit(detail)
        lay_out_now()  # (one paint of the case as it stands, not three: widgets.lay_out_now)

    def _empty_text(self) -> str:
        if self.service is None:
            return ""
        if self.queue.model.rowCount() == 0:
            if self.service.ws.case_count() == 0:
                return self.tr(
                    "This workspace has no cases yet.\n\nImport a case file with Ctrl+I."
                )
            return self.tr(
                "No case matches the queue's filters.\n\n"
                "Widen the filters on the left, or include agreements with Ctrl+Shift+A."
            )
        return self.tr("Select a case in the queue.")

    def reload(self) -> None:
        """Show the current case again (after a change, a zoom, a palette switch).

        What the reviewer typed and has not saved is kept: show() stores and restores it.
        """
        if self.detail is not None:
            self.show(self.detail.row_id)

    def keep_draft(self) -> None:
        """Write what was typed and not saved on the current case into the workspace (or,
        when it cannot take it now, keep it here to show with the case: ``HeldDrafts``)."""
        self._autosave.stop()
        if self.detail is not None and self.panel.is_dirty():
            self.drafts.hold(self.detail.row_id, self.panel.draft())
        self.drafts.write()

    def unsaved(self) -> int:
        """How many cases hold typed text the workspace could not take."""
        if self.detail is not None and self.panel.is_dirty():
            self.drafts.hold(self.detail.row_id, self.panel.draft())
        return self.drafts.unsaved()

    def refresh_vocabulary(self) -> None:
        if self.service is None:
            self.queue.set_vocabulary({"criteria": [], "labels": [], "raters": []}, [])
            return
        self.queue.set_vocabulary(self.service.vocabulary(), self.service.tags())

    def update_progress(self) -> None:
        self._counts_asked += 1  # (counts still coming from opening would be older)
        progress = self.progress()
        if progress is not None:
            self.progressChanged.emit(progress)

    def progress(self) -> Progress | None:
        return self.service.progress(self.include_agreements) if self.service else None

    # -- moving ------------------------------------------------------------

    def focus_review(self) -> None:
        """Leave any text box: keys choose labels and move between cases again."""
        self.queue.table.setFocus()

    # -- moving ------------------------------------------------------------

    def go(self, step: int) -> bool:
        """Move in the queue; keys then act on the review again, not on a text box."""
        self._row_of_shown()
        moved = self.queue.select_row(self.queue.current_row() + step)
        if moved:
            self.focus_review()
        return moved

    def _row_of_shown(self) -> None:
        """Before moving from the case shown while its row is still coming in (just opened):
        wait for it, and select it (``QueuePanel.select_when_in``)."""
        if self.queue.awaiting():
            self.queue.model.wait_until_loaded()
            self.queue.select_awaited()

    def next_undecided(self, from_start: bool = False) -> bool:
        if not from_start:
            self._row_of_shown()
        start = 0 if from_start else self.queue.current_row() + 1
        row = self.queue.model.find_undecided(start)
        if row is None:
            if not from_start:
                self.message.emit(self.tr("Every case in the queue is decided."))
            return False
        moved = self.queue.select_row(row)
        if moved and not from_start:
            self.focus_review()
        return moved

    # -- panel intents ------------------------------------------------------------

    def choose_label(self, n: int) -> None:
        """A digit key: the label it picks on this case's scale (``label_keys``)."""
        if self.detail is not None and not self.panel.press_digit(n):
            self.message.emit(self.tr("This case has no label {0}.").format(n))

    def set_who(self, who: WhoRight | None) -> None:
        if self.detail is not None:
            self.panel.set_who_right(who)

    def toggle_confidence(self, conf: Confidence) -> None:
        if self.detail is not None:
            self.panel.toggle_confidence(conf)
