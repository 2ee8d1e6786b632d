"""Agreement statistics in pure Python, checked against the reference libraries in the tests.

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
from functools import lru_cache
from typing import Literal

DEFAULT_RESAMPLES = 2000
"""Bootstrap resamples of an interval unless told otherwise (``annotator.domain.bootstrap``)."""

Level = Literal["nominal", "ordinal"]
PairCounts = Mapping[tuple[str, str], int]
"""How many items have each ``(first label, second label)`` pair, e.g. ``(truth, judge)``."""
UnitCounts = Mapping[tuple[str, ...], int]
"""How many units have each multiset of labels; a key is the unit's labels, sorted."""
LooUnit = tuple[str | None, tuple[str, ...]]
"""One unit for the leave-one-out agreement: ``(judge label or None, humans' labels sorted)``."""
LooScore = tuple[float, float | None]
"""One unit's leave-one-out scores: ``(the humans', the judge's or None)``."""


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
    """Precision and recall of one label, and how many items truly have it (the support)."""

    label: str
    precision: Figure
    recall: Figure
    support: int


@dataclass(frozen=True)
class LeaveOneOut:
    """How far one human agrees with the others, and the judge with the same references."""

    humans: Figure
    judge: Figure


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
    """Per-label precision and recall, as scikit-learn's ``precision_score`` and
    ``recall_score`` with ``average=None, labels=labels``.

    As in scikit-learn, every item counts, even one whose labels are outside ``labels``: a
    prediction of L on such an item is a false positive for L. Where scikit-learn would fall
    back to ``zero_division``, the figure is None with the reason (L never predicted, or no
    item truly L).
    """
    tp: Counter[str] = Counter()
    predicted: Counter[str] = Counter()
    actual: Counter[str] = Counter()
    for (t, p), c in pairs.items():
        predicted[p] += c
        actual[t] += c
        if t == p:
            tp[t] += c
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
        out.append(LabelScore(label, precision, recall, true))
    return tuple(out)


# --- Fleiss' kappa -------------------------------------------------------------------------------


def fleiss_kappa(units: Iterable[Iterable[str]], labels: Sequence[str] | None = None) -> Figure:
    """See :func:`fleiss_kappa_counts`."""
    return fleiss_kappa_counts(unit_counts(units), labels)


def fleiss_kappa_counts(units: UnitCounts, labels: Sequence[str] | None = None) -> Figure:
    """Fleiss' kappa, as statsmodels' ``fleiss_kappa(table, method="fleiss")``.

    Fleiss' kappa needs the same number of ratings on every item. Items with fewer than two
    ratings are left out; of the rest, the items are used that have the most common number of
    ratings (on a tie, the larger number), and the others are left out, which ``note`` says.
    ``n`` is the number of items used. ``labels`` are the categories (default: those that
    occur); categories that never occur change nothing.
    """
    by_size: Counter[int] = Counter()
    for key, count in units.items():
        if len(key) >= 2 and count > 0:
            by_size[len(key)] += count
    if not by_size:
        return undefined(0, "no item has two or more ratings")
    size = max(by_size, key=lambda m: (by_size[m], m))
    rows = {key: count for key, count in units.items() if len(key) == size and count > 0}
    left_out = sum(by_size.values()) - by_size[size]
    if labels is not None:
        outside = {x for key in rows for x in key} - set(labels)
        if outside:
            raise ValueError(f"labels outside the categories: {sorted(outside)}")
    return _fleiss(rows, size, left_out)


def fleiss_kappa_table(table: Sequence[Sequence[int]]) -> Figure:
    """Fleiss' kappa of an items x categories table of counts, exactly as statsmodels takes it
    (every row must have the same total, as statsmodels asserts)."""
    totals = {sum(row) for row in table}
    if not table:
        return undefined(0, "no items")
    if len(totals) != 1:
        raise ValueError("every item must have the same number of ratings")
    size = totals.pop()
    if size < 2:
        return undefined(len(table), "every item needs two or more ratings")
    rows: Counter[tuple[str, ...]] = Counter()
    for row in table:
        rows[tuple(str(j) for j, c in enumerate(row) for _ in range(c))] += 1
    return _fleiss(rows, size, 0)


def _fleiss(rows: Mapping[tuple[str, ...], int], size: int, left_out: int) -> Figure:
    n_items = sum(rows.values())
    category: Counter[str] = Counter()
    p_items = 0.0
    for key, count in rows.items():
        per = Counter(key)
        for label, c in per.items():
            category[label] += c * count
        p_items += count * (sum(c * c for c in per.values()) - size) / (size * (size - 1.0))
    total = n_items * size
    p_mean = p_items / n_items
    p_exp = sum((c / total) ** 2 for c in category.values())
    note = (
        f"{left_out} item(s) with another number of ratings left out; Fleiss' kappa needs "
        f"the same number ({size}) on every item"
        if left_out
        else None
    )
    if len(category) < 2:
        return Figure(
            None,
            n_items,
            "only one label occurs, so chance agreement is 1 and kappa is undefined",
            note,
        )
    return Figure((p_mean - p_exp) / (1 - p_exp), n_items, None, note)


# --- Krippendorff's alpha ------------------------------------------------------------------------


def krippendorff_alpha(
    units: Iterable[Iterable[str]], domain: Sequence[str], level: Level = "nominal"
) -> Figure:
    """See :func:`krippendorff_alpha_counts`. A unit is the labels it received; who gave them
    does not matter to alpha, and a missing value is simply absent."""
    return krippendorff_alpha_counts(unit_counts(units), domain, level)


def krippendorff_alpha_counts(
    units: UnitCounts, domain: Sequence[str], level: Level = "nominal"
) -> Figure:
    """Krippendorff's alpha, as ``krippendorff.alpha(reliability_data, value_domain=domain,
    level_of_measurement=level)``.

    Units with fewer than two values pair with nothing and add nothing (alpha's own rule for
    missing values). ``domain`` is the scale in order; the ordinal metric uses the ranks and the
    frequencies of the values, not their spelling. ``n`` is the number of pairable units.
    Undefined when the domain has fewer than two labels, no unit has two values, or one value
    only occurs among the pairable values (no expected disagreement).
    """
    order = tuple(domain)
    if len(set(order)) != len(order):
        raise ValueError("the domain repeats a label")
    if level not in ("nominal", "ordinal"):
        raise ValueError(f"unknown level of measurement: {level!r}")
    v = len(order)
    index = {label: i for i, label in enumerate(order)}
    coincidences = [0.0] * (v * v)
    n_units = 0
    for key, count in units.items():
        if count <= 0:
            continue
        missing = [x for x in key if x not in index]
        if missing:
            raise ValueError(f"values outside the domain: {sorted(set(missing))}")
        if len(key) < 2:
            continue
        n_units += count
        for cell, weight in _unit_coincidences(key, order):
            coincidences[cell] += count * weight
    if v < 2:
        return undefined(n_units, "the scale has fewer than two labels")
    if n_units == 0:
        return undefined(0, "no item has values from two or more people, so nothing pairs")
    marginal = [sum(coincidences[c * v : (c + 1) * v]) for c in range(v)]
    total = sum(marginal)
    distance = _distances(marginal, level)
    observed = sum(o * d for o, d in zip(coincidences, distance, strict=True))
    expected = 0.0
    for c in range(v):
        for k in range(v):
            e = marginal[c] * marginal[k] - (marginal[c] if c == k else 0.0)
            expected += e / (total - 1) * distance[c * v + k]
    if expected == 0:
        return undefined(
            n_units,
            "only one label occurs among the paired values, so there "
            "is no disagreement to expect and alpha is undefined",
        )
    return Figure(1.0 - observed / expected, n_units)


@lru_cache(maxsize=4096)
def _unit_coincidences(
    key: tuple[str, ...], order: tuple[str, ...]
) -> tuple[tuple[int, float], ...]:
    """One unit's contribution to the coincidence matrix, as (flat cell, weight) pairs."""
    v = len(order)
    counts = Counter(order.index(x) for x in key)
    m = len(key)
    return tuple(
        (c * v + k, (nc * nk - (nc if c == k else 0)) / (m - 1))
        for c, nc in sorted(counts.items())
        for k, nk in sorted(counts.items())
        if nc * nk - (nc if c == k else 0)
    )


def _distances(marginal: Sequence[float], level: Level) -> list[float]:
    """Squared distances between values, flat (``c * V + k``), as the krippendorff package."""
    v = len(marginal)
    if level == "nominal":
        return [0.0 if c == k else 1.0 for c in range(v) for k in range(v)]
    prefix = [0.0]
    for x in marginal:
        prefix.append(prefix[-1] + x)
    out = []
    for c in range(v):
        for k in range(v):
            lo, hi = min(c, k), max(c, k)
            between = prefix[hi + 1] - prefix[lo] - (marginal[c] + marginal[k]) / 2
            out.append(between * between)
    return out


# --- leave-one-out (human ceiling) ---------------------------------------------------------------


def leave_one_out(units: Iterable[tuple[str | None, Iterable[str]]]) -> LeaveOneOut:
    """See :func:`leave_one_out_counts`; a unit is ``(judge label or None, humans' labels)``."""
    return leave_one_out_counts(Counter((judge, tuple(sorted(humans))) for judge, humans in units))


def leave_one_out_counts(units: Mapping[LooUnit, int]) -> LeaveOneOut:
    """The human ceiling: AlpacaEval's leave-one-out "human agreement", and the judge's
    agreement with the very same references.

    On a unit with m >= 2 human labels, each human in turn is left out, and the reference is
    the mode (most common label) of the other m - 1. The human scores 1 if their label is the
    mode. When several labels tie for the mode, AlpacaEval picks one at random; here the score
    is its expected value instead, 1/t if the label is among the t tied modes (else 0), so the
    figure is exact and reproducible. The judge is scored against the same m references. A
    unit's score is the mean over its m references, and each figure is the mean over units
    (each unit weighs the same). Units with fewer than two humans are left out; the judge's
    figure leaves out units without a judge label. ``n`` is the number of units.
    """
    return leave_one_out_from_scores(leave_one_out_scores(units))


def leave_one_out_scores(units: Mapping[LooUnit, int]) -> Counter[LooScore]:
    """How many units have each ``(human score, judge score or None)``: all the leave-one-out
    figures need, and far fewer kinds than the units' labels for the bootstrap to resample."""
    scores: Counter[LooScore] = Counter()
    for (judge, labels), count in units.items():
        if len(labels) >= 2 and count > 0:
            scores[_loo_unit(judge, labels)] += count
    return scores


def leave_one_out_from_scores(scores: Mapping[LooScore, int]) -> LeaveOneOut:
    """The leave-one-out figures from :func:`leave_one_out_scores`."""
    humans_total = judge_total = 0.0
    humans_n = judge_n = 0
    for (human_score, judge_score), count in scores.items():
        if count <= 0:
            continue
        humans_total += count * human_score
        humans_n += count
        if judge_score is not None:
            judge_total += count * judge_score
            judge_n += count
    none = "no item has labels from two or more human raters"
    humans = Figure(humans_total / humans_n, humans_n) if humans_n else undefined(0, none)
    judge_fig = (
        Figure(judge_total / judge_n, judge_n)
        if judge_n
        else undefined(
            0, none if not humans_n else "no item with two or more human raters has a judge label"
        )
    )
    return LeaveOneOut(humans, judge_fig)


@lru_cache(maxsize=4096)
def _loo_unit(judge: str | None, labels: tuple[str, ...]) -> tuple[float, float | None]:
    counts = Counter(labels)
    human = 0.0
    judged = 0.0
    for label in labels:
        counts[label] -= 1
        top = max(counts.values())
        modes = [x for x, c in counts.items() if c == top]
        if label in modes:
            human += 1 / len(modes)
        if judge in modes:
            judged += 1 / len(modes)
        counts[label] += 1
    m = len(labels)
    return human / m, (judged / m if judge is not None else None)
