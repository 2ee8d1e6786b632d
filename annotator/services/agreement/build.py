"""Building the agreement report: one pass over the merged cases tallies counts per
criterion, and every figure and interval is computed from those counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

from annotator.domain.agreement import (
    DEFAULT_RESAMPLES,
    Figure,
    Interval,
    accuracy_counts,
    cohen_kappa_counts,
    confusion_matrix_counts,
    percent_agreement_counts,
    precision_recall_counts,
)
from annotator.domain.bootstrap import bootstrap_intervals
from annotator.domain.ceiling import LooUnit, leave_one_out_from_scores, leave_one_out_scores
from annotator.domain.merge import MergedCase, Resolution, Scale
from annotator.domain.reliability import fleiss_kappa_counts, krippendorff_alpha_counts
from annotator.services.agreement.report import (
    LEVEL,
    AgreementReport,
    Counts,
    CriterionReport,
    HumanCeiling,
    JudgeVsTruth,
    Overruled,
    OverruledCase,
    PairKappa,
    RaterVsTruth,
    ReviewerAgreement,
    TagCount,
)


@dataclass
class _Tally:
    """Everything one pass over a criterion's cases collects."""

    scale: Scale
    in_scale: frozenset[str] = frozenset()
    counts: Counter[str] = field(default_factory=Counter)
    judge: Counter[tuple[str, str]] = field(default_factory=Counter)
    judge_missing: int = 0
    raters: defaultdict[str, Counter[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    units: Counter[tuple[str, ...]] = field(default_factory=Counter)
    pairs: defaultdict[tuple[str, str], Counter[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    reviewers: set[str] = field(default_factory=set)
    loo: Counter[LooUnit] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    reviewer_settled: Counter[str] = field(default_factory=Counter)
    overruled: defaultdict[tuple[str, str], list[OverruledCase]] = field(
        default_factory=lambda: defaultdict(list)
    )


class ScaleConflict(ValueError):
    """One criterion comes with two different scales in the files given; the message names
    them and a case."""


def build_report(
    cases: Iterable[MergedCase], *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES
) -> AgreementReport:
    """The agreement report of merged cases, per criterion; the same seed gives the same
    intervals. Raises :class:`ScaleConflict` if one criterion comes with two different
    scales."""
    tallies: dict[str, _Tally] = {}
    for case in cases:
        tally = tallies.get(case.criterion)
        if tally is None:
            tally = tallies[case.criterion] = _Tally(case.scale, frozenset(case.scale.labels))
        elif tally.scale is not case.scale and tally.scale != case.scale:
            raise ScaleConflict(
                f"criterion {case.criterion!r} has two scales: {tally.scale.labels} and "
                f"{case.scale.labels} (case {case.id!r})"
            )
        _count(tally, case)
    criteria = tuple(_criterion(name, tallies[name], seed, resamples) for name in sorted(tallies))
    total = Counts()
    for c in criteria:
        total = total + c.counts
    return AgreementReport(total, criteria, seed, resamples)


def _count(t: _Tally, case: MergedCase) -> None:
    """Add one case to its criterion's tally (the hot loop: a million cases go through it)."""
    reviews = case.reviews
    resolution = case.resolution
    judge = case.judge_label or None
    t.counts["cases"] += 1
    final: str | None
    if resolution is Resolution.LEAD:
        assert case.lead is not None
        t.counts["lead"] += 1
        final = case.lead.label
    elif resolution is Resolution.UNANIMOUS:
        t.counts["unanimous"] += 1
        final = reviews[0].label
    else:
        t.counts["conflicts" if reviews else "unreviewed"] += 1
        final = None

    # Between reviewers (no truth needed).
    in_scale = t.in_scale
    t.units[tuple(sorted([r.label for r in reviews if r.label in in_scale]))] += 1
    for r in reviews:
        t.reviewers.add(r.reviewer)
    if len(reviews) > 1:
        for a, b in combinations(reviews, 2):
            if a.reviewer > b.reviewer:
                a, b = b, a
            t.pairs[(a.reviewer, b.reviewer)][(a.label, b.label)] += 1
    # The human ceiling (no truth needed).
    raters = case.rater_labels
    if len(raters) > 1:
        t.loo[(judge, tuple(sorted([label for _, label in raters])))] += 1

    if final is None:
        return
    if judge is None:
        t.judge_missing += 1
    else:
        t.judge[(final, judge)] += 1
        if judge != final:
            tags = {tag for r in reviews for tag in r.tags}
            if case.lead is not None:
                tags.update(case.lead.tags)
            t.tags.update(tags)
    for rater, label in raters:
        t.raters[rater][(final, label)] += 1
        if label != final:
            t.overruled[("rater", rater)].append(_overruled_case(case, label, final))
    for r in reviews:
        t.reviewer_settled[r.reviewer] += 1
        if r.label != final:
            t.overruled[("reviewer", r.reviewer)].append(_overruled_case(case, r.label, final))


def _overruled_case(case: MergedCase, label: str, final: str) -> OverruledCase:
    if case.lead is not None:
        return OverruledCase(
            case.id, label, final, "lead", ((case.lead.reviewer, case.lead.rationale),)
        )
    return OverruledCase(
        case.id, label, final, "unanimous", tuple((r.reviewer, r.rationale) for r in case.reviews)
    )


_Statistic = Callable[[Mapping[Any, int]], Figure]


@dataclass(frozen=True)
class _Intervals:
    """Bootstrap intervals with the report's seed, resamples and level."""

    seed: int
    resamples: int

    def __call__(self, data: Mapping[Any, int], *statistics: _Statistic) -> tuple[Interval, ...]:
        return bootstrap_intervals(
            data, statistics, resamples=self.resamples, seed=self.seed, level=LEVEL
        )


def _criterion(name: str, t: _Tally, seed: int, resamples: int) -> CriterionReport:
    counts = Counts(
        t.counts["cases"],
        t.counts["unanimous"],
        t.counts["lead"],
        t.counts["conflicts"],
        t.counts["unreviewed"],
    )
    intervals = _Intervals(seed, resamples)
    return CriterionReport(
        name,
        t.scale,
        counts,
        _reviewers(t, intervals),
        _judge(t, intervals),
        _raters(t),
        _ceiling(t, intervals),
        _tags(t),
        _overruled(t),
    )


def _reviewers(t: _Tally, intervals: _Intervals) -> ReviewerAgreement:
    labels = t.scale.labels
    pairable = {k: c for k, c in t.units.items() if len(k) >= 2}
    alpha_level: Literal["nominal", "ordinal"] = "ordinal" if t.scale.ordinal else "nominal"
    return ReviewerAgreement(
        reviewers=tuple(sorted(t.reviewers)),
        percent=percent_agreement_counts(t.units),
        pairs=tuple(
            PairKappa(a, b, cohen_kappa_counts(t.pairs[(a, b)], labels)) for a, b in sorted(t.pairs)
        ),
        fleiss=fleiss_kappa_counts(t.units, labels),
        alpha_nominal=krippendorff_alpha_counts(t.units, labels, "nominal"),
        alpha_ordinal=(
            krippendorff_alpha_counts(t.units, labels, "ordinal") if t.scale.ordinal else None
        ),
        alpha_interval=intervals(
            pairable, lambda c: krippendorff_alpha_counts(c, labels, alpha_level)
        )[0],
    )


def _judge(t: _Tally, intervals: _Intervals) -> JudgeVsTruth:
    """The judge against the truth."""
    labels = t.scale.labels
    accuracy_interval, kappa_interval = intervals(
        t.judge, accuracy_counts, lambda c: cohen_kappa_counts(c, labels)
    )
    return JudgeVsTruth(
        accuracy=accuracy_counts(t.judge),
        accuracy_interval=accuracy_interval,
        kappa=cohen_kappa_counts(t.judge, labels),
        kappa_interval=kappa_interval,
        confusion=confusion_matrix_counts(t.judge, labels),
        per_label=precision_recall_counts(t.judge, labels),
        wrong=sum(c for (truth, said), c in t.judge.items() if truth != said),
        no_label=t.judge_missing,
    )


def _raters(t: _Tally) -> tuple[RaterVsTruth, ...]:
    labels = t.scale.labels
    return tuple(
        RaterVsTruth(r, accuracy_counts(t.raters[r]), cohen_kappa_counts(t.raters[r], labels))
        for r in sorted(t.raters)
    )


def _ceiling(t: _Tally, intervals: _Intervals) -> HumanCeiling:
    scores = leave_one_out_scores(t.loo)
    loo = leave_one_out_from_scores(scores)
    humans_interval, judge_interval = intervals(
        scores,
        lambda c: leave_one_out_from_scores(c).humans,
        lambda c: leave_one_out_from_scores(c).judge,
    )
    return HumanCeiling(loo.humans, humans_interval, loo.judge, judge_interval)


def _tags(t: _Tally) -> tuple[TagCount, ...]:
    return tuple(
        TagCount(tag, n) for tag, n in sorted(t.tags.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _overruled(t: _Tally) -> tuple[Overruled, ...]:
    settled: list[tuple[Literal["rater", "reviewer"], str, int]] = [
        ("rater", r, t.raters[r].total()) for r in sorted(t.raters)
    ]
    settled += [("reviewer", r, t.reviewer_settled[r]) for r in sorted(t.reviewer_settled)]
    return tuple(
        Overruled(
            person,
            role,
            n,
            tuple(sorted(t.overruled.get((role, person), ()), key=lambda o: o.case_id)),
        )
        for role, person, n in settled
    )
