"""What a merge's worker process runs: read and check one reviewer's file, hand the result back.

``reading.py`` starts the workers (fresh interpreters: 'spawn'), so this module imports as
little as it can: the reader and the standard library, not the workspace and SQLAlchemy. (A
worker imports this package's ``__init__`` first, which is why that one loads the rest of the
merge only when asked.)

The result goes back through a file in the merge's temporary folder rather than through the
worker's pipe: a file of 100,000 decisions pickles to some 40 MB, which a pipe carries in 64 kB
pieces, gathered again on the other side; a file takes half the time on both sides. The folder
is named after the merging process (``tempfolder.py``), so that a merge that was killed
is known by it and its folder removed by the next one.

A worker never outlives the merge (:func:`started`): it ends as soon as the merging process
does, however that ends (killed, crashed, interrupted), not only when it is asked to.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import sys
import tempfile
import threading
from collections.abc import Container
from pathlib import Path

from annotator.formats.labelled import CHUNK, LabelledScan, scan_labelled

_seen: tuple[str, dict[str, bytes]] = ("", {})
"""The merge this worker reads for (its folder), and the case members it handed back for it,
by case id."""

ORPHANED = 70
"""A worker's exit status when it ended because the merging process had ended."""


def started(parent: int, kernel: bool = True) -> None:
    """Run first in every worker (the pool's initializer): tie the worker's life to the
    merging process (pid ``parent``), and leave Ctrl+C to it.

    The watch is a thread that waits on the pipe multiprocessing opens from the merging process
    to each worker (``parent_process().sentinel``; on Windows, the process's handle): only the
    merging process holds its other end, so it reads end-of-file when that process ends, for
    any reason, and the worker ends at once (``os._exit``: nothing to clean up, its temporary
    files are the merge's, which the next merge removes). On Linux the kernel also kills the
    worker when the merging thread that started it ends (``PR_SET_PDEATHSIG``), even in the
    middle of a long call (``kernel``: tests turn it off, to see the watch alone). Ctrl+C
    goes to the whole terminal's process group: the merging process stops the workers itself
    (``reading.stop``), so they ignore it.
    """
    with contextlib.suppress(ValueError, OSError):  # (not the main thread: nothing to ignore)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    if kernel and sys.platform.startswith("linux"):
        _kill_me_with_parent()
    watch = threading.Thread(target=_watch_parent, args=(parent,), daemon=True)
    watch.name = "annotator-merge-parent-watch"
    watch.start()
    if os.name == "posix" and os.getppid() != parent:  # it ended before the watch began
        os._exit(ORPHANED)


def _kill_me_with_parent() -> None:
    """``prctl(PR_SET_PDEATHSIG, SIGKILL)``, where the C library has it (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1: PR_SET_PDEATHSIG


def _watch_parent(parent: int) -> None:
    """Wait for the merging process to end, then end this worker."""
    import multiprocessing
    from multiprocessing.connection import wait

    process = multiprocessing.parent_process()
    sentinel = process.sentinel if process is not None else None
    if sentinel is not None:
        with contextlib.suppress(OSError, ValueError):
            wait([sentinel])
    else:  # (not started by multiprocessing: watch whose child this is)
        import time

        while os.getppid() == parent:
            time.sleep(0.5)
    os._exit(ORPHANED)


def scan_into(path: Path, folder: str, skip_hashes: Container[str] = (), chunk: int = CHUNK) -> str:
    """Read and check ``path`` (:func:`scan_labelled`); pickle the scan into a new file in
    ``folder`` and return that file's name, for :func:`load_scan`.

    The merge checks every line's case members (judge, raters, kind: ``case_info``) against
    those of the first line of the case, but what a worker handed back already need not
    travel again: a line whose members are the same as those of a line this worker read for
    the same merge has them left out (empty). A worker takes the files in the order the
    merge gives them, so that line comes earlier, and the merge checked it. Not so for a
    file the merge passes over (``skip_hashes``: merged before): its lines are not
    remembered.
    """
    global _seen
    if _seen[0] != folder:
        _seen = (folder, {})
    seen = _seen[1]
    scan = scan_labelled(path, chunk=chunk)
    if scan.sha256 not in skip_hashes:  # (no lines when the file was refused)
        infos = scan.case_info
        for row, case_id in enumerate(scan.ids):
            info = infos[row]
            before = seen.setdefault(case_id, info)
            if before is not info and before == info:
                infos[row] = b""
    fd, name = tempfile.mkstemp(prefix="scan-", suffix=".pickle", dir=folder)
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(scan, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return name


def load_scan(name: str) -> LabelledScan:
    """The scan :func:`scan_into` wrote to ``name``; the file goes."""
    try:
        with open(name, "rb") as fh:
            scan: LabelledScan = pickle.load(fh)
    finally:
        os.unlink(name)
    return scan
