"""One writer per workspace among annotator windows.

The window that opens a workspace first holds its lock (``writer_lock``) and saves. Another
window (of this app or another) opening it is told who has it, and opens it read-only, takes
over, or leaves it. A window whose lock was taken over notices (before each write, and every
couple of seconds) and becomes read-only, keeping what was typed on screen. A workspace whose
file cannot be written is read-only from the start, for its own reason.

Read-only means ``Workspace.hold_writes``: every write is refused with the reason, which the
window shows where the reviewer acted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from annotator.services.workspace import Workspace
from annotator.ui import dialogs
from annotator.ui.writer_lock import Holder, LockRefused, WriterLock, lock_path

CHECK_MS = 2000
"""How often the writer checks that its lock is still its own."""


class Choice(Enum):
    READ_ONLY = "read-only"
    TAKE_OVER = "take over"
    CANCEL = "cancel"


Ask = Callable[[QWidget, str, Holder], Choice]
"""What to do with a workspace another window holds: (parent, workspace name, holder)."""
Confirm = Callable[[QWidget, str, Holder], bool]
"""Whether to take over a workspace from the window holding it now."""


@dataclass
class Claim:
    """The window's standing on the workspace it shows."""

    ws: Workspace
    lock: WriterLock | None
    why: str | None = None
    """Why this window may not write (None: it is the writer)."""
    can_take_over: bool = False
    """Read-only because another window writes (or no lock could be made): it may try."""


class WriterGuard(QObject):
    changed = Signal()
    """The window became the writer, or read-only: show it."""
    lost = Signal(str)
    """Another window took the workspace over: the message to show."""
    regained = Signal()
    """This window took the workspace (back) over: what it holds can be saved now."""

    def __init__(self, parent: QWidget, *, check_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.window = parent
        self.ask: Ask = ask_holder
        self.confirm: Confirm = confirm_take_over
        self.paused: Callable[[], bool] = lambda: False
        """True while the timer's check must wait (a write is under way)."""
        self.claim: Claim | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(check_ms)
        self._timer.timeout.connect(self._tick)

    @property
    def why(self) -> str | None:
        """Why the window may not write its workspace now, or None."""
        return self.claim.why if self.claim is not None else None

    # -- opening and leaving ----------------------------------------------------------------------

    def claim_for(self, ws: Workspace) -> Claim | None:
        """This window's claim on ``ws``, asking the reviewer if another window holds it;
        None if they chose not to open it. Writes are held on ``ws`` when read-only."""
        if ws.path is None:
            return Claim(ws, None)
        name = ws.name
        if ws.read_only:  # the file, its folder or its disk cannot be written
            why = self.tr("{0} cannot be written here (a read-only file, folder or disk)")
            return Claim(ws, None, why.format(name))
        mine = self.claim.lock if self.claim is not None else None
        if mine is not None and mine.held and mine.path == lock_path(ws.path):
            return Claim(ws, mine)  # the same workspace again: the lock is ours already
        lock = WriterLock(ws.path)
        try:
            holder = lock.try_lock()
        except LockRefused as exc:
            return self._hold(Claim(ws, lock, self.tr("{0}; this window is read-only").format(exc)))
        if holder is None:
            return Claim(ws, lock)
        choice = self.ask(self.window, name, holder)
        if choice is Choice.CANCEL:
            return None
        if choice is Choice.TAKE_OVER and lock.take_over():
            return Claim(ws, lock)
        why = self.tr("{0} is open in another annotator window ({1}); this one is read-only")
        return self._hold(Claim(ws, lock, why.format(name, holder.describe()), True))

    def install(self, claim: Claim | None) -> None:
        """Make ``claim`` the window's (letting go of the lock of the workspace it leaves)."""
        old, self.claim = self.claim, claim
        kept = claim.lock if claim is not None else None
        if old is not None and old.lock is not None and old.lock is not kept:
            old.lock.release()
        if claim is not None and claim.lock is not None and claim.lock.held:
            self._timer.start()
        else:
            self._timer.stop()
        self.changed.emit()

    def discard(self, claim: Claim) -> None:
        """Let go of a claim that was not installed (the workspace could not be shown)."""
        current = self.claim.lock if self.claim is not None else None
        if claim.lock is not None and claim.lock is not current:
            claim.lock.release()

    def release(self) -> None:
        """Let go of the workspace's lock (the window closes)."""
        self.install(None)

    # -- while open ------------------------------------------------------------------------------

    def check(self) -> bool:
        """Before a write: True if this window still writes. If another window took the
        workspace over, this one becomes read-only (and says so) first."""
        claim = self.claim
        if claim is None or claim.why is not None:
            return claim is None
        lock = claim.lock
        if lock is None or lock.still_ours():
            return True
        holder = lock.holder()
        lock.abandon()
        if holder is None and _relock(lock):  # its file went, and nobody else has it
            return True
        who = holder.describe() if holder is not None else self.tr("another program")
        why = self.tr("{0} was taken over by another annotator window ({1}); this one is read-only")
        self._hold(claim, why.format(claim.ws.name, who), can_take_over=True)
        self._timer.stop()
        self.changed.emit()
        self.lost.emit(
            self.tr("{0}. What you typed stays on screen; take over again to save it.").format(
                claim.why
            )
        )
        return False

    def take_over(self) -> bool:
        """Make this read-only window the writer (asking first if another window holds the
        workspace). True when it is."""
        claim = self.claim
        if claim is None or claim.why is None:
            return claim is not None
        if not claim.can_take_over or claim.ws.path is None:
            return False
        lock = claim.lock or WriterLock(claim.ws.path)
        try:
            holder = lock.try_lock()
        except LockRefused:
            return False
        if holder is not None and not (
            self.confirm(self.window, claim.ws.name, holder) and lock.take_over()
        ):
            return False
        claim.lock, claim.why, claim.can_take_over = lock, None, False
        claim.ws.hold_writes(None)
        self._timer.start()
        self.changed.emit()
        self.regained.emit()
        return True

    def _tick(self) -> None:
        if not self.paused():
            self.check()

    def _hold(self, claim: Claim, why: str | None = None, *, can_take_over: bool = True) -> Claim:
        if why is not None:
            claim.why = why
        claim.can_take_over = can_take_over
        claim.ws.hold_writes(claim.why)
        return claim


def _relock(lock: WriterLock) -> bool:
    try:
        return lock.try_lock() is None
    except LockRefused:
        return False


def ask_holder(parent: QWidget, name: str, holder: Holder) -> Choice:
    """Ask what to do with a workspace another window holds: read-only (the default), take
    over, or cancel."""
    tr = parent.tr
    # One plain-text label (PySide6 6.6 leaves an informative text's label in automatic format).
    box = dialogs.plain_box(
        parent,
        QMessageBox.Icon.Question,
        tr("Workspace open in another window"),
        tr(
            "{0} is open in another annotator window ({1}).\n\n"
            "Open it read-only to read and export it here, or take over: the other window then "
            "becomes read-only, and what was typed there stays on its screen."
        ).format(name, holder.describe()),
    )
    read_only = box.addButton(box.tr("Open read-only"), QMessageBox.ButtonRole.AcceptRole)
    take = box.addButton(box.tr("Take over"), QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(read_only)
    box.setEscapeButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if clicked is take:
        return Choice.TAKE_OVER
    return Choice.READ_ONLY if clicked is read_only else Choice.CANCEL


def confirm_take_over(parent: QWidget, name: str, holder: Holder) -> bool:
    tr = parent.tr
    box = dialogs.plain_box(
        parent,
        QMessageBox.Icon.Question,
        tr("Take over"),
        tr(
            "{0} is open in another annotator window ({1}). Take it over? That window becomes "
            "read-only; what was typed there stays on its screen."
        ).format(name, holder.describe()),
    )
    take = box.addButton(box.tr("Take over"), QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is take
