"""The review queue as data: which cases (a filter), in what order (a sort key), and what one
line of it shows. The SQL that answers a filter is :mod:`annotator.storage.queue`."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from annotator.domain.merge import ReviewState
from annotator.domain.model import Kind, Status
from annotator.domain.split import Part

DISAGREEMENTS = frozenset(k for k in Kind if k.is_disagreement)


class SortKey(enum.StrEnum):
    SEVERITY = "severity"
    ID = "id"
    JUDGE = "judge"
    FINAL = "final"
    STATUS = "status"
    CRITERION = "criterion"


@dataclass(frozen=True)
class QueueFilter:
    kinds: frozenset[Kind] | None = DISAGREEMENTS
    """None: every kind."""
    status: Status | None = None
    label: str | None = None
    """Cases where the judge, a rater or the final decision used this label."""
    rater: str | None = None
    criterion: str | None = None
    tag: str | None = None
    split: Part | None = None
    """Decided cases of one part of the held-out split (the project's settings)."""
    text: str = ""
    blind: bool = False
    """The reviewer works blind first (``project.blind_first``): ``text`` matches only what a
    case shows before its reveal (``serialize.blind_search_text``) and the reviewer's own
    rationale, never the judge's or the raters' text nor other reviewers' rationales; the
    judge-truth and switched-to-judge filters admit only the cases decided or revealed."""
    review_state: ReviewState | None = None
    """Cases the merged reviewer files left unanimous, or in conflict (a lead's queue)."""
    judge_truth: tuple[str, str, str] | None = None
    """``(criterion, judge label, final label)``: one cell of the judge's confusion matrix. The
    final label is the lead's decision, else the reviewers' unanimous label."""
    cases: tuple[str, ...] | None = None
    """Exactly these cases, by case id (e.g. the ones a judge run fixed on the alignment
    page); None: any case."""
    switched_to_judge: str | None = None
    """Cases where a blind-first decision switched to the judge's label after the reveal (its
    first label not the judge's, its final label the judge's): those of the reviewer of this
    name, or of anyone ("")."""
    stale: bool = False
    """Decisions taken under an older rubric version than their criterion's current one."""
    sort: SortKey = SortKey.SEVERITY
    descending: bool = False
    """Reverse of the sort key's natural order (severity's natural order is most severe first)."""
    seed: int | None = None
    """A seeded random order instead of most severe first (``project.random_order``: the
    reviewer's seed, ``services.blind.order_seed``); only the severity sort is replaced."""


@dataclass(frozen=True)
class QueueRow:
    """What one line of the queue table shows."""

    id: int
    ext_id: str
    criterion: str
    kind: Kind
    judge_label: str
    ratings: tuple[tuple[str, str], ...]
    """(rater, label) pairs, in file order."""
    status: Status
    final_label: str | None
    draft: bool = False
    """The reviewer typed something on the case and has not saved it (a draft is kept)."""
    rubric: tuple[int, int] | None = None
    """``(decided under, current)`` rubric versions of a decision taken under an older one."""
    part: Part | None = None
    """A decided case's part of the held-out split (None: not decided)."""


def severity_ranges(kinds: frozenset[Kind] | set[Kind]) -> list[tuple[int, int]]:
    """The severity ranges that hold exactly the cases of ``kinds`` (adjacent kinds merged)."""
    ranges: list[tuple[int, int]] = []
    for low, high in sorted(k.severity_range for k in kinds):
        if ranges and ranges[-1][1] + 1 == low:
            ranges[-1] = (ranges[-1][0], high)
        else:
            ranges.append((low, high))
    return ranges
