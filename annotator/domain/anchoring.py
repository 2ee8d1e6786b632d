"""Anchoring: how far the reveal of the judge's and the raters' labels moves a reviewer.

Under blind-first review a reviewer commits a first label before the judge's and the raters'
labels are shown, then decides the final label. From those decisions, per reviewer and over
everyone (docs/agreement.md, "Anchoring"):

- **changed after the reveal**: the share of blind-first decisions whose final label is not
  the first label;
- of those changes, the share that moved **to the judge's label**, **to the raters'
  consensus**, or **elsewhere**. The order decides a change whose final label is both the
  judge's and the consensus's: it counts as a move to the judge (the judge's verdict is what
  blind-first review guards against), and ``to_judge_and_consensus`` counts those apart, so
  that "to the consensus" is the consensus where the judge said otherwise;
- **first labels right** and **final labels right**: the share of decisions on a settled case
  whose first (or final) label is the settled truth, the final label the Agreement page uses
  (the lead's decision, or the reviewers' unanimous label). Exact match, on every scale.

Each rate comes with its ``n`` and a 95 % percentile bootstrap interval over the decisions
(``domain.bootstrap``'s method and seeding): a resample draws as many decisions as the reviewer
has, with replacement, and computes the rate on it as on the data. Every rate depends on the
decisions only through how many there are of each :class:`Kind`, so a million of them are a
few dozen counts.
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from annotator.domain.agreement import DEFAULT_RESAMPLES, Figure, Interval, undefined
from annotator.domain.bootstrap import bootstrap_intervals
from annotator.domain.disagreement import consensus, consensus_label
from annotator.domain.merge import MergedCase
from annotator.domain.model import LabelScheme

LEVEL = 0.95
EVERYONE = ""
"""The key of the figures over every reviewer's decisions."""


class BlindDecision(NamedTuple):
    """One reviewer's blind-first decision on a case."""

    reviewer: str
    first: str
    """The label committed before the reveal."""
    final: str
    """The reviewer's own final label."""
    judge: str | None
    consensus: str | None
    """The raters' consensus label (None: the raters have none)."""
    truth: str | None
    """The case's settled truth (None: an open conflict)."""


def merged_decisions(cases: Iterable[MergedCase]) -> Iterator[BlindDecision]:
    """The blind-first decisions of merged cases (read from files): each reviewer's and the
    lead's decision that carries a first label, with the case's final label as the truth and
    the raters' consensus as a workspace stores it (``disagreement.consensus_label``; none on
    an ordered scale whose threshold the files do not give)."""
    for case in cases:
        firsts = [r for r in (*case.reviews, case.lead) if r is not None and r.blind_label]
        if not firsts:
            continue
        scale = case.scale
        labels = [label for _, label in case.rater_labels if label in scale.labels]
        agreed = None
        if labels and (not scale.ordinal or scale.threshold is not None):
            scheme = LabelScheme(scale.labels, scale.ordinal, scale.threshold or 0.0)
            agreed = consensus_label(consensus(labels, scheme), labels, scheme)
        judge, truth = case.judge_label or None, case.final_label
        for r in firsts:
            yield BlindDecision(r.reviewer, r.blind_label or "", r.label, judge, agreed, truth)


class Move(enum.StrEnum):
    """Where a changed label went."""

    JUDGE = "judge"
    CONSENSUS = "consensus"
    ELSEWHERE = "elsewhere"


def move_of(first: str, final: str, judge: str | None, consensus: str | None) -> Move | None:
    """Where the reveal moved the label (None: it did not change). The judge's label first:
    a final label that is both the judge's and the consensus's is a move to the judge."""
    if final == first:
        return None
    if judge is not None and final == judge:
        return Move.JUDGE
    if consensus is not None and final == consensus:
        return Move.CONSENSUS
    return Move.ELSEWHERE


class Kind(NamedTuple):
    """What the rates need of a decision; decisions of the same kind count together."""

    move: str
    """A :class:`Move`'s value, or "" where the label did not change."""
    with_consensus: bool
    """A move to the judge where the consensus is the same label."""
    first_right: bool | None
    """None: the case is not settled."""
    final_right: bool | None


def kind_of(d: BlindDecision) -> Kind:
    move = move_of(d.first, d.final, d.judge, d.consensus)
    both = move is Move.JUDGE and d.consensus == d.final
    if d.truth is None:
        return Kind(move or "", both, None, None)
    return Kind(move or "", both, d.first == d.truth, d.final == d.truth)


@dataclass(frozen=True)
class Rate:
    """A rate, its interval, and what it counts."""

    figure: Figure
    interval: Interval
    count: int
    """The decisions the rate counts as a hit (``figure.n`` is its denominator)."""


@dataclass(frozen=True)
class ReviewerAnchoring:
    """The anchoring figures of one reviewer, or of everyone (``reviewer`` :data:`EVERYONE`)."""

    reviewer: str
    decisions: int
    """Blind-first decisions."""
    changed: Rate
    to_judge: Rate
    to_consensus: Rate
    elsewhere: Rate
    to_judge_and_consensus: int
    """Of the moves to the judge, those to a label the raters' consensus shares."""
    first_right: Rate
    final_right: Rate

    @property
    def settled(self) -> int:
        """Decisions on settled cases (the accuracies' n)."""
        return self.first_right.figure.n


@dataclass(frozen=True)
class Anchoring:
    """Per reviewer (by name) and over everyone; no reviewers: no blind-first decisions."""

    reviewers: tuple[ReviewerAnchoring, ...]
    overall: ReviewerAnchoring | None
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    own_truth: bool = False
    """The truth of every settled case is a decision of the reviewer's own (a workspace no
    reviewers' files were merged into): final labels are then right by definition."""

    @property
    def any(self) -> bool:
        return self.overall is not None and self.overall.decisions > 0


KindCounts = Mapping[Kind, int]
_Statistic = Callable[[KindCounts], Figure]


def _share(hit: Callable[[Kind], bool], among: Callable[[Kind], bool], none: str) -> _Statistic:
    """The share of the decisions ``among`` that are a ``hit`` (undefined, with ``none`` as the
    reason, where there are none among)."""

    def statistic(counts: KindCounts) -> Figure:
        n = sum(c for k, c in counts.items() if among(k))
        if n == 0:
            return undefined(0, none)
        return Figure(sum(c for k, c in counts.items() if among(k) and hit(k)) / n, n)

    return statistic


def _every(k: Kind) -> bool:
    return True


def _changed(k: Kind) -> bool:
    return bool(k.move)


def _settled(k: Kind) -> bool:
    return k.first_right is not None


def _to(move: Move) -> Callable[[Kind], bool]:
    return lambda k: k.move == move


NO_DECISIONS = "no blind-first decisions"
NO_CHANGES = "no label changed after the reveal"
NO_SETTLED = "no blind-first decision is on a settled case"
STATISTICS: tuple[_Statistic, ...] = (
    _share(_changed, _every, NO_DECISIONS),
    _share(_to(Move.JUDGE), _changed, NO_CHANGES),
    _share(_to(Move.CONSENSUS), _changed, NO_CHANGES),
    _share(_to(Move.ELSEWHERE), _changed, NO_CHANGES),
    _share(lambda k: bool(k.first_right), _settled, NO_SETTLED),
    _share(lambda k: bool(k.final_right), _settled, NO_SETTLED),
)
"""The six rates, in :class:`ReviewerAnchoring`'s order: changed, to the judge, to the
consensus, elsewhere, first labels right, final labels right."""


def tally(decisions: Iterable[BlindDecision]) -> dict[str, Counter[Kind]]:
    """Count the decisions by reviewer and kind (one pass; memory: the kinds, not the
    decisions)."""
    return tally_alike((d, 1) for d in decisions)


def tally_alike(alike: Iterable[tuple[BlindDecision, int]]) -> dict[str, Counter[Kind]]:
    """:func:`tally` of decisions counted together where alike: ``(decision, how many)``."""
    out: dict[str, Counter[Kind]] = {}
    for d, n in alike:
        counts = out.get(d.reviewer)
        if counts is None:
            counts = out[d.reviewer] = Counter()
        counts[kind_of(d)] += n
    return out


def anchoring(
    counts: Mapping[str, Mapping[Kind, int]],
    *,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> Anchoring:
    """The figures from :func:`tally`'s counts; the same seed gives the same intervals (each
    reviewer's and everyone's drawn with it). ``resamples`` 0: no intervals."""
    overall: Counter[Kind] = Counter()
    for kinds in counts.values():
        overall.update(kinds)
    reviewers = tuple(
        _figures(name, counts[name], seed, resamples) for name in sorted(counts) if counts[name]
    )
    if not reviewers:
        return Anchoring((), None, seed, resamples)
    return Anchoring(reviewers, _figures(EVERYONE, overall, seed, resamples), seed, resamples)


def anchoring_of(
    decisions: Iterable[BlindDecision], *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES
) -> Anchoring:
    """:func:`anchoring` of :func:`tally`."""
    return anchoring(tally(decisions), seed=seed, resamples=resamples)


def _figures(name: str, counts: KindCounts, seed: int, resamples: int) -> ReviewerAnchoring:
    figures = [s(counts) for s in STATISTICS]
    if resamples < 1:
        none = Interval(None, None, LEVEL, resamples, seed, reason="no bootstrap: 0 resamples")
        intervals: tuple[Interval, ...] = tuple(none for _ in STATISTICS)
    else:
        intervals = bootstrap_intervals(
            counts, STATISTICS, resamples=resamples, seed=seed, level=LEVEL
        )
    hits = (
        sum(c for k, c in counts.items() if k.move),
        sum(c for k, c in counts.items() if k.move == Move.JUDGE),
        sum(c for k, c in counts.items() if k.move == Move.CONSENSUS),
        sum(c for k, c in counts.items() if k.move == Move.ELSEWHERE),
        sum(c for k, c in counts.items() if k.first_right),
        sum(c for k, c in counts.items() if k.final_right),
    )
    changed, to_judge, to_consensus, elsewhere, first_right, final_right = (
        Rate(f, i, h) for f, i, h in zip(figures, intervals, hits, strict=True)
    )
    return ReviewerAnchoring(
        reviewer=name,
        decisions=sum(counts.values()),
        changed=changed,
        to_judge=to_judge,
        to_consensus=to_consensus,
        elsewhere=elsewhere,
        to_judge_and_consensus=sum(c for k, c in counts.items() if k.with_consensus),
        first_right=first_right,
        final_right=final_right,
    )
