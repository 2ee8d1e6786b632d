"""Two threads taking turns: one prepares the next batch while the other hands the current one
to SQLite (the import's pipeline, ``services/importer.py``)."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class Lockstep(Generic[T]):
    """Prepares the next batch on a second thread while SQLite indexes the current one.

    Python threads share one interpreter lock; SQLite gives it up only while it works in C, and
    the long stretch of that is FTS5 tokenizing a batch (one statement). So the two threads take
    turns: the preparing thread works only between ``overlap()`` (called right before that
    statement) and the hand-over of its batch, and never competes with the short inserts, whose
    thousands of steps would each wait for the lock. With one core free the stages overlap;
    without, they run one after the other as in a single thread. (Since the search index is
    built after the import's commit, ``services/search_index.py``, the importer has no such
    stretch and calls no ``overlap()``: overlapping its inserts measured no faster, so its
    batches are prepared and stored in turn; docs/benchmarks.md. A batch stored by one
    statement, ``INSERT ... SELECT`` over ``json_each`` of the batch as JSON, would give up the
    lock for the whole batch, but took five times the CPU of ``executemany``, and writing the
    JSON alone, under the lock, twice its time: measured for issue 18, not done.)

    An exception in the generator is raised in the consumer; leaving the ``with`` block early (an
    error, a cancel) stops the generator on its thread, which closes the file.

    ``ahead``: how many items the producer may be ahead of the consumer. With more than one it
    no longer takes turns: it runs while the consumer works, up to ``ahead`` items (the export,
    whose rows SQLite makes without the interpreter's lock: ``services/exporter.py``).
    """

    def __init__(
        self, produce: Callable[[], Iterator[T]], *, ahead: int = 1, name: str = "import-prepare"
    ) -> None:
        self._produce = produce
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=ahead)
        self._permits = threading.Semaphore(ahead)  # the first items are prepared at once
        self._permitted = True
        self._stop = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def __enter__(self) -> Lockstep[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop = True
        self._permits.release()
        while self._thread.is_alive():  # a producer may be waiting to hand over a batch
            with contextlib.suppress(queue.Empty):
                while True:
                    self._queue.get_nowait()
            self._thread.join(timeout=0.05)  # (returns as soon as the producer has ended)

    def __iter__(self) -> Iterator[T]:
        while True:
            self.overlap()
            item = self._queue.get()
            self._permitted = False
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    def overlap(self) -> None:
        """Let the next batch be prepared now (at most one batch ahead)."""
        if not self._permitted:
            self._permitted = True
            self._permits.release()

    def _run(self) -> None:
        try:
            generator = self._produce()
            try:
                while True:
                    self._permits.acquire()
                    if self._stop:
                        return
                    item = next(generator, _DONE)
                    self._queue.put(item)
                    if item is _DONE:
                        return
            finally:
                close = getattr(generator, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # raised again in the consumer
            self._queue.put(_Failed(exc))


_DONE: Any = object()


@dataclass(frozen=True)
class _Failed:
    exc: BaseException
