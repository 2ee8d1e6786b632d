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
  rules) and indexed into a temporary SQLite database by key (``join_index.SideIndex``; unnamed:
  the system removes it even if the import is killed), so that memory stays flat; the case
  file is then streamed and each case looked up. A key twice in a side file (in long format:
  a rater twice for a key) refuses the import, naming both lines. An unreadable side record
  is a line problem of its own file.
- Nothing is dropped without a word: a case with no verdict in the judge file is skipped (a
  line problem naming the judge file); a case missing from a ratings file is imported without
  those ratings; both counted, as are the side file's ids the case file lacks
  (``join_index.SideCounts``, with the first few ids).
- One judge file per import: the case's judge. A case file that has its own judge label
  besides a judge file is refused, naming both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.formats.long import LongFormat
from annotator.formats.mapping import (
    FieldMapping,
    first_named,
    named_like_ours,
    rater_fields,
)

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


__all__ = [
    "JUDGE",
    "RATINGS",
    "Join",
    "JoinKey",
    "JudgeFile",
    "RatingsFile",
    "SideFile",
    "join_from_options",
    "judge_mapping",
    "parse_judge_map",
    "ratings_mapping",
]
