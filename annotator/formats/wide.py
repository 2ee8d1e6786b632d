"""Many criteria in one row: a wide file (one row per output, a column per criterion and
rater, ``relevance_57e2b, fluency_57e2b, gpt4_relevance, gpt4_fluency``) read as one case per
row and criterion (docs/formats.md, "Many criteria in one row").

- :class:`WideColumns` holds the two patterns over column names, ``--columns
  '{criterion}_{rater}'`` and ``--judge-columns 'gpt4_{criterion}'``; :meth:`resolve` finds
  the columns they name among a file's fields (:class:`WideLayout`), refusing a pattern that
  matches none with the columns the file has.
- The criteria are those the judge's pattern finds (a case needs the judge's label); each
  rater column is matched against each criterion's name, longest first, so that a name with
  ``_`` in it is no problem (``coherence_expert_1``: criterion ``coherence``, rater
  ``expert_1``). Columns the mapping reads, and ours (``id``, ``input``...), are no rater's.
- :meth:`WideLayout.expand` makes a row's record (in our field names, after the mapping) into
  one record per criterion: the criterion, the judge's label from its column, the ratings
  from theirs, the rest of the row as it is; its id the row's and the criterion joined by
  :data:`SEPARATOR` (``17|relevance``), as a composed id is joined, so that the cases of one
  row stay unique in a workspace that keys cases by id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.domain.model import Kind
from annotator.formats.errors import FileRefused
from annotator.formats.mapping import ID_JOINED_BY, MISSING, FieldMapping, lookup

SEPARATOR = ID_JOINED_BY
"""Between a row's id and the criterion in a case's id: ``17|relevance``."""
CRITERION = "{criterion}"
RATER = "{rater}"
SHOWN = 60
_OURS = ("id", "criterion", "input", "output", "outputs", "reference", "judge", "ratings",
         "rating", "comment", "meta")  # fmt: skip
_MAPPED_AWAY = ("criterion", "judge", "judge.label", "ratings")
"""What the patterns give, which a ``--map`` may not give too."""


def _regex(pattern: str, **fixed: str) -> re.Pattern[str]:
    """``pattern`` as a regular expression over a whole name: ``{criterion}`` and ``{rater}``
    are any text (or the text ``fixed`` gives them), the rest literal."""
    out = ""
    for part in re.split(r"(\{criterion\}|\{rater\})", pattern):
        name = part[1:-1] if part in (CRITERION, RATER) else None
        if name is None:
            out += re.escape(part)
        elif name in fixed:
            out += f"(?P<{name}>{re.escape(fixed[name])})"
        else:
            out += f"(?P<{name}>.+)"
    return re.compile(out)


@dataclass(frozen=True)
class WideColumns:
    """``--columns`` (``raters``) and ``--judge-columns`` (``judge``); see the module's
    docstring."""

    raters: str
    judge: str

    def __post_init__(self) -> None:
        if self.raters.count(CRITERION) != 1 or self.raters.count(RATER) != 1:
            raise ValueError(
                f"--columns '{self.raters}' must name {CRITERION} and {RATER} once each "
                "(e.g. --columns '{criterion}_{rater}')"
            )
        if self.judge.count(CRITERION) != 1 or RATER in self.judge:
            raise ValueError(
                f"--judge-columns '{self.judge}' must name {CRITERION} once, and no {RATER} "
                "(e.g. --judge-columns 'gpt4_{criterion}')"
            )

    @classmethod
    def of(cls, raters: str | None, judge: str | None) -> WideColumns | None:
        """From the options; None when neither is given; ValueError for one without the other."""
        if raters is None and judge is None:
            return None
        if raters is None or judge is None:
            given, missing = ("--columns", "--judge-columns")[:: 1 if raters else -1]
            raise ValueError(f"{given} needs {missing} (the judge's label of each criterion)")
        return cls(raters, judge)

    def check_mapping(self, mapping: FieldMapping | None) -> None:
        """A ``--map`` of what the patterns give is refused (ValueError)."""
        if mapping is None:
            return
        clash = [o for o, _ in mapping.pairs if o in _MAPPED_AWAY or o.startswith("ratings.")]
        if clash:
            raise ValueError(
                f"--map {', '.join(clash)}: --columns and --judge-columns give each case its "
                "criterion, judge's label and ratings"
            )

    def resolve(
        self, path: Path, fields: Iterable[str], mapping: FieldMapping | None = None
    ) -> WideLayout:
        """The columns of ``fields`` the patterns name; FileRefused when one names none."""
        fields = list(fields)
        taken = set(_OURS)
        if mapping is not None:
            taken |= {part.strip() for _, theirs in mapping.pairs for part in theirs.split("+")}
            taken |= {theirs for _, theirs in mapping.pairs}
        judge_re = _regex(self.judge)
        judge: dict[str, str] = {}
        for name in fields:
            found = judge_re.fullmatch(name)
            if found and name not in taken:
                judge.setdefault(found["criterion"], name)
        if not judge:
            folded = re.compile(judge_re.pattern, re.IGNORECASE)
            near = [name for name in fields if folded.fullmatch(name)]
            raise self._none(path, f"--judge-columns '{self.judge}'", fields, near=near)
        raters: dict[str, dict[str, str]] = {crit: {} for crit in judge}
        by_length = sorted(judge, key=len, reverse=True)
        used = set(judge.values()) | taken
        for name in fields:
            if name in used:
                continue
            for crit in by_length:
                found = _regex(self.raters, criterion=crit).fullmatch(name)
                if found:
                    raters[crit].setdefault(found["rater"], name)
                    break
        if not any(raters.values()):
            near = [
                name
                for name in fields
                if name not in used
                and any(_regex(self.raters, criterion=c).fullmatch(name.casefold()) for c in judge)
            ]
            raise self._none(path, f"--columns '{self.raters}'", fields, list(judge), near)
        return WideLayout(self, tuple(judge), judge, raters)

    @staticmethod
    def _none(
        path: Path,
        what: str,
        fields: list[str],
        criteria: list[str] | None = None,
        near: list[str] | None = None,
    ) -> FileRefused:
        shown = ", ".join(fields[:SHOWN]) + (" …" if len(fields) > SHOWN else "")
        among = f" of criteria {', '.join(criteria)}" if criteria else ""
        hint = f" (without regard to case it matches {', '.join(near[:5])})" if near else ""
        return FileRefused(path, f"{what} matches no column{among}{hint}. Columns found: {shown}")


@dataclass(frozen=True)
class WideLayout:
    """The columns of a wide file: per criterion, the judge's and each rater's."""

    columns: WideColumns
    criteria: tuple[str, ...]
    judge: Mapping[str, str]
    """criterion -> the judge's column"""
    raters: Mapping[str, Mapping[str, str]]
    """criterion -> rater -> column"""

    def expand(
        self, data: dict[str, Any], record: Mapping[str, Any], flat: Mapping[str, Any] | None
    ) -> list[dict[str, Any]]:
        """One record per criterion from a row's ``data`` (in our field names, after the
        mapping); ``record`` and ``flat``: the row as read (its columns)."""
        base = {k: v for k, v in data.items() if k not in ("criterion", "ratings")}
        verdict = base.pop("judge", None)
        row_id = base.get("id")
        out = []
        for crit in self.criteria:
            one = dict(base)
            one["criterion"] = crit
            if isinstance(row_id, str | int | float) and not isinstance(row_id, bool):
                text = str(row_id).strip() if isinstance(row_id, str) else row_id
                one["id"] = f"{_id_text(text)}{SEPARATOR}{crit}" if text != "" else row_id
            label = lookup(record, self.judge[crit], flat)
            label = None if label is MISSING else label
            one["judge"] = {**verdict, "label": label} if isinstance(verdict, dict) else label
            ratings = {}
            for rater, column in self.raters[crit].items():
                value = lookup(record, column, flat)
                if value is not MISSING:
                    ratings[rater] = value
            one["ratings"] = ratings
            out.append(one)
        return out

    def read(self) -> set[str]:
        """The columns the layout reads (the judge's and the raters')."""
        return set(self.judge.values()) | {c for r in self.raters.values() for c in r.values()}

    def report(self, criteria: Mapping[str, tuple[Mapping[str, int], int]]) -> list[str]:
        """For a terminal: the criteria and raters found, and per criterion the cases of
        ``criteria`` (the cases added of each kind, and their ratings: ``storage.cases.
        kinds_by_criterion``)."""
        lines = ["Criteria (a case per row and criterion, its id ROW|CRITERION):"]
        for crit in self.criteria:
            raters = ", ".join(f"{r} ({c})" for r, c in self.raters[crit].items()) or "none"
            lines.append(f"  {crit}: judge {self.judge[crit]}; raters {raters}")
        rows = [("criterion", "cases", "ratings", "disagreements")]
        for crit in self.criteria:
            cases, ratings, split = _counts(criteria, crit)
            rows.append((crit, str(cases), str(ratings), str(split)))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for r in rows:
            right = [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
            lines.append("  " + "  ".join([r[0].ljust(widths[0]), *right]))
        return lines

    def to_json(
        self, criteria: Mapping[str, tuple[Mapping[str, int], int]] | None = None
    ) -> dict[str, Any]:
        """The patterns and the columns found; with ``criteria``, each criterion's counts."""
        out: dict[str, Any] = {
            "columns": self.columns.raters,
            "judge_columns": self.columns.judge,
            "criteria": {},
        }
        for crit in self.criteria:
            entry: dict[str, Any] = {"judge": self.judge[crit], "raters": dict(self.raters[crit])}
            if criteria is not None:
                cases, ratings, split = _counts(criteria, crit)
                kinds = criteria.get(crit, ({}, 0))[0]
                entry |= {"cases": cases, "ratings": ratings, "disagreements": split,
                          "kinds": {k.value: kinds.get(k.value, 0) for k in Kind}}  # fmt: skip
            out["criteria"][crit] = entry
        return out


def _counts(
    criteria: Mapping[str, tuple[Mapping[str, int], int]], crit: str
) -> tuple[int, int, int]:
    """Cases, ratings and disagreements of ``crit``."""
    kinds, ratings = criteria.get(crit, ({}, 0))
    split = sum(n for k, n in kinds.items() if Kind(k).is_disagreement)
    return sum(kinds.values()), ratings, split


def _id_text(value: str | int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
