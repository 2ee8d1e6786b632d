"""Figures that use a scale's order, and Gwet's chance-corrected agreement, in pure Python:
Cohen's kappa weighted linearly and quadratically, Gwet's AC1 and AC2, and the judge's score
against the raters' mean (Spearman's rho, Kendall's tau-b, Pearson's r, mean absolute error).

As the rest of :mod:`annotator.domain.agreement`, each figure has a ``*_counts`` form that
takes counts of the distinct kinds of pair or unit (so that a million cases stay cheap and the
bootstrap resamples the counts), returns a :class:`Figure`, and is undefined (None with the
reason) wherever the reference gives NaN. The tests check them against scikit-learn's
``cohen_kappa_score(weights=...)``, scipy.stats (``spearmanr``, ``kendalltau``, ``pearsonr``)
and irrCAC's ``CAC.gwet()`` to 1e-9.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Literal

from annotator.domain.agreement import Figure, PairCounts, UnitCounts, undefined
from annotator.domain.model import LabelScheme

Weights = Literal["linear", "quadratic"]
ScoreCounts = Mapping[tuple[float, float], int]
"""How many cases have each ``(judge's score, raters' mean)``."""


def positions(labels: Sequence[str]) -> dict[str, float]:
    """Each label's place on the scale: its number where every label is a number, else its
    index (``LabelScheme.position``): what the interval alpha, the correlations and the mean
    absolute error measure."""
    scheme = LabelScheme(tuple(labels), ordinal=True)
    return {x: scheme.position(x) for x in labels}


# --- weighted kappa ------------------------------------------------------------------------------


def weighted_kappa(
    first: Sequence[str], second: Sequence[str], labels: Sequence[str], weights: Weights
) -> Figure:
    """See :func:`weighted_kappa_counts`."""
    return weighted_kappa_counts(Counter(zip(first, second, strict=True)), labels, weights)


def weighted_kappa_counts(pairs: PairCounts, labels: Sequence[str], weights: Weights) -> Figure:
    """Cohen's kappa with linear or quadratic disagreement weights, as scikit-learn's
    ``cohen_kappa_score(y1, y2, labels=labels, weights=weights)``.

    The labels' indices in ``labels`` (the scale in order) are the positions: a pair of
    labels i and j apart weighs |i − j| (linear) or (i − j)² (quadratic). Kappa is 1 − the
    weighted observed disagreement / the weighted disagreement expected from the two sides'
    label frequencies. Pairs with a label outside ``labels`` are left out. Undefined when no
    pair is left, or the expected disagreement is 0 (both sides used one and the same label).
    """
    index = {x: i for i, x in enumerate(labels)}
    first: Counter[int] = Counter()
    second: Counter[int] = Counter()
    observed = 0
    n = 0
    for (a, b), c in pairs.items():
        if c <= 0 or a not in index or b not in index:
            continue
        i, j = index[a], index[b]
        n += c
        first[i] += c
        second[j] += c
        observed += c * _weight(i, j, weights)
    if n == 0:
        return undefined(0, "no item has both labels on the scale")
    expected = sum(
        first[i] * second[j] * _weight(i, j, weights) for i in sorted(first) for j in sorted(second)
    )
    if expected == 0:
        return undefined(
            n, "only one label occurs, so chance disagreement is 0 and kappa is undefined"
        )
    return Figure(1.0 - observed * n / expected, n)


def _weight(i: int, j: int, weights: Weights) -> int:
    return abs(i - j) if weights == "linear" else (i - j) * (i - j)


# --- Gwet's AC1 and AC2 --------------------------------------------------------------------------


def pair_units(pairs: PairCounts) -> Counter[tuple[str, ...]]:
    """Two-label units from ``(first, second)`` pairs: Gwet's AC of two raters."""
    out: Counter[tuple[str, ...]] = Counter()
    for (a, b), c in pairs.items():
        if c > 0:
            out[tuple(sorted((a, b)))] += c
    return out


def gwet_ac(units: Sequence[Sequence[str]], labels: Sequence[str], weighted: bool) -> Figure:
    """See :func:`gwet_ac_counts`; a unit is the labels it received."""
    return gwet_ac_counts(Counter(tuple(sorted(u)) for u in units), labels, weighted)


def gwet_ac_counts(units: UnitCounts, labels: Sequence[str], weighted: bool) -> Figure:
    """Gwet's AC1 (``weighted`` False) or AC2 with ordinal weights, as irrCAC's
    ``CAC(ratings, weights="identity" or "ordinal", categories=labels).gwet()``.

    On q categories, with r_ik the raters of unit i choosing k, r_i its ratings and w_kl the
    weights (identity; ordinal: 1 − C(|k−l|+1, 2) / C(q, 2)): the observed agreement p_a is
    the mean over the units with two or more ratings of Σ_k r_ik (Σ_l w_kl r_il − 1) /
    (r_i (r_i − 1)); π_k is the mean over every rated unit of r_ik / r_i; chance agreement
    p_e = Σ_kl w_kl · Σ_k π_k (1 − π_k) / (q (q − 1)); AC = (p_a − p_e) / (1 − p_e). Chance
    agreement stays small when one label dominates, which is why AC stays meaningful where
    kappa collapses. Labels outside ``labels`` are left out. ``n``: units with two or more
    ratings.
    """
    order = tuple(labels)
    q = len(set(order))
    rated = pairable = 0
    agree = 0.0
    pi = [0.0] * q
    for key in sorted(units):
        count = units[key]
        if count <= 0:
            continue
        shares, same = _ac_unit(key, order, weighted)
        if not shares:
            continue
        rated += count
        for k, share in shares:
            pi[k] += count * share
        if same is not None:
            pairable += count
            agree += count * same
    if q < 2:
        return undefined(pairable, "the scale has fewer than two labels")
    if pairable == 0:
        return undefined(0, "no item has labels from two or more raters")
    p_a = agree / pairable
    spread = sum(p / rated * (1 - p / rated) for p in pi)
    p_e = _weight_total(q, weighted) * spread / (q * (q - 1))
    return Figure((p_a - p_e) / (1 - p_e), pairable)


@lru_cache(maxsize=4096)
def _ac_unit(
    key: tuple[str, ...], order: tuple[str, ...], weighted: bool
) -> tuple[tuple[tuple[int, float], ...], float | None]:
    """One unit's part of Gwet's AC: each label's share r_ik / r_i, and its agreement
    Σ_k r_ik (Σ_l w_kl r_il − 1) / (r_i (r_i − 1)) (None under two ratings)."""
    index = {x: i for i, x in enumerate(order)}
    kept = [index[x] for x in key if x in index]
    if not kept:
        return (), None
    per = Counter(kept)
    m = len(kept)
    shares = tuple((k, r / m) for k, r in sorted(per.items()))
    if m < 2:
        return shares, None
    w = _ac_weights(len(order), weighted)
    same = sum(r * (sum(w[k][j] * s for j, s in per.items()) - 1) for k, r in per.items())
    return shares, same / (m * (m - 1))


@lru_cache(maxsize=64)
def _weight_total(q: int, weighted: bool) -> float:
    return sum(sum(row) for row in _ac_weights(q, weighted))


@lru_cache(maxsize=64)
def _ac_weights(q: int, weighted: bool) -> tuple[tuple[float, ...], ...]:
    if not weighted or q < 2:
        return tuple(tuple(1.0 if k == j else 0.0 for j in range(q)) for k in range(q))
    top = q * (q - 1) / 2  # the largest C(|k - l| + 1, 2)
    return tuple(
        tuple(1 - (abs(k - j) + 1) * abs(k - j) / 2 / top for j in range(q)) for k in range(q)
    )


# --- the judge's score against the raters' mean --------------------------------------------------


def pearson_counts(scores: ScoreCounts) -> Figure:
    """Pearson's r of ``(x, y)`` with counts, as ``scipy.stats.pearsonr``; undefined with
    fewer than two items or a side that never varies."""
    n, kinds = _kinds(scores)
    if n < 2:
        return undefined(n, "fewer than two cases")
    if len({x for (x, _), _ in kinds}) < 2 or len({y for (_, y), _ in kinds}) < 2:
        return undefined(n, _constant(kinds))
    mx = sum(x * c for (x, _), c in kinds) / n
    my = sum(y * c for (_, y), c in kinds) / n
    sxy = sxx = syy = 0.0
    for (x, y), c in kinds:
        dx, dy = x - mx, y - my
        sxy += c * dx * dy
        sxx += c * dx * dx
        syy += c * dy * dy
    return Figure(max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy))), n)


def spearman_counts(scores: ScoreCounts) -> Figure:
    """Spearman's rho (Pearson's r of the ranks, ties at their mean rank), as
    ``scipy.stats.spearmanr``."""
    n, kinds = _kinds(scores)
    if n < 2:
        return undefined(n, "fewer than two cases")
    rx = _ranks(_side(kinds, 0))
    ry = _ranks(_side(kinds, 1))
    ranked: Counter[tuple[float, float]] = Counter()
    for (x, y), c in kinds:
        ranked[(rx[x], ry[y])] += c
    return pearson_counts(ranked)


def kendall_tau_b_counts(scores: ScoreCounts) -> Figure:
    """Kendall's tau-b, as ``scipy.stats.kendalltau`` (its default, tau-b): (concordant −
    discordant pairs) / √((n₀ − ties in x)(n₀ − ties in y)), n₀ = n(n − 1)/2. From a table of
    the distinct x by the distinct y, in time that grows with that table, not the cases."""
    n, kinds = _kinds(scores)
    if n < 2:
        return undefined(n, "fewer than two cases")
    xs = sorted({x for (x, _), _ in kinds})
    ys = sorted({y for (_, y), _ in kinds})
    if len(xs) < 2 or len(ys) < 2:
        return undefined(n, _constant(kinds))
    xi = {x: i for i, x in enumerate(xs)}
    yi = {y: j for j, y in enumerate(ys)}
    table = [[0] * len(ys) for _ in xs]
    for (x, y), c in kinds:
        table[xi[x]][yi[y]] += c
    # above[i][j]: cases with x index > i and y index > j; below: x index > i, y index < j.
    rows, cols = len(xs), len(ys)
    later = [[0] * (cols + 1) for _ in range(rows + 1)]  # later[i][j]: x >= i, y >= j
    for i in range(rows - 1, -1, -1):
        for j in range(cols - 1, -1, -1):
            later[i][j] = table[i][j] + later[i + 1][j] + later[i][j + 1] - later[i + 1][j + 1]
    concordant = discordant = 0
    for i in range(rows):
        for j in range(cols):
            c = table[i][j]
            if c:
                concordant += c * later[i + 1][j + 1]
                discordant += c * (later[i + 1][0] - later[i + 1][j])
    pairs = n * (n - 1) // 2
    ties_x = sum(t * (t - 1) // 2 for t in (sum(row) for row in table))
    ties_y = sum(t * (t - 1) // 2 for t in (sum(col) for col in zip(*table, strict=True)))
    return Figure((concordant - discordant) / math.sqrt((pairs - ties_x) * (pairs - ties_y)), n)


def mean_absolute_error_counts(scores: ScoreCounts) -> Figure:
    """The mean of |x − y| over the cases, in the scale's units."""
    n, kinds = _kinds(scores)
    if n == 0:
        return undefined(0, "no case has a judge label and a rating")
    return Figure(sum(c * abs(x - y) for (x, y), c in kinds) / n, n)


def _kinds(scores: ScoreCounts) -> tuple[int, list[tuple[tuple[float, float], int]]]:
    kinds = [(k, c) for k, c in scores.items() if c > 0]  # in the given (fixed) order
    return sum(c for _, c in kinds), kinds


def _side(kinds: list[tuple[tuple[float, float], int]], side: int) -> Counter[float]:
    out: Counter[float] = Counter()
    for key, c in kinds:
        out[key[side]] += c
    return out


def _ranks(counts: Counter[float]) -> dict[float, float]:
    """Each value's mean rank (1-based), ties sharing the mean of their ranks."""
    out: dict[float, float] = {}
    before = 0
    for value in sorted(counts):
        c = counts[value]
        if c:
            out[value] = before + (c + 1) / 2
            before += c
    return out


def _constant(kinds: list[tuple[tuple[float, float], int]]) -> str:
    judge = {x for (x, _), _ in kinds}
    side = "the judge's score" if len(judge) < 2 else "the raters' mean"
    return f"{side} is the same on every case, so it cannot correlate"


# --- the kappa paradox ---------------------------------------------------------------------------

PARADOX_GAP = 0.3
"""How far kappa may fall below the percent agreement before a note explains why."""


def paradox_note(
    agreement: Figure, kappa: Figure, ac1: Figure, labels: Counter[str], ac: str = "AC1"
) -> str | None:
    """A one-line note where kappa and the percent agreement diverge (the kappa paradox: high
    agreement, kappa near 0, because one label dominates and chance agreement is high), naming
    the dominant label and Gwet's AC (``ac1``, named ``ac``); None where they do not diverge
    so. ``labels``: how often each label was given, on both sides.

    Diverging: agreement at least 60%, kappa at least :data:`PARADOX_GAP` below it and AC1
    0.2 above kappa, and one label at least 60% of the labels given."""
    if agreement.value is None or kappa.value is None or ac1.value is None:
        return None
    total = labels.total()
    if not total or agreement.value < 0.6 or agreement.value - kappa.value < PARADOX_GAP:
        return None
    top, count = max(sorted(labels.items()), key=lambda kv: kv[1])
    if count / total < 0.6 or ac1.value - kappa.value < 0.2:
        return None
    return (
        f"kappa paradox: {agreement.value:.1%} agreement but kappa {kappa.value:.3f}, because "
        f"one label dominates ({top!r} is {count / total:.0%} of the labels) and so chance "
        f"agreement is high; Gwet's {ac} ({ac1.value:.3f}) stays meaningful"
    )
