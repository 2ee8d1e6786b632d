"""Atomic file writing: a temporary file in the same folder, fsync, then rename over the target."""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO


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
    ends, removed if it raises. The block closes the descriptor."""
    target = Path(path)
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a folder; give a file name to write")
    if not target.parent.is_dir():  # a typo in a path must not build folders
        raise FileNotFoundError(f"the folder {target.parent} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a new file would get, or
        # keep the mode of the file it replaces.
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else _default_mode())
        yield fd
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


@contextlib.contextmanager
def writing_behind(fh: IO[bytes], depth: int = 8) -> Iterator[Callable[[bytes], None]]:
    """A ``write(data)`` that returns at once: a thread writes to ``fh`` behind the caller, so
    the system call (the copy into the system's cache) runs beside the caller's Python code,
    on another core. At most ``depth`` writes wait. Leaving the block waits for the last one;
    a write that failed raises in the caller, at its next write or when the block ends."""
    pending: queue.Queue[bytes | None] = queue.Queue(depth)
    failed: list[BaseException] = []

    def run() -> None:
        while (data := pending.get()) is not None:
            if not failed:  # (after a failure, only empty the queue)
                try:
                    fh.write(data)
                except BaseException as exc:  # handed to the caller
                    failed.append(exc)

    def write(data: bytes) -> None:
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
