"""The baseline before any review, per criterion: the judge against the original raters'
consensus, and how far the raters agree among themselves, each with its bootstrap interval.

Counted by ``annotator.domain.baseline`` (from a workspace's rows, or from merged cases);
every figure is one of ``annotator.domain``'s statistics on those counts. The summary, the
agreement report and the Agreement page all show the figures made here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations, islice
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
    percent_agreement_counts,
    precision_recall_counts,
    undefined,
)
from annotator.domain.alpaca_eval import AlpacaEvalRule
from annotator.domain.baseline import BaselineTally
from annotator.domain.bootstrap import bootstrap_intervals
from annotator.domain.ceiling import LooUnit, leave_one_out_from_scores, leave_one_out_scores
from annotator.domain.merge import Scale
from annotator.domain.model import LabelScheme
from annotator.domain.ordinal import (
    gwet_ac_counts,
    kendall_tau_b_counts,
    mean_absolute_error_counts,
    pair_units,
    paradox_note,
    pearson_counts,
    positions,
    spearman_counts,
    weighted_kappa_counts,
)
from annotator.domain.reliability import fleiss_kappa_counts, krippendorff_alpha_counts
from annotator.services.agreement.report import (
    LEVEL,
    MAX_RATER_PAIRS,
    AmongRaters,
    Baseline,
    ChanceCorrected,
    CriterionBaseline,
    HumanCeiling,
    JudgeVsConsensus,
    RaterPair,
    RaterPairs,
    Reliability,
    ScoreAgreement,
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
            reliability(counting.rater_units(tally), scale, intervals, chance=True),
            ceiling(tally.units, intervals),
            alpaca_eval(tally.units, scale, intervals),
            rater_pairs(tally, scale, intervals),
        ),
    )


NO_SHARED = "the two raters rated no case in common (on the scale)"


def rater_pairs(
    tally: BaselineTally, scale: Scale, intervals: Intervals, *, limit: int = MAX_RATER_PAIRS
) -> RaterPairs:
    """Cohen's kappa of each pair of raters (weighted too on an ordered scale), each with
    its interval: the ``limit`` pairs with the most cases in common (then by name), pairs
    that share no case last, undefined and saying so."""
    tally.count_raters()
    shared = {k: c.total() for k, c in tally.pairs.items()}
    listed = sorted(shared, key=lambda k: (-shared[k], k))[:limit]
    if len(listed) < limit:  # the pairs that share no case, by name
        alone = (k for k in combinations(sorted(tally.raters), 2) if k not in shared)
        listed += islice(alone, limit - len(listed))
    n = len(tally.raters)
    return RaterPairs(
        tuple(
            rater_pair(a, b, tally.pairs.get((a, b), Counter()), scale, intervals)
            for a, b in listed
        ),
        max(n * (n - 1) // 2, len(shared)),
        tally.pairs_not_kept,
    )


def rater_pair(
    first: str,
    second: str,
    pairs: Mapping[tuple[str, str], int],
    scale: Scale,
    intervals: Intervals,
) -> RaterPair:
    """Two raters' kappa, and on an ordered scale the weighted ones, with intervals and the
    kappa-paradox note where kappa and their agreement diverge."""
    labels = scale.labels
    if not any(x in labels and y in labels for x, y in pairs):
        none, no_interval = undefined(0, NO_SHARED), intervals.none(NO_SHARED)
        weighted = (none, no_interval) * 2 if scale.ordinal else ()
        return RaterPair(first, second, none, no_interval, *weighted)
    statistics: list[_Statistic] = [lambda c: cohen_kappa_counts(c, labels)]
    if scale.ordinal:
        statistics += [
            lambda c: weighted_kappa_counts(c, labels, "linear"),
            lambda c: weighted_kappa_counts(c, labels, "quadratic"),
        ]
    cis = intervals(pairs, *statistics)
    kappa = explained_kappa(pairs, labels)
    if not scale.ordinal:
        return RaterPair(first, second, kappa, cis[0])
    linear, quadratic = (f(pairs) for f in statistics[1:])
    note = paradox_note(
        accuracy_counts(pairs), quadratic, gwet_ac_counts(pair_units(pairs), labels, True),
        _given(pairs), "AC2",
    )  # fmt: skip
    if note is not None:
        quadratic = replace(quadratic, note=note)
    return RaterPair(first, second, kappa, cis[0], linear, cis[1], quadratic, cis[2])


def judge_figures(
    pairs: Mapping[tuple[str, str], int], scale: Scale, intervals: Intervals
) -> dict[str, Any]:
    """The fields of :class:`JudgeFigures` from ``(reference, judge)`` pair counts."""
    labels = scale.labels
    statistics: list[_Statistic] = [
        accuracy_counts,
        lambda c: cohen_kappa_counts(c, labels),
        macro_f1_counts,
        lambda c: gwet_ac_counts(pair_units(c), labels, False),
    ]
    if scale.ordinal:
        statistics += [
            lambda c: weighted_kappa_counts(c, labels, "linear"),
            lambda c: weighted_kappa_counts(c, labels, "quadratic"),
            lambda c: gwet_ac_counts(pair_units(c), labels, True),
        ]
    figures = [f(pairs) for f in statistics]
    cis = intervals(pairs, *statistics)
    accuracy, kappa, f1, ac1 = figures[:4]
    given = _given(pairs)
    note = paradox_note(accuracy, kappa, ac1, given)
    if note is not None:
        kappa = replace(kappa, note=note)
    if scale.ordinal:  # the headline weighted kappa (quadratic) against AC2
        note = paradox_note(accuracy, figures[5], figures[6], given, "AC2")
        if note is not None:
            figures[5] = replace(figures[5], note=note)
    return {
        "accuracy": accuracy,
        "accuracy_interval": cis[0],
        "kappa": kappa,
        "kappa_interval": cis[1],
        "macro_f1": f1,
        "macro_f1_interval": cis[2],
        "confusion": confusion_matrix_counts(pairs, labels),
        "per_label": precision_recall_counts(pairs, labels),
        "chance": _chance(figures[3:], cis[3:]),
    }


def explained_kappa(pairs: Mapping[tuple[str, str], int], labels: tuple[str, ...]) -> Figure:
    """Cohen's kappa of two sides, with the kappa-paradox note where it and their agreement
    diverge (``domain.ordinal.paradox_note``)."""
    kappa = cohen_kappa_counts(pairs, labels)
    note = paradox_note(
        accuracy_counts(pairs), kappa, gwet_ac_counts(pair_units(pairs), labels, False),
        _given(pairs),
    )  # fmt: skip
    return replace(kappa, note=note) if note is not None else kappa


def _given(pairs: Mapping[tuple[str, str], int]) -> Counter[str]:
    """How often each label was given, on both sides."""
    given: Counter[str] = Counter()
    for (a, b), n in pairs.items():
        given[a] += n
        given[b] += n
    return given


def _chance(figures: list[Figure], cis: Sequence[Interval]) -> ChanceCorrected:
    """AC1, then on an ordered scale the linear and quadratic kappas and AC2."""
    if len(figures) == 1:
        return ChanceCorrected(figures[0], cis[0])
    ac1, linear, quadratic, ac2 = figures
    return ChanceCorrected(ac1, cis[0], linear, cis[1], quadratic, cis[2], ac2, cis[3])


def scores_of(tally: BaselineTally, scale: Scale) -> Counter[tuple[float, float]]:
    """``(the judge's score, the mean of the raters' places)`` counted over the cases with a
    judge label and a rating on the scale: the judge's raw score where the case has one
    (:attr:`BaselineTally.scored`), else its label's place (its number, or its position)."""
    at = positions(scale.labels)
    by_label = Counter(tally.units)
    out: Counter[tuple[float, float]] = Counter()
    for (judge, score, labels), n in tally.scored.items():
        by_label[(judge, labels)] -= n
        if judge is not None and judge in at and labels:
            out[(score, sum(at[x] for x in labels) / len(labels))] += n
    for (judge, labels), n in by_label.items():
        if n <= 0 or judge is None or judge not in at or not labels:
            continue
        out[(at[judge], sum(at[x] for x in labels) / len(labels))] += n
    return out


def score_agreement(tally: BaselineTally, scale: Scale, intervals: Intervals) -> ScoreAgreement:
    """The judge's score against the raters' mean: Spearman, Kendall's tau-b, Pearson, the
    mean absolute error, with intervals."""
    scores = scores_of(tally, scale)
    statistics: tuple[_Statistic, ...] = (
        spearman_counts,
        kendall_tau_b_counts,
        pearson_counts,
        mean_absolute_error_counts,
    )
    rho, tau, r, mae = (f(scores) for f in statistics)
    rho_ci, tau_ci, r_ci, mae_ci = intervals(scores, *statistics)
    return ScoreAgreement(rho, rho_ci, tau, tau_ci, r, r_ci, mae, mae_ci)


def judge_vs_consensus(
    tally: BaselineTally, scale: Scale, scheme: LabelScheme | None, intervals: Intervals
) -> JudgeVsConsensus:
    scores = score_agreement(tally, scale, intervals) if scale.ordinal else None
    if scheme is None:
        return _unknown_consensus(scale, intervals, scores)
    figures = judge_figures(counting.consensus_pairs(tally, scheme), scale, intervals)
    if not scale.ordinal:
        return JudgeVsConsensus(**figures)
    hits = counting.within_consensus(tally, scheme)
    (within_ci,) = intervals(hits, accuracy_counts)
    return JudgeVsConsensus(
        **figures, within=accuracy_counts(hits), within_interval=within_ci, scores=scores
    )


def _unknown_consensus(
    scale: Scale, intervals: Intervals, scores: ScoreAgreement | None
) -> JudgeVsConsensus:
    """Every figure against a consensus that cannot be known (an ordinal scale from files);
    the judge's score against the raters' mean needs no consensus."""
    none, no_interval = undefined(0, NO_THRESHOLD), intervals.none(NO_THRESHOLD)
    ordinal = scale.ordinal
    return JudgeVsConsensus(
        accuracy=none,
        accuracy_interval=no_interval,
        kappa=none,
        kappa_interval=no_interval,
        macro_f1=none,
        macro_f1_interval=no_interval,
        confusion=confusion_matrix_counts({}, scale.labels),
        per_label=tuple(LabelScore(x, none, none, 0, none) for x in scale.labels),
        within=none if ordinal else None,
        within_interval=no_interval if ordinal else None,
        chance=ChanceCorrected(
            none,
            no_interval,
            *((none, no_interval) * 3 if ordinal else ()),
        ),
        scores=scores,
    )


def reliability(
    units: Mapping[tuple[str, ...], int],
    scale: Scale,
    intervals: Intervals,
    *,
    chance: bool = False,
) -> Reliability:
    """Fleiss' kappa and Krippendorff's alpha of the labels of each unit (on an ordered scale
    the interval alpha too), with intervals over the units that have two or more labels; with
    ``chance``, the percent agreement and Gwet's AC1 and AC2 as well (AC's chance agreement
    counts every rated unit, so its intervals resample those)."""
    labels = scale.labels
    ordinal = scale.ordinal
    level: Literal["nominal", "ordinal"] = "ordinal" if ordinal else "nominal"
    pairable = {k: c for k, c in units.items() if len(k) >= 2}
    statistics: list[_Statistic] = [
        lambda c: fleiss_kappa_counts(c, labels),
        lambda c: krippendorff_alpha_counts(c, labels, level),
    ]
    if chance:
        statistics.append(percent_agreement_counts)
    if ordinal:
        statistics.append(lambda c: krippendorff_alpha_counts(c, labels, "interval"))
    fleiss_ci, alpha_ci, *more = intervals(pairable, *statistics)
    percent_ci = more.pop(0) if chance else None
    interval_ci = more
    fleiss = fleiss_kappa_counts(units, labels)
    percent = percent_agreement_counts(units) if chance else None
    together = None
    if chance:
        rated = {k: c for k, c in units.items() if k}
        acs: list[_Statistic] = [lambda c: gwet_ac_counts(c, labels, False)]
        if ordinal:
            acs.append(lambda c: gwet_ac_counts(c, labels, True))
        ac1, *ac2 = (f(rated) for f in acs)
        ac1_ci, *ac2_ci = intervals(rated, *acs)
        together = ChanceCorrected(
            ac1, ac1_ci, ac2=ac2[0] if ac2 else None, ac2_interval=ac2_ci[0] if ac2 else None
        )
        given: Counter[str] = Counter()
        for key, n in units.items():
            for x in key:
                given[x] += n
        assert percent is not None
        note = paradox_note(percent, fleiss, together.ac1, given)
        if note is not None:
            fleiss = replace(fleiss, note=f"{fleiss.note}; {note}" if fleiss.note else note)
    return Reliability(
        fleiss=fleiss,
        fleiss_interval=fleiss_ci,
        alpha_nominal=krippendorff_alpha_counts(units, labels, "nominal"),
        alpha_ordinal=krippendorff_alpha_counts(units, labels, "ordinal") if ordinal else None,
        alpha_interval=alpha_ci,
        alpha_interval_level=(
            krippendorff_alpha_counts(units, labels, "interval") if ordinal else None
        ),
        alpha_interval_level_interval=interval_ci[0] if ordinal else None,
        percent=percent,
        percent_interval=percent_ci,
        chance=together,
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
