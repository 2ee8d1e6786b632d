"""AlpacaEval's "human agreement", computed as AlpacaEval computes it, so that a judge's figure
can be set beside AlpacaEval's published leaderboard.

The source (tatsu-lab/alpaca_eval): ``src/alpaca_eval/analyze.py``, ``get_metrics_evaluator``
("Human agreement") and ``Analyzer.agreement_of_annotations``; ``src/alpaca_eval/metrics/
helpers.py``, ``AbsoluteScoringRule`` (the default scoring rule) and ``_random_mode``.

- **The humans' figure** (``agreement_of_annotations(humans, None, n_majority_vote_1=1)``):
  each human's label in turn against the mode of the *other* humans' labels of the same case.
- **The judge's figure** (``agreement_of_annotations(judge, "gold_crossannotations",
  n_majority_vote_1=1)``): the judge's label against the mode of *all* the humans' labels.
- **The mode** (``_random_mode``): the most common label; when several tie, pandas sorts them
  and ``Series.sample(1, random_state=123)`` picks one: the same pick for the same number of
  tied labels, since the seed is fixed. That pick is the first element of numpy's legacy
  ``RandomState(123).permutation(k)``, which :func:`tie_break` recomputes in pure Python.
- **The score** (``AbsoluteScoringRule``: ``1 - |prediction - target|`` on AlpacaEval's values
  1, 1.5 for a tie, 2): 1 when the labels are the same, 0.5 when exactly one of them is a tie,
  0 otherwise. A figure is the mean score.

AlpacaEval's preferences are numbers (1: the first output, 2: the second, 0 or 1.5: a tie);
here labels are words, so: a label spelled ``tie`` or ``draw`` (any case) is a tie, and on a
nominal scale whose labels are AlpacaEval's own numbers (1 and 2, with 0 and/or 1.5) so are 0
and 1.5. All tie labels are one value (AlpacaEval maps 0 to 1.5). Tied modes are sorted as
pandas sorts AlpacaEval's numbers: by the label's number if every label is a number, else by
its place in the scale, a tie sitting midway between the first and the last other label (as
1.5 sits between 1 and 2). On a scale without a tie label every score is 0 or 1.

AlpacaEval keeps the examples with at least four annotations and uses the first four; here
every case with two or more ratings counts, each case weighing the same (a case's score is the
mean over its raters), which on cases with the same number of ratings is AlpacaEval's average
exactly. Cases with fewer than two ratings are left out of both figures, and cases without a
judge label out of the judge's.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from functools import lru_cache

from annotator.domain.ceiling import LeaveOneOut, LooScore, LooUnit, leave_one_out_from_scores

TIE_NAMES = frozenset({"tie", "draw"})
"""Labels that mean a tie, whatever the scale (compared case-folded)."""
ALPACA_SEED = 123
"""The seed of AlpacaEval's ``_random_mode``."""
_TIE = "\x00tie"
"""Every tie label, as one value (AlpacaEval maps 0 to 1.5)."""


def tie_labels(labels: Sequence[str], *, ordinal: bool = False) -> frozenset[str]:
    """The labels of a scale that AlpacaEval's rule counts as a tie."""
    ties = {x for x in labels if x.strip().casefold() in TIE_NAMES}
    values = [_number(x) for x in labels]
    numbers = {v for v in values if v is not None}
    if not ordinal and None not in values and {1.0, 2.0} <= numbers <= {0.0, 1.0, 1.5, 2.0}:
        ties |= {x for x, v in zip(labels, values, strict=True) if v in (0.0, 1.5)}
    return frozenset(ties)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@lru_cache(maxsize=256)
def tie_break(k: int, seed: int = ALPACA_SEED) -> int:
    """Which of ``k`` tied modes (sorted) AlpacaEval picks: ``pandas.Series.sample(1,
    random_state=seed)``, that is numpy's legacy ``RandomState(seed).permutation(k)[0]``.

    numpy's legacy generator is MT19937 seeded by ``init_genrand``; Python's ``random`` is
    the same generator, so it is given that state and draws numpy's 32-bit words; the
    permutation is numpy's Fisher-Yates shuffle with its masked rejection sampling.
    """
    if k < 1:
        raise ValueError("no modes to pick from")
    state = [seed & 0xFFFFFFFF]
    for i in range(1, 624):
        prev = state[-1]
        state.append((1812433253 * (prev ^ (prev >> 30)) + i) & 0xFFFFFFFF)
    rng = random.Random()
    rng.setstate((3, (*state, 624), None))
    order = list(range(k))
    for i in range(k - 1, 0, -1):
        mask = (1 << i.bit_length()) - 1
        j = rng.getrandbits(32) & mask
        while j > i:
            j = rng.getrandbits(32) & mask
        order[i], order[j] = order[j], order[i]
    return order[0]


class AlpacaEvalRule:
    """AlpacaEval's human agreement on one scale (its labels in scale order)."""

    def __init__(self, labels: Sequence[str], *, ordinal: bool = False) -> None:
        self.labels = tuple(labels)
        self.ties = tie_labels(self.labels, ordinal=ordinal)
        numeric = bool(self.labels) and all(_number(x) is not None for x in self.labels)
        place = {x: (float(x) if numeric else float(i)) for i, x in enumerate(self.labels)}
        others = [p for x, p in place.items() if x not in self.ties]
        middle = (min(others) + max(others)) / 2 if others else 0.0
        self._order: dict[str, tuple[float, int]] = {}
        for i, x in enumerate(self.labels):
            key = _TIE if x in self.ties else x
            self._order.setdefault(key, (middle if key == _TIE else place[x], i))
        self._scores: dict[LooUnit, LooScore] = {}

    def agreement(self, units: Mapping[LooUnit, int]) -> LeaveOneOut:
        """The humans' and the judge's figure over units ``(judge or None, sorted labels)``."""
        return leave_one_out_from_scores(self.unit_scores(units))

    def unit_scores(self, units: Mapping[LooUnit, int]) -> Counter[LooScore]:
        """How many cases have each ``(humans' score, judge's score or None)``: all the
        figures need, and few kinds for the bootstrap to resample."""
        out: Counter[LooScore] = Counter()
        for (judge, labels), count in units.items():
            if len(labels) >= 2 and count > 0:
                out[self.scores(judge, labels)] += count
        return out

    def scores(self, judge: str | None, labels: tuple[str, ...]) -> LooScore:
        """One case's ``(humans' score, judge's score or None)``; ``labels`` sorted."""
        key = (judge, labels)
        got = self._scores.get(key)
        if got is None:
            got = self._scores[key] = self._unit(judge, labels)
        return got

    def _unit(self, judge: str | None, labels: tuple[str, ...]) -> LooScore:
        values = [self._value(x) for x in labels]
        counts = Counter(values)
        human = 0.0
        for mine in values:
            counts[mine] -= 1
            human += _score(mine, self._mode(counts))
            counts[mine] += 1
        judged = None if judge is None else _score(self._value(judge), self._mode(counts))
        return human / len(values), judged

    def _value(self, label: str) -> str:
        return _TIE if label in self.ties else label

    def _mode(self, counts: Counter[str]) -> str:
        top = max(counts.values())
        modes = sorted(
            (x for x, c in counts.items() if c == top and c > 0),
            key=lambda x: self._order.get(x, (float("inf"), 0)),
        )
        return modes[tie_break(len(modes))] if len(modes) > 1 else modes[0]


def _score(prediction: str, target: str) -> float:
    """AlpacaEval's absolute scoring rule on its values 1, 1.5 (a tie) and 2."""
    if prediction == target:
        return 1.0
    return 0.5 if (prediction == _TIE) != (target == _TIE) else 0.0
