"""What the reviewer typed and has not saved, on its way into the workspace.

Drafts are written to the workspace as the reviewer types (``ReviewService.save_draft``), so
that moving away, closing the app or a crash never loses them. When the workspace cannot take
one (busy with another program's write, or read-only because another window has it), the draft
is held here instead: shown again with its case, and written as soon as the workspace can take
it. A busy workspace is waited for briefly (``Writes.draft_patience``), then tried again a few
seconds later, so that typing is never held up for long.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from annotator.services.review import ReviewError, ReviewService
from annotator.services.workspace import WorkspaceError, WorkspaceReadOnly
from annotator.ui import dialogs
from annotator.ui.draft import Draft
from annotator.ui.writes import Writes

RETRY_MS = 5000
"""After a draft could not be written (a busy workspace), when to try again."""
SOON_MS = 700
"""When to try again after a write of the window's own was under way."""


class HeldDrafts(QObject):
    problem = Signal(str)
    """A draft could not be written yet (it stays on screen): for the status bar."""
    written = Signal(int)
    """A case's draft is in the workspace now (its row id): for the queue to mark it."""

    def __init__(self, parent: QObject, writes: Writes, may_write: Callable[[], bool]) -> None:
        super().__init__(parent)
        self.writes = writes
        self.may_write = may_write
        self.service: ReviewService | None = None
        self._held: dict[int, Draft] = {}
        self._retry = QTimer(self, singleShot=True, interval=RETRY_MS)
        self._retry.timeout.connect(self.write)
        self._soon = QTimer(self, singleShot=True, interval=SOON_MS)
        self._soon.timeout.connect(self.write)

    def set_service(self, service: ReviewService | None) -> None:
        """Another workspace: what was held for the one left is let go of (the window asked
        the reviewer first, see :meth:`unsaved`)."""
        self._held.clear()
        self._retry.stop()
        self.service = service

    def hold(self, row_id: int, draft: Draft) -> None:
        self._held[row_id] = draft

    def get(self, row_id: int) -> Draft | None:
        """The draft held for a case: newer than the one the workspace has."""
        return self._held.get(row_id)

    def drop(self, row_id: int) -> None:
        """The case's draft became a decision, or was discarded."""
        self._held.pop(row_id, None)

    def write(self) -> None:
        """Write the drafts held into the workspace, as far as it takes them now."""
        service = self.service
        if service is None or not self._held or self._retry.isActive():
            return
        if self.writes.busy:
            self._soon.start()  # after the write under way
            return
        if not self.may_write() or service.ws.read_only:
            return  # kept here until this window may write again
        for row_id, draft in list(self._held.items()):
            try:
                self.writes.run(
                    partial(service.save_draft, row_id, draft.to_json()),
                    patience=self.writes.draft_patience,
                )
            except WorkspaceReadOnly:
                return
            except (ReviewError, WorkspaceError) as exc:
                self.problem.emit(
                    self.tr(
                        "What you typed is kept on screen, not yet in the workspace: {0}"
                    ).format(exc)
                )
                self._retry.start()
                return
            if self._held.get(row_id) == draft:
                del self._held[row_id]
            self.written.emit(row_id)

    def unsaved(self) -> int:
        """How many cases hold typed text the workspace does not have (after trying once
        more to write it)."""
        self._retry.stop()
        self.write()
        return len(self._held)


def confirm_losing_drafts(parent: QWidget, count: int, why: str) -> bool:
    """Whether to close (or leave) the workspace though typed text on ``count`` cases could
    not be written to it."""
    tr = parent.tr
    box = dialogs.plain_box(
        parent,
        QMessageBox.Icon.Warning,
        tr("Typed text not saved"),
        tr(
            "What you typed on {0} case(s) is only on screen: it could not be written to the "
            "workspace ({1}). Leave it anyway, and lose it?"
        ).format(count, why),
    )
    leave = box.addButton(box.tr("Lose it and leave"), QMessageBox.ButtonRole.DestructiveRole)
    stay = box.addButton(box.tr("Stay"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(stay)
    box.setEscapeButton(stay)
    box.exec()
    return box.clickedButton() is leave
