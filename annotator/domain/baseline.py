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
from itertools import combinations

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
    pairs: dict[tuple[str, str], Counter[tuple[str, str]]] = field(default_factory=dict)
    """Each pair of raters by name (first < second): ``(first's label, second's label)``
    counted over the cases both rated, on the scale; a labels x labels table per pair, at most
    :data:`MAX_PAIRS_KEPT` pairs."""
    raters: set[str] = field(default_factory=set)
    """The raters' names (at most :data:`MAX_RATERS_KEPT`), so that pairs who share no case
    are known too."""
    pairs_not_kept: int = 0
    """Cases of a pair of raters left out because :data:`MAX_PAIRS_KEPT` pairs were kept."""
    pending: Counter[tuple[tuple[tuple[str, str], ...], frozenset[str] | None]] = field(
        default_factory=Counter
    )
    """Ratings by name not yet counted into :attr:`pairs`: cases alike are counted together
    (a million cases from files go by one at a time), at most :data:`MAX_PENDING` kinds."""

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

    def add_raters(
        self,
        ratings: Iterable[tuple[str, str]],
        count: int = 1,
        scale: frozenset[str] | None = None,
    ) -> None:
        """``count`` cases rated so: ``(rater, label)`` by name, for the pairs of raters
        (ratings outside ``scale`` left out, as :meth:`add` leaves them out); counted into
        :attr:`pairs` by :meth:`count_raters`."""
        self.pending[(tuple(ratings), scale)] += count
        if len(self.pending) >= MAX_PENDING:
            self.count_raters()

    def count_raters(self) -> None:
        """Count the ratings :meth:`add_raters` has kept aside into :attr:`pairs`."""
        for (ratings, scale), count in self.pending.items():
            self._add_pairs(ratings, count, scale)
        self.pending.clear()

    def _add_pairs(
        self, ratings: tuple[tuple[str, str], ...], count: int, scale: frozenset[str] | None
    ) -> None:
        kept = sorted((r, x) for r, x in ratings if scale is None or x in scale)
        if len(self.raters) < MAX_RATERS_KEPT:
            self.raters.update(r for r, _ in kept)
        for (a, x), (b, y) in combinations(kept, 2):
            if a == b:
                continue
            table = self.pairs.get((a, b))
            if table is None:
                if len(self.pairs) >= MAX_PAIRS_KEPT:
                    self.pairs_not_kept += count
                    continue
                table = self.pairs[(a, b)] = Counter()
            table[(x, y)] += count

    def ordered(self) -> BaselineTally:
        """The same counts, kinds in a fixed order: sums of floats then add up in the same
        order, so the figures are the same to the last digit whatever order the cases came in
        (the summary and the agreement report count in different passes)."""
        self.count_raters()
        key = sorted(self.units, key=lambda u: (u[0] is not None, u[0] or "", u[1]))
        scored = Counter({k: self.scored[k] for k in sorted(self.scored, key=repr)})
        pairs = {k: Counter(dict(sorted(self.pairs[k].items()))) for k in sorted(self.pairs)}
        return BaselineTally(
            Counter({k: self.units[k] for k in key}),
            self.outside,
            scored,
            pairs,
            set(self.raters),
            self.pairs_not_kept,
        )


MAX_PAIRS_KEPT = 10_000
"""Pairs of raters whose label-pair counts a tally keeps (each at most labels x labels
counts): bounds the memory of a crowd of raters; cases of further pairs are counted only."""
MAX_RATERS_KEPT = 10_000
"""Raters' names a tally keeps (to know the pairs that share no case)."""
MAX_PENDING = 100_000
"""Distinct ratings by name a tally keeps aside before counting them into its pairs."""


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
