"""The review flow: which case is shown (``case_flow``), saving, moving on, undo and redo.

It turns the widgets' intents into review-service calls and refreshes only what changed. A
change the workspace refuses (busy, read-only, changed in another window) changes nothing and
says why where the reviewer acted; what they typed stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from annotator.domain.model import Status
from annotator.services.review import CaseDetail, ChangedElsewhere, ReviewError
from annotator.services.workspace import WorkspaceError
from annotator.ui.case_flow import CaseFlow
from annotator.ui.case_view import CaseView
from annotator.ui.decision_panel import DecisionPanel
from annotator.ui.draft import Draft
from annotator.ui.queue_panel import QueuePanel
from annotator.ui.writes import Writes

T = TypeVar("T")


class Refused:
    """A change was refused (and the reviewer told why): nothing changed."""


class ReviewController(CaseFlow):
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
        """As :class:`CaseFlow`; the panel's buttons save, skip and clear."""
        super().__init__(queue, view, panel, ensure_reviewer, writes=writes, may_write=may_write)
        panel.saveRequested.connect(self.save_and_next)
        panel.revealRequested.connect(self.reveal)
        panel.skipRequested.connect(self.skip)
        panel.clearRequested.connect(self.clear)

    # -- deciding ------------------------------------------------------------

    def save(self) -> bool:
        if self.service is None or self.detail is None:
            return False
        if self.detail.blind:
            self.panel.show_error(
                self.tr("Blind first: reveal your first label first (Ctrl+Space), then decide.")
            )
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
        service, detail = self.service, self.detail
        service.reviewer = reviewer
        label = draft.label
        changes = self._try(
            lambda: service.decide(
                detail.row_id,
                label,
                draft.rationale,
                who_right=draft.who_right,
                tags=draft.tags,
                confidence=draft.confidence,
                expected=detail.version,
            ),
            case=detail,
            typed=draft,
            kept=self.tr(" What you typed is kept here."),
        )
        if isinstance(changes, Refused):
            return False
        self.drafts.drop(detail.row_id)
        self.panel.mark_clean()
        self.changed.emit(changes)
        if detail.status != Status.DECIDED:
            self._announce_if_done()
        self.message.emit(self.tr("Saved {0}: {1}").format(detail.case.id, label))
        return True

    def reveal(self) -> None:
        """Blind first: commit the label picked as the first label (saved at once, undoable),
        then show who said what, to decide the final label."""
        if self.service is None or self.detail is None:
            return
        service, detail = self.service, self.detail
        if not detail.blind:
            self.message.emit(
                self.tr("{0} is not hidden: nothing to reveal.").format(detail.case.id)
            )
            return
        label = self.panel.label()
        if label is None:
            self.panel.show_error(self.tr("Pick your first label first (keys 1–9)."))
            return
        reviewer = self.ensure_reviewer()
        if not reviewer:
            self.panel.show_error(self.tr("Enter your name once, so your labels carry it."))
            return
        service.reviewer = reviewer
        self._autosave.stop()
        changes = self._try(
            lambda: service.reveal(detail.row_id, label, expected=detail.version),
            case=detail,
            typed=self._typed(),
        )
        if isinstance(changes, Refused):
            return
        self.drafts.drop(detail.row_id)
        self.panel.mark_clean()
        self.changed.emit(changes)
        self.show(detail.row_id)
        self.panel.focus_rationale()
        self.message.emit(
            self.tr("First label {0} kept for {1}: now decide the final label.").format(
                label, detail.case.id
            )
        )

    def save_and_next(self) -> None:
        if not self.save():
            return
        if not self.go(+1):
            self.reload()
            self.message.emit(self.tr("Saved. That was the last case in the queue."))
        self.focus_review()

    def skip(self) -> None:
        if self.service is None or self.detail is None:
            return
        service, detail = self.service, self.detail
        changes = self._try(
            lambda: service.skip(detail.row_id, expected=detail.version),
            case=detail,
            typed=self._typed(),
        )
        if isinstance(changes, Refused):
            return
        self.changed.emit(changes)
        if not self.go(+1):
            self.reload()
        self.focus_review()

    def clear(self) -> None:
        if self.service is None or self.detail is None:
            return
        service, detail = self.service, self.detail
        if detail.status == Status.UNDECIDED:
            # Nothing saved to clear: clearing means dropping the unsaved draft.
            self._autosave.stop()
            if isinstance(self._try(lambda: service.discard_draft(detail.row_id)), Refused):
                return
            self.drafts.drop(detail.row_id)
            self.panel.mark_clean()
            self.show(detail.row_id)
            self.message.emit(self.tr("Draft on {0} discarded.").format(detail.case.id))
            return
        changes = self._try(
            lambda: service.clear(detail.row_id, expected=detail.version),
            case=detail,
            typed=self._typed(),
        )
        if isinstance(changes, Refused):
            return
        self.changed.emit(changes)
        self.reload()
        self.message.emit(
            self.tr("Decision on {0} cleared (Ctrl+Z to undo).").format(detail.case.id)
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
        change = self._try(self.service.undo if undo else self.service.redo)
        if isinstance(change, Refused):
            return
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

    # -- when a write is refused ------------------------------------------------------------------

    def _try(
        self,
        write: Callable[[], T],
        *,
        case: CaseDetail | None = None,
        typed: Draft | None = None,
        kept: str = "",
    ) -> T | Refused:
        """Make one change, through the window's writes (after checking that this window still
        holds the workspace). When it is refused, say why and return :class:`Refused`.
        ``case``: the case it changes, shown again as it is now (with ``typed`` on it) if it
        changed elsewhere; ``kept``: said after a refusal by the workspace."""
        try:
            self.may_write()
            return self.writes.run(write)
        except ChangedElsewhere as exc:
            if case is not None:
                self._changed_elsewhere(case.row_id, str(exc), typed)
            else:
                self.refresh_all()  # what changed elsewhere shows in the queue
                self.notify(str(exc))
        except ReviewError as exc:
            self.notify(str(exc))
        except WorkspaceError as exc:  # busy past the window's patience, read-only, full…
            self.notify(f"{exc}{kept}")
        return Refused()

    def _typed(self) -> Draft | None:
        return self.panel.draft() if self.panel.is_dirty() else None

    def notify(self, text: str) -> None:
        """Say why a change was refused (nothing changed), where the reviewer acted: under
        the decision, and in the status bar."""
        if self.detail is not None:
            self.panel.show_error(text, focus=False)
        self.problem.emit(text)

    def _changed_elsewhere(self, row_id: int, text: str, typed: Draft | None) -> None:
        """Another window or program changed the case since it was shown: show it as it is
        now, with what the reviewer typed on it, to decide again; and the queue as it is."""
        assert self.service is not None
        try:
            detail = self.service.case(row_id)
        except (ReviewError, WorkspaceError) as exc:
            self.notify(str(exc))
            return
        self._display(detail, typed)
        self.refresh_all()
        self.notify(text)

    def refresh_all(self) -> None:
        """Read the queue's lines, the progress and the history again (the workspace may have
        been changed by another window)."""
        self.queue.model.refresh_all()
        self.update_progress()
        self.historyChanged.emit()
