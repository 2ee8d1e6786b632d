"""The point after which a long job can no longer be cancelled: its commit.

A job (import, merge, export) asks its ``cancelled()`` callable as it goes, and stops with
nothing changed if the user cancelled. Its last step (a transaction's commit, a file's rename)
cannot stop: :func:`last_chance` asks once more just before it, and tells a ``cancelled``
that can hear it (the window's, ``ui/workers.py``) that from now on a cancel does nothing, so
that the window takes its Cancel button away rather than offer one that would not cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable


@runtime_checkable
class Closable(Protocol):
    """A ``cancelled()`` that can be closed: ``close()`` returns whether a cancel came first
    (then the job stops), and no cancel is taken after it."""

    def __call__(self) -> bool: ...

    def close(self) -> bool: ...


def last_chance(cancelled: Callable[[], bool] | None, stop: Callable[[], Exception]) -> None:
    """Raise ``stop()`` if the user cancelled; else, the job goes on to its end uncancellable."""
    if cancelled is None:
        return
    asked = cancelled.close() if isinstance(cancelled, Closable) else cancelled()
    if asked:
        raise stop()
