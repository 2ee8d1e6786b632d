"""How often each label value occurs per source, and what looks wrong, before anything lands.

The reader counts every record it reads (after the field mapping, before the value mapping of
:mod:`annotator.formats.values`) into a :class:`LabelCounts`: per criterion, the judge's values,
every rater's together (``ratings``) and each rater's (``ratings.<rater>``). The importer hands
it on in its report; the import dialog calls :func:`label_counts` on a preview reader.

:meth:`LabelCounts.warnings` compares the labels *after* the value mapping, per criterion,
without regard to case (labels a header declares are never warned about):

- the judge uses labels no rater uses, or the raters use labels the judge never uses: when
  the other side, giving the label as often as this side does, would have given it at least
  :data:`RARE` times (so a file of a few cases, where a label on one side only is a plain
  disagreement, never warns);
- on a scale where every label is a number, a label on one side only that lies within the
  other side's range is an unused point of the scale, not a different vocabulary: no warning;
- a rare label: given fewer than :data:`RARE` times (judge and raters together) among at least
  :data:`RARE_AMONG` labels of its criterion, unless it is a whole number on a scale of numbers
  (the ends of a 1-10 scale are rare by nature). Small files never warn of rare labels.

:meth:`LabelCounts.suggested` proposes ``--labels`` rules for what the warnings found: a value
the raters use and the judge does not, paired with the one the judge uses and the raters do not
(``ratings:0=Tie``); a judge value no rater gives, used by few cases (under 5 %), as no verdict
(``judge:garbage=``).
A rule of the value mapping whose value (or rater) the file never gives is warned of too.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from annotator.domain.model import Project
from annotator.formats.values import (
    JUDGE,
    MAX_VALUES,
    NO_VERDICT,
    RATINGS,
    RecordLabels,
    ValueMap,
    record_labels,
)

RARE = 5
"""A label given fewer times than this is rare ..."""
RARE_AMONG = 100
"""... among at least this many labels of its criterion."""
JUNK_SHARE = 0.05
"""A judge value given by fewer than this share of its cases is suggested as no verdict."""
MAX_RATERS = 100
"""Raters counted one by one per criterion (all are counted together in ``ratings``)."""
MAX_CRITERIA = 100
OTHERS = "…"
"""Where values beyond :data:`MAX_VALUES` of a source are counted."""


@dataclass(frozen=True)
class LabelWarning:
    """Something in the counts the user should see before importing."""

    criterion: str
    kind: str
    """``judge_only``, ``raters_only``, ``rare``, or ``unused`` (a ``--labels`` rule)."""
    labels: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class CriterionCounts:
    """One criterion's values by source (raw, as label text)."""

    judge: Counter[str] = field(default_factory=Counter)
    ratings: Counter[str] = field(default_factory=Counter)
    raters: dict[str, Counter[str]] = field(default_factory=dict)


def _add(counter: Counter[str], value: str) -> None:
    counter[value if value in counter or len(counter) < MAX_VALUES else OTHERS] += 1


class LabelCounts:
    """Counts of each label value per criterion and source; see the module's docstring.

    ``values``: the value mapping the labels go through (for :meth:`mapped`, the warnings and
    the table's "becomes" column); ``project``: the file's header (labels it declares are
    expected and never warned about)."""

    def __init__(self, values: ValueMap | None = None, project: Project | None = None) -> None:
        self.values = values or ValueMap()
        self.project = project
        self.criteria: dict[str, CriterionCounts] = {}

    # -- counting --

    def add(self, record: dict[str, Any], labels: RecordLabels | None = None) -> None:
        """Count one record's labels (in our field names, before the value mapping);
        ``labels``: those of ``record``, when the caller has read them already."""
        crit, judge, ratings = labels or record_labels(record)
        counts = self.criteria.get(crit)
        if counts is None:
            if len(self.criteria) >= MAX_CRITERIA:
                return
            counts = self.criteria[crit] = CriterionCounts()
        if judge is not None:
            _add(counts.judge, judge)
        for rater, text in ratings:
            _add(counts.ratings, text)
            own = counts.raters.get(rater)
            if own is None and len(counts.raters) < MAX_RATERS:
                own = counts.raters[rater] = Counter()
            if own is not None:
                _add(own, text)

    # -- reading --

    def sources(self, criterion: str) -> list[str]:
        """``judge``, ``ratings`` and ``ratings.<rater>`` for each rater counted one by one."""
        counts = self.criteria.get(criterion, CriterionCounts())
        return [JUDGE, RATINGS] + [f"{RATINGS}.{r}" for r in counts.raters]

    def counts(self, criterion: str, source: str) -> Counter[str]:
        """The raw values of ``source`` (see :meth:`sources`) in ``criterion``."""
        counts = self.criteria.get(criterion, CriterionCounts())
        if source == JUDGE:
            return counts.judge
        if source == RATINGS:
            return counts.ratings
        return counts.raters.get(source.removeprefix(f"{RATINGS}."), Counter())

    def target(self, source: str, value: str) -> str | None:
        """What ``value`` of ``source`` becomes: a label, :data:`NO_VERDICT`, or None when the
        value mapping leaves it as it is. For ``ratings`` (all raters), their common rule."""
        return self.values.target(source, value)

    def mapped(self, criterion: str, side: str) -> Counter[str]:
        """The labels of ``side`` (``judge`` or ``ratings``) after the value mapping, no verdict
        and abstentions left out. A rater's own rules apply to their values."""
        out: Counter[str] = Counter()
        counts = self.criteria.get(criterion, CriterionCounts())
        if side == JUDGE:
            parts = [(JUDGE, counts.judge)]
        else:
            own = [(f"{RATINGS}.{r}", c) for r, c in counts.raters.items()]
            rest = counts.ratings.copy()
            for _, c in own:
                rest.subtract(c)
            parts = [*own, (RATINGS, +rest)]
        for source, counter in parts:
            for value, n in counter.items():
                found = self.target(source, value)
                if found != NO_VERDICT:
                    out[value if found is None else found] += n
        return out

    def total(self) -> int:
        """How many labels were counted (every source, every criterion)."""
        return sum(c.judge.total() + c.ratings.total() for c in self.criteria.values())

    # -- what looks wrong --

    def warnings(self) -> list[LabelWarning]:
        """See the module's docstring, in criterion order."""
        found: list[LabelWarning] = []
        for crit in sorted(self.criteria):
            found += _Compared(self, crit).warnings()
        return found + self.unused()

    def unused(self) -> list[LabelWarning]:
        """Rules of the value mapping that name a value (or a rater) the file never gives:
        a misspelt ``--labels`` maps nothing, and says so."""
        found = []
        for source, value, target in self.values.rules:
            rater = source.removeprefix(f"{RATINGS}.") if source != RATINGS else None
            sources = [self.counts(c, source) for c in self.criteria]
            if source in (JUDGE, RATINGS):
                what = "the judge never gives" if source == JUDGE else "no rater gives"
            elif any(rater in c.raters for c in self.criteria.values()):
                what = f"rater '{rater}' never gives"
            elif any(len(c.raters) >= MAX_RATERS for c in self.criteria.values()):
                continue  # (raters beyond those counted one by one: not known)
            else:
                found.append(self._unused(source, value, target, f"no rater is named '{rater}'"))
                continue
            folded = value.casefold()
            if any(OTHERS in c for c in sources):
                continue  # (values beyond those counted one by one: not known)
            if not any(v == value or v.casefold() == folded for c in sources for v in c):
                found.append(self._unused(source, value, target, f"{what} '{value}'"))
        return found

    @staticmethod
    def _unused(source: str, value: str, target: str, why: str) -> LabelWarning:
        rule = ValueMap(((source, value, target),)).specs()[0]
        return LabelWarning("", "unused", (value,), f"--labels {rule}: {why}")

    def suggested(self) -> ValueMap:
        """The value mapping with rules added for what the warnings found (see the module's
        docstring); the same mapping when there is nothing to propose."""
        rules: list[tuple[str, str, str]] = []
        for crit in sorted(self.criteria):
            rules += _Compared(self, crit).suggested()
        unique = {(s, v): (s, v, t) for s, v, t in rules}
        return self.values.merged(ValueMap(tuple(unique.values()))) if unique else self.values

    def rows(self, criterion: str) -> Iterator[tuple[str, str | None, list[int]]]:
        """The table's rows: each value (by count, then name), what it becomes, and its count
        in each of :meth:`sources`."""
        sources = self.sources(criterion)
        columns = [self.counts(criterion, s) for s in sources]
        values = Counter[str]()
        for counter in columns[:2]:
            values.update(counter)
        for value, _ in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])):
            target = self.target(JUDGE, value) if columns[0][value] else None
            if target is None:
                target = self.target(RATINGS, value)
            yield value, target, [c[value] for c in columns]

    def to_json(self) -> dict[str, Any]:
        """``{criterion: {source: {value: count}}}`` and the warnings, for ``--json``."""
        return {
            "counts": {
                crit: {s: dict(self.counts(crit, s).most_common()) for s in self.sources(crit)}
                for crit in sorted(self.criteria)
            },
            "warnings": [w.message for w in self.warnings()],
        }


class _Compared:
    """One criterion's judge and raters' labels, after the value mapping, side by side."""

    def __init__(self, counts: LabelCounts, crit: str) -> None:
        self.counts = counts
        self.crit = crit
        self.judge = _folded(counts.mapped(crit, JUDGE))
        self.raters = _folded(counts.mapped(crit, RATINGS))
        project = counts.project
        declared = project.scheme(crit).labels if project is not None else ()
        self.declared = {x.casefold() for x in declared}
        labels = [*self.judge.values(), *self.raters.values()]
        self.numeric = all(_number(label) is not None for label, _ in labels)

    def one_side(self, side: dict[str, tuple[str, int]], other: dict[str, tuple[str, int]]
                 ) -> list[tuple[str, int]]:  # fmt: skip
        """Labels of ``side`` the ``other`` never gives (and no scale or header explains)."""
        if not self.judge or not self.raters:
            return []
        numbers = [n for label, _ in other.values() if (n := _number(label)) is not None]
        given, others = sum(n for _, n in side.values()), sum(n for _, n in other.values())
        out = []
        for key, (label, n) in side.items():
            if key in other or key in self.declared or others * n / given < RARE:
                continue
            value = _number(label)
            if self.numeric and value is not None and min(numbers) <= value <= max(numbers):
                continue
            out.append((label, n))
        return sorted(out, key=lambda x: (-x[1], x[0]))

    def warnings(self) -> list[LabelWarning]:
        where = f"criterion '{self.crit}': " if self.crit else ""
        found = []
        judge_only = self.one_side(self.judge, self.raters)
        raters_only = self.one_side(self.raters, self.judge)
        if judge_only:
            text = f"{where}the judge uses labels no rater uses: {_listed(judge_only)}"
            found.append(LabelWarning(self.crit, "judge_only", _labels(judge_only), text))
        if raters_only:
            text = f"{where}the raters use labels the judge never uses: {_listed(raters_only)}"
            found.append(LabelWarning(self.crit, "raters_only", _labels(raters_only), text))
        rare = self.rare({k.casefold() for k in _labels(judge_only) + _labels(raters_only)})
        if rare:
            among = sum(n for _, n in self.judge.values()) + sum(n for _, n in self.raters.values())
            text = f"{where}labels given fewer than {RARE} times among {among}: {_listed(rare)}"
            found.append(LabelWarning(self.crit, "rare", _labels(rare), text))
        return found

    def rare(self, reported: set[str]) -> list[tuple[str, int]]:
        both: dict[str, tuple[str, int]] = dict(self.raters)
        for key, (label, n) in self.judge.items():
            both[key] = (label, n + both.get(key, (label, 0))[1])
        if sum(n for _, n in both.values()) < RARE_AMONG:
            return []
        out = []
        for key, (label, n) in both.items():
            value = _number(label)
            scale_point = self.numeric and value is not None and value.is_integer()
            if n < RARE and key not in reported and key not in self.declared and not scale_point:
                out.append((label, n))
        return sorted(out, key=lambda x: (x[1], x[0]))

    def suggested(self) -> list[tuple[str, str, str]]:
        judge_only = self.one_side(self.judge, self.raters)
        raters_only = self.one_side(self.raters, self.judge)
        cases = sum(n for _, n in self.judge.values())
        reported = {k.casefold() for k in _labels(judge_only + raters_only)}
        stray = [(label, n) for label, n in self.rare(reported) if label.casefold() in self.judge]
        stray = [(label, n) for label, n in stray if label.casefold() not in self.raters]
        junk = [label for label, n in judge_only + stray if n < JUNK_SHARE * cases]
        kept = [label for label, _ in judge_only if label not in junk]
        rules = [(JUDGE, value, NO_VERDICT) for label in junk for value in self.raw(JUDGE, label)]
        if len(kept) == 1 and len(raters_only) == 1:
            rules += [(RATINGS, value, kept[0]) for value in self.raw(RATINGS, raters_only[0][0])]
        return rules

    def raw(self, side: str, label: str) -> list[str]:
        """The raw values of ``side`` that become ``label``."""
        counter = self.counts.counts(self.crit, side)
        folded = label.casefold()
        return [
            value
            for value in counter
            if value != OTHERS and (self.counts.target(side, value) or value).casefold() == folded
        ]


def _folded(counter: Counter[str]) -> dict[str, tuple[str, int]]:
    """Labels without regard to case: the first spelling, and the count of all."""
    out: dict[str, tuple[str, int]] = {}
    for label, n in counter.items():
        key = label.casefold()
        first, m = out.get(key, (label, 0))
        out[key] = (first, m + n)
    return out


def _number(label: str) -> float | None:
    try:
        value = float(label)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _labels(pairs: Iterable[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(label for label, _ in pairs)


def _listed(pairs: list[tuple[str, int]], limit: int = 10) -> str:
    shown = ", ".join(f"'{label}' x{n}" for label, n in pairs[:limit])
    return shown + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


class _Counted(Protocol):
    label_counts: LabelCounts

    def __iter__(self) -> Iterator[object]: ...


def label_counts(reader: _Counted) -> LabelCounts:
    """Read ``reader`` (a ``CaseReader``; with ``rows=`` for a preview) to its end and return
    its counts. Raises what iterating the reader raises (``FileRefused``)."""
    for _ in reader:
        pass
    return reader.label_counts


def _becomes(target: str | None, *, judged: bool) -> str:
    if target is None:
        return ""
    return f"→ {target}" if target else "→ no verdict" if judged else "→ (abstains)"


def table(counts: LabelCounts, limit: int = 30, raters: int = 6) -> str:
    """The counts as a text table per criterion, for a terminal: each value, what it becomes
    (``→ tie``, ``→ no verdict``) and its count per source (each rater while there are at
    most ``raters``)."""
    out: list[str] = []
    for crit in sorted(counts.criteria):
        sources = counts.sources(crit)
        shown = len(sources) if len(sources) <= 2 + raters else 2
        rows = list(counts.rows(crit))
        cells = [
            [value, _becomes(t, judged=bool(ns[0])), *map(str, ns[:shown])]
            for value, t, ns in rows[:limit]
        ]
        head = ["value", "becomes", *sources[:shown]]
        widths = [max(len(r[i]) for r in [head, *cells]) for i in range(len(head))]
        if crit:
            out.append(f"criterion '{crit}':")
        for row in [head, *cells]:
            left = [c.ljust(w) for c, w in zip(row[:2], widths[:2], strict=True)]
            right = [c.rjust(w) for c, w in zip(row[2:], widths[2:], strict=True)]
            out.append("  " + "  ".join(left + right).rstrip())
        if len(rows) > limit:
            out.append(f"  … and {len(rows) - limit} more values")
    return "\n".join(out)
