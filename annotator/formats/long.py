"""Long format: one row per rating (case, rater, label), grouped into one case per id.

MT-Bench's human judgments look like this: ``question_id, model_a, model_b, judge, winner``,
one row per judge (a person) and comparison. With ``--rater-field judge`` the rows of one id
become one case whose ratings are ``{row's rater: row's label}``; the label is what ``ratings``
is mapped to (``--map ratings=winner``). With ``--judge-rater NAME`` the rows of that rater
(``gpt4_pair``) give the LLM judge's verdict instead of a rating.

Every row of a case must give the same case fields (input, outputs, ...; a row may leave one
out): rows that differ refuse the file, naming both lines. A row with a rater but no label is
an abstention; a row whose rater is missing, or a case the judge rated twice, skips the case.

Rows of one case need not be adjacent (files are often sorted by rater). The rows are sorted
by id with an external merge sort: runs of about :data:`RUN_BYTES` are sorted in memory and,
when there is more than one, spilled to an anonymous temporary file (deleted by the system
even if the import is killed) and merged, so that a file of millions of rows is never held in
memory. Cases therefore come in the order of their ids (numbers in them compared as numbers),
whatever the order of the rows: the same rows in any order give the same cases.
"""

from __future__ import annotations

import heapq
import pickle
import re
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.jsontext import describe
from annotator.formats.mapping import FieldMapping

RUN_BYTES = 16 << 20
"""Rows held in memory before they are sorted and spilled (by the length of their text)."""
BLOCK_BYTES = 256 << 10
"""Rows written, and read back, at a time."""
CASE_FIELDS = ("criterion", "input", "output", "outputs", "reference", "judge", "meta")
"""The fields every row of a case must agree on (``id`` groups them; ``ratings`` differ)."""


@dataclass(frozen=True)
class LongFormat:
    rater_field: str
    """The source field naming each row's rater (a column, key or dotted path)."""
    judge_rater: str | None = None
    """Rows whose rater is this give the LLM judge's label, not a rating."""

    def __post_init__(self) -> None:
        if not self.rater_field.strip():
            raise ValueError("--rater-field names no field")
        object.__setattr__(self, "rater_field", self.rater_field.strip())
        if self.judge_rater is not None:
            object.__setattr__(self, "judge_rater", self.judge_rater.strip() or None)


def long_format(
    rater_field: str | None, judge_rater: str | None, mapping: FieldMapping | None
) -> LongFormat | None:
    """The long format that ``--rater-field`` and ``--judge-rater`` ask for (None: one record
    per case). ValueError when they cannot work: a judge rater with no rater field, or no
    field mapped to ``ratings`` for each row's label."""
    if rater_field is None or not rater_field.strip():
        if judge_rater is not None:
            raise ValueError("--judge-rater needs --rater-field (the field naming the rater)")
        return None
    if mapping is None or "ratings" not in mapping.as_dict():
        raise ValueError(
            "--rater-field needs the field holding each row's label: add --map ratings=FIELD"
        )
    return LongFormat(rater_field, judge_rater)


@dataclass(frozen=True, slots=True)
class Row:
    """One row, mapped: its case id, its rater (None when it names none) and its record."""

    line: int
    raw: str
    case_id: str
    rater: str | None
    record: dict[str, Any]
    problem: str | None = None
    """Why the row's case cannot be read (a rating with no rater)."""


@dataclass(frozen=True, slots=True)
class Grouped:
    """One case's rows as one record: the case fields, ``ratings`` and (perhaps) ``judge``."""

    line: int
    """The line of the case's first row."""
    raw: str
    """The rows' own records, as a JSON array."""
    record: dict[str, Any]


_DIGITS = re.compile(r"(\d+)")


def natural(text: str) -> tuple[Any, ...]:
    """A sort key that puts "case 2" before "case 10"."""
    parts: list[Any] = _DIGITS.split(text)
    for i in range(1, len(parts), 2):
        digits = parts[i].lstrip("0")
        parts[i] = (len(digits), digits)
    return tuple(parts)


_Sorted = tuple[tuple[Any, ...], str, int, Row]
"""(natural key, id, row number, row): sorted on the first three, which are unique."""


class _Runs:
    """Rows sorted by id: in memory, or spilled in sorted runs and merged."""

    def __init__(self, run_bytes: int) -> None:
        self.run_bytes = run_bytes
        self.rows: list[_Sorted] = []
        self.size = 0
        self.file: IO[bytes] | None = None
        self.runs: list[tuple[int, int]] = []

    def add(self, seq: int, row: Row) -> None:
        self.rows.append((natural(row.case_id), row.case_id, seq, row))
        self.size += len(row.raw) + 100
        if self.size >= self.run_bytes:
            self._spill()

    def _spill(self) -> None:
        self.rows.sort(key=_order)
        if self.file is None:
            # Closed by close(); unnamed (or deleted on close on Windows) from the start.
            self.file = tempfile.TemporaryFile(prefix="annotator-long-")  # noqa: SIM115
        start = self.file.seek(0, 2)
        block: list[_Sorted] = []
        size = 0
        for item in self.rows:
            block.append(item)
            size += len(item[3].raw) + 100
            if size >= BLOCK_BYTES:
                self._write(block)
                block, size = [], 0
        if block:
            self._write(block)
        self.runs.append((start, self.file.tell()))
        self.rows, self.size = [], 0

    def _write(self, block: list[_Sorted]) -> None:
        assert self.file is not None
        data = pickle.dumps(block, protocol=pickle.HIGHEST_PROTOCOL)
        self.file.write(len(data).to_bytes(8, "little"))
        self.file.write(data)

    def _read(self, start: int, end: int) -> Iterator[_Sorted]:
        assert self.file is not None
        at = start
        while at < end:
            self.file.seek(at)
            size = int.from_bytes(self.file.read(8), "little")
            block: list[_Sorted] = pickle.loads(self.file.read(size))  # (our own file)
            at += 8 + size
            yield from block

    def sorted(self) -> Iterator[_Sorted]:
        if not self.runs:
            self.rows.sort(key=_order)
            return iter(self.rows)
        if self.rows:
            self._spill()
        return heapq.merge(*(self._read(start, end) for start, end in self.runs), key=_order)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _order(item: _Sorted) -> tuple[tuple[Any, ...], str, int]:
    return item[0], item[1], item[2]


@dataclass
class Counts:
    """How far a grouping is: rows read (and sorted), then rows grouped into cases."""

    read: int = 0
    grouped: int = 0
    done_reading: bool = False

    def fraction(self) -> float:
        """Of the rows' grouping, once they are all read (0 before)."""
        return self.grouped / self.read if self.done_reading and self.read else 0.0


PULSE_ROWS = 1000
"""Rows between two calls of ``pulse`` while the rows are read and sorted."""


def grouped(
    rows: Iterable[Row | LineProblem],
    long: LongFormat,
    path: Path,
    *,
    unit: str = "line",
    run_bytes: int | None = None,
    counts: Counts | None = None,
    pulse: Callable[[], None] | None = None,
) -> Generator[Grouped | LineProblem, None, None]:
    """The cases of ``rows``: problems of unreadable rows first, as they come, then one
    Grouped record (or a LineProblem) per id, in id order. FileRefused when two rows of a case
    give different case fields. ``run_bytes``: default :data:`RUN_BYTES`. ``counts`` is kept
    up to date; ``pulse`` is called every :data:`PULSE_ROWS` rows read (no case comes before
    they are all read: an import checks for a cancel there)."""
    counts = counts if counts is not None else Counts()
    runs = _Runs(RUN_BYTES if run_bytes is None else run_bytes)
    try:
        for seq, row in enumerate(rows):
            if isinstance(row, LineProblem):
                yield row
            else:
                runs.add(seq, row)
                counts.read += 1
            if pulse is not None and seq % PULSE_ROWS == PULSE_ROWS - 1:
                pulse()
        counts.done_reading = True
        case: list[Row] = []
        for _, case_id, _, row in runs.sorted():
            counts.grouped += 1
            if case and case_id != case[0].case_id:
                yield _case(case, long, path, unit)
                case = []
            case.append(row)
        if case:
            yield _case(case, long, path, unit)
    finally:
        runs.close()


def _case(rows: list[Row], long: LongFormat, path: Path, unit: str) -> Grouped | LineProblem:
    first = rows[0]
    where = f"case '{first.case_id}'"
    for row in rows:
        if row.problem is not None:
            return LineProblem(row.line, f"{where}: {row.problem}", unit)
    record: dict[str, Any] = {"id": first.case_id}
    seen: dict[str, int] = {}
    judge_rows = [r for r in rows if long.judge_rater is not None and r.rater == long.judge_rater]
    for row in rows:
        for field in CASE_FIELDS:
            value = row.record.get(field)
            if value is None or field == "judge" and long.judge_rater is not None:
                continue
            if field in record and record[field] != value:
                raise FileRefused(
                    path,
                    f"{where} has another '{field}' here than on {unit} {seen[field]} "
                    f"({describe(value)}, not {describe(record[field])}): in long format, "
                    "every row of a case must give the same case fields",
                    row.line,
                    unit=unit,
                )
            record.setdefault(field, value)
            seen.setdefault(field, row.line)
    if long.judge_rater is not None:
        judge_rater = f"the judge ('{long.judge_rater}')"
        if not judge_rows:
            return LineProblem(first.line, f"{where}: no row of {judge_rater}", unit)
        if len(judge_rows) > 1:
            again = f"{where}: {judge_rater} rated it twice (first on {unit} {judge_rows[0].line})"
            return LineProblem(judge_rows[1].line, again, unit)
        judge = judge_rows[0].record
        verdict = dict(judge["judge"]) if isinstance(judge.get("judge"), dict) else {}
        verdict["label"] = _label(judge.get("ratings"))
        verdict.setdefault("model", long.judge_rater)
        record["judge"] = verdict
    judges = {id(row) for row in judge_rows}
    record["ratings"] = [
        _rating(row.rater, row.record.get("ratings"))
        for row in rows
        if row.rater is not None and id(row) not in judges
    ]
    raw = "[" + ",".join(row.raw for row in rows) + "]"
    return Grouped(first.line, raw, record)


def _label(value: Any) -> Any:
    return value.get("label") if isinstance(value, dict) else value


def _rating(rater: str, value: Any) -> dict[str, Any]:
    """A rating object (``label`` null when the row has none: an abstention)."""
    if isinstance(value, dict):
        return {**value, "rater": rater, "label": value.get("label")}
    return {"rater": rater, "label": value}
