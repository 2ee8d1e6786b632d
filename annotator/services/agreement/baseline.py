"""The baseline before any review, per criterion: the judge against the original raters'
consensus, and how far the raters agree among themselves, each with its bootstrap interval.

Counted by ``annotator.domain.baseline`` (from a workspace's rows, or from merged cases);
every figure is one of ``annotator.domain``'s statistics on those counts. The summary, the
agreement report and the Agreement page all show the figures made here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from annotator.domain import baseline as counting
from annotator.domain.agreement import (
    Figure,
    Interval,
    LabelScore,
    accuracy_counts,
    cohen_kappa_counts,
    confusion_matrix_counts,
    macro_f1_counts,
    precision_recall_counts,
    undefined,
)
from annotator.domain.alpaca_eval import AlpacaEvalRule
from annotator.domain.baseline import BaselineTally
from annotator.domain.bootstrap import bootstrap_intervals
from annotator.domain.ceiling import LooUnit, leave_one_out_from_scores, leave_one_out_scores
from annotator.domain.merge import Scale
from annotator.domain.model import LabelScheme
from annotator.domain.reliability import fleiss_kappa_counts, krippendorff_alpha_counts
from annotator.services.agreement.report import (
    LEVEL,
    AmongRaters,
    Baseline,
    CriterionBaseline,
    HumanCeiling,
    JudgeVsConsensus,
    Reliability,
)

NO_THRESHOLD = (
    "the threshold of an ordered scale is kept in the workspace, not in the files, so the "
    "raters' consensus is not known: give the workspace"
)

_Statistic = Callable[[Mapping[Any, int]], Figure]


@dataclass(frozen=True)
class Intervals:
    """Bootstrap intervals with a report's seed, resamples and level."""

    seed: int
    resamples: int

    def __call__(self, data: Mapping[Any, int], *statistics: _Statistic) -> tuple[Interval, ...]:
        if self.resamples < 1:
            return tuple(self.none("no bootstrap: 0 resamples asked for") for _ in statistics)
        return bootstrap_intervals(
            data, statistics, resamples=self.resamples, seed=self.seed, level=LEVEL
        )

    def none(self, reason: str) -> Interval:
        """No interval, and why."""
        return Interval(None, None, LEVEL, self.resamples, self.seed, reason=reason)


def build_baseline(
    tallies: Mapping[str, tuple[Scale, float | None, BaselineTally]],
    *,
    seed: int,
    resamples: int,
) -> Baseline:
    """The baseline of each criterion from its scale, threshold (None: not known) and tally;
    the same seed gives the same intervals."""
    intervals = Intervals(seed, resamples)
    return Baseline(
        tuple(
            criterion_baseline(name, *tallies[name], intervals=intervals)
            for name in sorted(tallies)
        ),
        seed,
        resamples,
    )


def with_scales(
    schemes: Mapping[str, LabelScheme], tallies: Mapping[str, BaselineTally]
) -> dict[str, tuple[Scale, float | None, BaselineTally]]:
    """Each criterion's tally with its scale and threshold, as ``build_baseline`` takes them."""
    return {
        name: (Scale(s.labels, s.ordinal), s.threshold, tallies[name])
        for name, s in schemes.items()
    }


def criterion_baseline(
    name: str, scale: Scale, threshold: float | None, tally: BaselineTally, *, intervals: Intervals
) -> CriterionBaseline:
    scheme = None if threshold is None else LabelScheme(scale.labels, scale.ordinal, threshold)
    tally = tally.ordered()
    return CriterionBaseline(
        name,
        scale,
        threshold,
        counting.counts(tally, scheme),
        judge_vs_consensus(tally, scale, scheme, intervals),
        AmongRaters(
            reliability(counting.rater_units(tally), scale, intervals),
            ceiling(tally.units, intervals),
            alpaca_eval(tally.units, scale, intervals),
        ),
    )


def judge_figures(
    pairs: Mapping[tuple[str, str], int], labels: tuple[str, ...], intervals: Intervals
) -> dict[str, Any]:
    """The fields of :class:`JudgeFigures` from ``(reference, judge)`` pair counts."""
    statistics: tuple[_Statistic, ...] = (
        accuracy_counts,
        lambda c: cohen_kappa_counts(c, labels),
        macro_f1_counts,
    )
    accuracy, kappa, f1 = (f(pairs) for f in statistics)
    a_ci, k_ci, f_ci = intervals(pairs, *statistics)
    return {
        "accuracy": accuracy,
        "accuracy_interval": a_ci,
        "kappa": kappa,
        "kappa_interval": k_ci,
        "macro_f1": f1,
        "macro_f1_interval": f_ci,
        "confusion": confusion_matrix_counts(pairs, labels),
        "per_label": precision_recall_counts(pairs, labels),
    }


def judge_vs_consensus(
    tally: BaselineTally, scale: Scale, scheme: LabelScheme | None, intervals: Intervals
) -> JudgeVsConsensus:
    if scheme is None:
        return _unknown_consensus(scale, intervals)
    figures = judge_figures(counting.consensus_pairs(tally, scheme), scale.labels, intervals)
    if not scale.ordinal:
        return JudgeVsConsensus(**figures)
    hits = counting.within_consensus(tally, scheme)
    (within_ci,) = intervals(hits, accuracy_counts)
    return JudgeVsConsensus(**figures, within=accuracy_counts(hits), within_interval=within_ci)


def _unknown_consensus(scale: Scale, intervals: Intervals) -> JudgeVsConsensus:
    """Every figure against a consensus that cannot be known (an ordinal scale from files)."""
    none, no_interval = undefined(0, NO_THRESHOLD), intervals.none(NO_THRESHOLD)
    return JudgeVsConsensus(
        accuracy=none,
        accuracy_interval=no_interval,
        kappa=none,
        kappa_interval=no_interval,
        macro_f1=none,
        macro_f1_interval=no_interval,
        confusion=confusion_matrix_counts({}, scale.labels),
        per_label=tuple(LabelScore(x, none, none, 0, none) for x in scale.labels),
        within=none if scale.ordinal else None,
        within_interval=no_interval if scale.ordinal else None,
    )


def reliability(
    units: Mapping[tuple[str, ...], int], scale: Scale, intervals: Intervals
) -> Reliability:
    """Fleiss' kappa and Krippendorff's alpha of the labels of each unit, with intervals over
    the units that have two or more labels."""
    labels = scale.labels
    level: Literal["nominal", "ordinal"] = "ordinal" if scale.ordinal else "nominal"
    pairable = {k: c for k, c in units.items() if len(k) >= 2}
    fleiss_ci, alpha_ci = intervals(
        pairable,
        lambda c: fleiss_kappa_counts(c, labels),
        lambda c: krippendorff_alpha_counts(c, labels, level),
    )
    return Reliability(
        fleiss=fleiss_kappa_counts(units, labels),
        fleiss_interval=fleiss_ci,
        alpha_nominal=krippendorff_alpha_counts(units, labels, "nominal"),
        alpha_ordinal=(
            krippendorff_alpha_counts(units, labels, "ordinal") if scale.ordinal else None
        ),
        alpha_interval=alpha_ci,
    )


def ceiling(units: Mapping[LooUnit, int], intervals: Intervals) -> HumanCeiling:
    """The human ceiling (leave-one-out) and the judge against the same references."""
    scores = leave_one_out_scores(units)
    return _humans_and_judge(scores, intervals)


def alpaca_eval(units: Mapping[LooUnit, int], scale: Scale, intervals: Intervals) -> HumanCeiling:
    """AlpacaEval's human agreement: the raters', and the judge's."""
    scores = AlpacaEvalRule(scale.labels, ordinal=scale.ordinal).unit_scores(units)
    return _humans_and_judge(scores, intervals)


def _humans_and_judge(scores: Mapping[Any, int], intervals: Intervals) -> HumanCeiling:
    figures = leave_one_out_from_scores(scores)
    humans_interval, judge_interval = intervals(
        scores,
        lambda c: leave_one_out_from_scores(c).humans,
        lambda c: leave_one_out_from_scores(c).judge,
    )
    return HumanCeiling(figures.humans, humans_interval, figures.judge, judge_interval)
