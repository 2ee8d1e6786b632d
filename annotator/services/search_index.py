"""The search index of the cases an import added, built after its commit, step by step.

The reviewer starts on the cases as soon as they are committed; their search index follows in
short steps (``storage/search_index.py``), each its own transaction, so that the reviewer's own
writes get the lock between two steps and a kill loses at most one step, which the next build
does again. Search finds the same cases meanwhile, scanning the rows not indexed yet.

Who builds it: ``annotator import`` after its commit (a progress bar on a terminal; Ctrl+C
stops it between or inside a step, the cases stay imported), and the window, on a worker
thread, after an import and whenever it opens a workspace with rows waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from annotator.services.workspace import Workspace
from annotator.storage import search_index
from annotator.storage.search_index import STEP, Pending

__all__ = ["Pending", "build_search_index", "pending", "waiting"]

Progress = Callable[[int, int], None]
"""Called with (cases indexed so far, cases that were waiting)."""


def pending(ws: Workspace) -> Pending:
    """How many cases wait for the search index, of how many."""
    return search_index.pending(ws.engine)


def waiting(ws: Workspace) -> bool:
    """Whether cases wait for the search index (one row read: cheap to ask often)."""
    with ws.engine.connect() as conn:
        return search_index.pending_from(conn) is not None


def build_search_index(
    ws: Workspace,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    *,
    rows: int = STEP,
    pause: float = 0.0,
) -> bool:
    """Index every case waiting for the search index, ``rows`` at a time; whether the index is
    complete (False: ``cancelled()`` said stop, between two steps; what was indexed stays, and
    the next build goes on from there). Nothing to do in a read-only workspace.

    ``pause``: seconds between two steps without the write lock (the window's: its reviewer's
    decisions, waiting for the lock, get it then rather than race the next step for it)."""
    if ws.read_only:
        return False
    total = pending(ws).waiting
    done = 0
    if progress is not None:
        progress(0, total)
    while True:
        if cancelled is not None and cancelled():
            return False
        indexed = search_index.index_step(ws.engine, rows)
        if not indexed:
            return True
        done += indexed
        total = max(total, done)  # (another import may have added cases meanwhile)
        if progress is not None:
            progress(done, total)
        if pause:
            time.sleep(pause)
