"""Scores between a numeric scale's labels (4.5 on a 1-5 scale): counted, and rounded,
mapped or skipped as the user chooses (docs/formats.md, "Scores between labels").

A label value is *between labels* when it is a number that is not one of its scale's labels:

- on a scale a file's header declares, every label of which is a number: a number strictly
  between its lowest and highest label that is none of them (one outside the scale is an
  unknown label, as before);
- on a scale no header declares (inferred from the data): the judge's value that is not a
  whole number on a case whose raters all gave whole numbers, or a rater's on a case whose
  other labels (the judge's, the other raters') are all whole numbers; its labels are then
  the whole numbers on either side.

``--round SOURCE:MODE`` (:class:`Rounding`) rounds the values of a source (``judge``,
``ratings``; ``--round MODE`` for both) to a neighbouring label: ``half-even`` (the nearer;
at the midpoint, the even one), ``half-up`` (the nearer; at the midpoint, the higher),
``down``, ``up``. A judge's rounded value stays its verdict's ``score`` unless the verdict has
one. A value no rounding applies to makes its case a line problem, and the count of such
values (:class:`Between`) is a warning: the import stops and asks, unless ``--yes`` (which
skips those cases). ``--labels judge:4.5=4`` maps a value before it is looked at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from annotator.domain.model import Project
from annotator.formats.values import (
    JUDGE,
    RATINGS,
    RecordLabels,
    map_ratings,
    record_labels,
)

MODES = ("half-even", "half-up", "down", "up")
SOURCES = (JUDGE, RATINGS)


@dataclass(frozen=True)
class Rounding:
    """The rounding mode of each source (``judge``, ``ratings``) that has one."""

    modes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, specs: list[str]) -> Rounding:
        """From ``--round`` options: ``MODE`` (judge and raters) or ``SOURCE:MODE``;
        ValueError saying what is wrong."""
        modes: dict[str, str] = {}
        for spec in specs:
            source, colon, mode = spec.strip().rpartition(":")
            sources = [source.strip()] if colon else list(SOURCES)
            mode = mode.strip()
            if mode not in MODES or any(s not in SOURCES for s in sources):
                raise ValueError(
                    f"bad --round '{spec}'; expected MODE or SOURCE:MODE, MODE one of "
                    f"{', '.join(MODES)}, SOURCE judge or ratings (e.g. --round judge:half-up)"
                )
            for s in sources:
                if modes.get(s, mode) != mode:
                    raise ValueError(f"--round: {s} is rounded {modes[s]} and {mode}")
                modes[s] = mode
        return cls(tuple(sorted(modes.items())))

    def mode(self, source: str) -> str | None:
        return dict(self.modes).get(source)

    def specs(self) -> list[str]:
        """As ``--round`` options (for the import's record)."""
        return [f"{s}:{m}" for s, m in self.modes]


def rounded(value: Decimal, low: str, high: str, mode: str) -> str:
    """``value``, between the labels ``low`` and ``high``, rounded to one of them."""
    if mode == "down":
        return low
    if mode == "up":
        return high
    lo, hi = Decimal(low), Decimal(high)
    below, above = value - lo, hi - value
    if below != above:
        return low if below < above else high
    if mode == "half-up":
        return high
    # half-even: the even label; on a scale of other numbers, the lower
    if hi == hi.to_integral_value() and lo == lo.to_integral_value() and int(hi) % 2 == 0:
        return high
    return low


@dataclass
class Between:
    """Per criterion, the values between labels of each side (``judge``, ``ratings``): those
    rounded (to what) and those left (their cases skipped). See the module's docstring."""

    rounding: Rounding = field(default_factory=Rounding)
    project: Project | None = None
    rounded: Counter[tuple[str, str, str, str]] = field(default_factory=Counter)
    """(criterion, side, value, label) -> how often."""
    left: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """(criterion, side, value) -> how often (no --round for its side)."""
    _scales: dict[str, list[tuple[Decimal, str]] | None] = field(default_factory=dict)

    def apply(
        self, record: dict[str, Any], read: RecordLabels | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """``record`` (in our field names, after ``--labels``) with the values between labels
        its sides round rounded; and why its case is skipped when one is left (else None).
        ``read``: the labels of ``record``, when the caller has read them already."""
        crit, judge, ratings = read or record_labels(record)
        labels = [judge, *(t for _, t in ratings)]
        if not any(x is not None and _fraction_like(x) for x in labels):
            return record, None  # (the common case: no fraction, nothing between labels)
        if crit not in self._scales:
            self._scales[crit] = self._scale(crit)
        scale = self._scales[crit]
        problem: str | None = None
        out = record

        def neighbours(value: str, others: list[str | None]) -> tuple[str, str] | None:
            number = _decimal(value)
            if number is None:
                return None
            if scale is not None:
                return _within(number, scale)
            whole = [_decimal(o) for o in others if o is not None]
            if not whole or any(w is None or w != w.to_integral_value() for w in whole):
                return None
            if number == number.to_integral_value():
                return None
            low = number.to_integral_value(rounding="ROUND_FLOOR")
            return str(low), str(low + 1)

        def settle(side: str, whose: str, value: str, pair: tuple[str, str]) -> str | None:
            nonlocal problem
            mode = self.rounding.mode(side)
            if mode is None:
                self.left[(crit, side, value)] += 1
                where = f" of criterion '{crit}'" if crit else ""
                problem = problem or (
                    f"{whose} '{value}' falls between the labels {pair[0]} and {pair[1]}"
                    f"{where}: --round {side}:MODE rounds it, --labels {side}:{value}=LABEL "
                    "maps it"
                )
                return None
            number = _decimal(value)
            assert number is not None
            label = rounded(number, *pair, mode)
            self.rounded[(crit, side, value, label)] += 1
            return label

        if judge is not None and (pair := neighbours(judge, labels[1:])) is not None:
            label = settle(JUDGE, "the judge's score", judge, pair)
            if label is not None:
                out = _with_rounded_judge(out, label, judge)
        changed: dict[str, str] = {}
        for i, (rater, text) in enumerate(ratings):
            others = [judge, *(t for j, (_, t) in enumerate(ratings) if j != i)]
            pair = neighbours(text, others)
            if pair is not None:
                label = settle(RATINGS, f"the score of rater '{rater}'", text, pair)
                if label is not None:
                    changed[rater] = label
        if changed:
            out = dict(out)
            out[RATINGS] = _with_ratings(out[RATINGS], changed)
        return out, problem

    def _scale(self, crit: str) -> list[tuple[Decimal, str]] | None:
        """The declared scale of ``crit`` when every label is a number, in order; else None."""
        if self.project is None or not self.project.schemes:
            return None
        labels = self.project.scheme(crit).labels
        numbers = [(_decimal(x), x) for x in labels]
        if not numbers or any(n is None for n, _ in numbers):
            return None
        return sorted((n, x) for n, x in numbers if n is not None)

    def values(self) -> set[tuple[str, str]]:
        """(criterion, value) of every value found between labels, rounded or left."""
        found = {(c, v) for c, _, v, _ in self.rounded} | {(c, v) for c, _, v in self.left}
        return found

    def warnings(self) -> list[str]:
        """The values left between labels, per criterion: the import stops and asks."""
        out = []
        for crit in sorted({c for c, _, _ in self.left}):
            where = f"criterion '{crit}': " if crit else ""
            parts = []
            for side, whose in ((JUDGE, "the judge's"), (RATINGS, "the raters'")):
                found = sorted(
                    ((v, n) for (c, s, v), n in self.left.items() if c == crit and s == side),
                    key=lambda x: (-x[1], x[0]),
                )
                if found:
                    listed = ", ".join(f"'{v}' x{n}" for v, n in found[:10])
                    more = f" and {len(found) - 10} more" if len(found) > 10 else ""
                    parts.append(f"{whose} {listed}{more}")
            total = sum(n for (c, _, _), n in self.left.items() if c == crit)
            out.append(
                f"{where}{_scores(total)} between the scale's labels ({'; '.join(parts)}): "
                "--round half-even|half-up|down|up (or judge:MODE, ratings:MODE) rounds them, "
                "--labels judge:VALUE=LABEL maps them, --yes skips their cases"
            )
        return out

    def notes(self) -> list[str]:
        """The values rounded, per criterion and side."""
        out = []
        for crit in sorted({c for c, _, _, _ in self.rounded}):
            where = f"criterion '{crit}': " if crit else ""
            for side, whose in ((JUDGE, "the judge's"), (RATINGS, "the raters'")):
                found = [(v, t, n) for (c, s, v, t), n in self.rounded.items()
                         if c == crit and s == side]  # fmt: skip
                if not found:
                    continue
                found.sort(key=lambda x: (-x[2], x[0]))
                listed = ", ".join(f"{v}→{t} x{n}" for v, t, n in found[:10])
                total = sum(n for _, _, n in found)
                mode = self.rounding.mode(side)
                out.append(f"{where}rounded {total} of {whose} scores ({mode}): {listed}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "round": dict(self.rounding.modes),
            "rounded": [
                {"criterion": c, "source": s, "value": v, "label": t, "count": n}
                for (c, s, v, t), n in sorted(self.rounded.items())
            ],
            "left": [
                {"criterion": c, "source": s, "value": v, "count": n}
                for (c, s, v), n in sorted(self.left.items())
            ],
        }


def _fraction_like(text: str) -> bool:
    """Whether ``text`` may be a number that is not whole (``4.5``, ``1e-05``)."""
    return text[:1] in "0123456789+-." and ("." in text or "e" in text or "E" in text)


def _scores(n: int) -> str:
    return "1 score falls" if n == 1 else f"{n} scores fall"


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _within(number: Decimal, scale: list[tuple[Decimal, str]]) -> tuple[str, str] | None:
    """The labels of ``scale`` on either side of ``number``, strictly inside it and none of
    its labels; else None."""
    if not scale or number <= scale[0][0] or number >= scale[-1][0]:
        return None
    if any(n == number for n, _ in scale):
        return None
    for (lo, low), (hi, high) in zip(scale, scale[1:], strict=False):
        if lo < number < hi:
            return low, high
    return None


def _with_rounded_judge(record: dict[str, Any], label: str, raw: str) -> dict[str, Any]:
    """The judge's label ``label``; its raw value kept as the score unless it has one."""
    verdict = record.get(JUDGE)
    out = dict(record)
    if isinstance(verdict, dict):
        new = {**verdict, "label": label}
        if new.get("score") in (None, ""):
            new["score"] = float(raw)
        out[JUDGE] = new
    else:
        out[JUDGE] = {"label": label, "score": float(raw)}
    return out


def _with_ratings(value: Any, changed: dict[str, str]) -> Any:
    return map_ratings(value, lambda rater, v: changed.get(rater, v))
