"""The review flow: which case is shown, saving, moving on, undo and redo.

It turns the widgets' intents into review-service calls and refreshes only what changed.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from annotator.domain.model import Confidence, Status, WhoRight
from annotator.services.review import CaseDetail, Progress, ReviewError, ReviewService
from annotator.services.workspace import WorkspaceBusy
from annotator.ui.case_view import CaseView
from annotator.ui.decision_panel import DecisionPanel
from annotator.ui.draft import Draft
from annotator.ui.queue_panel import QueuePanel


class ReviewController(QObject):
    progressChanged = Signal(object)
    """A :class:`Progress`."""
    message = Signal(str)
    changed = Signal(object)
    """The reviewer changed the workspace (the service's :class:`Changes`): for the window
    to route (``MainWindow.apply``)."""
    historyChanged = Signal()
    allDecided = Signal(object)
    """Every case in review scope is decided (a :class:`Progress`)."""
    caseShown = Signal(object)
    """The :class:`CaseDetail` now shown, or None."""

    def __init__(
        self,
        queue: QueuePanel,
        view: CaseView,
        panel: DecisionPanel,
        ensure_reviewer: Callable[[], str | None],
    ) -> None:
        super().__init__(queue)
        self.queue = queue
        self.view = view
        self.panel = panel
        self.ensure_reviewer = ensure_reviewer
        self.service: ReviewService | None = None
        self.detail: CaseDetail | None = None
        self.include_agreements = False
        # Unsaved input is written to the workspace shortly after typing stops, and on leaving.
        self._autosave = QTimer(self, singleShot=True, interval=700)
        self._autosave.timeout.connect(self.keep_draft)
        panel.draftChanged.connect(self._autosave.start)
        queue.caseActivated.connect(self.show)
        panel.saveRequested.connect(self.save_and_next)
        panel.skipRequested.connect(self.skip)
        panel.clearRequested.connect(self.clear)

    def set_service(self, service: ReviewService | None) -> None:
        self.keep_draft()
        self.service = service
        self.detail = None
        self.queue.model.set_workspace(service.ws if service else None, self.queue.current_filter())
        self.refresh_vocabulary()
        self.update_progress()
        self.historyChanged.emit()
        if service is None or not self.resume():
            self.show(None)
        # Keys go to the review, not to a text box: digits choose labels from here.
        self.focus_review()

    def resume(self) -> bool:
        """Show the first undecided case in queue order (where the reviewer stopped)."""
        return self.next_undecided(from_start=True) or self.queue.select_row(0)

    # -- showing ------------------------------------------------------------

    def show(self, row_id: int | None) -> None:
        self.keep_draft()
        if row_id is None or self.service is None:
            self.detail = None
            self.view.show_case(None, empty_text=self._empty_text())
            self.panel.set_case(None, [])
            self.caseShown.emit(None)
            return
        self.detail = self.service.case(row_id)
        row = self.queue.model.row_of(row_id)
        total = self.queue.model.rowCount()
        position = f"{row + 1} / {total}" if row is not None else ""
        self.view.show_case(self.detail, position)
        self.panel.set_case(self.detail, self.service.tags())
        if self.detail.draft is not None:
            self.panel.apply_draft(Draft.from_json(self.detail.draft))
        self.caseShown.emit(self.detail)

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
        """Write what was typed and not saved on the current case into the workspace."""
        self._autosave.stop()
        if self.service is not None and self.detail is not None and self.panel.is_dirty():
            try:
                self.service.save_draft(self.detail.row_id, self.panel.draft().to_json())
            except WorkspaceBusy:
                self._autosave.start()  # try again shortly

    def refresh_vocabulary(self) -> None:
        if self.service is None:
            self.queue.set_vocabulary({"criteria": [], "labels": [], "raters": []}, [])
            return
        self.queue.set_vocabulary(self.service.vocabulary(), self.service.tags())

    def update_progress(self) -> None:
        progress = self.progress()
        if progress is not None:
            self.progressChanged.emit(progress)

    def progress(self) -> Progress | None:
        return self.service.progress(self.include_agreements) if self.service else None

    # -- deciding ------------------------------------------------------------

    def save(self) -> bool:
        if self.service is None or self.detail is None:
            return False
        draft = self.panel.draft()
        if draft.label is None:
            self.panel.show_error(self.tr("Pick the final label first (keys 1–9)."))
            return False
        if not draft.rationale.strip():
            self.panel.show_error(
                self.tr("Write a rationale: a decision cannot be saved without one.")
            )
            return False
        reviewer = self.ensure_reviewer()
        if not reviewer:
            self.panel.show_error(self.tr("Enter your name once, so your decisions carry it."))
            return False
        self.service.reviewer = reviewer
        was_open = self.detail.status != Status.DECIDED
        try:
            changes = self.service.decide(
                self.detail.row_id,
                draft.label,
                draft.rationale,
                who_right=draft.who_right,
                tags=draft.tags,
                confidence=draft.confidence,
            )
        except ReviewError as exc:
            self.panel.show_error(str(exc))
            return False
        except WorkspaceBusy as exc:  # another program held the workspace past the busy timeout
            self.panel.show_error(
                self.tr("Not saved: the workspace is busy ({0}). Try again in a moment.").format(
                    exc
                )
            )
            return False
        self.panel.mark_clean()
        self.changed.emit(changes)
        if was_open:
            self._announce_if_done()
        self.message.emit(self.tr("Saved {0}: {1}").format(self.detail.case.id, draft.label))
        return True

    def save_and_next(self) -> None:
        if not self.save():
            return
        if not self.go(+1):
            self.reload()
            self.message.emit(self.tr("Saved. That was the last case in the queue."))
        self.focus_review()

    def focus_review(self) -> None:
        """Leave any text box: keys choose labels and move between cases again."""
        self.queue.table.setFocus()

    def skip(self) -> None:
        if self.service is None or self.detail is None:
            return
        self.changed.emit(self.service.skip(self.detail.row_id))
        if not self.go(+1):
            self.reload()
        self.focus_review()

    def clear(self) -> None:
        if self.service is None or self.detail is None:
            return
        if self.detail.status == Status.UNDECIDED:
            # Nothing saved to clear: clearing means dropping the unsaved draft.
            self._autosave.stop()
            self.service.discard_draft(self.detail.row_id)
            self.panel.mark_clean()
            self.show(self.detail.row_id)
            self.message.emit(self.tr("Draft on {0} discarded.").format(self.detail.case.id))
            return
        self.changed.emit(self.service.clear(self.detail.row_id))
        self.reload()
        self.message.emit(
            self.tr("Decision on {0} cleared (Ctrl+Z to undo).").format(self.detail.case.id)
        )

    def _announce_if_done(self) -> None:
        progress = self.progress()
        if progress is not None and progress.total and progress.decided == progress.total:
            self.allDecided.emit(progress)

    def undo(self) -> None:
        self._step(undo=True)

    def redo(self) -> None:
        self._step(undo=False)

    def _step(self, undo: bool) -> None:
        if self.service is None:
            return
        change = self.service.undo() if undo else self.service.redo()
        if change is None:
            self.message.emit(self.tr("Nothing to undo.") if undo else self.tr("Nothing to redo."))
            return
        # Unsaved input is never dropped here: show() writes the panel's draft and brings back
        # the changed case's own draft over its restored state.
        self.changed.emit(change.changes)
        showing = self.detail is not None and self.detail.row_id == change.row_id
        # Selecting the case in the queue shows it; show it directly if it is already shown or
        # the queue's filters leave it out.
        if showing or not self.queue.select_id(change.row_id):
            self.show(change.row_id)
        verb = self.tr("Undid") if undo else self.tr("Redid")
        self.message.emit(f"{verb} {change.describe()}")

    # -- moving ------------------------------------------------------------

    def go(self, step: int) -> bool:
        """Move in the queue; keys then act on the review again, not on a text box."""
        moved = self.queue.select_row(self.queue.current_row() + step)
        if moved:
            self.focus_review()
        return moved

    def next_undecided(self, from_start: bool = False) -> bool:
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
        if self.detail is not None and not self.panel.choose_label_number(n):
            self.message.emit(self.tr("This case has no label {0}.").format(n))

    def set_who(self, who: WhoRight | None) -> None:
        if self.detail is not None:
            self.panel.set_who_right(who)

    def toggle_confidence(self, conf: Confidence) -> None:
        if self.detail is not None:
            self.panel.toggle_confidence(conf)
