"""The search index of newly imported cases, built on a worker thread while the reviewer works.

After an import, and whenever the window opens a workspace with cases waiting for the index
(an import from the command line stopped with Ctrl+C, a killed build), the window builds it in
short steps (``services/search_index.py``), saying "Indexing for search: 41%" in the status
bar. The reviewer works meanwhile; search finds the same cases (it scans those not indexed
yet). Leaving the workspace or closing the window stops the build between two steps: what was
indexed stays, and the next opening goes on from there.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel

from annotator.services.search_index import build_search_index, waiting
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.ui.widgets import plain_label
from annotator.ui.workers import Task, start

STEP_ROWS = 1000
"""Cases a step indexes in the window: a short hold of the write lock."""
PAUSE_SECONDS = 0.03
"""Between two steps, without the lock: a decision waiting for it gets it."""
STOP_SECONDS = 30.0
"""How long stopping waits for the step under way (a fraction of a second)."""


class SearchIndexer(QObject):
    """Builds the open workspace's search index in the background; :attr:`label` shows it."""

    message = Signal(str)
    """A line for the status bar: why the build stopped before the end (it goes on next time)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.label: QLabel = plain_label(selectable=False, wrap=False)
        self.label.setContentsMargins(8, 0, 8, 0)  # (apart from the message beside it)
        self.label.hide()
        self.task: Task | None = None
        self._alive: set[Task] = set()
        """Every task until it has ended, a stopped one too (the pool runs it meanwhile)."""
        self.ws: Workspace | None = None
        self._stopped = threading.Event()
        self._stopped.set()

    @property
    def running(self) -> bool:
        return self.task is not None

    def start(self, ws: Workspace | None) -> None:
        """Build ``ws``'s index if cases wait for it (nothing if it is being built, or the
        window may not write the workspace)."""
        if ws is None or ws.read_only or (self.running and self.ws is ws):
            return
        try:
            if not waiting(ws):
                return
        except WorkspaceError:
            return
        self.stop()
        self.ws = ws
        stopped = self._stopped = threading.Event()

        def job(progress: Any, cancelled: Any) -> bool:
            try:
                return build_search_index(
                    ws, progress, cancelled, rows=STEP_ROWS, pause=PAUSE_SECONDS
                )
            finally:
                stopped.set()

        task = self.task = Task(job)
        self._alive.add(task)
        task.signals.counted.connect(self._show)
        task.signals.finished.connect(lambda _complete: self._ended(task, None))
        task.signals.failed.connect(lambda exc: self._ended(task, exc))
        self._show(0, 0)
        start(task)

    def stop(self) -> None:
        """Stop the build between two steps and wait for it (leaving the workspace, closing)."""
        if self.task is not None:
            self.task.cancel()
            self._stopped.wait(STOP_SECONDS)
        self._forget()

    def _show(self, done: int, total: int) -> None:
        percent = done * 100 // total if total else 0
        self.label.setText(self.tr("Indexing for search: {0}%").format(percent))
        self.label.setToolTip(
            self.tr(
                "The cases just imported are being added to the search index. Search finds "
                "them meanwhile (more slowly); you can go on working."
            )
        )
        self.label.show()

    def _ended(self, task: Task, error: BaseException | None) -> None:
        self._alive.discard(task)
        if task is not self.task:  # (one stopped, of a workspace left)
            return
        self._forget()  # (complete: the label goes; the import's own message stays)
        if error is not None:
            self.message.emit(
                self.tr("Search index not finished ({0}); it goes on next time.").format(error)
            )

    def _forget(self) -> None:
        self.task = None
        self.ws = None
        self.label.hide()
