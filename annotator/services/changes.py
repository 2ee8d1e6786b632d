"""What a change to a workspace touched, so that the window refreshes that and nothing more.

Every service call that changes a workspace returns (or its report carries) a
:class:`Changes`; the window routes it in one place (``MainWindow.apply``), as Anki's
operations return ``OpChanges``. A new kind of change adds a field here and a line there.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Changes:
    cases: frozenset[int] = frozenset()
    """Cases whose status or decision changed: their lines in the queue."""
    queue: bool = False
    """Which cases the queue holds, their kind or order may have changed (cases came in, a
    scale was reclassified, reviewer files were merged): it is read again, and the case
    shown with it."""
    counts: bool = False
    """How many cases are decided, skipped or in conflict."""
    vocabulary: bool = False
    """The criteria, raters, labels or tags the filters and the tag box offer."""
    history: bool = False
    """What undo and redo would do."""
    reviews: bool = False
    """Reviewers' decisions came in: the workspace is a lead's."""
    alignment: bool = False
    """The held-out split or the judge runs changed: the Alignment page is computed again."""

    def __or__(self, other: Changes) -> Changes:
        return Changes(
            **{f.name: getattr(self, f.name) | getattr(other, f.name) for f in fields(Changes)}
        )

    @classmethod
    def of_case(cls, row_id: int, *, vocabulary: bool = False) -> Changes:
        """A reviewer's change to one case: its status or decision, with its history entry."""
        return cls(frozenset({row_id}), counts=True, history=True, vocabulary=vocabulary)


NOTHING = Changes()
MORE_CASES = Changes(queue=True, counts=True, vocabulary=True)
"""Cases were imported (or more of them): new criteria, raters and labels, perhaps."""
RECLASSIFIED = Changes(queue=True, counts=True)
"""A scale changed: cases changed kind, and derived decisions who was right."""
REVIEWS_MERGED = Changes(queue=True, counts=True, vocabulary=True, reviews=True)
"""Reviewers' labelled files were merged into a lead's workspace."""
