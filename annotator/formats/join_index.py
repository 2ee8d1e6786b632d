"""A join's index: the side files of a :class:`~annotator.formats.join.Join` read into a
temporary SQLite database by key (:class:`SideIndex`), each case of the case file looked up in
it, and how each side file met the case file (:class:`SideCounts`, :class:`JoinResult`).

``join.py`` says what a join is (its key, its files, how their fields are guessed); this
module does the work, for ``reader.CaseReader``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.join import (
    BATCH,
    BATCH_BYTES,
    CACHE_KB,
    FIRST_IDS,
    JUDGE,
    SAMPLE,
    Join,
    JudgeFile,
    RatingsFile,
    SideFile,
    judge_mapping,
    ratings_mapping,
)
from annotator.formats.mapping import (
    MISSING,
    FieldMapping,
    lookup,
    named_like_ours,
    source_fields,
)
from annotator.formats.normalize import Invalid, case_id, to_label, to_text
from annotator.formats.records import RawRecord


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
    unmatched_lines: list[int] = field(default_factory=list)
    """The line of each of ``unmatched_ids`` (its first record's)."""
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

    def guess(self, spec: SideFile) -> FieldMapping:
        """The mapping ``spec`` would be read with (its fields guessed from its first
        records), without indexing it; FileRefused as indexing would."""
        long = isinstance(spec, RatingsFile) and spec.rater_field is not None
        return self._mapping(spec, self.opener(spec), long)

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
            first = self.db.execute(
                f"SELECT key, min(line) FROM {table} WHERE used = 0 GROUP BY key ORDER BY "
                "min(line) LIMIT ?",
                (FIRST_IDS,),
            ).fetchall()
            c.unmatched_ids = [key for key, _ in first]
            c.unmatched_lines = [line for _, line in first]
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


__all__ = ["JoinResult", "RecordSource", "SideCounts", "SideIndex", "merged_ratings"]
