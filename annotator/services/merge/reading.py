"""Reading the files of a merge: in worker processes for large inputs, here for small ones.

Large inputs are read in worker processes, a file each at a time (:func:`scanning`,
``worker.py``); what comes back is each file's decisions in columns, with each decision already
the JSON the merged file writes (``LabelledScan``). Small ones are read here, by the same
reader, with the same result. The workers are started the way Windows and macOS start
processes ('spawn'): each imports the main module of the program again, so a script of your
own that merges large files must call the merge under ``if __name__ == "__main__":``, as with
any use of :mod:`multiprocessing`. (``annotator``, ``python -m annotator`` and the frozen app
need nothing: their main module is guarded, a package's ``__main__``, or calls
``freeze_support``.)

Files merged before, or copies of an earlier file, are known by their hash (:func:`hashes_first`,
:func:`passed_over`) and not read at all.
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.formats.labelled import CHUNK, LabelledScan, file_sha256, scan_labelled
from annotator.services.merge import tempfolder
from annotator.services.merge.report import Cancelled, MergeCancelled, MergeError

PARALLEL_MIN_BYTES = 64 << 20
"""Files smaller than this in all are read in this process: starting worker processes takes
longer than reading them."""
MAX_WORKERS = 4
WORKERS_VARIABLE = "ANNOTATOR_MERGE_WORKERS"
"""Set to a number of worker processes to read the files with (1: none), whatever their size."""


@dataclass(frozen=True)
class ReadOptions:
    """How a merge reads its files. The defaults are the app's; tests and benchmarks choose."""

    workers: int | None = None
    """How many processes read the files (1: none, this process reads). None: as
    ``ANNOTATOR_MERGE_WORKERS`` says, else one per core (at most ``MAX_WORKERS``) when there are
    two files or more and ``parallel_min_bytes`` to read, else none."""
    parallel_min_bytes: int = PARALLEL_MIN_BYTES
    hash_first: bool = True
    """Whether files that may be passed over (merged before, or copies) are known by their hash
    before reading (:func:`hashes_first`); else every file is read, and passed over after."""
    chunk: int = CHUNK
    """How many bytes a reader reads and hashes at a time."""


DEFAULT_READING = ReadOptions()
CANCEL_POLL = 0.2
"""How often (seconds) a merge waiting for a worker asks whether it was cancelled."""


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Reading a million decisions makes millions of small tuples; Python's cycle collector
    would scan them again and again (it made a 10 x 100k merge 40% slower). None of them
    form cycles, so collect once at the end instead."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def worker_count(paths: Sequence[Path], options: ReadOptions) -> tuple[int, bool]:
    """How many worker processes read the files, and whether that number was asked for
    (``options.workers``, else ``ANNOTATOR_MERGE_WORKERS``); see :class:`ReadOptions`."""
    requested = options.workers
    if requested is None:
        with contextlib.suppress(ValueError):
            requested = int(os.environ.get(WORKERS_VARIABLE, ""))
    if requested is not None:
        return max(1, min(requested, len(paths))), True
    if len(paths) < 2:
        return 1, False
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):
            size += os.stat(path).st_size
    if size < options.parallel_min_bytes:
        return 1, False
    return max(1, min(_cores(), len(paths), MAX_WORKERS)), False


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def hashes_first(paths: Sequence[Path], skip: set[str], chunk: int = CHUNK) -> list[str | None]:
    """The hashes of the files that the merge may pass over without reading them, by file
    index (None: not hashed, or unreadable): every file when some were merged before
    (``skip``), else only the files that have the size of another one (a copy has its size).

    Hashing reads a file once more (from the page cache, mostly: ~0.3 s for 10 files of
    78 MB on 2 cores); a file passed over saves a full read and check (~0.7 s each)."""
    wanted = list(range(len(paths)))
    if not skip:
        sizes: dict[int, list[int]] = {}
        for index, path in enumerate(paths):
            with contextlib.suppress(OSError):
                sizes.setdefault(os.stat(path).st_size, []).append(index)
        wanted = sorted(i for same in sizes.values() if len(same) > 1 for i in same)
    hashes: list[str | None] = [None] * len(paths)
    threads = min(_cores(), len(wanted), MAX_WORKERS)
    files = [paths[i] for i in wanted]
    if threads <= 1:
        digests = [file_sha256(path, chunk) for path in files]
    else:
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(threads)
        try:
            digests = list(pool.map(file_sha256, files, [chunk] * len(files)))
        finally:  # (on Ctrl+C, hash no further file)
            pool.shutdown(cancel_futures=True)
    for index, digest in zip(wanted, digests, strict=True):
        hashes[index] = digest
    return hashes


def passed_over(hashed: Sequence[str | None], skip: Container[str]) -> list[bool]:
    """Which files the merge passes over without reading them, by file index: those whose hash
    (taken first) is one merged before or that of an earlier file."""
    first: set[str] = set()
    over = []
    for digest in hashed:
        over.append(digest is not None and (digest in skip or digest in first))
        if digest is not None:
            first.add(digest)
    return over


def check_cancelled(cancelled: Cancelled | None) -> None:
    """Raise :class:`MergeCancelled` if the user cancelled the merge."""
    if cancelled is not None and cancelled():
        raise MergeCancelled("merge cancelled; nothing was merged")


@contextlib.contextmanager
def scanning(
    paths: Sequence[Path],
    options: ReadOptions,
    skip_hashes: frozenset[str] = frozenset(),
    cancelled: Cancelled | None = None,
) -> Iterator[Iterator[LabelledScan]]:
    """The files read and checked (:func:`scan_labelled`), in the order given.

    With more than one worker the files are read in worker processes (``worker.py``), several
    at a time, and the caller takes each file's scan as soon as it is ready, in order. The
    workers are fresh interpreters ('spawn', as on Windows and macOS): safe from a GUI thread,
    and in the frozen app, whose entry points call ``multiprocessing.freeze_support()``.
    Leaving the block early (a refused file) cancels the files not started yet. Where
    processes cannot be started, or a worker dies, this process reads the files itself,
    unless the workers were asked for: then that is a :class:`MergeError`.

    The workers end with this process, however it ends (``worker.started``), and their
    temporary folder is removed when the block ends, or, if this process is killed, by the
    next merge (``tempfolder.py``). Ctrl+C (KeyboardInterrupt) ends the workers and goes on.

    Every line's case members (``case_info``) are read, to be checked against the case's
    first line, but a worker leaves out those that are the same as in a file it read before
    (``worker.py``). ``skip_hashes``: the files the merge passes over. ``cancelled``: asked
    while a worker reads (the caller asks it between files).
    """
    count, asked = worker_count(paths, options)
    chunk = options.chunk
    tempfolder.sweep()  # (the folders of merges that were killed)
    if count <= 1:
        yield (scan_labelled(path, chunk=chunk) for path in paths)
        return
    with contextlib.ExitStack() as stack:
        try:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            from annotator.services.merge.worker import scan_into, started

            folder = stack.enter_context(tempfolder.new_folder())
            pool = stack.enter_context(
                ProcessPoolExecutor(
                    count, get_context("spawn"), initializer=started, initargs=(os.getpid(),)
                )
            )
            futures = [pool.submit(scan_into, p, folder, skip_hashes, chunk) for p in paths]
        except (ImportError, OSError, RuntimeError, NotImplementedError) as exc:
            if asked:
                raise MergeError(f"cannot start processes to read the files: {exc}") from exc
            stack.close()
            futures = []
        if not futures:
            yield (scan_labelled(path, chunk=chunk) for path in paths)
            return
        try:
            yield (
                scanned(f, path, asked, chunk, cancelled)
                for f, path in zip(futures, paths, strict=True)
            )
        finally:
            stop(pool, futures)


def stop(pool: Any, futures: Sequence[Any]) -> None:
    """Cancel the files not started yet; if some are being read still (the merge stopped at a
    refused file), end the workers now rather than wait for them: the pool's shutdown then
    only joins them, so that no process outlives the merge and none writes to its folder as
    the folder goes."""
    for future in futures:
        future.cancel()
    if all(future.done() for future in futures):
        return
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(OSError, ValueError):  # (ended already)
            process.terminate()


def scanned(
    future: Any, path: Path, asked: bool, chunk: int = CHUNK, cancelled: Cancelled | None = None
) -> LabelledScan:
    """A worker's scan of ``path``. If the worker failed (it died, or could not write the scan)
    this process reads the file instead, unless the workers were asked for. ``cancelled`` is
    asked while the worker reads (:class:`MergeCancelled`)."""
    from concurrent.futures.process import BrokenProcessPool

    from annotator.services.merge.worker import load_scan

    try:
        while cancelled is not None:
            try:
                return load_scan(future.result(timeout=CANCEL_POLL))
            except TimeoutError:
                check_cancelled(cancelled)
        return load_scan(future.result())
    except (BrokenProcessPool, OSError) as exc:
        if asked:
            raise MergeError(f"{path.name}: a worker process could not read it: {exc}") from exc
        return scan_labelled(path, chunk=chunk)
