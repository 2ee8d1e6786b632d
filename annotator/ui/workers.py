"""Running long work (import, export) off the GUI thread, with progress and cancel.

The job gets ``progress(done, total)`` and ``cancelled()`` callables; it never touches widgets.
Results and errors come back as signals, delivered on the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Job = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class _Signals(QObject):
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.signals = _Signals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            result = self.job(self._progress, self._cancel.is_set)
        except BaseException as exc:  # reported to the GUI thread, never raised in the pool
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)

    def _progress(self, done: int, total: int) -> None:
        # Scale to int32 for Qt: byte counts of large files do not fit.
        if total > 1_000_000:
            done, total = done * 1000 // total, 1000
        self.signals.progress.emit(done, total)


def start(task: Task) -> None:
    QThreadPool.globalInstance().start(task)
