"""Building the agreement report: one pass over the merged cases tallies counts per
criterion, and every figure and interval is computed from those counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from annotator.domain.agreement import (
    DEFAULT_RESAMPLES,
    Figure,
    accuracy_counts,
    percent_agreement_counts,
)
from annotator.domain.baseline import AGREES, DIFFERS, BaselineTally
from annotator.domain.merge import MergedCase, Resolution, Scale
from annotator.domain.ordinal import weighted_kappa_counts
from annotator.domain.rubric_versions import RUBRIC_GAP
from annotator.services.agreement.baseline import (
    Intervals,
    build_baseline,
    ceiling,
    criterion_baseline,
    explained_kappa,
    judge_figures,
    reliability,
)
from annotator.services.agreement.report import (
    AgreementReport,
    Baseline,
    Counts,
    CriterionReport,
    JudgeVsTruth,
    Overruled,
    OverruledCase,
    PairKappa,
    RaterVsTruth,
    ReviewerAgreement,
    RubricGap,
    Rule,
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
    everyone: BaselineTally = field(default_factory=BaselineTally)
    """Every case, for the baseline before any review (and the human ceiling)."""
    settled: BaselineTally = field(default_factory=BaselineTally)
    """The settled cases, for the baseline beside the figures against the final labels."""
    tags: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """``(tag, final label, judge label)``: the tags of the cases where the judge's label is not
    the final label, counted; those within the threshold are left out at the end."""
    reviewer_settled: Counter[str] = field(default_factory=Counter)
    overruled: defaultdict[tuple[str, str], list[OverruledCase]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rubric_gaps: list[RubricGap] = field(default_factory=list)


class ScaleConflict(ValueError):
    """One criterion comes with two different scales in the files given; the message names
    them and a case."""


def build_report(
    cases: Iterable[MergedCase],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
    thresholds: Mapping[str, float] | None = None,
    baseline: Baseline | None = None,
) -> AgreementReport:
    """The agreement report of merged cases, per criterion; the same seed gives the same
    intervals. Raises :class:`ScaleConflict` if one criterion comes with two different
    scales.

    ``thresholds``: each ordinal criterion's threshold (a workspace's; by default the one the
    files say, which files written before they carried it do not); without one, the judge
    against the raters' consensus is undefined on an ordinal scale.
    ``baseline``: the baseline before any review (a workspace's, of all its cases); by
    default, that of ``cases``."""
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
    known = dict(thresholds or {})

    def threshold(name: str) -> float | None:
        scale = tallies[name].scale
        return known.get(name, scale.threshold) if scale.ordinal else 0.0

    intervals = Intervals(seed, resamples)
    criteria = tuple(
        _criterion(name, tallies[name], threshold(name), intervals) for name in sorted(tallies)
    )
    total = Counts()
    for c in criteria:
        total = total + c.counts
    if baseline is None:
        everyone = {n: (t.scale, threshold(n), t.everyone) for n, t in tallies.items()}
        baseline = build_baseline(everyone, seed=seed, resamples=resamples)
    return AgreementReport(total, criteria, seed, resamples, baseline=baseline)


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

    gap = [r for r in (*reviews, case.lead) if r is not None and RUBRIC_GAP in r.tags]
    if gap:
        notes = tuple((r.reviewer, r.label, r.rationale) for r in gap)
        t.rubric_gaps.append(RubricGap(case.id, final, notes))

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
    # The baseline and the human ceiling (no truth needed).
    raters = case.rater_labels
    labels = [label for _, label in raters]
    t.everyone.add(judge, labels, scale=in_scale)
    t.everyone.add_raters(raters, scale=in_scale)

    if final is None:
        return
    t.settled.add(judge, labels, scale=in_scale)
    t.settled.add_raters(raters, scale=in_scale)
    if judge is None:
        t.judge_missing += 1
    else:
        t.judge[(final, judge)] += 1
        if judge != final:
            tags = {tag for r in reviews for tag in r.tags}
            if case.lead is not None:
                tags.update(case.lead.tags)
            t.tags.update((tag, final, judge) for tag in tags)
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


def _criterion(
    name: str, t: _Tally, threshold: float | None, intervals: Intervals
) -> CriterionReport:
    rule = Rule.of(t.scale, threshold)
    counts = Counts(
        t.counts["cases"],
        t.counts["unanimous"],
        t.counts["lead"],
        t.counts["conflicts"],
        t.counts["unreviewed"],
    )
    return CriterionReport(
        name,
        t.scale,
        counts,
        _reviewers(t, intervals),
        _judge(t, rule, intervals),
        _raters(t, rule),
        ceiling(t.everyone.units, intervals),
        _tags(t, rule),
        _overruled(t, rule),
        criterion_baseline(name, t.scale, threshold, t.settled, intervals=intervals),
        tuple(sorted(t.rubric_gaps, key=lambda g: g.case_id)),
    )


def _reviewers(t: _Tally, intervals: Intervals) -> ReviewerAgreement:
    return ReviewerAgreement(
        reviewers=tuple(sorted(t.reviewers)),
        percent=percent_agreement_counts(t.units),
        pairs=tuple(_pair(a, b, t.pairs[(a, b)], t.scale) for a, b in sorted(t.pairs)),
        reliability=reliability(t.units, t.scale, intervals, chance=True),
    )


def _pair(first: str, second: str, pairs: Counter[tuple[str, str]], scale: Scale) -> PairKappa:
    """Cohen's kappa of two people, weighted too on an ordered scale."""
    return PairKappa(first, second, explained_kappa(pairs, scale.labels), *_weighted(pairs, scale))


def _weighted(pairs: Counter[tuple[str, str]], scale: Scale) -> tuple[Figure | None, Figure | None]:
    """Kappa weighted linearly and quadratically on an ordered scale; None on a nominal one."""
    if not scale.ordinal:
        return None, None
    return (
        weighted_kappa_counts(pairs, scale.labels, "linear"),
        weighted_kappa_counts(pairs, scale.labels, "quadratic"),
    )


def _hits(pairs: Counter[tuple[str, str]], rule: Rule) -> Counter[tuple[str, str]]:
    """``(final, label)`` pairs as right (:data:`AGREES`) or wrong (:data:`DIFFERS`) by the
    rule, so that ``accuracy_counts`` gives the share right."""
    out: Counter[tuple[str, str]] = Counter()
    for (final, said), n in pairs.items():
        out[DIFFERS if rule.wrong(final, said) else AGREES] += n
    return out


def _judge(t: _Tally, rule: Rule, intervals: Intervals) -> JudgeVsTruth:
    """The judge against the truth: right and wrong by the rule, exact matches beside."""
    hits = _hits(t.judge, rule)
    within = within_interval = None
    if not rule.exact:
        within = accuracy_counts(hits)
        (within_interval,) = intervals(hits, accuracy_counts)
    return JudgeVsTruth(
        **judge_figures(t.judge, t.scale, intervals),
        wrong=hits[DIFFERS],
        wrong_exact=sum(c for (truth, said), c in t.judge.items() if truth != said),
        no_label=t.judge_missing,
        threshold=rule.threshold,
        within=within,
        within_interval=within_interval,
    )


def _raters(t: _Tally, rule: Rule) -> tuple[RaterVsTruth, ...]:
    labels = t.scale.labels
    return tuple(
        RaterVsTruth(
            r,
            accuracy_counts(t.raters[r]),
            explained_kappa(t.raters[r], labels),
            *_weighted(t.raters[r], t.scale),
            within=None if rule.exact else accuracy_counts(_hits(t.raters[r], rule)),
        )
        for r in sorted(t.raters)
    )


def _tags(t: _Tally, rule: Rule) -> tuple[TagCount, ...]:
    """The tags of the cases the judge got wrong by the rule."""
    tags: Counter[str] = Counter()
    for (tag, final, judge), n in t.tags.items():
        if rule.wrong(final, judge):
            tags[tag] += n
    return tuple(
        TagCount(tag, n) for tag, n in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))
    )


def _overruled(t: _Tally, rule: Rule) -> tuple[Overruled, ...]:
    settled: list[tuple[Literal["rater", "reviewer"], str, int]] = [
        ("rater", r, t.raters[r].total()) for r in sorted(t.raters)
    ]
    settled += [("reviewer", r, t.reviewer_settled[r]) for r in sorted(t.reviewer_settled)]
    out = []
    for role, person, n in settled:
        differ = t.overruled.get((role, person), ())
        wrong = [o for o in differ if rule.wrong(o.final_label, o.label)]
        out.append(
            Overruled(
                person, role, n, tuple(sorted(wrong, key=lambda o: o.case_id)), exact=len(differ)
            )
        )
    return tuple(out)
