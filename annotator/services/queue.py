"""The review queue: which cases, in what order (filtered and sorted in SQL,
``storage/queue.py``), for the window's lazy table and for tests and benchmarks."""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from annotator.domain.queue import DISAGREEMENTS, QueueFilter, QueueRow, SortKey, severity_ranges
from annotator.services.workspace import Workspace
from annotator.storage import queue_reads
from annotator.storage.queue_reads import QueueLoadInterrupted

__all__ = [
    "DISAGREEMENTS",
    "QueueFilter",
    "QueueLoad",
    "QueueLoadInterrupted",
    "QueueRow",
    "SortKey",
    "first_undecided",
    "queue_ids",
    "queue_rows",
    "severity_ranges",
    "undecided_among",
]


class QueueLoad(queue_reads.QueueLoad):
    """The ids of a queue of ``ws`` in two steps, the first rows fast, then all (see
    :class:`annotator.storage.queue_reads.QueueLoad`)."""

    def __init__(
        self,
        ws: Workspace,
        flt: QueueFilter,
        page: int | None = None,
        page_seconds: float | None = None,
    ) -> None:
        super().__init__(ws.engine, flt, page, page_seconds)


def queue_ids(ws: Workspace, flt: QueueFilter) -> array[int]:
    """The row ids of every case the filter admits, in queue order (compact for millions)."""
    return queue_reads.queue_ids(ws.engine, flt)


def first_undecided(ws: Workspace, flt: QueueFilter) -> int | None:
    """The row id of the first case of the queue that waits for a decision (where a reviewer
    resumes): not decided, or a conflict the lead's own review, taken before the merge, does
    not settle."""
    return queue_reads.first_undecided(ws.engine, flt)


def queue_rows(ws: Workspace, ids: Sequence[int]) -> dict[int, QueueRow]:
    """The display rows for ``ids`` (any order), keyed by id."""
    return queue_reads.queue_rows(ws.engine, ids)


def undecided_among(ws: Workspace, ids: Sequence[int]) -> set[int]:
    """Which of ``ids`` wait for a decision (as for :func:`first_undecided`)."""
    return queue_reads.undecided_among(ws.engine, ids)
