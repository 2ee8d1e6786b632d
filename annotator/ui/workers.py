"""Running work off the GUI thread: long jobs (import, export) with progress and cancel, and
quick reads with none (``background``).

The job gets ``progress(done, total)`` and ``cancelled()`` callables; it never touches widgets.
Results and errors come back as signals, delivered on the GUI thread.

A Cancel cancels: the dialog stays up, saying "Cancelling…", until the job has stopped (and
rolled back), so the window never takes input while it still runs. A job's last step (a
commit) cannot stop; the job says when it reaches it (``services/cancelling.py``: its
``cancelled`` is closed), and the Cancel button goes grey rather than promise what it cannot do.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QProgressDialog, QPushButton, QWidget

from annotator.ui.widgets import plain_label

Job = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]
T = TypeVar("T")


class _Signals(QObject):
    progress = Signal(int, int)
    """Scaled to fit Qt's int (a bar's value and maximum)."""
    counted = Signal(object, object)
    """The job's own numbers (cases, files, bytes), as they are."""
    committing = Signal()
    """The job reached a step that cannot stop: a cancel no longer cancels."""
    finished = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    def __init__(self, job: Job) -> None:
        super().__init__()
        self.job = job
        self.signals = _Signals()
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._closed = False
        self.setAutoDelete(False)

    def cancel(self) -> bool:
        """Ask the job to stop; False once it is past its last chance (it will finish)."""
        with self._lock:
            if not self._closed:
                self._cancel.set()
            return not self._closed

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def close(self) -> bool:
        """The job's last chance (``cancelling.last_chance``): whether it was cancelled;
        if not, no cancel is taken from now on."""
        with self._lock:
            if self._cancel.is_set():
                return True
            self._closed = True
        self.signals.committing.emit()
        return False

    def run(self) -> None:
        try:
            result = self.job(self._progress, _Cancelled(self))
        except BaseException as exc:  # reported to the GUI thread, never raised in the pool
            exc.__traceback_text__ = traceback.format_exc()  # type: ignore[attr-defined]
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)

    def _progress(self, done: int, total: int) -> None:
        self.signals.counted.emit(done, total)
        # Scale to int32 for Qt: byte counts of large files do not fit.
        if total > 1_000_000:
            done, total = done * 1000 // total, 1000
        self.signals.progress.emit(done, total)


class _Cancelled:
    """The job's ``cancelled()``, which its last chance can close (``Closable``)."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def __call__(self) -> bool:
        return self._task.cancelled()

    def close(self) -> bool:
        return self._task.close()


def start(task: Task) -> None:
    QThreadPool.globalInstance().start(task)


def background(work: Callable[[], T]) -> Future[T]:
    """``work()`` on a thread of the pool, with no dialog: its future, to wait on (``result``)
    or to be told by (a done callback, called on that thread: emit a queued signal there).
    For quick reads the window needs not wait for (the progress counts on opening)."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # handed to whoever waits, never raised in the pool
            future.set_exception(exc)

    QThreadPool.globalInstance().start(run)
    return future


class JobDialog(QProgressDialog):
    """The progress of a job: its title, the count so far ("312,000 of 1,000,000 cases") and a
    bar; Cancel (or Esc, or closing it) asks the job to stop and leaves the dialog up, saying
    so, until the job has stopped."""

    def __init__(self, parent: QWidget, title: str, unit: str, cancellable: bool) -> None:
        super().__init__(parent)
        self.title, self.unit = title, unit
        self.count = ""
        self.cancelling = self.committing = False
        self.setLabel(plain_label(title, selectable=False))
        self.button: QPushButton | None = None
        if cancellable:
            self.button = QPushButton(self.tr("Cancel"))
            self.setCancelButton(self.button)
            self.canceled.disconnect(self.cancel)  # (which would hide the dialog at once)
        else:
            self.setCancelButton(None)
        self.setRange(0, 0)
        # Up until the job has ended, not when its count is full: the merge's files are all
        # read long before its decisions are written, an export's lines before the rename.
        self.setAutoReset(False)
        self.setAutoClose(False)
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(1_000_000)  # shown by the runner's timer, progress or not

    def show_count(self, done: int, total: int) -> None:
        self.count = count_text(done, total, self.unit)
        self._relabel()

    def show_cancelling(self) -> None:
        self.cancelling = True
        if self.button is not None:
            self.button.setEnabled(False)
        self._relabel()

    def show_committing(self) -> None:
        """The job's last step, which cannot stop: no Cancel button to press."""
        if self.button is not None and not self.cancelling:
            self.committing = True
            self.button.setEnabled(False)
            self._relabel()

    def _relabel(self) -> None:
        lines = [self.title] + ([self.count] if self.count else [])
        if self.cancelling:
            lines.append(self.tr("Cancelling…"))
        elif self.committing:
            lines.append(self.tr("Saving (cannot be cancelled)…"))
        self.setLabelText("\n".join(lines))

    def reject(self) -> None:  # Esc
        if self.button is not None and self.button.isEnabled():
            self.canceled.emit()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.reject()


def count_text(done: int, total: int, unit: str) -> str:
    """ "312,000 of 1,000,000 cases" (``unit`` "bytes": "41.2 MB of 120.0 MB"); without a
    total, "312,000 cases"; "" without a unit."""
    if not unit:
        return ""
    if unit == "bytes":
        read = f"{done / 1e6:,.1f} MB"
        return f"{read} of {total / 1e6:,.1f} MB" if total else read
    return f"{done:,} of {total:,} {unit}" if total else f"{done:,} {unit}"


class TaskRunner:
    """Runs jobs behind a window-modal progress dialog; keeps the jobs under way."""

    def __init__(self, parent: QWidget, busy: Callable[[], bool] = lambda: False) -> None:
        """``busy``: True while the window's own write waits for the workspace; a job's
        result is handed over after it, never inside it."""
        self.parent = parent
        self.busy = busy
        self.tasks: list[Task] = []
        self.dialogs: dict[Task, JobDialog] = {}

    def run(
        self,
        title: str,
        job: Job,
        done: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        *,
        cancellable: bool = True,
        over: QWidget | None = None,
        unit: str = "",
    ) -> Task:
        """Run ``job`` off the GUI thread; ``done`` or ``failed`` is called on the GUI thread.

        The dialog appears if the job takes longer than 0.4 s; while it is up the window (or
        the dialog it is ``over``) takes no input, so nothing the reviewer does can race the job.
        ``unit``: what the job's progress counts (cases, files, bytes), shown under the title.
        ``cancellable``: only for a job that asks its ``cancelled()`` (else no Cancel button).
        """
        task = Task(job)
        dialog = JobDialog(over or self.parent, title, unit, cancellable)
        self.dialogs[task] = dialog

        def cancel() -> None:
            if task.cancel():
                dialog.show_cancelling()

        dialog.canceled.connect(cancel)
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
            dialog.hide()
            dialog.deleteLater()
            self.tasks.remove(task)
            del self.dialogs[task]
            callback(value)

        task.signals.progress.connect(show_progress)
        task.signals.counted.connect(dialog.show_count)
        task.signals.committing.connect(dialog.show_committing)
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
