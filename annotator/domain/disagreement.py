"""The disagreement rules: how a case is classified, how severe it is, and who was right.

Nominal scale: two labels disagree when they differ. The raters' consensus is the label held by
strictly more than half of them; a tie has no consensus.

Ordinal scale: two labels disagree when their distance is greater than the scheme's threshold. The
raters' consensus is their median position (the point a majority prefers on a line). With an even
number of raters whose two middle labels disagree, the raters are split down the middle and there
is no consensus.

Rules, applied in order:

1. No ratings: ``unrated``.
2. The judge disagrees with every rater: ``judge_vs_all``.
3. There is a consensus and the judge disagrees with it: ``judge_vs_majority``.
4. Two raters disagree with each other: ``raters_split``.
5. Otherwise: ``agreement``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from statistics import median

from annotator.domain.model import Classification, Kind, LabelScheme, WhoRight


def consensus(raters: Sequence[str], scheme: LabelScheme) -> str | float | None:
    """The raters' consensus: a label (nominal), a median position (ordinal), or None."""
    if not raters:
        return None
    if scheme.ordinal:
        positions = sorted(scheme.position(x) for x in raters)
        half = len(positions) // 2
        if len(positions) % 2 == 0 and positions[half] - positions[half - 1] > scheme.threshold:
            return None
        return float(median(positions))
    label, count = Counter(raters).most_common(1)[0]
    return label if count * 2 > len(raters) else None


def differs_from_consensus(label: str, agreed: str | float, scheme: LabelScheme) -> bool:
    """Whether ``label`` disagrees with the raters' consensus ``agreed`` (from
    :func:`consensus`): on an ordinal scale, its distance from the median is over the
    threshold."""
    if isinstance(agreed, float):
        return abs(scheme.position(label) - agreed) > scheme.threshold
    return scheme.differs(label, agreed)


def classify(judge: str, raters: Sequence[str], scheme: LabelScheme) -> Classification:
    """Classify one case from the judge's label and the raters' labels."""
    agreed = consensus(raters, scheme)
    agreed_label = consensus_label(agreed, raters, scheme)
    if not raters:
        return Classification(Kind.UNRATED, 0, 0.0, None)
    against = sum(scheme.differs(judge, r) for r in raters)
    gap = max(scheme.distance(judge, r) for r in raters)
    if against == len(raters):
        kind = Kind.JUDGE_VS_ALL
    elif agreed is not None and differs_from_consensus(judge, agreed, scheme):
        kind = Kind.JUDGE_VS_MAJORITY
    elif any(scheme.differs(a, b) for i, a in enumerate(raters) for b in raters[i + 1 :]):
        kind = Kind.RATERS_SPLIT
    else:
        kind = Kind.AGREEMENT
    return Classification(kind, against, gap, agreed_label)


def consensus_label(
    agreed: str | float | None, raters: Sequence[str], scheme: LabelScheme
) -> str | None:
    """The consensus as a label (what a case stores): the majority label, or on an ordinal
    scale the rater label nearest the median (the lower one on a tie)."""
    if agreed is None or isinstance(agreed, str):
        return agreed
    # An ordinal median: name it by the rater label nearest to it (lower one on a tie).
    return min(raters, key=lambda r: (abs(scheme.position(r) - agreed), scheme.position(r)))


def who_was_right(final: str, judge: str, raters: Sequence[str], scheme: LabelScheme) -> WhoRight:
    """Derive who was right from the final label: the judge, the raters, both, or neither.

    The raters are right when the final label agrees with their consensus; when they have no
    consensus, when it agrees with at least one of them.
    """
    judge_ok = not scheme.differs(final, judge)
    agreed = consensus(raters, scheme)
    if not raters:
        raters_ok = False
    elif agreed is None:
        raters_ok = any(not scheme.differs(final, r) for r in raters)
    else:
        raters_ok = not differs_from_consensus(final, agreed, scheme)
    if judge_ok and raters_ok:
        return WhoRight.BOTH
    if judge_ok:
        return WhoRight.JUDGE
    if raters_ok:
        return WhoRight.RATERS
    return WhoRight.NEITHER
