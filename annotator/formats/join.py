"""Joins: a case file joined by id with a judge file and ratings files.

Real data often keeps the judge's verdicts in a file of their own (PandaLM: a JSON array of
cases with the people's labels, the judge's ``idx, result`` in a JSON Lines file), and people's
labels in another (a column per rater, or one row per rating). A :class:`Join` names them::

    join = Join(
        on=JoinKey.parse("idx"),                      # or "idx=question_id": named otherwise
        judge=JudgeFile(Path("judge.jsonl"), name="pandalm-7b"),
        ratings=(RatingsFile(Path("humans.csv")),    # a column per rater, guessed
                 RatingsFile(Path("long.jsonl"), rater_field="judge")),  # a row per rating
    )
    reader = CaseReader("cases.json", mapping, join=join)   # (``rows=N``: a preview)
    for item in reader: ...                  # ParsedCase, or LineProblem (``file`` set for one
    reader.join_result                       # of a side file); after a whole read: JoinResult
    import_file(ws, "cases.json", mapping, join=join).join  # the same, in the ImportReport

- The key of a case is its id: ``on.cases`` becomes ``--map id=...`` unless the mapping names
  the id already (then it must be the same field, or ``id``: our id however it is read, a
  preset's too). A key may be composed like an id
  (``question_id+model_a+model_b+turn``). Side records' keys are read from ``on.side`` and
  compared as ids are (``7`` and ``"7"`` are the same).
- A side file's fields are guessed (:func:`judge_mapping`, :func:`ratings_mapping`) unless
  given: a judge file's mapping targets ``judge.label``, ``judge.rationale``, ``judge.score``
  and ``judge.model`` (:func:`parse_judge_map` reads ``label=result``); a ratings file's
  ``ratings`` or ``ratings.<rater>`` (with ``rater_field``: ``ratings`` or ``ratings.label``
  is each row's label, ``ratings.comment`` its comment). A rater already in the case (or in a
  ratings file before) skips the case.
- Side files are read by the readers of case files (any format, encoding, the same bad-input
  rules) and indexed into a temporary SQLite database by key (:class:`SideIndex`; unnamed:
  the system removes it even if the import is killed), so that memory stays flat; the case
  file is then streamed and each case looked up. A key twice in a side file (in long format:
  a rater twice for a key) refuses the import, naming both lines. An unreadable side record
  is a line problem of its own file.
- Nothing is dropped without a word: a case with no verdict in the judge file is skipped (a
  line problem naming the judge file); a case missing from a ratings file is imported without
  those ratings; both counted, as are the side file's ids the case file lacks
  (:class:`SideCounts`, with the first few ids).
- One judge file per import: the case's judge. A case file that has its own judge label
  besides a judge file is refused, naming both.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.long import LongFormat
from annotator.formats.mapping import (
    MISSING,
    FieldMapping,
    first_named,
    lookup,
    named_like_ours,
    rater_fields,
    source_fields,
)
from annotator.formats.normalize import Invalid, case_id, to_label, to_text
from annotator.formats.records import RawRecord

FIRST_IDS = 5
"""Ids shown of those missing on one side or the other."""
SAMPLE = 20
"""Records read for a side file's fields, to guess its mapping."""
BATCH = 2000
"""Side records inserted at a time (at most)."""
BATCH_BYTES = 1 << 20
"""Side records inserted at a time, by the length of their verdicts or ratings (at most)."""
CACHE_KB = 16 << 10
"""The index's page cache (the rest of it stays in its temporary file)."""
JUDGE = "judge"
RATINGS = "ratings"

JUDGE_TARGETS = ("label", "rationale", "score", "model")
"""What ``--judge-map`` maps (``label=result`` is ``judge.label=result``)."""
_JUDGE_GUESSES: dict[str, tuple[str, ...]] = {
    "judge.label": ("label", "result", "verdict", "judgment", "judgement", "judge_label",
                    "judge_verdict", "llm_label", "llm_verdict", "judge_result", "llm_result",
                    "*_result", "winner", "preference", "decision", "prediction"),
    "judge.rationale": ("rationale", "explanation", "reason", "reasoning", "critique",
                        "judge_rationale", "judge_explanation", "judge_reason", "*_reason",
                        "*_explanation", "raw_completion", "completion", "feedback"),
    "judge.score": ("score", "judge_score", "llm_score", "*_score", "confidence"),
    "judge.model": ("model", "judge_model", "llm_model", "evaluator", "evaluator_model",
                    "grader", "grader_model", "annotator", "judge"),
}  # fmt: skip
"""A judge file's fields by the names (folded) real files give them, best first."""
_LONG_LABELS = ("label", "rating", "winner", "preference", "verdict", "judgment", "choice",
                "answer", "score", "result", "*_result")  # fmt: skip
_LONG_COMMENTS = ("comment", "comments", "rationale", "explanation", "reason", "note", "notes")


# -- what a join is ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JoinKey:
    """The field that joins the files: ``cases`` in the case file (its id), ``side`` in the
    side files. Either may join several fields with ``+`` (as ``--map id=a+b`` does)."""

    cases: str
    side: str

    def __post_init__(self) -> None:
        for value in (self.cases, self.side):
            if not value.strip():
                raise ValueError("--on names no field")
        object.__setattr__(self, "cases", self.cases.strip())
        object.__setattr__(self, "side", self.side.strip())

    @classmethod
    def parse(cls, spec: str) -> JoinKey:
        """``FIELD`` (the same name in every file) or ``CASESFIELD=SIDEFIELD``."""
        cases, eq, side = spec.partition("=")
        if eq and not (cases.strip() and side.strip()):
            raise ValueError(f"bad --on '{spec}'; expected FIELD or CASESFIELD=SIDEFIELD")
        return cls(cases, side if eq else cases)

    def spec(self) -> str:
        return self.cases if self.cases == self.side else f"{self.cases}={self.side}"


@dataclass(frozen=True)
class SideFile:
    """A file joined to the case file by key."""

    path: Path
    mapping: FieldMapping | None = None
    """Our fields from theirs (None, or a field left out: guessed from their names)."""
    encoding: str | None = None
    fmt: str | None = None

    role = "side"

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", Path(self.path))

    def describe(self) -> dict[str, Any]:
        """For the import's record: what was joined, so that a re-import can be recognised."""
        out: dict[str, Any] = {"file": str(self.path.resolve())}
        if self.mapping is not None and self.mapping.pairs:
            out["map"] = self.mapping.as_dict()
        for key in ("encoding", "fmt"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        return out


@dataclass(frozen=True)
class JudgeFile(SideFile):
    """The judge's verdicts: one record per key."""

    name: str | None = None
    """The judge's name (``--judge-name``): its model, shown with its verdicts."""

    role = JUDGE

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.name:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class RatingsFile(SideFile):
    """People's labels: one record per key with a field per rater (wide), or, with
    ``rater_field``, one record per (key, rater) whose ``ratings`` is the label (long)."""

    rater_field: str | None = None

    role = RATINGS

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if self.rater_field:
            out["rater_field"] = self.rater_field
        return out


@dataclass(frozen=True)
class Join:
    on: JoinKey
    judge: JudgeFile | None = None
    ratings: tuple[RatingsFile, ...] = ()

    def __post_init__(self) -> None:
        if self.judge is None and not self.ratings:
            raise ValueError("a join needs a judge file or a ratings file")

    @property
    def files(self) -> tuple[SideFile, ...]:
        return ((self.judge,) if self.judge is not None else ()) + self.ratings

    def describe(self) -> dict[str, Any]:
        """The join as JSON (the import record's ``mapping`` holds it under ``join``)."""
        out: dict[str, Any] = {"on": self.on.spec()}
        if self.judge is not None:
            out["judge"] = self.judge.describe()
        if self.ratings:
            out["ratings"] = [r.describe() for r in self.ratings]
        return out

    def case_mapping(self, mapping: FieldMapping | None) -> FieldMapping | None:
        """The case file's mapping, its id read from the join's field (``id``: our id, however
        the mapping reads it). ValueError when the mapping reads the id from another field,
        or (with a judge file) the judge's label from one of the case file's."""
        pairs = list(mapping.pairs) if mapping is not None else []
        given = dict(pairs)
        if self.judge is not None:
            for ours in ("judge", "judge.label"):
                if ours in given:
                    raise ValueError(
                        f"the case file's judge label (--map {ours}={given[ours]}) and the judge "
                        f"file {self.judge.path.name} both give the judge's verdict; keep "
                        "one (a second judge will come as a judge run)"
                    )
        if "id" in given:
            if given["id"] != self.on.cases and self.on.cases != "id":
                raise ValueError(
                    f"--on {self.on.spec()} joins on the case file's '{self.on.cases}', but "
                    f"--map id={given['id']} reads the case id from another field; the key of "
                    "a case is its id: drop one"
                )
        elif self.on.cases != "id":
            pairs.append(("id", self.on.cases))
        return FieldMapping(tuple(pairs)) if pairs else None


def join_from_options(
    on: str | None,
    judges: Sequence[Path],
    ratings: Sequence[Path],
    *,
    judge_name: str | None = None,
    judge_map: Sequence[str] = (),
    ratings_map: Sequence[str] = (),
    ratings_rater_field: str | None = None,
    mapping: FieldMapping | None = None,
    long: LongFormat | None = None,
) -> Join | None:
    """The join the command line's options ask for (None: none). ValueError when they cannot
    work together: a second judge file, options of a file not given, a judge file beside the
    judge's own rows (``--judge-rater``)."""
    if len(judges) > 1:
        names = ", ".join(Path(p).name for p in judges)
        raise ValueError(
            f"one judge file per import ({names} given): it gives each case's judge; a second "
            "judge will come as a judge run, in a later version"
        )
    judge = judges[0] if judges else None
    for flag, value in (("--judge-name", judge_name), ("--judge-map", judge_map)):
        if value and judge is None:
            raise ValueError(f"{flag} needs --judge FILE")
    for flag, value in (("--ratings-map", ratings_map), ("--ratings-rater-field",
                                                         ratings_rater_field)):  # fmt: skip
        if value and not ratings:
            raise ValueError(f"{flag} needs --ratings FILE")
    if judge is None and not ratings:
        if on is not None:
            raise ValueError("--on needs a file to join: --judge FILE or --ratings FILE")
        return None
    if judge is not None and long is not None and long.judge_rater is not None:
        raise ValueError(
            f"--judge-rater {long.judge_rater} and --judge {Path(judge).name} both give the "
            "judge's verdict; keep one"
        )
    key = JoinKey.parse(on) if on is not None else _default_key(mapping)
    side_ratings = FieldMapping.parse(ratings_map) if ratings_map else None
    for ours, _ in side_ratings.pairs if side_ratings is not None else ():
        if ours != "ratings" and not ours.startswith("ratings."):
            raise ValueError(
                f"--ratings-map maps ratings (ratings=FIELD, ratings.RATER=FIELD), not '{ours}'"
            )
    return Join(
        on=key,
        judge=JudgeFile(Path(judge), parse_judge_map(judge_map), name=judge_name)
        if judge is not None
        else None,
        ratings=tuple(
            RatingsFile(Path(p), side_ratings, rater_field=ratings_rater_field) for p in ratings
        ),
    )


def _default_key(mapping: FieldMapping | None) -> JoinKey:
    """Without ``--on``: the case file's id field (``--map id=`` or ``id``), the same name in
    the side files."""
    theirs = mapping.as_dict().get("id", "id") if mapping is not None else "id"
    return JoinKey(theirs, theirs)


def parse_judge_map(specs: Iterable[str]) -> FieldMapping | None:
    """``--judge-map label=result`` (or ``judge.label=result``): our judge field from theirs."""
    pairs = []
    for spec in specs:
        ours, eq, theirs = spec.partition("=")
        ours = ours.strip().removeprefix("judge.")
        if not eq or not theirs.strip() or ours not in JUDGE_TARGETS:
            raise ValueError(
                f"bad --judge-map '{spec}'; expected FIELD=THEIRS with FIELD one of "
                f"{', '.join(JUDGE_TARGETS)}, e.g. label=result"
            )
        pairs.append((f"judge.{ours}", theirs))
    return FieldMapping(tuple(pairs)) if pairs else None


# -- guessing a side file's fields -------------------------------------------------------------


def judge_mapping(fields: Sequence[str], key: str, given: FieldMapping | None) -> FieldMapping:
    """A judge file's mapping: ``given``, its other judge fields guessed from their names. A
    ``judge`` object (``judge.label``) is read as it is; so is a bare ``judge`` field, unless
    another field is named like a label (MT-Bench's ``judge`` names the judge, ``gpt4_pair``,
    beside its ``winner``): then it is the model."""
    pairs = list(given.pairs) if given is not None else []
    used = {t for _, t in pairs} | _key_parts(key)
    mapped = {o for o, _ in pairs}
    if any(f.startswith("judge.") for f in fields):
        return FieldMapping(tuple(pairs))
    other_label = first_named(_JUDGE_GUESSES["judge.label"], fields, used | {"judge"})
    if "judge" in fields and not mapped & {"judge", "judge.label"} and other_label is None:
        return FieldMapping(tuple(pairs))  # (the bare judge field is the label)
    for ours, names in _JUDGE_GUESSES.items():
        if ours in mapped:
            continue
        found = first_named(names, fields, used)
        if found is not None:
            pairs.append((ours, found))
            used.add(found)
    return FieldMapping(tuple(pairs))


def ratings_mapping(
    fields: Sequence[str], key: str, given: FieldMapping | None, rater_field: str | None = None
) -> FieldMapping:
    """A ratings file's mapping: ``given``, or guessed. Long (``rater_field``): ``ratings`` is
    each row's label (``ratings.label=winner``: ``label``, ``rating``, ``winner``...; with
    ``ratings.comment`` from ``comment``, ``rationale``...). Wide: a field named like ours
    (``ratings``, ``rating.<rater>``) as it is; else the fields named like raters
    (``annotator1``, ``human_2``: ``ratings.<name>``); else every other top-level field, one
    per rater."""
    used = _key_parts(key) | ({rater_field} if rater_field else set())
    if rater_field is not None:
        pairs = list(given.pairs) if given is not None else []
        if any(ours in ("ratings", "ratings.label") for ours, _ in pairs):
            return FieldMapping(tuple(pairs))
        label = first_named(_LONG_LABELS, fields, used | {t for _, t in pairs})
        if label is None:
            return FieldMapping(tuple(pairs))
        pairs.append(("ratings.label", label))
        mapped = {ours for ours, _ in pairs}
        comment = first_named(_LONG_COMMENTS, fields, used | {label})
        if comment is not None and "ratings.comment" not in mapped:
            pairs.append(("ratings.comment", comment))
        return FieldMapping(tuple(pairs))
    if given is not None and given.pairs:
        return given
    if named_like_ours("ratings", fields):
        return FieldMapping()
    raters = rater_fields(fields, used)
    if not raters:
        raters = [f for f in fields if "." not in f and f not in used]
    return FieldMapping(tuple((f"ratings.{f}", f) for f in raters))


def _key_parts(key: str) -> set[str]:
    return {key, *(part.strip() for part in key.split("+"))}


# -- the index -----------------------------------------------------------------------------------


class RecordSource(Protocol):
    """What the index reads a side file with (a ``CaseReader`` of it)."""

    path: Path
    unit: str
    size_bytes: int

    @property
    def bytes_read(self) -> int: ...

    def raw_records(self) -> Generator[RawRecord, None, None]: ...


Opener = Callable[[SideFile], RecordSource]


@dataclass
class SideCounts:
    """How one side file met the case file (after a whole read of it)."""

    path: Path
    role: str
    """``judge`` or ``ratings``."""
    records: int = 0
    """Keys indexed (in long format: keys with at least one row)."""
    matched: int = 0
    """Cases found in the file."""
    missing: int = 0
    """Cases the file lacks: skipped (judge), or imported without its ratings."""
    missing_ids: list[str] = field(default_factory=list)
    unmatched: int = 0
    """Keys of the file that no case has."""
    unmatched_ids: list[str] = field(default_factory=list)
    skipped: int = 0
    """Records of the file that could not be read (each a line problem)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "role": self.role,
            "records": self.records,
            "matched": self.matched,
            "cases_missing": self.missing,
            "first_cases_missing": self.missing_ids,
            "ids_not_in_cases": self.unmatched,
            "first_ids_not_in_cases": self.unmatched_ids,
            "skipped_lines": self.skipped,
        }

    def describe(self, cases_file: str) -> list[str]:
        """Lines for people: what matched, and what did not, with the first ids."""
        name = self.path.name
        lines = [f"  {name} ({self.role}): {_n(self.matched, 'case')} found in it"]
        if self.missing:
            what = "skipped: no verdict" if self.role == JUDGE else "imported without these ratings"
            lines.append(f"    {_n(self.missing, 'case')} not in it ({what}): "
                         f"{_ids(self.missing_ids, self.missing)}")  # fmt: skip
        if self.unmatched:
            lines.append(f"    {_n(self.unmatched, 'id')} of it not in {cases_file}: "
                         f"{_ids(self.unmatched_ids, self.unmatched)}")  # fmt: skip
        if self.skipped:
            lines.append(f"    {_n(self.skipped, 'record')} of it unreadable (skipped, above)")
        return lines


def _n(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _ids(ids: list[str], total: int) -> str:
    shown = ", ".join(repr(i) for i in ids)
    return shown + (", …" if total > len(ids) else "")


@dataclass
class JoinResult:
    """How the files met: one :class:`SideCounts` per side file, judge first."""

    on: str
    files: list[SideCounts]

    def to_json(self) -> dict[str, Any]:
        return {"on": self.on, "files": [f.to_json() for f in self.files]}

    def brief(self) -> str:
        """In one line, for a refusal: what each joined file matched, and the first ids on
        each side that did not (keys that do not match at all show here)."""
        parts = []
        for f in self.files:
            part = f"{f.path.name} has {_n(f.matched, 'case')}"
            if f.missing:
                part += f", not {_ids(f.missing_ids, f.missing)}"
            if f.unmatched:
                part += f"; its ids {_ids(f.unmatched_ids, f.unmatched)} are no case's"
            parts.append(part)
        return f"joined on {self.on}: " + "; ".join(parts)

    def describe(self, cases_file: str) -> list[str]:
        lines = [f"Joined on {self.on}:"]
        for f in self.files:
            lines += f.describe(cases_file)
        return lines


@dataclass
class _Side:
    spec: SideFile
    table: str
    mapping: FieldMapping
    counts: SideCounts


class SideIndex:
    """The side files of a join, indexed by key in a temporary SQLite database.

    ``problems()`` builds it (yielding each side file's unreadable records, ``file`` set);
    then ``lookup`` gives a case's judge and ratings; ``result()`` the counts. ``close`` (or
    the ``with`` block) removes the database. ``pulse`` is called now and then while indexing.
    """

    def __init__(
        self,
        join: Join,
        opener: Opener,
        *,
        pulse: Callable[[], None] | None = None,
    ) -> None:
        self.join = join
        self.opener = opener
        self.pulse = pulse
        self.bytes_read = 0
        """Of the side files, while they are indexed."""
        # "": a private database in a temporary file, deleted when closed (on POSIX at once:
        # nothing is left if the process is killed); pages beyond the cache go to that file.
        self.db = sqlite3.connect("", check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=MEMORY")  # (a batch's, to roll back a duplicate)
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute(f"PRAGMA cache_size=-{CACHE_KB}")
        self.sides: list[_Side] = []
        self._key = FieldMapping((("id", join.on.side),))
        """Reads a joined record's key as a case's id is read (``a+b`` joined by ``|``)."""
        self._used: list[list[tuple[str]]] = []
        """Per side: keys looked up and found, not yet marked as used."""

    def __enter__(self) -> SideIndex:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # building

    def problems(self) -> Generator[LineProblem, None, None]:
        """Index every side file; their unreadable records, as line problems of their own."""
        done = 0
        for n, spec in enumerate(self.join.files):
            source = self.opener(spec)
            table = f"side{n}"
            long = isinstance(spec, RatingsFile) and spec.rater_field is not None
            mapping = self._mapping(spec, source, long)
            side = _Side(spec, table, mapping, SideCounts(spec.path, spec.role))
            self.sides.append(side)
            self._used.append([])
            rater = "rater TEXT NOT NULL DEFAULT ''"
            self.db.execute(
                f"CREATE TABLE {table} (key TEXT NOT NULL, {rater}, line INTEGER NOT NULL, "
                "data TEXT NOT NULL, used INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (key, rater)) "
                "WITHOUT ROWID"
            )
            with closing(source.raw_records()) as records:
                rows: list[tuple[str, str, int, str]] = []
                size = 0
                for record in records:
                    self.bytes_read = done + source.bytes_read
                    item = self._row(side, record, source.unit)
                    if isinstance(item, LineProblem):
                        side.counts.skipped += 1
                        yield item
                    else:
                        rows.append(item)
                        size += len(item[3])
                    if len(rows) >= BATCH or size >= BATCH_BYTES:
                        self._insert(side, rows, source.unit)
                        rows, size = [], 0
                        if self.pulse is not None:
                            self.pulse()
                self._insert(side, rows, source.unit)
            done += source.size_bytes
            self.bytes_read = done
            side.counts.records = self._count(f"SELECT count(DISTINCT key) FROM {table}")
            if side.counts.records == 0:
                skipped = f" ({side.counts.skipped} {source.unit}s skipped)"
                raise FileRefused(
                    spec.path,
                    f"no {'verdicts' if spec.role == JUDGE else 'ratings'} could be read"
                    f"{skipped if side.counts.skipped else ''}",
                )

    def _mapping(self, spec: SideFile, source: RecordSource, long: bool) -> FieldMapping:
        fields: list[str] = []
        read = 0
        unreadable: RawRecord | None = None
        with closing(source.raw_records()) as records:
            for record in records:
                if record.data is None:
                    unreadable = unreadable or record
                    continue
                sample = record.flat if record.flat is not None else record.data
                fields += [f for f in source_fields(sample) if f not in fields]
                read += 1
                if read >= SAMPLE:
                    break
        if not read:
            why = f": {unreadable.problem}" if unreadable and unreadable.problem else ""
            line = unreadable.line if unreadable is not None else None
            raise FileRefused(spec.path, f"no record can be read{why}", line, unit=source.unit)
        key = self.join.on.side
        if spec.role == JUDGE:
            mapping = judge_mapping(fields, key, spec.mapping)
            ours = mapping.as_dict()
            if not {"judge", "judge.label"} & set(ours) and not named_like_ours(
                "judge.label", fields
            ):
                raise FileRefused(
                    spec.path,
                    f"no field gives the judge's label; fields found: {', '.join(fields)}; "
                    "name it: --judge-map label=FIELD",
                )
            return mapping
        assert isinstance(spec, RatingsFile)
        mapping = ratings_mapping(fields, key, spec.mapping, spec.rater_field)
        labelled = {"ratings", "ratings.label"} & set(mapping.as_dict())
        if (
            long
            and not labelled
            or not long
            and not mapping.pairs
            and not named_like_ours("ratings", fields)
        ):
            hint = "--ratings-map ratings=FIELD (each row's label)" if long else (
                "--ratings-map ratings.RATER=FIELD")  # fmt: skip
            raise FileRefused(
                spec.path,
                f"no field gives the ratings; fields found: {', '.join(fields)}; name them: {hint}",
            )
        return mapping

    def _row(
        self, side: _Side, record: RawRecord, unit: str
    ) -> tuple[str, str, int, str] | LineProblem:
        path = side.spec.path

        def problem(message: str) -> LineProblem:
            where = f"{record.where}: " if record.where else ""
            return LineProblem(record.line, where + message, unit, file=path)

        if record.data is None:
            return problem(record.problem or "unreadable")
        data = side.mapping.apply(record.data, record.flat) if side.mapping.pairs else record.data
        keyed = self._key.apply(record.data, record.flat)
        try:
            key = case_id(keyed.get("id"))
        except Invalid as e:
            return problem(f"{e} ('{self.join.on.side}', the join's key)")
        try:
            if isinstance(side.spec, JudgeFile):
                verdict = _verdict(data, side.spec, side.mapping)
                return key, "", record.line, json.dumps(verdict)
            if isinstance(side.spec, RatingsFile) and side.spec.rater_field is not None:
                rater = _rater(record, side.spec.rater_field)
                rating = _rating(data)
                return key, rater, record.line, json.dumps(rating)
            return key, "", record.line, json.dumps(_ratings(data.get("ratings")))
        except Invalid as e:
            return problem(str(e))

    def _insert(self, side: _Side, rows: list[tuple[str, str, int, str]], unit: str) -> None:
        table = side.table
        try:
            with self.db:
                self.db.executemany(
                    f"INSERT INTO {table} (key, rater, line, data) VALUES (?, ?, ?, ?)", rows
                )
        except sqlite3.IntegrityError:
            self._duplicate(side, rows, unit)

    def _duplicate(self, side: _Side, rows: list[tuple[str, str, int, str]], unit: str) -> None:
        """Refuse the import for the first row whose key (and rater) is there already."""
        seen: dict[tuple[str, str], int] = {}
        for key, rater, line, _ in rows:
            first = seen.get((key, rater))
            if first is None:
                found = self.db.execute(
                    f"SELECT line FROM {side.table} WHERE key = ? AND rater = ?", (key, rater)
                ).fetchone()
                first = found[0] if found is not None else None
            if first is not None:
                what = f"rater '{rater}' twice for id '{key}'" if rater else f"duplicate id '{key}'"
                raise FileRefused(
                    side.spec.path, f"{what} (first on {unit} {first})", line, unit=unit
                )
            seen[(key, rater)] = line
        raise AssertionError("an integrity error without a duplicate")  # pragma: no cover

    def _count(self, sql: str, *args: Any) -> int:
        return int(self.db.execute(sql, args).fetchone()[0])

    # looking up

    def lookup(self, key: str) -> list[tuple[SideFile, int | None, Any]]:
        """For each side file: (the file, the line of the case's record or None when the file
        lacks it, the judge's verdict or the list of ratings it gives). Counts the match."""
        return list(self._lookup(key))

    def _lookup(self, key: str) -> Iterator[tuple[SideFile, int | None, Any]]:
        for side, used in zip(self.sides, self._used, strict=True):
            rows = self.db.execute(
                f"SELECT line, data, rater FROM {side.table} WHERE key = ? ORDER BY line", (key,)
            ).fetchall()
            if not rows:
                side.counts.missing += 1
                if len(side.counts.missing_ids) < FIRST_IDS:
                    side.counts.missing_ids.append(key)
                yield side.spec, None, None
                continue
            side.counts.matched += 1
            used.append((key,))
            if len(used) >= BATCH:
                self._mark_used(side, used)
            if isinstance(side.spec, JudgeFile):
                yield side.spec, rows[0][0], json.loads(rows[0][1])
            elif isinstance(side.spec, RatingsFile) and side.spec.rater_field is not None:
                ratings = [{**json.loads(data), "rater": rater} for _, data, rater in rows]
                yield side.spec, rows[0][0], ratings
            else:
                yield side.spec, rows[0][0], json.loads(rows[0][1])

    def _mark_used(self, side: _Side, used: list[tuple[str]]) -> None:
        """Mark keys found as used: a batch at a time, in a transaction of its own (so that
        the journal holds one batch's pages)."""
        with self.db:
            self.db.executemany(f"UPDATE {side.table} SET used = 1 WHERE key = ?", used)
        used.clear()

    def result(self) -> JoinResult:
        """The counts, with the side files' keys no case had (after every case was looked up)."""
        for side, used in zip(self.sides, self._used, strict=True):
            self._mark_used(side, used)
            table = side.table
            c = side.counts
            c.unmatched = self._count(f"SELECT count(DISTINCT key) FROM {table} WHERE used = 0")
            c.unmatched_ids = [
                key
                for (key,) in self.db.execute(
                    f"SELECT key FROM {table} WHERE used = 0 GROUP BY key ORDER BY min(line) "
                    "LIMIT ?",
                    (FIRST_IDS,),
                )
            ]
        return JoinResult(self.join.on.spec(), [s.counts for s in self.sides])


def _verdict(data: dict[str, Any], spec: JudgeFile, mapping: FieldMapping) -> dict[str, Any]:
    """The judge's verdict from a judge file's mapped record; Invalid without a label."""
    value = data.get("judge")
    verdict = dict(value) if isinstance(value, dict) else {"label": value}
    if to_label(verdict.get("label"), "the judge's label") is None:
        theirs = mapping.as_dict().get("judge.label", "judge")
        raise Invalid(f"no judge label ('{theirs}' is missing or empty)")
    if spec.name:
        verdict["model"] = spec.name
    return verdict


def _rater(record: RawRecord, rater_field: str) -> str:
    assert record.data is not None
    value = lookup(record.data, rater_field, record.flat)
    rater = None if value is MISSING else to_label(value, "the rater")
    if rater is None:
        raise Invalid(f"a rating with no rater ('{rater_field}' is missing or empty)")
    return rater


def _rating(data: dict[str, Any]) -> dict[str, Any]:
    """One row's rating (label null: the rater abstained)."""
    value = data.get("ratings")
    if isinstance(value, dict):
        return {"label": value.get("label"), "comment": to_text(value.get("comment"))}
    return {"label": value}


def _ratings(value: Any) -> list[Any]:
    """A wide record's ratings as a list of rating objects (bare labels named by position)."""
    if value is None or value == "":
        return []
    if isinstance(value, dict):
        return [
            {**v, "rater": str(rater)} if isinstance(v, dict) else {"rater": str(rater), "label": v}
            for rater, v in value.items()
        ]
    if isinstance(value, list):
        return [
            v if isinstance(v, dict) and v.get("rater") not in (None, "") else
            {**v, "rater": f"rater {n}"} if isinstance(v, dict) else
            {"rater": f"rater {n}", "label": v}
            for n, v in enumerate(value, start=1)
        ]  # fmt: skip
    raise Invalid(f"ratings must be a list or an object, not {type(value).__name__}")


def merged_ratings(own: Any, added: list[Any], source: str) -> Any:
    """The case's own ratings (any accepted shape) with those of the ratings file ``source``
    added. Invalid when a rater is in both."""
    if not added:
        return own
    if own is None or own == "":
        return added
    if not isinstance(own, dict | list):
        return own  # (normalize says what is wrong with it)
    mine = _ratings(own)
    names = {to_text(r.get("rater")) for r in mine if isinstance(r, dict)}
    for rating in added:
        if rating.get("rater") in names:
            raise Invalid(
                f"rater '{rating['rater']}' has a rating already (in the case, or a ratings "
                f"file before), and another in {source}"
            )
    return mine + added


__all__ = [
    "Join",
    "JoinKey",
    "JoinResult",
    "JudgeFile",
    "RatingsFile",
    "SideCounts",
    "SideFile",
    "SideIndex",
    "join_from_options",
    "judge_mapping",
    "parse_judge_map",
    "ratings_mapping",
]
