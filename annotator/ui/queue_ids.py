"""The queue's ids, read on a thread of their own (``services.queue.QueueLoad``).

``queue_model.QueueModel`` starts one reading per filter and waits on it only as long as it
means to; the reading tells the model, through a queued signal, when the first rows are in and
when it is done. Background code never touches the model: it only stores what it read.
"""

from __future__ import annotations

import contextlib
import threading
import time
from array import array

from PySide6.QtCore import SignalInstance

from annotator.services.queue import QueueLoad, QueueLoadInterrupted


class IdsLoad:
    """One reading of the ids, on its own thread; the GUI thread reads the results."""

    def __init__(self, generation: int, query: QueueLoad, news: SignalInstance) -> None:
        self.generation = generation
        self.query = query
        self.news = news
        self.cond = threading.Condition()
        self.head: array[int] | None = None
        self.ids: array[int] | None = None
        self.error: BaseException | None = None
        self.done = False
        self.thread = threading.Thread(target=self._run, name="queue-load", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            ids = self.query.run(self._first)
        except QueueLoadInterrupted:
            ids, error = None, None
        except BaseException as exc:  # handed to the GUI thread
            ids, error = None, exc
        else:
            error = None
        with self.cond:
            self.ids, self.error, self.done = ids, error, True
            self.cond.notify_all()
        self._tell()

    def _first(self, head: array[int]) -> None:
        with self.cond:
            self.head = head
            self.cond.notify_all()
        self._tell()

    def _tell(self) -> None:
        with contextlib.suppress(RuntimeError):  # the model is gone (the window closed)
            self.news.emit(self.generation)

    def wait(self, until: float, *, first: bool) -> None:
        """Wait until everything is in, or (``first``) the first rows, or ``until``."""
        with self.cond:
            while not self.done and not (first and self.head is not None):
                left = until - time.perf_counter()
                if left <= 0:
                    return
                self.cond.wait(None if left == float("inf") else left)
