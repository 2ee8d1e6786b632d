"""Label values per source: what a file's judge and raters write, read as one label set.

A judge writes ``"1" / "2" / "Tie"`` where the raters write ``0 / 1 / 2``; ``--labels`` maps each
source's values onto the labels the project uses, after the field mapping (``--map``) and
before the case is read (``normalize``)::

    --labels judge:Tie=tie,garbage=        the judge's "Tie" is "tie"; "garbage" is no verdict
    --labels ratings:0=tie,1=A,2=B         every rater's 0 is "tie", 1 is "A", 2 is "B"
    --labels ratings.alice:x=tie           one rater's values (before the ratings: rule)

The public API (the importer, the command line and the import dialog use it):

- :class:`ValueMap` — the rules: :meth:`ValueMap.parse` reads ``--labels`` options,
  :meth:`ValueMap.apply` maps one record (in our field names) and says whether its judge gave
  no verdict, :meth:`ValueMap.specs` writes the rules back as ``--labels`` options.
- **No verdict** is spelled as an *empty target* (``garbage=``; :data:`NO_VERDICT`): the judge
  gave no usable verdict. Such a case is not forced into a label: it is not imported, and the
  reader yields a :class:`NoVerdict` for it (a :class:`LineProblem`, so that readers of
  problems still see it, but counted apart from them: :class:`NoVerdictCount`). A rater's value
  mapped to nothing is that rater's abstention (the rating is dropped, as a ``null`` label is).
- The counts of each value per source and their warnings are in
  :mod:`annotator.formats.label_counts` (``label_counts(reader)``).

Values are matched as label text (``4.0`` is ``"4"``, ``true`` is ``"true"``, white space
stripped): exactly first, then without regard to case. A value no rule names stays as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from annotator.domain.model import DEFAULT_CRITERION
from annotator.formats.errors import LineProblem
from annotator.formats.normalize import Invalid, case_id, to_label, to_text

JUDGE = "judge"
RATINGS = "ratings"
NO_VERDICT = ""
"""The target that means "no usable label": for the judge, no verdict (the case is not
imported, and counted apart); for a rater, an abstention. Written as an empty target:
``--labels judge:garbage=``."""
_SOURCE_ALIASES = {"judge": JUDGE, "ratings": RATINGS, "rating": RATINGS}
_ESCAPED = {",": "\x00c", "=": "\x00e", ":": "\x00k"}
"""``\\,``, ``\\=`` and ``\\:`` in a ``--labels`` option stand for the character itself."""

Rule = tuple[str, str, str]
"""(source, value, target): ``("judge", "Tie", "tie")``; target :data:`NO_VERDICT`."""


def source_name(source: str) -> str:
    """A source in its one spelling: ``judge``, ``ratings`` or ``ratings.<rater>``;
    ValueError for anything else."""
    name = source.strip()
    head, dot, rater = name.partition(".")
    if head in _SOURCE_ALIASES and (not dot or _SOURCE_ALIASES[head] == RATINGS and rater.strip()):
        return f"{RATINGS}.{rater.strip()}" if dot else _SOURCE_ALIASES[head]
    raise ValueError(
        f"unknown source '{source}' in --labels; expected judge, ratings or ratings.RATER "
        "(e.g. --labels judge:Tie=tie,garbage=)"
    )


@dataclass(frozen=True)
class ValueMap:
    """Rules mapping each source's values to labels; see the module's docstring."""

    rules: tuple[Rule, ...] = ()
    _tables: dict[str, tuple[dict[str, str], dict[str, str]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        rules = tuple((source_name(s), v.strip(), t.strip()) for s, v, t in self.rules)
        object.__setattr__(self, "rules", rules)
        for source, value, target in rules:
            if not value:
                raise ValueError(f"--labels {source}: a rule maps an empty value (=... needs one)")
            exact, folded = self._tables.setdefault(source, ({}, {}))
            if value in exact:
                raise ValueError(f"--labels {source}: value '{value}' is mapped twice")
            exact[value] = target
            folded.setdefault(value.casefold(), target)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> ValueMap:
        """From ``--labels`` options, ``SOURCE:VALUE=LABEL,VALUE=LABEL`` each (``\\,``,
        ``\\=`` and ``\\:`` for those characters in a value); ValueError saying what is wrong."""
        rules: list[Rule] = []
        for spec in specs:
            text = spec.replace("\\\\", "\x00b")
            for char, mark in _ESCAPED.items():
                text = text.replace(f"\\{char}", mark)
            source, colon, body = text.partition(":")
            if not colon or not body.strip():
                raise ValueError(
                    f"bad --labels '{spec}'; expected SOURCE:VALUE=LABEL,..., e.g. "
                    "judge:Tie=tie,garbage= or ratings:0=tie,1=A,2=B"
                )
            for pair in body.split(","):
                value, eq, target = pair.partition("=")
                if not eq:
                    raise ValueError(
                        f"bad --labels '{spec}': '{_unescape(pair)}' has no '=' "
                        "(VALUE=LABEL; VALUE= for no verdict)"
                    )
                rules.append((_unescape(source), _unescape(value), _unescape(target)))
        return cls(tuple(rules))

    def specs(self) -> list[str]:
        """The rules as ``--labels`` options, one per source (escaped as :meth:`parse` reads)."""
        by_source: dict[str, list[str]] = {}
        for source, value, target in self.rules:
            by_source.setdefault(source, []).append(f"{_escape(value)}={_escape(target)}")
        return [f"{_escape(source)}:{','.join(pairs)}" for source, pairs in by_source.items()]

    def merged(self, other: ValueMap) -> ValueMap:
        """These rules with ``other``'s added; ``other`` wins for a value both map."""
        theirs = {(s, v) for s, v, _ in other.rules}
        kept = tuple(r for r in self.rules if (r[0], r[1]) not in theirs)
        return ValueMap(kept + other.rules)

    def target(self, source: str, value: str) -> str | None:
        """The label ``value`` of ``source`` (``judge``, ``ratings.<rater>``: a rater's own
        rules first, then those of every rater) becomes; :data:`NO_VERDICT` for none; None
        when no rule names it."""
        for name in (source, RATINGS) if source.startswith(f"{RATINGS}.") else (source,):
            tables = self._tables.get(name)
            if tables is None:
                continue
            exact, folded = tables
            found = exact.get(value)
            if found is None:
                found = folded.get(value.casefold())
            if found is not None:
                return found
        return None

    def apply(self, record: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
        """``record`` (in our field names) with its labels mapped, and the judge's value when
        it means no verdict (else None)."""
        if not self.rules:
            return record, None
        out = dict(record)
        verdict = judge_value(record)
        text = label_text(verdict)
        none: str | None = None
        if text is not None:
            found = self.target(JUDGE, text)
            if found == NO_VERDICT:
                none = text
            elif found is not None:
                out = with_judge(out, found)

        def rating(rater: str, value: Any) -> Any:
            text = label_text(value)
            found = None if text is None else self.target(f"{RATINGS}.{rater}", text)
            if found is None:
                return value
            return found or None  # NO_VERDICT: the rater abstained

        if RATINGS in out:
            out[RATINGS] = map_ratings(out[RATINGS], rating)
        return out, none


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in _ESCAPED:
        text = text.replace(char, f"\\{char}")
    return text


def _unescape(text: str) -> str:
    for char, mark in _ESCAPED.items():
        text = text.replace(mark, char)
    return text.replace("\x00b", "\\")


# -- the labels of a record (in our field names, before normalize) -------------------------------


def label_text(value: Any) -> str | None:
    """A value as the label text it is read as; None when absent, empty or not a label."""
    try:
        return to_label(value)
    except Invalid:
        return None


def judge_value(record: dict[str, Any]) -> Any:
    """The judge's label as the record holds it (bare, or under ``judge.label``)."""
    verdict = record.get(JUDGE)
    return verdict.get("label") if isinstance(verdict, dict) else verdict


class RecordLabels(NamedTuple):
    """A record's criterion and labels as label text (absent and empty ones left out): read
    once per record for the counts (``label_counts``) and the scores between labels
    (``rounding``)."""

    criterion: str
    judge: str | None
    ratings: list[tuple[str, str]]
    """(rater, label) as :func:`ratings_of` names them."""


def record_labels(record: dict[str, Any]) -> RecordLabels:
    """The labels of ``record`` (in our field names)."""
    ratings = [
        (rater, text)
        for rater, value in ratings_of(record.get(RATINGS))
        if (text := label_text(value)) is not None
    ]
    criterion = label_text(record.get("criterion")) or DEFAULT_CRITERION
    return RecordLabels(criterion, label_text(judge_value(record)), ratings)


def with_judge(record: dict[str, Any], label: str) -> dict[str, Any]:
    verdict = record.get(JUDGE)
    out = dict(record)
    out[JUDGE] = {**verdict, "label": label} if isinstance(verdict, dict) else label
    return out


def ratings_of(value: Any) -> Iterator[tuple[str, Any]]:
    """Each rater and label of ``ratings`` (any accepted shape), as :func:`map_ratings` sees
    them, without building a new value."""
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
    elif isinstance(value, list):
        items = ((item.get("rater") if isinstance(item, dict) else None, item) for item in value)
    else:
        return
    for n, (rater, item) in enumerate(items, start=1):
        if isinstance(item, dict):
            if "label" not in item:
                continue
            item = item["label"]
        elif isinstance(item, list):
            continue
        name = (to_text(rater) if rater is not None else None) or ""
        yield name.strip() or f"rater {n}", item


def map_ratings(value: Any, change: Callable[[str, Any], Any]) -> Any:
    """``ratings`` (any accepted shape) with each label replaced by ``change(rater, label)``;
    raters named as the reader names them (a list's bare labels: ``rater N``). A shape the
    reader refuses is left for it to refuse."""
    if isinstance(value, dict):
        return {
            rater: _changed(str(rater).strip() or f"rater {n}", item, change)
            for n, (rater, item) in enumerate(value.items(), start=1)
        }
    if isinstance(value, list):
        out = []
        for n, item in enumerate(value, start=1):
            rater = to_text(item.get("rater")) if isinstance(item, dict) else None
            out.append(_changed((rater or "").strip() or f"rater {n}", item, change))
        return out
    return value


def _changed(rater: str, item: Any, change: Callable[[str, Any], Any]) -> Any:
    if isinstance(item, dict):
        return {**item, "label": change(rater, item["label"])} if "label" in item else item
    return item if isinstance(item, list) else change(rater, item)


# -- no verdict ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoVerdict(LineProblem):
    """A case whose judge gave no usable verdict (its value is mapped to :data:`NO_VERDICT`):
    not imported, and counted apart from line problems (never refuses a ``--strict``
    import)."""

    case_id: str = ""
    value: str = ""
    """The judge's value, as label text."""

    @classmethod
    def of(cls, line: int, record: dict[str, Any], value: str, unit: str = "line") -> NoVerdict:
        try:
            ident = case_id(record.get("id"))
        except Invalid:
            ident = ""
        where = f"case '{ident}': " if ident else ""
        message = f"{where}the judge gave no verdict ('{value}')"
        return cls(line, message, unit, ident, value)


NO_VERDICT_IDS = 5
"""How many ids of cases without a verdict a report names."""
MAX_VALUES = 1000
"""Distinct values counted per source (more are counted together as others)."""


@dataclass
class NoVerdictCount:
    """The cases where the judge gave no verdict: how many, by value, and the first ids."""

    cases: int = 0
    values: Counter[str] = field(default_factory=Counter)
    first_ids: list[str] = field(default_factory=list)

    def add(self, item: NoVerdict) -> None:
        self.cases += 1
        if item.value in self.values or len(self.values) < MAX_VALUES:
            self.values[item.value] += 1
        if len(self.first_ids) < NO_VERDICT_IDS:
            self.first_ids.append(item.case_id or f"{item.unit} {item.line}")

    def describe(self) -> str:
        """``3 cases where the judge gave no verdict: values 'garbage' x3; first ids 12, 57``."""
        values = ", ".join(f"'{v}' x{n}" for v, n in self.values.most_common())
        ids = ", ".join(self.first_ids)
        more = ", …" if self.cases > len(self.first_ids) else ""
        cases = "1 case" if self.cases == 1 else f"{self.cases} cases"
        return f"{cases} where the judge gave no verdict: values {values}; first ids {ids}{more}"

    def to_json(self) -> dict[str, Any]:
        return {"cases": self.cases, "values": dict(self.values.most_common()),
                "first_ids": list(self.first_ids)}  # fmt: skip
