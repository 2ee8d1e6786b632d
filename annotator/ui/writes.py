"""The window's writes to its workspace: one at a time, and never a frozen window.

When another program (another window, an import, a merge) holds the workspace's write lock, a
write waits for it. Meanwhile the workspace calls :meth:`Writes.waiter`'s function about
twice a second; on the GUI thread it says what the window waits for in the status bar and lets
the window paint (``processEvents`` without user input: a key pressed meanwhile is acted on
after the write, never inside it, so Ctrl+Enter pressed twice cannot save twice at once). After
``patience`` seconds the write gives up with :class:`WorkspaceBusy`, having written nothing.

Work that would reenter a write while it waits (a timer's autosave, a background job's result,
a case chosen by a queue that finished loading) asks :attr:`Writes.busy` first and comes back
later; :attr:`idle` says when the last write is over.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QThread, Signal

from annotator.services.workspace import OnWait, WorkspaceBusy

T = TypeVar("T")

PATIENCE = 20.0
"""How long a reviewer's action (save, skip, clear, undo, redo) waits for a busy workspace."""
DRAFT_PATIENCE = 1.0
"""How long keeping a draft waits: a draft that cannot be written yet stays on screen and is
written later, so typing is never held up for long."""
RETRY_PAUSE = 0.1


class StillWriting(WorkspaceBusy):
    """A write was asked for while another one of this window waits: nothing was done."""


class Writes(QObject):
    waiting = Signal(str)
    """Status text while a write waits for the workspace (from any thread: connect it to a
    method of a widget, so that it is shown on the GUI thread)."""
    idle = Signal()
    """The window's write that was under way is over (done or refused)."""

    def __init__(self, parent: QObject | None = None, *, patience: float = PATIENCE) -> None:
        super().__init__(parent)
        self.patience = patience
        self.draft_patience = DRAFT_PATIENCE
        self.name = QCoreApplication.translate("Writes", "the workspace")
        """The name of the workspace the window writes to, for what it says while it waits."""
        self._depth = 0
        self._started = 0.0
        self._deadline: float | None = None

    @property
    def busy(self) -> bool:
        """A write of this window is under way (perhaps waiting, with events running)."""
        return self._depth > 0

    def waiter(self, name: str) -> OnWait:
        """The ``on_wait`` to give the workspace called ``name``."""
        return partial(self._on_wait, name)

    def run(self, write: Callable[[], T], *, patience: float | None = None) -> T:
        """Do ``write`` (a service call), waiting up to ``patience`` seconds (default
        :attr:`patience`) for a busy workspace. Raises what it raises; :class:`WorkspaceBusy`
        once the patience is spent, :class:`StillWriting` if a write is already under way."""
        if self.busy:
            raise StillWriting(
                self.tr(
                    "Another change is still waiting to be saved; nothing else was done. "
                    "Try again in a moment."
                )
            )
        self._depth += 1
        self._started = time.monotonic()
        self._deadline = self._started + (self.patience if patience is None else patience)
        try:
            while True:
                try:
                    return write()
                except WorkspaceBusy:
                    # The workspace's own busy timeout may be shorter than the window's: wait
                    # on (raises once the patience is spent).
                    self._on_wait(self.name, 0.0)
                    time.sleep(RETRY_PAUSE)
        finally:
            self._deadline = None
            self._depth -= 1
            if not self._depth:
                self.idle.emit()

    def _on_wait(self, name: str, seconds: float) -> None:
        if QThread.currentThread() is not self.thread():  # an import or a merge, on its thread
            self.waiting.emit(waiting_text(name, seconds))
            return
        now = time.monotonic()
        if self._deadline is not None:
            seconds = now - self._started
            if now >= self._deadline:
                raise WorkspaceBusy(busy_text(name, seconds))
        self.waiting.emit(waiting_text(name, seconds))
        self._depth += 1
        try:
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        finally:
            self._depth -= 1
            if not self._depth:  # a wait outside run(): opening a workspace
                self.idle.emit()


def waiting_text(name: str, seconds: float) -> str:
    return QCoreApplication.translate(
        "Writes", "Waiting for {0}: another program is writing to it… {1} s"
    ).format(name, round(seconds))


def busy_text(name: str, seconds: float) -> str:
    return QCoreApplication.translate(
        "Writes",
        "{0} is busy: another program (an annotator window, or an import or merge running) "
        "kept it locked for {1} s, so nothing was written. Try again when it has "
        "finished, or close the other window.",
    ).format(name, max(1, round(seconds)))
