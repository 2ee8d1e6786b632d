"""A merge's temporary folder, named after the merging process, and those of merges that died.

A merge that reads its files in worker processes gets their scans back through pickle files in
a folder of its own (``worker.py``), some 40 MB per file of 100,000 decisions. The merge
removes the folder when it ends, even on an error or Ctrl+C; but a merge killed outright
(SIGKILL, SIGTERM, a crash, the machine's power) cannot. So the folder is named
``annotator-merge-<pid>-<random>`` in the system's temporary folder, and every merge first
removes the folders of merges whose process is no longer running (:func:`sweep`): those of
this user that it can tell are dead, nothing else.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

PREFIX = "annotator-merge-"


def new_folder() -> tempfile.TemporaryDirectory[str]:
    """The temporary folder of this merge (removed when the ``with`` block ends)."""
    return tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-")


def sweep(base: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the temporary folders of merges that died, in ``base`` (by default the system's
    temporary folder); returns those removed. Never raises: a folder that cannot be removed
    now is tried again by the next merge."""
    removed = []
    with contextlib.suppress(OSError):
        with os.scandir(base if base is not None else tempfile.gettempdir()) as entries:
            stale = [entry for entry in entries if _stale(entry)]
        for entry in stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def owner_pid(name: str) -> int | None:
    """The process a merge's temporary folder is named after; None for any other name."""
    if not name.startswith(PREFIX):
        return None
    pid, dash, rest = name[len(PREFIX) :].partition("-")
    if not (pid.isdigit() and dash and rest):
        return None
    return int(pid)


def _stale(entry: os.DirEntry[str]) -> bool:
    pid = owner_pid(entry.name)
    if pid is None or pid == os.getpid():
        return False
    try:
        if not entry.is_dir(follow_symlinks=False):
            return False
        if hasattr(os, "getuid") and entry.stat(follow_symlinks=False).st_uid != os.getuid():
            return False  # another user's merge
    except OSError:
        return False
    return not alive(pid)


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (when unsure: yes)."""
    if sys.platform == "win32":
        return _alive_on_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (another user's process: it is running)
        return True
    with contextlib.suppress(OSError, IndexError), open(f"/proc/{pid}/stat", "rb") as fh:
        # Linux: a zombie has ended (its parent has not yet asked how)
        return fh.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    return True


def _alive_on_windows(pid: int) -> bool:
    """(``os.kill(pid, 0)`` would end the process on Windows: ask whether it has an exit code.)"""
    if sys.platform != "win32":
        raise NotImplementedError
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it is running
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)
