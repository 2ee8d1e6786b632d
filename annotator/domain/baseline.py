"""The baseline before any review: the judge against the original raters' consensus, and the
raters among themselves, counted from the cases' labels alone.

A case counts as ``(judge label or None, the raters' labels sorted)``: every baseline figure
depends on the cases only through how many there are of each such kind, so a million cases
make a small :class:`BaselineTally`, and the figures and their bootstrap intervals come from
the counts (``annotator.domain.agreement``, ``reliability``, ``ceiling``, ``alpaca_eval``).

The consensus is the one the disagreement kinds use (``annotator.domain.disagreement``): on a
nominal scale the label more than half the raters chose; on an ordinal scale the raters'
median, unless an even number of raters is split wider than the threshold. As a label (for
accuracy, kappa, F1 and the confusion matrix), an ordinal median is named by the rater label
nearest to it, the lower on a tie: the label a case stores as its consensus. How often the
judge is *within the threshold* of the median is the summary's "judge vs raters' consensus"
and agrees with the kinds: a judge outside it makes the case ``judge_vs_majority`` or
``judge_vs_all``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from annotator.domain.ceiling import LooUnit
from annotator.domain.disagreement import consensus, consensus_label, differs_from_consensus
from annotator.domain.model import LabelScheme


@dataclass
class BaselineTally:
    """One criterion's cases, counted by ``(judge label or None, raters' labels sorted)``."""

    units: Counter[LooUnit] = field(default_factory=Counter)
    outside: int = 0
    """Ratings whose label is not on the scale, left out (the scale is given to :meth:`add`)."""
    scored: Counter[tuple[str | None, float, tuple[str, ...]]] = field(default_factory=Counter)
    """Of the cases in :attr:`units`, those whose judge gave a raw score beside its label:
    ``(judge label, score, raters' labels sorted)``; the judge's score against the raters'
    mean uses the score for them, the label's place for the others."""

    def add(
        self,
        judge: str | None,
        labels: Iterable[str],
        count: int = 1,
        scale: frozenset[str] | None = None,
    ) -> None:
        """``count`` cases with this judge label ("" or None: none) and these ratings; with
        ``scale``, ratings outside it are left out and counted in :attr:`outside`."""
        kept = tuple(sorted(labels))
        if scale is not None and any(x not in scale for x in kept):
            self.outside += count * sum(x not in scale for x in kept)
            kept = tuple(x for x in kept if x in scale)
        self.units[(judge or None, kept)] += count

    def add_score(
        self,
        judge: str | None,
        score: float,
        labels: Iterable[str],
        count: int = 1,
        scale: frozenset[str] | None = None,
    ) -> None:
        """The raw score of ``count`` cases already :meth:`add`-ed with these labels."""
        kept = tuple(sorted(x for x in labels if scale is None or x in scale))
        self.scored[(judge or None, score, kept)] += count

    def ordered(self) -> BaselineTally:
        """The same counts, kinds in a fixed order: sums of floats then add up in the same
        order, so the figures are the same to the last digit whatever order the cases came in
        (the summary and the agreement report count in different passes)."""
        key = sorted(self.units, key=lambda u: (u[0] is not None, u[0] or "", u[1]))
        scored = Counter({k: self.scored[k] for k in sorted(self.scored, key=repr)})
        return BaselineTally(Counter({k: self.units[k] for k in key}), self.outside, scored)


@dataclass(frozen=True)
class BaselineCounts:
    """How the cases of one criterion stand for the baseline."""

    cases: int
    unrated: int
    """Cases without a rating."""
    one_rating: int
    """Cases with one rating: they have a consensus but nothing to agree with among raters."""
    no_consensus: int | None
    """Rated cases whose raters have no consensus (a tie, or a split wider than the threshold);
    None: the threshold of the ordinal scale is not known, so neither is the consensus."""
    no_judge: int
    """Cases without a judge label."""
    outside: int = 0
    """Ratings outside the scale, left out."""


def counts(tally: BaselineTally, scheme: LabelScheme | None) -> BaselineCounts:
    """The counts of :class:`BaselineCounts`; ``scheme`` None when the consensus is unknown."""
    cases = unrated = one = no_consensus = no_judge = 0
    for (judge, labels), n in tally.units.items():
        cases += n
        unrated += n * (not labels)
        one += n * (len(labels) == 1)
        no_judge += n * (judge is None)
        if labels and scheme is not None and consensus(labels, scheme) is None:
            no_consensus += n
    return BaselineCounts(
        cases, unrated, one, None if scheme is None else no_consensus, no_judge, tally.outside
    )


def consensus_pairs(tally: BaselineTally, scheme: LabelScheme) -> Counter[tuple[str, str]]:
    """``(consensus label, judge label)`` counts over the cases that have both: the truth
    first, as ``annotator.domain.agreement`` takes pairs."""
    out: Counter[tuple[str, str]] = Counter()
    for (judge, labels), n in tally.units.items():
        if judge is None or not labels:
            continue
        label = consensus_label(consensus(labels, scheme), labels, scheme)
        if label is not None:
            out[(label, judge)] += n
    return out


AGREES = ("agrees", "agrees")
DIFFERS = ("agrees", "differs")


def within_consensus(tally: BaselineTally, scheme: LabelScheme) -> Counter[tuple[str, str]]:
    """Over the cases with a judge label and a consensus: how many have the judge agreeing
    with it as the disagreement kinds see it (within the threshold of the median on an
    ordinal scale), counted under :data:`AGREES`, and how many not, under :data:`DIFFERS`;
    as pairs, so that ``accuracy_counts`` gives the share."""
    out: Counter[tuple[str, str]] = Counter()
    for (judge, labels), n in tally.units.items():
        if judge is None or not labels:
            continue
        agreed = consensus(labels, scheme)
        if agreed is not None:
            out[DIFFERS if differs_from_consensus(judge, agreed, scheme) else AGREES] += n
    return out


def rater_units(tally: BaselineTally) -> Counter[tuple[str, ...]]:
    """The raters' labels of each case (sorted), counted: what Fleiss' kappa and
    Krippendorff's alpha take."""
    out: Counter[tuple[str, ...]] = Counter()
    for (_judge, labels), n in tally.units.items():
        out[labels] += n
    return out
