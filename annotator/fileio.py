"""Atomic file writing: a temporary file in the same folder, fsync, then rename over the target;
and temporary folders named after their process, which a later process removes once that one
has ended (:func:`process_folder`)."""

from __future__ import annotations

import contextlib
import functools
import os
import platform
import queue
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, AnyStr


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, newline: str | None = None) -> Iterator[IO[str]]:
    """Open ``path`` for writing text so that readers see the old file or the whole new one.

    If the block raises, the target is left untouched and the temporary file is removed.
    """
    with _replacing(path) as fd, os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def atomic_write_bytes(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """:func:`atomic_write` for bytes (no encoding, no newline translation)."""
    with _replacing(path) as fd, os.fdopen(fd, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


@contextlib.contextmanager
def _replacing(path: str | os.PathLike[str]) -> Iterator[int]:
    """A temporary file beside ``path`` (its descriptor), renamed over ``path`` when the block
    ends, removed if it raises. The block closes the descriptor.

    The temporary file is named for the target and the writer (:func:`temp_name`), so that a
    write killed before it could clean up (power cut, SIGKILL) leaves a file the next write of
    the same target recognises and removes (:func:`remove_stale_temps`). An ``OSError`` about
    the temporary file (a full disk, a folder that may not be written) names the target."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name to write")
    if not target.parent.is_dir():  # a typo in a path must not build folders
        raise FileNotFoundError(f"the folder {target.parent} does not exist")
    remove_stale_temps(target)
    tmp: str | None = None
    try:
        # Ctrl+C or SIGTERM (an exception from the command line's handler) waits until the
        # name is known, so that the cleanup below always knows what to remove.
        with _signals_held():
            try:
                fd, tmp = tempfile.mkstemp(
                    prefix=_temp_prefix(target), suffix=".tmp", dir=target.parent
                )
            except OSError as exc:  # about a name of the temporary file: say the target's
                raise _about(exc, target) from exc
        # mkstemp makes the file private (0600); give it the mode a new file would get, or
        # keep the mode of the file it replaces.
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else _default_mode())
        yield fd
        os.replace(tmp, target)
    except BaseException as exc:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(exc, OSError) and exc.errno is not None and exc.filename in (None, tmp):
            raise _about(exc, target) from exc
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for the block (POSIX; elsewhere a no-op): one that comes
    meanwhile is delivered when the block ends."""
    hold = getattr(signal, "pthread_sigmask", None)
    if hold is None:
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    before = hold(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        hold(signal.SIG_SETMASK, before)


def _about(exc: OSError, target: Path) -> OSError:
    """The same error (the subclass of its errno), about ``target``."""
    return OSError(exc.errno, exc.strerror or str(exc), str(target))


# -- temporary files, and the ones killed writes left behind --------------------------------------

TEMP_MARK = "annotator"
STALE_SECONDS = 24 * 3600
"""A temporary file written from another host is stale when untouched for this long."""
_NAME_BYTES = 120  # the target's name in a temporary one, at most (file names: 255 bytes)
_OURS = re.compile(r"(?P<host>[A-Za-z0-9_]+)-(?P<pid>[0-9]+)-[a-z0-9_]{8}\.tmp")
_BEFORE = re.compile(r"[a-z0-9_]{8}\.tmp")  # tempfile.mkstemp(prefix=".NAME.") of earlier versions


def temp_name(target: Path, host: str, pid: int, token: str) -> str:
    """The temporary file that writes ``target``: ``.NAME.annotator-HOST-PID-TOKEN.tmp``."""
    return f"{_temp_prefix(target, host, pid)}{token}.tmp"


def remove_stale_temps(target: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporary files that killed writes of ``target`` left beside it; the ones
    removed. The rule (only files of this target, only dead writers):

    - ``.NAME.annotator-HOST-PID-TOKEN.tmp`` for this very NAME, written on this host by a
      process that no longer runs (a live PID, perhaps reused, keeps the file);
    - the same from another host (a shared network folder, where its PID means nothing here),
      or ``.NAME.XXXXXXXX.tmp`` (the name earlier versions gave), once untouched for
      :data:`STALE_SECONDS`.

    Nothing else is touched, and a file that cannot be removed is left."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        try:
            if _is_stale(entry, target.name, now):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _is_stale(entry: os.DirEntry[str], target: str, now: float) -> bool:
    name = entry.name
    mark = f".{_shortened(target)}.{TEMP_MARK}-"
    if name.startswith(mark):
        ours = _OURS.fullmatch(name[len(mark) :])
        if ours is None:
            return False
        if ours["host"] != _host():
            return now - entry.stat().st_mtime > STALE_SECONDS
        pid = int(ours["pid"])
        return pid != os.getpid() and not process_alive(pid)
    before = f".{target}."
    if not (name.startswith(before) and _BEFORE.fullmatch(name[len(before) :])):
        return False
    return now - entry.stat().st_mtime > STALE_SECONDS


def _temp_prefix(target: Path, host: str | None = None, pid: int | None = None) -> str:
    host = _host() if host is None else host
    pid = os.getpid() if pid is None else pid
    return f".{_shortened(target.name)}.{TEMP_MARK}-{host}-{pid}-"


def _shortened(name: str) -> str:
    data = name.encode("utf-8", "surrogateescape")
    return name if len(data) <= _NAME_BYTES else data[:_NAME_BYTES].decode("utf-8", "ignore")


@functools.cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", platform.node())[:40] or "host"


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (True when that cannot be told)."""
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate it on Windows
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists
        try:
            code = ctypes.c_ulong()
            running = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return not running or code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: it runs, as another user
        return True
    with contextlib.suppress(OSError, IndexError), open(f"/proc/{pid}/stat", "rb") as fh:
        # Linux: a zombie has ended (its parent has not yet asked how)
        return fh.read().rpartition(b")")[2].split()[0] not in (b"Z", b"X")
    return True


# -- temporary folders named after their process, and the ones killed processes left behind -----


def process_folder(prefix: str) -> tempfile.TemporaryDirectory[str]:
    """A temporary folder of this process, ``PREFIXPID-RANDOM`` in the system's temporary
    folder, removed when the ``with`` block ends (or by ``cleanup()``). A process killed before
    it could remove it (SIGKILL, a crash, a power cut) leaves a folder that the next
    :func:`sweep_folders` of the same ``prefix`` recognises and removes."""
    return tempfile.TemporaryDirectory(prefix=f"{prefix}{os.getpid()}-")


def sweep_folders(prefix: str, base: str | os.PathLike[str] | None = None) -> list[Path]:
    """Remove the :func:`process_folder` folders of ``prefix`` that processes which no longer
    run left in ``base`` (by default the system's temporary folder); the ones removed. Only
    folders (not files, nor links) named ``PREFIXPID-...``, of this user, whose process has
    ended: the folder of a process still running (another window, another command) is never
    touched, nor one of this process. Never raises: a folder that cannot be removed now is
    tried again the next time."""
    removed = []
    with contextlib.suppress(OSError):
        with os.scandir(base if base is not None else tempfile.gettempdir()) as entries:
            stale = [entry for entry in entries if _stale_folder(prefix, entry)]
        for entry in stale:
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(Path(entry.path))
    return removed


def folder_owner(prefix: str, name: str) -> int | None:
    """The process a :func:`process_folder` of ``prefix`` is named after; None for any other
    name."""
    if not name.startswith(prefix):
        return None
    pid, dash, rest = name[len(prefix) :].partition("-")
    if not (pid.isdigit() and dash and rest):
        return None
    return int(pid)


def _stale_folder(prefix: str, entry: os.DirEntry[str]) -> bool:
    pid = folder_owner(prefix, entry.name)
    if pid is None or pid == os.getpid():
        return False
    try:
        if not entry.is_dir(follow_symlinks=False):
            return False
        if hasattr(os, "getuid") and entry.stat(follow_symlinks=False).st_uid != os.getuid():
            return False  # another user's
    except OSError:
        return False
    return not process_alive(pid)


@contextlib.contextmanager
def writing_behind(fh: IO[AnyStr], depth: int = 8) -> Iterator[Callable[[AnyStr], None]]:
    """A ``write(data)`` that returns at once: a thread writes to ``fh`` behind the caller, so
    the system call (the copy into the system's cache) runs beside the caller's Python code,
    on another core (for a text file, the encoding is the thread's too). At most ``depth``
    writes wait. Leaving the block waits for the last one; a write that failed raises in the
    caller, at its next write or when the block ends."""
    pending: queue.Queue[AnyStr | None] = queue.Queue(depth)
    failed: list[BaseException] = []

    def run() -> None:
        while (data := pending.get()) is not None:
            if not failed:  # (after a failure, only empty the queue)
                try:
                    fh.write(data)
                except BaseException as exc:  # handed to the caller
                    failed.append(exc)

    def write(data: AnyStr) -> None:
        if failed:
            raise failed[0]
        pending.put(data)

    thread = threading.Thread(target=run, name="annotator-writer", daemon=True)
    thread.start()
    try:
        yield write
    finally:
        pending.put(None)
        thread.join()
    if failed:
        raise failed[0]


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX only; Windows has no directory handles for this)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
