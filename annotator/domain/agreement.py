"""Agreement statistics in pure Python, checked against the reference libraries in the tests:
figures and intervals, percent agreement, accuracy, Cohen's kappa, the confusion matrix,
precision, recall and F1. Many raters of one unit: :mod:`annotator.domain.reliability` (Fleiss'
kappa, Krippendorff's alpha); the human ceiling: :mod:`annotator.domain.ceiling`.

The installer must stay lean, so nothing here needs numpy, scipy or scikit-learn; every figure
is tested to equal scikit-learn, statsmodels or the ``krippendorff`` package to 1e-9.

Each statistic has two forms: one taking label sequences (easy to call and to test), and a
``*_counts`` form taking counts of the distinct kinds of unit or pair. Every figure here depends
on the data only through such counts, which keeps a million cases cheap and lets the bootstrap
resample the counts instead of the units (see ``annotator.domain.bootstrap``).

A statistic that is undefined on the data (too few items, a single label, nothing to pair) has
``value=None`` and a plain-words ``reason``: never NaN, never a made-up number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_RESAMPLES = 2000
"""Bootstrap resamples of an interval unless told otherwise (``annotator.domain.bootstrap``)."""

PairCounts = Mapping[tuple[str, str], int]
"""How many items have each ``(first label, second label)`` pair, e.g. ``(truth, judge)``."""
UnitCounts = Mapping[tuple[str, ...], int]
"""How many units have each multiset of labels; a key is the unit's labels, sorted."""


@dataclass(frozen=True)
class Figure:
    """One statistic: its value, how many items it rests on, and why it is undefined if it is."""

    value: float | None
    n: int
    reason: str | None = None
    """Why ``value`` is None, in plain words."""
    note: str | None = None
    """Something a reader should know about a defined value (e.g. items left out)."""

    @property
    def defined(self) -> bool:
        return self.value is not None


def undefined(n: int, reason: str) -> Figure:
    """A figure the data cannot give, and why (instead of NaN)."""
    return Figure(None, n, reason)


@dataclass(frozen=True)
class Interval:
    """A bootstrap percentile confidence interval."""

    low: float | None
    high: float | None
    level: float
    resamples: int
    seed: int
    undefined_resamples: int = 0
    """Resamples on which the statistic was undefined; they are left out of the percentiles."""
    reason: str | None = None
    """Why there is no interval."""

    @property
    def defined(self) -> bool:
        return self.low is not None and self.high is not None


@dataclass(frozen=True)
class ConfusionMatrix:
    """Counts with truth in rows and prediction in columns, both in ``labels`` order (as
    scikit-learn's ``confusion_matrix(y_true, y_pred, labels=labels)``)."""

    labels: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def n(self) -> int:
        return sum(sum(row) for row in self.counts)


@dataclass(frozen=True)
class LabelScore:
    """Precision, recall and F1 of one label, and how many items truly have it (the
    support)."""

    label: str
    precision: Figure
    recall: Figure
    support: int
    f1: Figure


# --- percent agreement, accuracy ---------------------------------------------------------------


def unit_counts(units: Iterable[Iterable[str]]) -> Counter[tuple[str, ...]]:
    """Count units by their multiset of labels (the only thing the unit statistics need)."""
    return Counter(tuple(sorted(u)) for u in units)


def percent_agreement(units: Iterable[Iterable[str]]) -> Figure:
    """See :func:`percent_agreement_counts`."""
    return percent_agreement_counts(unit_counts(units))


def percent_agreement_counts(units: UnitCounts) -> Figure:
    """Pairwise percent agreement: in each unit with two or more labels, the share of pairs of
    coders who chose the same label; then the mean over those units, each unit weighing the same.

    That share is Fleiss' per-item agreement P_i, so with equal numbers of coders this equals the
    observed agreement inside Fleiss' kappa. ``n`` is the number of units used.
    """
    total = 0.0
    n = 0
    for labels, count in units.items():
        m = len(labels)
        if m < 2 or count <= 0:
            continue
        same = sum(c * (c - 1) for c in Counter(labels).values())
        total += count * same / (m * (m - 1))
        n += count
    if n == 0:
        return undefined(0, "no item has labels from two or more people")
    return Figure(total / n, n)


def accuracy(truth: Sequence[str], predicted: Sequence[str]) -> Figure:
    """See :func:`accuracy_counts`."""
    return accuracy_counts(_pairs(truth, predicted))


def accuracy_counts(pairs: PairCounts) -> Figure:
    """The share of items where the prediction equals the truth (scikit-learn's
    ``accuracy_score``)."""
    n = sum(pairs.values())
    if n == 0:
        return undefined(0, "no items")
    return Figure(sum(c for (t, p), c in pairs.items() if t == p) / n, n)


def _pairs(first: Sequence[str], second: Sequence[str]) -> Counter[tuple[str, str]]:
    if len(first) != len(second):
        raise ValueError(f"the two sequences differ in length: {len(first)} and {len(second)}")
    return Counter(zip(first, second, strict=True))


# --- Cohen's kappa, confusion matrix, precision and recall --------------------------------------


def cohen_kappa(
    first: Sequence[str], second: Sequence[str], labels: Sequence[str] | None = None
) -> Figure:
    """See :func:`cohen_kappa_counts`."""
    return cohen_kappa_counts(_pairs(first, second), labels)


def cohen_kappa_counts(pairs: PairCounts, labels: Sequence[str] | None = None) -> Figure:
    """Cohen's kappa, as scikit-learn's ``cohen_kappa_score(y1, y2, labels=labels)``.

    With ``labels``, only pairs whose two labels are both in ``labels`` count (scikit-learn
    drops the others). Undefined (None) where scikit-learn returns NaN or raises: no pair left,
    or chance agreement of 1 (both sides used one and the same label only). ``n`` is the
    number of pairs used.
    """
    keep = set(labels) if labels is not None else None
    n = 0
    agree = 0
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    for (a, b), c in pairs.items():
        if c <= 0 or (keep is not None and (a not in keep or b not in keep)):
            continue
        n += c
        first[a] += c
        second[b] += c
        if a == b:
            agree += c
    if n == 0:
        if keep is not None and pairs:
            return undefined(0, "no item has both labels among the scale's labels")
        return undefined(0, "no items")
    # Integer arithmetic: 1 - observed disagreement / expected disagreement, as scikit-learn.
    expected = n * n - sum(first[k] * second[k] for k in first)
    if expected == 0:
        return undefined(
            n,
            f"only one label occurs ({next(iter(first))!r}), so chance "
            "agreement is 1 and kappa is undefined",
        )
    return Figure(1.0 - (n - agree) * n / expected, n)


def confusion_matrix(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> ConfusionMatrix:
    """See :func:`confusion_matrix_counts`."""
    return confusion_matrix_counts(_pairs(truth, predicted), labels)


def confusion_matrix_counts(pairs: PairCounts, labels: Sequence[str]) -> ConfusionMatrix:
    """Rows are the truth, columns the prediction, as scikit-learn's ``confusion_matrix``;
    items with either label outside ``labels`` are left out."""
    order = tuple(labels)
    return ConfusionMatrix(order, tuple(tuple(pairs.get((t, p), 0) for p in order) for t in order))


def precision_recall(
    truth: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> tuple[LabelScore, ...]:
    """See :func:`precision_recall_counts`."""
    return precision_recall_counts(_pairs(truth, predicted), labels)


def precision_recall_counts(pairs: PairCounts, labels: Sequence[str]) -> tuple[LabelScore, ...]:
    """Per-label precision, recall and F1, as scikit-learn's ``precision_score``,
    ``recall_score`` and ``f1_score`` with ``average=None, labels=labels``.

    As in scikit-learn, every item counts, even one whose labels are outside ``labels``: a
    prediction of L on such an item is a false positive for L. Where scikit-learn would fall
    back to ``zero_division``, the figure is None with the reason (L never predicted, or no
    item truly L; F1 only when both). F1 is 2TP / (2TP + FP + FN), so it is 0, not undefined,
    for a label that occurs on one side only; its ``n`` is TP + FP + FN.
    """
    tp, predicted, actual = _label_counts(pairs)
    out = []
    for label in labels:
        pred, true = predicted[label], actual[label]
        precision = (
            Figure(tp[label] / pred, pred)
            if pred
            else undefined(0, f"{label!r} was never predicted")
        )
        recall = (
            Figure(tp[label] / true, true) if true else undefined(0, f"no item is truly {label!r}")
        )
        out.append(LabelScore(label, precision, recall, true, _f1(label, tp, predicted, actual)))
    return tuple(out)


def macro_f1(truth: Sequence[str], predicted: Sequence[str]) -> Figure:
    """See :func:`macro_f1_counts`."""
    return macro_f1_counts(_pairs(truth, predicted))


def macro_f1_counts(pairs: PairCounts) -> Figure:
    """The mean of the per-label F1 over the labels that occur, in the truth or the
    prediction: scikit-learn's ``f1_score(average="macro")`` without ``labels`` (a label of
    the scale that never occurs is left out rather than counted as 0). ``n`` is the number of
    items."""
    tp, predicted, actual = _label_counts(pairs)
    occurring = sorted(set(predicted) | set(actual))  # sorted: the same sum on every run
    if not occurring:
        return undefined(0, "no items")
    total = sum(2 * tp[x] / (predicted[x] + actual[x]) for x in occurring)
    return Figure(total / len(occurring), sum(actual.values()))


def _label_counts(pairs: PairCounts) -> tuple[Counter[str], Counter[str], Counter[str]]:
    """Per label: true positives, how often predicted, how often the truth."""
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for (t, p), c in pairs.items():
        if c <= 0:
            continue
        predicted[p] += c
        actual[t] += c
        if t == p:
            tp[t] += c
    return tp, predicted, actual


def _f1(label: str, tp: Counter[str], predicted: Counter[str], actual: Counter[str]) -> Figure:
    hits = tp[label]
    misses = predicted[label] + actual[label] - 2 * hits  # false positives + false negatives
    if hits + misses == 0:
        return undefined(0, f"{label!r} was never predicted and no item is truly {label!r}")
    return Figure(2 * hits / (2 * hits + misses), hits + misses)
