"""Agreement among many raters of the same units: Fleiss' kappa and Krippendorff's alpha.

In pure Python from counts of the distinct kinds of unit, as the rest of
:mod:`annotator.domain.agreement` (whose ``Figure`` they return); the tests check them against
statsmodels and the ``krippendorff`` package to 1e-9.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Literal

from annotator.domain.agreement import Figure, UnitCounts, undefined, unit_counts
from annotator.domain.model import LabelScheme

Level = Literal["nominal", "ordinal", "interval"]


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
    frequencies of the values, not their spelling; the interval metric the labels' numbers
    (their places in ``domain`` where they are not all numbers). ``n``: the pairable units.
    Undefined when the domain has fewer than two labels, no unit has two values, or one value
    only occurs among the pairable values (no expected disagreement).
    """
    order = tuple(domain)
    if len(set(order)) != len(order):
        raise ValueError("the domain repeats a label")
    if level not in ("nominal", "ordinal", "interval"):
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
    distance = _distances(marginal, level, order)
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


def _distances(marginal: Sequence[float], level: Level, order: tuple[str, ...]) -> list[float]:
    """Squared distances between values, flat (``c * V + k``), as the krippendorff package."""
    v = len(marginal)
    if level == "nominal":
        return [0.0 if c == k else 1.0 for c in range(v) for k in range(v)]
    if level == "interval":  # the labels' numbers, or their places where they are not numbers
        scheme = LabelScheme(order, ordinal=True)
        at = [scheme.position(x) for x in order]
        return [(at[c] - at[k]) ** 2 for c in range(v) for k in range(v)]
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
