"""The lock file that makes one annotator window the writer of a workspace.

``NAME.annotator.lock`` beside the workspace is a :class:`QLockFile`: made atomically, it
names the process holding it (pid, host, program), and a lock left by a process that died is
found stale by its pid (never by its age: ``staleLockTime`` 0, a window may stay open for
days). Two windows of one process contend for it as two processes do.

Taking over removes the other's lock file and makes a new one. The other window finds out
(:meth:`WriterLock.still_ours`) because the file at the lock's path is no longer the one it
made (another inode); it must then let go of its QLockFile without unlocking it, since
unlocking removes whatever file is at the path, which is now the new writer's
(:meth:`WriterLock.abandon`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import shiboken6
from PySide6.QtCore import QLockFile

LOCK_SUFFIX = ".lock"


def lock_path(workspace: Path) -> Path:
    """Where the lock of ``workspace`` lives: ``NAME.annotator.lock`` beside it."""
    return Path(f"{workspace}{LOCK_SUFFIX}")


@dataclass(frozen=True)
class Holder:
    """Who holds a workspace's lock, as its lock file says."""

    pid: int
    host: str
    program: str

    def describe(self) -> str:
        if self.pid <= 0:
            return "another program"
        host = f" on {self.host}" if self.host else ""
        return f"process {self.pid}{host}"


class LockRefused(Exception):
    """No lock file can be made beside the workspace (a read-only folder, say)."""


class WriterLock:
    """The lock of one workspace, held or not by this window."""

    def __init__(self, workspace: Path) -> None:
        self.path = lock_path(workspace)
        self._lock: QLockFile | None = None
        self._identity: tuple[int, int] | None = None

    @property
    def held(self) -> bool:
        return self._lock is not None

    def try_lock(self) -> Holder | None:
        """Take the lock if no live process holds it: None when taken, else who holds it.
        Raises :class:`LockRefused` when no lock file can be made at all."""
        if self._lock is not None:
            return None
        lock = QLockFile(str(self.path))
        lock.setStaleLockTime(0)  # stale only when its process is gone
        if lock.tryLock(0):
            self._keep(lock)
            return None
        error = lock.error()
        if error == QLockFile.LockError.LockFailedError:
            return self.holder() or Holder(0, "", "")
        raise LockRefused(_refusal(self.path, error))

    def take_over(self) -> bool:
        """Remove another window's lock file and take the lock. False if it could not be
        removed (Windows keeps a held lock file from being deleted) or someone was quicker."""
        if self.try_lock() is None:
            return True
        try:
            self.path.unlink(missing_ok=True)
        except OSError:
            return False
        return self.try_lock() is None

    def still_ours(self) -> bool:
        """Whether the file at the lock's path is still the one this window made (False once
        another window took over, or the file was removed)."""
        return self._lock is not None and self._still(self._identity)

    def holder(self) -> Holder | None:
        """Who the lock file names, or None if there is none (or it cannot be read)."""
        if not self.path.exists():
            return None
        try:
            pid, host, program = QLockFile(str(self.path)).getLockInfo()
        except TypeError:  # PySide6 before 6.7 wants the out-arguments C++ has
            pid, host, program = _lock_info(self.path)
        return Holder(pid, host, program) if pid > 0 else None

    def release(self) -> None:
        """Let go of the lock and remove its file, if it is still ours; else just forget it."""
        lock, self._lock = self._lock, None
        if lock is None:
            return
        if self._still(self._identity):
            lock.unlock()
        else:
            _drop(lock)
        self._identity = None

    def abandon(self) -> None:
        """Forget a lock another window took over, leaving its new file alone."""
        lock, self._lock, self._identity = self._lock, None, None
        if lock is not None:
            _drop(lock)

    def _keep(self, lock: QLockFile) -> None:
        self._lock = lock
        try:
            found = os.stat(self.path)
        except OSError:
            self._identity = None
        else:
            self._identity = (found.st_dev, found.st_ino)

    def _still(self, identity: tuple[int, int] | None) -> bool:
        if identity is None:
            return False
        try:
            found = os.stat(self.path)
        except OSError:
            return False
        return (found.st_dev, found.st_ino) == identity


def _drop(lock: QLockFile) -> None:
    """Let go of a QLockFile without its destructor's unlock (which removes the file at its
    path, now another window's): its C++ object is left behind, with its open handle on the
    removed file."""
    shiboken6.invalidate(lock)


def _refusal(path: Path, error: QLockFile.LockError) -> str:
    workspace = path.name[: -len(LOCK_SUFFIX)]
    if error == QLockFile.LockError.PermissionError:
        return f"no lock file can be made beside {workspace} (is its folder read-only?)"
    return f"the lock file beside {workspace} cannot be made"


def _lock_info(path: Path) -> tuple[int, str, str]:
    """What a QLockFile's file says of its holder (its first lines: process id, application
    name, host name), read directly; a file that cannot be read names nobody (pid 0)."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        return int(lines[0]), lines[2] if len(lines) > 2 else "", lines[1] if len(lines) > 1 else ""
    except (OSError, ValueError, IndexError):
        return 0, "", ""
