"""Percentile bootstrap confidence intervals, resampling counts of kinds instead of units.

Every statistic in ``annotator.domain.agreement`` depends on the data only through counts of the
distinct kinds of unit or pair, so a resample is drawn as a multinomial over the kinds (with our
own binomial sampler, so that a seed gives the same intervals on every supported Python), at a
cost that grows with the number of kinds, not of units.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import TypeVar

from annotator.domain.agreement import DEFAULT_RESAMPLES, Figure, Interval

K = TypeVar("K", bound=Hashable)


def bootstrap_interval(
    counts: Mapping[K, int],
    statistic: Callable[[Mapping[K, int]], Figure],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Interval:
    """A percentile bootstrap confidence interval for ``statistic``; see
    :func:`bootstrap_intervals`."""
    (interval,) = bootstrap_intervals(
        counts, (statistic,), resamples=resamples, seed=seed, level=level
    )
    return interval


def bootstrap_intervals(
    counts: Mapping[K, int],
    statistics: Sequence[Callable[[Mapping[K, int]], Figure]],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[Interval, ...]:
    """Percentile bootstrap confidence intervals for several statistics of the same units in
    ``counts``, from the same resamples.

    Units are resampled with replacement, as many as there are. The statistics here depend on
    the units only through how many there are of each kind (``counts``), and drawing N units
    with replacement gives multinomial(N, count/N) counts of each kind: so a resample is drawn
    as a multinomial, kind by kind with binomial draws, at a cost that grows with the number of
    kinds, not of units. The distribution is the same as resampling units one by one.

    The seed fixes the result (``random.Random(seed)``, our own binomial sampler, kinds in a
    fixed order), on any Python version. Resamples on which the statistic is undefined are
    left out and counted. The bounds are the (1 - level)/2 and (1 + level)/2 quantiles of the
    defined resamples, interpolated linearly (numpy's default quantile rule).
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    kinds = sorted(((k, c) for k, c in counts.items() if c > 0), key=lambda kc: repr(kc[0]))
    n = sum(c for _, c in kinds)

    def none(reason: str, undefined_resamples: int = 0) -> Interval:
        return Interval(None, None, level, resamples, seed, undefined_resamples, reason)

    if n < 2:
        return tuple(none("a bootstrap needs two or more items") for _ in statistics)
    whole = dict(kinds)
    active = [i for i, statistic in enumerate(statistics) if statistic(whole).defined]
    values: list[list[float]] = [[] for _ in statistics]
    if active:
        rng = random.Random(seed)
        for _ in range(resamples):
            drawn = _multinomial(rng, n, kinds)
            for i in active:
                value = statistics[i](drawn).value
                if value is not None:
                    values[i].append(value)
    tail = (1 - level) / 2
    out = []
    for i, got in enumerate(values):
        missing = resamples - len(got)
        if i not in active:
            out.append(none("the figure itself is undefined"))
        elif not got:
            out.append(none("the figure is undefined on every resample", missing))
        else:
            got.sort()
            low, high = _quantile(got, tail), _quantile(got, 1 - tail)
            out.append(Interval(low, high, level, resamples, seed, missing))
    return tuple(out)


def _quantile(ordered: Sequence[float], q: float) -> float:
    """numpy's default ("linear") quantile of sorted values."""
    h = (len(ordered) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (h - lo) * (ordered[hi] - ordered[lo])


def _multinomial(rng: random.Random, n: int, kinds: Sequence[tuple[K, int]]) -> dict[K, int]:
    """Counts of each kind among n units drawn with replacement (kinds with weights)."""
    out: dict[K, int] = {}
    left = n
    mass = sum(c for _, c in kinds)
    for key, count in kinds:
        if left == 0:
            break
        x = left if count >= mass else binomial(rng, left, count / mass)
        mass -= count
        if x:
            out[key] = x
            left -= x
    return out


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A Binomial(n, p) draw in O(1) expected time.

    Geometric waiting times for small n*p (Devroye), else Hörmann's BTRS transformed rejection
    (1993). Ours rather than ``random.binomialvariate`` (Python 3.12+) so that a seed gives the
    same intervals on every supported Python.
    """
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        log_q = math.log1p(-p)
        successes = trials = 0
        while True:
            trials += math.floor(math.log(1.0 - rng.random()) / log_q) + 1
            if trials > n:
                return successes
            successes += 1
    q = 1.0 - p
    spq = math.sqrt(n * p * q)
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    setup = False
    alpha = lpq = h = 0.0
    mode = 0
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        if us <= 0.0:
            continue
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        if not setup:  # most draws are accepted before this point
            alpha = (2.83 + 5.1 / b) * spq
            lpq = math.log(p / q)
            mode = math.floor((n + 1) * p)
            h = math.lgamma(mode + 1) + math.lgamma(n - mode + 1)
            setup = True
        v *= alpha / (a / (us * us) + b)
        if v <= 0.0:
            return k
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - mode) * lpq:
            return k
