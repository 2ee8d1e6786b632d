"""The human ceiling: how far one human agrees with the others, left out in turn, and the
judge with the same references (AlpacaEval's leave-one-out agreement).

In pure Python from counts of the distinct kinds of unit, as the rest of
:mod:`annotator.domain.agreement`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from annotator.domain.agreement import Figure, undefined

LooUnit = tuple[str | None, tuple[str, ...]]
"""One unit for the leave-one-out agreement: ``(judge label or None, humans' labels sorted)``."""
LooScore = tuple[float, float | None]
"""One unit's leave-one-out scores: ``(the humans', the judge's or None)``."""


@dataclass(frozen=True)
class LeaveOneOut:
    """How far one human agrees with the others, and the judge with the same references."""

    humans: Figure
    judge: Figure


# --- leave-one-out (human ceiling) ---------------------------------------------------------------


def leave_one_out(units: Iterable[tuple[str | None, Iterable[str]]]) -> LeaveOneOut:
    """See :func:`leave_one_out_counts`; a unit is ``(judge label or None, humans' labels)``."""
    return leave_one_out_counts(Counter((judge, tuple(sorted(humans))) for judge, humans in units))


def leave_one_out_counts(units: Mapping[LooUnit, int]) -> LeaveOneOut:
    """The human ceiling: a leave-one-out "human agreement" after AlpacaEval's, and the
    judge's agreement with the very same references.

    On a unit with m >= 2 human labels, each human in turn is left out, and the reference is
    the mode (most common label) of the other m - 1. The human scores 1 if their label is the
    mode. When several labels tie for the mode, AlpacaEval picks one with a fixed seed; here
    the score is the expected value of a fair pick instead, 1/t if the label is among the t
    tied modes (else 0), so the figure does not hang on one arbitrary pick. (AlpacaEval's own
    figure, its pick and its half credit for a tie: :mod:`annotator.domain.alpaca_eval`.) The
    judge is scored against the same m references. A unit's score is the mean over its m
    references, and each figure is the mean over units (each unit weighs the same). Units with
    fewer than two humans are left out; the judge's figure leaves out units without a judge
    label. ``n`` is the number of units.
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
