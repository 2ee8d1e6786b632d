"""Plain domain objects shared by formats, storage, services and the UI."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

DEFAULT_CRITERION = ""
"""Name of the criterion a case belongs to when the file names none."""


class Kind(enum.StrEnum):
    """How the judge and the human raters relate on one case, most severe first."""

    JUDGE_VS_ALL = "judge_vs_all"
    JUDGE_VS_MAJORITY = "judge_vs_majority"
    RATERS_SPLIT = "raters_split"
    AGREEMENT = "agreement"
    UNRATED = "unrated"

    @property
    def rank(self) -> int:
        return _KIND_RANK[self]

    @property
    def caption(self) -> str:
        return _KIND_TITLE[self]

    @property
    def is_disagreement(self) -> bool:
        return self in (Kind.JUDGE_VS_ALL, Kind.JUDGE_VS_MAJORITY, Kind.RATERS_SPLIT)

    @property
    def severity_range(self) -> tuple[int, int]:
        """The lowest and highest :attr:`Classification.severity` of a case of this kind.

        Severity sorts the kinds apart, so a kind filter is a severity range (one index range).
        """
        low = self.rank * SEVERITY_STEP
        return low, low + SEVERITY_STEP - 1


SEVERITY_STEP = 1_000_000
"""Severity of a case is ``kind.rank * SEVERITY_STEP`` plus less than SEVERITY_STEP."""

_KIND_RANK = {
    Kind.JUDGE_VS_ALL: 4,
    Kind.JUDGE_VS_MAJORITY: 3,
    Kind.RATERS_SPLIT: 2,
    Kind.AGREEMENT: 1,
    Kind.UNRATED: 0,
}
_KIND_TITLE = {
    Kind.JUDGE_VS_ALL: "Judge vs all raters",
    Kind.JUDGE_VS_MAJORITY: "Judge vs majority",
    Kind.RATERS_SPLIT: "Raters split",
    Kind.AGREEMENT: "Agreement",
    Kind.UNRATED: "No ratings",
}


class Status(enum.IntEnum):
    UNDECIDED = 0
    SKIPPED = 1
    DECIDED = 2

    @property
    def caption(self) -> str:
        return self.name.capitalize()


class WhoRight(enum.StrEnum):
    JUDGE = "judge"
    RATERS = "raters"
    BOTH = "both"
    NEITHER = "neither"


class Confidence(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class LabelScheme:
    """The ordered labels of one criterion, and how to compare them."""

    labels: tuple[str, ...]
    ordinal: bool = False
    threshold: float = 0.0
    """On an ordinal scale, two labels disagree when their distance is greater than this."""
    rubric: str = ""

    def canonical(self, label: str) -> str | None:
        """The scheme's own spelling of ``label`` (matched case-insensitively), or None."""
        if label in self.labels:
            return label
        folded = label.casefold()
        for known in self.labels:
            if known.casefold() == folded:
                return known
        return None

    def position(self, label: str) -> float:
        """Where a label sits on the scale: its number if all labels are numbers, else its index."""
        known = self._positions.get(label)
        if known is not None:
            return known
        if self.numeric:
            return float(label)
        return float(self.labels.index(label))

    @cached_property
    def numeric(self) -> bool:
        return bool(self.labels) and all(_is_number(x) for x in self.labels)

    @cached_property
    def _positions(self) -> dict[str, float]:
        """Each label's position, worked out once (classifying a million cases asks often)."""
        positions: dict[str, float] = {}
        for i, x in enumerate(self.labels):
            positions.setdefault(x, float(x) if self.numeric else float(i))
        return positions

    def distance(self, a: str, b: str) -> float:
        if not self.ordinal:
            return 0.0 if a == b else 1.0
        return abs(self.position(a) - self.position(b))

    def differs(self, a: str, b: str) -> bool:
        if not self.ordinal:
            return a != b
        return self.distance(a, b) > self.threshold


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Project:
    """Project metadata: the title, guidelines and one label scheme per criterion."""

    title: str = "Untitled project"
    guidelines: str = ""
    schemes: dict[str, LabelScheme] = field(default_factory=dict)
    fingerprint: str = ""
    blind_first: bool | None = None
    """A case file's header may set blind-first review and the random queue order for the
    project (a lead's review pack); None: it does not say."""
    random_order: bool | None = None

    def scheme(self, criterion: str) -> LabelScheme:
        return self.schemes.get(criterion) or self.schemes.get(DEFAULT_CRITERION) or LabelScheme(())


@dataclass(frozen=True)
class Verdict:
    label: str
    rationale: str = ""
    score: float | None = None
    model: str = ""


@dataclass(frozen=True)
class Rating:
    rater: str
    label: str
    comment: str = ""


@dataclass(frozen=True)
class Case:
    """One evaluation case as the reviewer sees it (normalized from the imported record)."""

    id: str
    input: str
    judge: Verdict
    ratings: tuple[Rating, ...] = ()
    output: str | None = None
    outputs: dict[str, str] | None = None
    reference: str | None = None
    criterion: str = DEFAULT_CRITERION
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def rater_labels(self) -> dict[str, str]:
        return {r.rater: r.label for r in self.ratings}


@dataclass(frozen=True)
class Classification:
    kind: Kind
    against: int
    """How many raters differ from the judge."""
    gap: float
    """The widest distance between the judge and a rater (0 or 1 on a nominal scale)."""
    consensus: str | None
    """The raters' majority label (nominal) or median label (ordinal), when there is one."""

    @property
    def severity(self) -> int:
        """One integer that sorts cases most severe first (higher is more severe)."""
        return (
            self.kind.rank * SEVERITY_STEP
            + min(self.against, 999) * 1_000
            + min(int(self.gap * 10), 999)
        )


@dataclass(frozen=True)
class Decision:
    """The reviewer's adjudication of one case."""

    label: str
    rationale: str
    who_right: WhoRight
    who_right_overridden: bool = False
    tags: tuple[str, ...] = ()
    confidence: Confidence | None = None
    reviewer: str = ""
    decided_at: str = ""
    """UTC time in ISO 8601, set by the service when the decision is stored."""
    rubric_version: int = 1
    """The version of the criterion's rubric the decision was taken under (``rubric_version``;
    a decision older than rubric versions was taken under the first)."""
