"""Running long work (import, export) off the GUI thread, with progress and cancel.

The job gets ``progress(done, total)`` and ``cancelled()`` callables; it never touches widgets.
Results and errors come back as signals, delivered on the GUI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from functools import partial
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from annotator.ui.widgets import plain_label

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


class TaskRunner:
    """Runs jobs behind a window-modal progress dialog; keeps the jobs under way."""

    def __init__(self, parent: QWidget, busy: Callable[[], bool] = lambda: False) -> None:
        """``busy``: True while the window's own write waits for the workspace; a job's
        result is handed over after it, never inside it."""
        self.parent = parent
        self.busy = busy
        self.tasks: list[Task] = []

    def run(
        self,
        title: str,
        job: Job,
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        cancellable: bool = True,
        over: QWidget | None = None,
    ) -> Task:
        """Run ``job`` off the GUI thread; ``done`` or ``failed`` is called on the GUI thread.

        The dialog appears if the job takes longer than 0.4 s; while it is up the window (or
        the dialog it is ``over``) takes no input, so nothing the reviewer does can race the job.
        """
        task = Task(job)
        dialog = QProgressDialog(over or self.parent)
        dialog.setLabel(plain_label(title, selectable=False))
        if cancellable:
            dialog.setCancelButtonText(dialog.tr("Cancel"))
            dialog.canceled.connect(task.cancel)
        else:
            dialog.setCancelButton(None)
        dialog.setRange(0, 0)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(1_000_000)  # shown by the timer below, progress or not
        appear = QTimer(dialog)
        appear.setSingleShot(True)
        appear.timeout.connect(dialog.show)
        appear.start(400)

        def show_progress(value: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(value)

        def finish(callback: Callable[[Any], None], value: Any) -> None:
            if self.busy():
                QTimer.singleShot(50, dialog, lambda: finish(callback, value))
                return
            appear.stop()
            dialog.reset()
            dialog.deleteLater()
            self.tasks.remove(task)
            callback(value)

        task.signals.progress.connect(show_progress)
        task.signals.finished.connect(partial(finish, done))
        task.signals.failed.connect(partial(finish, failed))
        self.tasks.append(task)
        start(task)
        return task

    def stop_all(self, wait_ms: int = 10_000) -> None:
        """Ask every job to stop and wait for them (on closing)."""
        for task in self.tasks:
            task.cancel()
        QThreadPool.globalInstance().waitForDone(wait_ms)
