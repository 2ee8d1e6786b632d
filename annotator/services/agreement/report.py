"""The agreement report's data: counts, figures and intervals per criterion, and who was
overruled. ``build_report`` (in ``build``) makes one; the renderers only read it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from annotator.domain.agreement import ConfusionMatrix, Figure, Interval, LabelScore
from annotator.domain.anchoring import Anchoring
from annotator.domain.baseline import BaselineCounts
from annotator.domain.merge import Scale
from annotator.domain.model import LabelScheme
from annotator.services.agreement.judge import MeasuredJudge

LEVEL = 0.95
"""The confidence level of every interval in the report."""


@dataclass(frozen=True)
class Counts:
    """How the cases stand after the merge."""

    cases: int = 0
    unanimous: int = 0
    """Settled: every reviewer who saw the case chose the same label."""
    lead: int = 0
    """Settled by the lead."""
    conflicts: int = 0
    """Reviewers disagree and the lead has not decided: no truth yet."""
    unreviewed: int = 0
    """No reviewer saw the case and the lead has not decided: no truth."""

    @property
    def settled(self) -> int:
        return self.unanimous + self.lead

    @property
    def unresolved(self) -> int:
        """Cases left out of the figures against the truth."""
        return self.conflicts + self.unreviewed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.cases + other.cases,
            self.unanimous + other.unanimous,
            self.lead + other.lead,
            self.conflicts + other.conflicts,
            self.unreviewed + other.unreviewed,
        )


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of two reviewers over the cases both reviewed (``kappa.n``), and on an
    ordered scale its linear- and quadratic-weighted forms (None on a nominal scale)."""

    first: str
    second: str
    kappa: Figure
    kappa_linear: Figure | None = None
    kappa_quadratic: Figure | None = None


@dataclass(frozen=True)
class RaterPair:
    """Cohen's kappa of two original raters over the cases both rated (``kappa.n``), with its
    interval, and on an ordered scale its linear- and quadratic-weighted forms (None on a
    nominal scale)."""

    first: str
    second: str
    kappa: Figure
    kappa_interval: Interval
    kappa_linear: Figure | None = None
    kappa_linear_interval: Interval | None = None
    kappa_quadratic: Figure | None = None
    kappa_quadratic_interval: Interval | None = None


@dataclass(frozen=True)
class RaterPairs:
    """The pairs of original raters, those with the most cases in common first, at most
    :data:`MAX_RATER_PAIRS` of them."""

    pairs: tuple[RaterPair, ...] = ()
    total: int = 0
    """How many pairs there are (of the raters a tally keeps), listed or not."""
    not_kept: int = 0
    """Cases of a pair left uncounted (``domain.baseline.MAX_PAIRS_KEPT``)."""

    @property
    def not_listed(self) -> int:
        return self.total - len(self.pairs)


MAX_RATER_PAIRS = 45
"""Rater pairs listed (those of 10 raters); the report says how many more there are."""


@dataclass(frozen=True)
class ChanceCorrected:
    """Chance-corrected agreement beyond Cohen's kappa (``annotator.domain.ordinal``): Gwet's
    AC1, and on an ordered scale kappa weighted linearly and quadratically and Gwet's AC2
    (ordinal weights); those are None on a nominal scale."""

    ac1: Figure
    ac1_interval: Interval
    kappa_linear: Figure | None = None
    kappa_linear_interval: Interval | None = None
    kappa_quadratic: Figure | None = None
    kappa_quadratic_interval: Interval | None = None
    ac2: Figure | None = None
    ac2_interval: Interval | None = None


@dataclass(frozen=True)
class ScoreAgreement:
    """The judge's score against the mean of the raters' scores, case by case (ordered
    scales): rank and linear correlations and the mean absolute error."""

    spearman: Figure
    spearman_interval: Interval
    kendall: Figure
    kendall_interval: Interval
    pearson: Figure
    pearson_interval: Interval
    mae: Figure
    mae_interval: Interval


@dataclass(frozen=True)
class Reliability:
    """Fleiss' kappa and Krippendorff's alpha of several people's labels of the same cases."""

    fleiss: Figure
    fleiss_interval: Interval
    alpha_nominal: Figure
    alpha_ordinal: Figure | None
    """None on a nominal scale."""
    alpha_interval: Interval
    """For :attr:`alpha`."""
    alpha_interval_level: Figure | None = None
    """Krippendorff's alpha with the interval metric (the labels' numbers); None on a
    nominal scale."""
    alpha_interval_level_interval: Interval | None = None
    percent: Figure | None = None
    """Pairwise percent agreement, beside the chance-corrected figures."""
    percent_interval: Interval | None = None
    chance: ChanceCorrected | None = None
    """Gwet's AC1 and AC2 (the weighted kappas are for two sides: None here)."""

    @property
    def alpha(self) -> Figure:
        """The headline alpha: ordinal on an ordinal scale, else nominal."""
        return self.alpha_ordinal if self.alpha_ordinal is not None else self.alpha_nominal


@dataclass(frozen=True)
class ReviewerAgreement:
    """How far the reviewers agree with each other (their own labels, before the lead)."""

    reviewers: tuple[str, ...]
    percent: Figure
    pairs: tuple[PairKappa, ...]
    reliability: Reliability

    @property
    def fleiss(self) -> Figure:
        return self.reliability.fleiss

    @property
    def alpha_nominal(self) -> Figure:
        return self.reliability.alpha_nominal

    @property
    def alpha_ordinal(self) -> Figure | None:
        return self.reliability.alpha_ordinal

    @property
    def alpha(self) -> Figure:
        """The headline alpha: ordinal on an ordinal scale, else nominal."""
        return self.reliability.alpha

    @property
    def alpha_interval(self) -> Interval:
        return self.reliability.alpha_interval


@dataclass(frozen=True)
class JudgeFigures:
    """The LLM judge against a reference label (the final label, or the raters' consensus)."""

    accuracy: Figure
    accuracy_interval: Interval
    kappa: Figure
    kappa_interval: Interval
    macro_f1: Figure
    macro_f1_interval: Interval
    confusion: ConfusionMatrix
    """The reference in rows, the judge in columns, labels in scale order."""
    per_label: tuple[LabelScore, ...]
    chance: ChanceCorrected | None = None
    """Weighted kappa and Gwet's AC against the same reference."""


@dataclass(frozen=True)
class JudgeVsTruth(JudgeFigures):
    """The LLM judge against the adjudicated truth.

    Where the judge was right is one thing everywhere (docs/agreement.md, "When is the judge
    right?"): on an ordered scale with a threshold, its label within the threshold of the final
    label, as the labelled file's ``who_right`` says (``judge`` or ``both``); elsewhere the same
    label. :attr:`wrong` counts by that rule; the exact-match figures stand beside it."""

    wrong: int = 0
    """Settled cases where the judge was wrong: its label farther than the threshold from the
    final label (on a nominal scale, or an ordered one without a threshold: not the final
    label)."""
    wrong_exact: int = 0
    """Settled cases where the judge's label is not exactly the final label."""
    no_label: int = 0
    """Settled cases without a judge label, left out."""
    threshold: float | None = None
    """The ordered scale's threshold the judge was judged by; None on a nominal scale, and on
    an ordered one whose threshold is not known (judged by exact match then)."""
    within: Figure | None = None
    """Ordered scales with a threshold: the share of settled cases where the judge was right
    (within the threshold of the final label); None elsewhere, where it is accuracy."""
    within_interval: Interval | None = None


@dataclass(frozen=True)
class RaterVsTruth:
    """One original human rater against the adjudicated truth (``n`` is in the figures)."""

    rater: str
    accuracy: Figure
    kappa: Figure
    kappa_linear: Figure | None = None
    """Ordered scales: kappa weighted linearly (None on a nominal scale)."""
    kappa_quadratic: Figure | None = None
    within: Figure | None = None
    """Ordered scales with a threshold: the share of their settled cases within the threshold
    of the final label (None elsewhere, where it is accuracy)."""


@dataclass(frozen=True)
class HumanCeiling:
    """Leave-one-out agreement of the original raters, and the judge's against the same
    references (``annotator.domain.ceiling.leave_one_out_counts``)."""

    humans: Figure
    humans_interval: Interval
    judge: Figure
    judge_interval: Interval


@dataclass(frozen=True)
class JudgeVsConsensus(JudgeFigures):
    """The LLM judge against the original raters' consensus, on the cases that have one."""

    within: Figure | None = None
    """Ordinal scales: how often the judge is within the threshold of the raters' median (the
    summary's "judge vs raters' consensus"); None on a nominal scale, where it is accuracy."""
    within_interval: Interval | None = None
    scores: ScoreAgreement | None = None
    """Ordered scales: the judge's score against the raters' mean; None on a nominal scale."""


@dataclass(frozen=True)
class AmongRaters:
    """How far the original raters agree among themselves, and the judge with them."""

    reliability: Reliability
    ceiling: HumanCeiling
    """Leave-one-out agreement, ties counted at their expected value
    (``annotator.domain.ceiling``)."""
    alpaca_eval: HumanCeiling
    """AlpacaEval's human agreement, as AlpacaEval computes it
    (``annotator.domain.alpaca_eval``)."""
    pairs: RaterPairs = RaterPairs()
    """Cohen's kappa of each pair of raters, by name."""


@dataclass(frozen=True)
class CriterionBaseline:
    criterion: str
    scale: Scale
    threshold: float | None
    """The ordinal scale's threshold; None when not known (files written before they
    carried it), 0 on a nominal scale."""
    counts: BaselineCounts
    judge: JudgeVsConsensus
    raters: AmongRaters


@dataclass(frozen=True)
class Baseline:
    """The baseline of every criterion, by name."""

    criteria: tuple[CriterionBaseline, ...]
    seed: int
    resamples: int
    level: float = LEVEL

    def of(self, criterion: str) -> CriterionBaseline | None:
        return next((c for c in self.criteria if c.criterion == criterion), None)


@dataclass(frozen=True)
class TagCount:
    """A tag, and on how many cases the judge got wrong (by the threshold, on an ordered
    scale) someone attached it."""

    tag: str
    cases: int


@dataclass(frozen=True)
class OverruledCase:
    """A case where the final label went against someone, and what settled it."""

    case_id: str
    label: str
    """Their label."""
    final_label: str
    settled_by: Literal["lead", "unanimous"]
    rationales: tuple[tuple[str, str], ...]
    """``(who, rationale)``: the lead's, or every reviewer's when they were unanimous."""


@dataclass(frozen=True)
class Overruled:
    """One person's overruled cases: where the final label went against their label, by the
    rule that says whether the judge was right (beyond the threshold on an ordered scale)."""

    person: str
    role: Literal["rater", "reviewer"]
    settled: int
    """Settled cases this person labelled."""
    cases: tuple[OverruledCase, ...]
    """Sorted by case id."""
    exact: int = 0
    """Settled cases where their label is not exactly the final label (``len(cases)`` and
    those within the threshold)."""


@dataclass(frozen=True)
class RubricGap:
    """A case someone tagged "rubric gap" (``domain.rubric_versions.RUBRIC_GAP``): the rubric
    did not decide it. A candidate rubric edit."""

    case_id: str
    final_label: str | None
    """None: not settled yet."""
    notes: tuple[tuple[str, str, str], ...]
    """``(who, their label, their rationale)`` of each who tagged it, reviewers then the lead."""


@dataclass(frozen=True)
class CriterionReport:
    criterion: str
    scale: Scale
    counts: Counts
    reviewers: ReviewerAgreement
    judge: JudgeVsTruth
    raters: tuple[RaterVsTruth, ...]
    ceiling: HumanCeiling
    judge_wrong_tags: tuple[TagCount, ...]
    """Most frequent first, then by tag."""
    overruled: tuple[Overruled, ...]
    """Raters first, then reviewers, each by name."""
    before: CriterionBaseline
    """The baseline on the settled cases: the judge against the raters' consensus on the very
    cases the figures against the final labels count, to set them side by side."""
    rubric_gaps: tuple[RubricGap, ...] = ()
    """The cases tagged "rubric gap", by case id."""


@dataclass(frozen=True)
class AgreementReport:
    counts: Counts
    criteria: tuple[CriterionReport, ...]
    """By criterion name."""
    seed: int
    resamples: int
    level: float = LEVEL
    baseline: Baseline | None = None
    """Before any review: every case of the workspace (or of the files), judge against the
    raters' consensus and the raters among themselves."""
    anchoring: Anchoring | None = None
    """Blind-first decisions: how far the reveal moved the reviewers (``domain.anchoring``);
    None where the report was read from files."""
    measured_judge: MeasuredJudge | None = None
    """Which judge the "judge" figures are of (the imported one) and the runs added later
    they leave out (``services.judge_runs.measured_judge``); None where the report was read
    from files, which carry the imported judge's verdicts and no runs."""


@dataclass(frozen=True)
class Rule:
    """Whether a label was right against the final label, the one rule everywhere
    (docs/agreement.md, "When is the judge right?"): on an ordered scale with a threshold,
    within the threshold of it, as the labelled file's ``who_right`` says; else the same
    label."""

    scale: Scale
    threshold: float | None
    """Of an ordered scale; None on a nominal scale or where it is not known."""

    @classmethod
    def of(cls, scale: Scale, threshold: float | None) -> Rule:
        return cls(scale, threshold if scale.ordinal else None)

    @property
    def exact(self) -> bool:
        """Right means the same label (nominal scale, or an ordered one without a threshold)."""
        return self.threshold is None

    def wrong(self, final: str, label: str) -> bool:
        if final == label:
            return False
        if self.threshold is None or final not in self._on or label not in self._on:
            return True
        return self._scheme.differs(final, label)

    @cached_property
    def _on(self) -> frozenset[str]:
        return frozenset(self.scale.labels)

    @cached_property
    def _scheme(self) -> LabelScheme:
        return LabelScheme(self.scale.labels, True, self.threshold or 0.0)
