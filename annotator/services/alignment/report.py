"""The alignment report's plain data: the runs in order, each run's figures per criterion on
the held-out cases (the headline) and on every decided case, the human ceiling, and each
consecutive pair of runs compared (docs/alignment.md, "The alignment figures")."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from annotator.domain.alignment import Comparison, Estimate, RunFigures
from annotator.domain.merge import Scale

CEILING_NAME = "human ceiling on these cases (leave-one-out)"
"""The ceiling's name wherever the alignment report shows it: computed on the cases the runs
are scored on (the held-out ones, or all decided), not on every case with two ratings as the
Agreement page's "human ceiling (leave-one-out)" is (docs/alignment.md)."""
"""The Agreement page's name of the figure (``services/agreement/tables.py``)."""


class Scope(StrEnum):
    """Which decided cases a figure counts."""

    HELDOUT = "heldout"
    """The held-out part of the split (the headline: cases no calibration pack gave the judge
    as examples)."""
    DECIDED = "decided"
    """Every decided case, examples and held-out together."""

    @property
    def caption(self) -> str:
        """As tables title it: "held-out cases", "all decided cases"."""
        return "held-out cases" if self is Scope.HELDOUT else "all decided cases"


@dataclass(frozen=True)
class Run:
    """A judge run, in the order of the runs (the chart's x axis)."""

    id: int | None
    """Its ``judge_run`` row; None for the imported judge of a workspace that has no row for it
    yet (it is made the first time a run is added)."""
    name: str
    model: str
    position: int
    imported: bool
    """The judge the cases were imported with: its labels are the cases' own."""


@dataclass(frozen=True)
class RunScores:
    """One run on one criterion."""

    run: Run
    heldout: RunFigures
    decided: RunFigures
    examples_scored: int
    """Held-out cases this run was scored on that a calibration pack gave as examples."""

    def figures(self, scope: Scope) -> RunFigures:
        return self.heldout if scope is Scope.HELDOUT else self.decided


@dataclass(frozen=True)
class RunPair:
    """Two consecutive runs compared on the cases both labelled (counts; the cases' ids from
    ``changed_cases``)."""

    before: Run
    after: Run
    heldout: Comparison
    decided: Comparison

    def comparison(self, scope: Scope) -> Comparison:
        return self.heldout if scope is Scope.HELDOUT else self.decided


@dataclass(frozen=True)
class CriterionAlignment:
    criterion: str
    scale: Scale
    threshold: float | None
    """An ordered scale's threshold (the judge is right within it); None on a nominal scale."""
    heldout_cases: int
    """Decided held-out cases of this criterion."""
    decided_cases: int
    runs: tuple[RunScores, ...]
    """In the runs' order; a run with no label on this criterion's cases is still listed."""
    ceiling_heldout: Estimate
    """:data:`CEILING_NAME` over the raters of the held-out cases."""
    ceiling_decided: Estimate
    pairs: tuple[RunPair, ...]
    """Each run against the one before it."""

    def ceiling(self, scope: Scope) -> Estimate:
        return self.ceiling_heldout if scope is Scope.HELDOUT else self.ceiling_decided


@dataclass(frozen=True)
class CalibrationWarning:
    """Held-out cases that a calibration pack gave as examples (the seed or the fraction was
    changed after the pack was written): a run scored on them may have been shown them."""

    cases: int
    """Decided held-out cases that were examples."""
    packs: int
    """Packs recorded in the workspace."""

    @property
    def text(self) -> str:
        s = "" if self.cases == 1 else "s"
        return (
            f"{self.cases} held-out case{s} {'was' if self.cases == 1 else 'were'} given as "
            "examples in a calibration pack (the split's seed or fraction changed after the "
            "pack was written): a run scored on them may have seen them in its prompt"
        )


@dataclass(frozen=True)
class AlignmentReport:
    runs: tuple[Run, ...]
    criteria: tuple[CriterionAlignment, ...]
    """By criterion name."""
    fraction: float
    """The project's held-out fraction."""
    split_seed: int
    decided: int
    """Cases with a final label."""
    heldout: int
    """Of those, held out."""
    open_cases: int
    """Merged cases without a final label (open conflicts): left out."""
    warning: CalibrationWarning | None
    """None when no held-out case was a calibration example."""
    seed: int
    """The bootstrap's seed."""
    resamples: int
    level: float = 0.95

    def criterion(self, name: str) -> CriterionAlignment | None:
        return next((c for c in self.criteria if c.criterion == name), None)
