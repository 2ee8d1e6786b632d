"""How well a judge run agrees with the final labels, and whether a second run did better than
the first (docs/alignment.md, "The alignment figures").

Pure Python from counts, as :mod:`annotator.domain.agreement`: a run's figures on one criterion
depend on its cases only through how many there are of each ``(truth, predicted)`` pair, so
the bootstrap resamples those counts (:mod:`annotator.domain.bootstrap`, the same seeding as
every other interval of the app). The figures follow scikit-learn: ``accuracy_score``,
``cohen_kappa_score(labels=scale)``, ``precision_recall_fscore_support(labels=scale,
average=None, zero_division=0)`` and ``f1_score(average="macro")``. With ``zero_division=0``,
the precision of a label never predicted, the recall of a label no case truly has, and the F1
of a label on neither side are 0, with a note saying why (the Agreement page shows "undefined"
there instead; here every label of a run has a number to chart).

Two runs on the same cases are compared with McNemar's exact test on the cases where one was
right and the other wrong, as ``statsmodels.stats.contingency_tables.mcnemar(table,
exact=True)``; the cases are *fixed* (wrong before, right now) or *broken* (right before, wrong
now).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from annotator.domain.agreement import (
    DEFAULT_RESAMPLES,
    Figure,
    Interval,
    PairCounts,
    accuracy_counts,
    cohen_kappa_counts,
    macro_f1_counts,
    undefined,
)
from annotator.domain.bootstrap import bootstrap_intervals

LEVEL = 0.95


@dataclass(frozen=True)
class Estimate:
    """A figure and its 95 % bootstrap interval."""

    figure: Figure
    interval: Interval

    @property
    def value(self) -> float | None:
        return self.figure.value


@dataclass(frozen=True)
class LabelEstimates:
    """One label's precision, recall and F1 (``zero_division=0``), and its support (the cases
    whose final label it is)."""

    label: str
    support: int
    precision: Estimate
    recall: Estimate
    f1: Estimate


@dataclass(frozen=True)
class RunFigures:
    """A run against the final labels of one criterion's cases."""

    n: int
    """Cases with both a final label and this run's label."""
    accuracy: Estimate
    kappa: Estimate
    macro_f1: Estimate
    per_label: tuple[LabelEstimates, ...]
    """In the scale's order."""
    right: Estimate | None = None
    """Ordered scales with a threshold: the share of cases within the threshold of the final
    label (the judge *right*, docs/agreement.md); None elsewhere, where it is accuracy."""


def label_scores(pairs: PairCounts, labels: Sequence[str]) -> list[tuple[Figure, Figure, Figure]]:
    """``(precision, recall, F1)`` of each label, in ``labels`` order, as scikit-learn's
    ``precision_recall_fscore_support(truth, predicted, labels=labels, average=None,
    zero_division=0)``: every pair counts (a prediction of L on a case whose truth is off the
    scale is a false positive for L), and a division by zero gives 0 with a note."""
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for (t, p), c in pairs.items():
        if c > 0:
            predicted[p] += c
            actual[t] += c
            if t == p:
                tp[t] += c
    out = []
    for label in labels:
        hits, pred, true = tp[label], predicted[label], actual[label]
        precision = (
            Figure(hits / pred, pred)
            if pred
            else Figure(0.0, 0, note=f"{label!r} was never predicted (zero_division=0)")
        )
        recall = (
            Figure(hits / true, true)
            if true
            else Figure(0.0, 0, note=f"no case is truly {label!r} (zero_division=0)")
        )
        both = pred + true
        f1 = (
            Figure(2 * hits / both, both - hits)
            if both
            else Figure(0.0, 0, note=f"{label!r} occurs on neither side (zero_division=0)")
        )
        out.append((precision, recall, f1))
    return out


def share_right(pairs: PairCounts, right: Callable[[str, str], bool]) -> Figure:
    """The share of pairs ``(truth, predicted)`` that ``right`` accepts."""
    n = sum(c for c in pairs.values() if c > 0)
    if n == 0:
        return undefined(0, "no cases")
    return Figure(sum(c for (t, p), c in pairs.items() if c > 0 and right(t, p)) / n, n)


class _Figures:
    """Every figure of one resample, computed once however many statistics read it (the
    bootstrap asks each statistic in turn for the same resample)."""

    def __init__(self, labels: Sequence[str], right: Callable[[str, str], bool] | None) -> None:
        self.labels = tuple(labels)
        self.right = right
        self._last: object = None
        self._value: list[Figure] = []

    def __call__(self, pairs: PairCounts) -> list[Figure]:
        if pairs is not self._last:  # (the reference keeps its id from being reused)
            self._last = pairs
            figures = [
                accuracy_counts(pairs),
                cohen_kappa_counts(pairs, self.labels),
                macro_f1_counts(pairs),
            ]
            for scores in label_scores(pairs, self.labels):
                figures.extend(scores)
            if self.right is not None:
                figures.append(share_right(pairs, self.right))
            self._value = figures
        return self._value

    def statistic(self, i: int) -> Callable[[PairCounts], Figure]:
        return lambda pairs: self(pairs)[i]


def run_figures(
    pairs: PairCounts,
    labels: Sequence[str],
    *,
    right: Callable[[str, str], bool] | None = None,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> RunFigures:
    """A run's figures from how many cases have each ``(final label, run's label)``, each with
    its 95 % percentile bootstrap interval (``resamples`` resamples of the cases, ``seed``:
    the same seed gives the same intervals; 0 resamples, no intervals). ``right``: the rule
    "the judge is right" of an ordered scale with a threshold, for :attr:`RunFigures.right`.
    """
    pairs = {k: c for k, c in pairs.items() if c > 0}
    figures = _Figures(labels, right)
    whole = figures(pairs)
    if resamples > 0:
        intervals = bootstrap_intervals(
            pairs,
            [figures.statistic(i) for i in range(len(whole))],
            resamples=resamples,
            seed=seed,
            level=LEVEL,
        )
    else:
        none = Interval(None, None, LEVEL, 0, seed, reason="no bootstrap: 0 resamples asked for")
        intervals = tuple(none for _ in whole)
    est = [Estimate(f, i) for f, i in zip(whole, intervals, strict=True)]
    per_label = []
    supports = Counter[str]()
    for (t, _p), c in pairs.items():
        supports[t] += c
    for k, label in enumerate(figures.labels):
        p, r, f = est[3 + 3 * k : 6 + 3 * k]
        per_label.append(LabelEstimates(label, supports[label], p, r, f))
    return RunFigures(
        n=sum(pairs.values()),
        accuracy=est[0],
        kappa=est[1],
        macro_f1=est[2],
        per_label=tuple(per_label),
        right=est[-1] if right is not None else None,
    )


# --- two runs on the same cases -----------------------------------------------------------------


def binomial_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2): exact (integer arithmetic, correctly rounded) up to
    n = 20,000; above, the largest term by Loader's saddle-point formula (R's ``dbinom``,
    relative error about 1e-15) and the others from it by their ratios."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if n <= _EXACT_UP_TO:
        term = total = 1  # C(n, 0)
        for i in range(k):
            term = term * (n - i) // (i + 1)
            total += term
        return total / (1 << n)
    # Below the mode each term is the one above times i / (n - i + 1).
    terms = [1.0]
    ratio = 1.0
    for i in range(k, 0, -1):
        ratio *= i / (n - i + 1)
        if ratio < 1e-18:
            break
        terms.append(ratio)
    return min(1.0, _binomial_term_half(k, n) * math.fsum(terms))


_EXACT_UP_TO = 20_000
_STIRLING = (1 / 12, 1 / 360, 1 / 1260, 1 / 1680, 1 / 1188)


def _binomial_term_half(k: int, n: int) -> float:
    """C(n, k) / 2**n for large n (Loader 2000, "Fast and accurate computation of binomial
    probabilities")."""
    if k == 0:
        return math.exp(-n * math.log(2.0))
    half = n / 2
    lc = _stirlerr(n) - _stirlerr(k) - _stirlerr(n - k) - _bd0(k, half) - _bd0(n - k, half)
    lf = math.log(2 * math.pi) + math.log(k) + math.log1p(-k / n)
    return math.exp(lc - 0.5 * lf)


def _stirlerr(n: int) -> float:
    """log(n!) - log(sqrt(2 pi n) (n/e)^n)."""
    if n <= 15:
        return math.lgamma(n + 1) - (n + 0.5) * math.log(n) + n - 0.5 * math.log(2 * math.pi)
    nn = float(n) * n
    s0, s1, s2, s3, s4 = _STIRLING
    return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / n


def _bd0(x: float, np: float) -> float:
    """x log(x / np) + np - x, without cancellation when x is near np."""
    if abs(x - np) < 0.1 * (x + np):
        v = (x - np) / (x + np)
        s = (x - np) * v
        ej = 2 * x * v
        v *= v
        j = 1
        while True:
            ej *= v
            s1 = s + ej / (2 * j + 1)
            if s1 == s:
                return s
            s = s1
            j += 1
    return x * math.log(x / np) + np - x


def mcnemar_exact(fixed: int, broken: int) -> float:
    """McNemar's exact test: the two-sided p-value of ``min(fixed, broken)`` successes in
    ``fixed + broken`` fair coin tosses, capped at 1, as ``statsmodels``'
    ``mcnemar([[a, broken], [fixed, d]], exact=True).pvalue`` (the cases both runs got right or
    both wrong do not count; with no case changed, 1)."""
    if fixed < 0 or broken < 0:
        raise ValueError("counts cannot be negative")
    return min(1.0, 2.0 * binomial_cdf_half(min(fixed, broken), fixed + broken))


@dataclass(frozen=True)
class Comparison:
    """Two runs on the cases both labelled: which one was right on each."""

    n: int
    """Paired cases: a final label and a label of each run."""
    both_right: int
    both_wrong: int
    fixed: int
    """Wrong before, right now."""
    broken: int
    """Right before, wrong now."""
    p_value: float
    """McNemar's exact test (:func:`mcnemar_exact`)."""
    fixed_ids: tuple[str, ...] = ()
    """The fixed cases' ids, when asked for (:class:`Changes`), in the order met."""
    broken_ids: tuple[str, ...] = ()

    @property
    def table(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The 2 x 2 table, rows the first run (right, wrong), columns the second."""
        return ((self.both_right, self.broken), (self.fixed, self.both_wrong))


class Changes:
    """Tallies two runs case by case: ``add(case id, right before, right now)``; the ids of the
    fixed and broken cases are kept only when ``keep_ids``."""

    def __init__(self, *, keep_ids: bool = False) -> None:
        self.keep_ids = keep_ids
        self.counts = [0, 0, 0, 0]  # both right, broken, fixed, both wrong
        self.fixed_ids: list[str] = []
        self.broken_ids: list[str] = []

    def add(self, case_id: str, before: bool, now: bool, count: int = 1) -> None:
        self.counts[(not before) * 2 + (not now)] += count
        if self.keep_ids and before != now:
            (self.fixed_ids if now else self.broken_ids).append(case_id)

    def result(self) -> Comparison:
        both_right, broken, fixed, both_wrong = self.counts
        return Comparison(
            n=sum(self.counts),
            both_right=both_right,
            both_wrong=both_wrong,
            fixed=fixed,
            broken=broken,
            p_value=mcnemar_exact(fixed, broken),
            fixed_ids=tuple(self.fixed_ids),
            broken_ids=tuple(self.broken_ids),
        )


def compare(paired: Iterable[tuple[str, bool, bool]], *, keep_ids: bool = True) -> Comparison:
    """Two runs compared on ``(case id, first run right, second run right)`` of each case
    both labelled: the counts, McNemar's exact test, and the fixed and broken cases' ids."""
    changes = Changes(keep_ids=keep_ids)
    for case_id, before, now in paired:
        changes.add(case_id, before, now)
    return changes.result()


def pair_counts(pairs: Iterable[tuple[str, str]]) -> Mapping[tuple[str, str], int]:
    """How many of ``(truth, predicted)`` pairs there are of each (for :func:`run_figures`)."""
    return Counter(pairs)
