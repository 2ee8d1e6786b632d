"""Import a case file into a workspace: streamed, in one transaction, all or nothing.

Line problems (bad JSON on a line, an unknown label, ...) skip that line and are reported; file
problems (bad encoding, duplicate ids, ...) refuse the whole file. See docs/formats.md.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, text

from annotator.domain.disagreement import classify
from annotator.domain.model import Kind, LabelScheme, Project, Rating, Verdict
from annotator.domain.serialize import (
    canonical_json,
    case_to_dict,
    hash_of_canonical,
    search_text,
)
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.mapping import FieldMapping
from annotator.formats.reader import CaseReader, ParsedCase
from annotator.services.classification import (
    change_threshold,
    check_threshold,
    reclassify,
)
from annotator.services.workspace import Workspace, now_iso, scheme_of, store_fingerprint
from annotator.storage.db import driver_connection, writing
from annotator.storage.tables import SEARCH_TABLE, ImportRow, SchemeRow

BATCH = 1000
"""Cases per insert batch."""
CLASSIFIED_KEPT = 100_000
MAX_PROBLEMS_KEPT = 1000

# Straight through the sqlite3 cursor with positional parameters: SQLAlchemy's per-row parameter
# processing cost as much as the inserts themselves (docs/benchmarks.md).
_INSERT_CASE = (
    "INSERT INTO cases (id, ext_id, import_id, position, line, criterion, content_hash, "
    "judge_label, rater_labels, n_ratings, consensus, kind, severity, status) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
)
_INSERT_TEXT = "INSERT INTO case_text (case_id, raw, data, search) VALUES (?, ?, ?, ?)"
_INSERT_RATING = "INSERT INTO rating (case_id, rater, label) VALUES (?, ?, ?)"
_INDEX_TEXT = (
    f"INSERT INTO {SEARCH_TABLE}(rowid, search) "
    "SELECT case_id, search FROM case_text WHERE case_id BETWEEN ? AND ?"
)
"""Index a batch of new ``case_text`` rows (see storage/tables.py on why not a trigger)."""

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all)."""


class ImportCancelled(Exception):
    """The user cancelled; nothing was imported."""


@dataclass
class ImportReport:
    path: Path
    added: int = 0
    present: int = 0
    """Cases already in the workspace with the same content, left as they were."""
    skipped: int = 0
    problems: list[LineProblem] = field(default_factory=list)
    """The first reported line problems (at most 1,000)."""
    kinds: Counter[str] = field(default_factory=Counter)
    """Disagreement kinds of the cases added."""

    @property
    def disagreements(self) -> int:
        return sum(n for k, n in self.kinds.items() if Kind(k).is_disagreement)

    def describe_problems(self, limit: int = 20) -> list[str]:
        lines = [p.describe(self.path) for p in self.problems[:limit]]
        if self.skipped > limit:
            lines.append(f"… and {self.skipped - limit} more skipped lines")
        return lines


def import_file(
    ws: Workspace,
    path: Path | str,
    mapping: FieldMapping | None = None,
    *,
    strict: bool = False,
    encoding: str | None = None,
    fmt: str | None = None,
    threshold: float | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ImportReport:
    """Import ``path`` into ``ws``. Raises FileRefused (nothing imported) or ImportCancelled.

    ``threshold``, when given, becomes the disagreement threshold of every ordinal criterion.
    """
    path = Path(path)
    if threshold is not None:
        check_threshold(threshold)  # before reading: not after a long import
    reader = CaseReader(path, mapping, encoding=encoding, fmt=fmt, strict=strict)
    with writing(ws.engine) as conn:
        return _Import(conn, reader, path, mapping, threshold, progress, cancelled).run()


class _Import:
    def __init__(
        self,
        conn: Connection,
        reader: CaseReader,
        path: Path,
        mapping: FieldMapping | None,
        threshold: float | None,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.conn = conn
        self.reader = reader
        self.path = path
        self.mapping = mapping
        self.progress = progress
        self.cancelled = cancelled
        self.report = ImportReport(path)
        self.schemes: dict[str, SchemeRow] = {}
        self._scheme_cache: dict[str, LabelScheme] = {}
        self.spellings: dict[str, dict[str, str]] = {}
        """Per undeclared criterion: casefolded label -> the spelling first seen."""
        self._classified: dict[tuple[str, str, tuple[str, ...]], tuple[str | None, str, int]] = {}
        """Classification by (criterion, judge label, rater labels): few distinct ones."""
        self.threshold = threshold

    def refuse(self, message: str, line: int | None = None) -> FileRefused:
        return FileRefused(self.path, message, line)

    def run(self) -> ImportReport:
        conn = self.conn
        self.import_id = int(
            conn.execute(
                ImportRow.__table__.insert().values(  # type: ignore[attr-defined]
                    path=str(self.path.resolve()),
                    fmt=self.reader.fmt,
                    imported_at=now_iso(),
                    mapping=json.dumps(self.mapping.as_dict() if self.mapping else {}),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        )
        self.next_id = (
            int(conn.execute(text("SELECT coalesce(max(id), 0) FROM cases")).scalar_one()) + 1
        )
        self.next_pos = int(
            conn.execute(text("SELECT coalesce(max(position), 0) FROM cases")).scalar_one()
        )
        self.load_schemes()
        self.apply_header(self.reader.project)
        self.sqlite = driver_connection(conn)
        with _Lockstep(self.prepared_batches) as batches:
            self.lockstep = batches
            for batch, bytes_read in batches:
                self.flush(batch, bytes_read)
        if self.report.added + self.report.present == 0:
            detail = f": {self.report.problems[0].message}" if self.report.problems else ""
            first = self.report.problems[0].line if self.report.problems else None
            raise self.refuse(
                f"no valid cases ({self.report.skipped} lines skipped){detail}", first
            )
        self.settle_inferred_schemes()
        if self.threshold is not None:
            for crit, row in list(self.schemes.items()):
                if row.ordinal and row.threshold != self.threshold:
                    change_threshold(self.conn, crit, self.threshold)
        self.finish()
        return self.report

    # -- label schemes ------------------------------------------------------------

    def load_schemes(self) -> None:
        for crit, labels, ordinal, threshold, rubric, declared in self.conn.execute(
            text("SELECT criterion, labels, ordinal, threshold, rubric, declared FROM scheme")
        ):
            self.schemes[crit] = SchemeRow(
                criterion=crit,
                labels=labels,
                ordinal=bool(ordinal),
                threshold=threshold,
                rubric=rubric,
                declared=bool(declared),
            )

    def apply_header(self, project: Project | None) -> None:
        conn = self.conn
        row = conn.execute(text("SELECT title, guidelines FROM project WHERE id = 1")).one()
        title = row.title if row.title not in ("", "Untitled project") else ""
        if project is None:
            if not title:
                conn.execute(text("UPDATE project SET title = :t"), {"t": self.path.stem})
            return
        conn.execute(
            text("UPDATE project SET title = :t, guidelines = :g WHERE id = 1"),
            {"t": title or project.title, "g": row.guidelines or project.guidelines},
        )
        for crit, scheme in project.schemes.items():
            self.declare(crit, scheme)

    def declare(self, crit: str, scheme: LabelScheme) -> None:
        old = self.schemes.get(crit)
        name = f"criterion '{crit}'" if crit else "the label set"
        old_labels: tuple[str, ...] = tuple(json.loads(old.labels)) if old else ()
        if old is not None and old.declared:
            same = [x.casefold() for x in old_labels] == [x.casefold() for x in scheme.labels]
            if not same or old.ordinal != scheme.ordinal:
                raise self.refuse(
                    f"{name} is {list(scheme.labels)} here but {list(old_labels)} in the workspace",
                    1,
                )
            return  # labels that differ only in case: the workspace's spelling stays
        spelling = {x.casefold(): x for x in old_labels}
        stray = set(spelling) - {x.casefold() for x in scheme.labels}
        if stray:
            raise self.refuse(
                f"{name} {list(scheme.labels)} leaves out labels already in the workspace: "
                f"{sorted(spelling[x] for x in stray)}",
                1,
            )
        # Labels inferred earlier keep their spelling, so the cases already stored still match.
        labels = [spelling.get(x.casefold(), x) for x in scheme.labels]
        scheme = replace(scheme, labels=tuple(labels))
        new = SchemeRow(
            criterion=crit,
            labels=json.dumps(labels, ensure_ascii=False),
            ordinal=scheme.ordinal,
            threshold=scheme.threshold,
            rubric=scheme.rubric,
            declared=True,
        )
        self.upsert_scheme(new)
        if old is not None:
            reclassify(self.conn, crit, scheme)

    def upsert_scheme(self, row: SchemeRow) -> None:
        self.schemes[row.criterion] = row
        self._scheme_cache.pop(row.criterion, None)
        self.conn.execute(
            text(
                "INSERT OR REPLACE INTO scheme (criterion, labels, ordinal, threshold, rubric, "
                "declared) VALUES (:criterion, :labels, :ordinal, :threshold, :rubric, :declared)"
            ),
            row.model_dump(),
        )

    def conform(self, item: ParsedCase) -> ParsedCase | LineProblem:
        """Give the case's labels the spelling of its criterion's label set.

        With a label set the workspace declares (a file's header declares its own first), an
        unknown label is a line problem and known ones take the workspace's spelling. Without one,
        labels that differ only in case are one label, spelled as first seen ("PASS", "pass").
        """
        case = item.case
        row = self.schemes.get(case.criterion)
        spell: Callable[[str], str | None]
        if row is not None and row.declared:
            # The workspace's spelling (the file's header, if any, was declared into it).
            spell = self.scheme_for(case.criterion).canonical
        elif self.reader.project is not None and self.reader.project.schemes:
            return item  # the reader has checked the labels against the file's header
        else:
            spell = self.spelling(case.criterion)
        judge = spell(case.judge.label)
        if judge is None:
            return LineProblem(
                item.line, _unknown(case.judge.label, "judge", self.scheme_for(case.criterion))
            )
        ratings = []
        for r in case.ratings:
            label = spell(r.label)
            if label is None:
                message = _unknown(r.label, f"rater '{r.rater}'", self.scheme_for(case.criterion))
                return LineProblem(item.line, message)
            ratings.append(Rating(r.rater, label, r.comment))
        if judge == case.judge.label and all(
            a.label == b.label for a, b in zip(ratings, case.ratings, strict=True)
        ):
            return item
        j = case.judge
        verdict = Verdict(judge, j.rationale, j.score, j.model)
        return replace(item, case=replace(case, judge=verdict, ratings=tuple(ratings)))

    def spelling(self, criterion: str) -> Callable[[str], str]:
        """For a criterion with no declared labels: one spelling per label, ignoring case."""
        known = self.spellings.get(criterion)
        if known is None:
            old = self.schemes.get(criterion)
            known = {x.casefold(): x for x in json.loads(old.labels)} if old else {}
            self.spellings[criterion] = known
        table = known

        def spell(label: str) -> str:
            return table.setdefault(label.casefold(), label)

        return spell

    def scheme_for(self, criterion: str) -> LabelScheme:
        scheme = self._scheme_cache.get(criterion)
        if scheme is None:
            row = self.schemes.get(criterion)
            scheme = scheme_of(row) if row is not None else LabelScheme(())
            self._scheme_cache[criterion] = scheme
        return scheme

    def settle_inferred_schemes(self) -> None:
        """Give criteria without a declared label set one inferred from the labels seen."""
        for crit, spellings in self.spellings.items():
            old = self.schemes.get(crit)
            if old is not None and old.declared:
                continue
            scheme = infer_scheme(list(spellings.values()))
            self.upsert_scheme(
                SchemeRow(
                    criterion=crit,
                    labels=json.dumps(list(scheme.labels), ensure_ascii=False),
                    ordinal=scheme.ordinal,
                    threshold=old.threshold if old else 0.0,
                    declared=False,
                )
            )
            if scheme.ordinal:
                reclassify(self.conn, crit, self.scheme_for(crit))

    # -- cases ------------------------------------------------------------

    def problem(self, problem: LineProblem) -> None:
        self.report.skipped += 1
        if len(self.report.problems) < MAX_PROBLEMS_KEPT:
            self.report.problems.append(problem)

    def prepared_batches(self) -> Iterator[tuple[list[_Ready | LineProblem], int]]:
        """The file's cases made ready to insert, in batches (runs on the preparing thread).

        Everything here is Python work that needs no database: parsing, checking, the
        canonical JSON and its hash, the search text and the classification. Schemes are not
        changed while it runs (declared before, settled after), so it reads them safely.
        """
        batch: list[_Ready | LineProblem] = []
        ready = 0
        for item in self.reader:
            if isinstance(item, ParsedCase):
                conformed = self.conform(item)
                if isinstance(conformed, ParsedCase):
                    batch.append(self.ready(conformed))
                    ready += 1
                else:
                    batch.append(conformed)
            else:
                batch.append(item)
            if ready >= BATCH or len(batch) >= 4 * BATCH:
                yield batch, self.reader.bytes_read
                batch, ready = [], 0
        if batch:
            yield batch, self.reader.bytes_read

    def ready(self, parsed: ParsedCase) -> _Ready:
        """Everything the case's rows need that takes no database."""
        case = parsed.case
        data = canonical_json(case_to_dict(case))
        raters = tuple(r.label for r in case.ratings)
        key = (case.criterion, case.judge.label, raters)
        columns = self._classified.get(key)
        if columns is None:
            c = classify(case.judge.label, raters, self.scheme_for(case.criterion))
            columns = (c.consensus, c.kind.value, c.severity)
            if len(self._classified) < CLASSIFIED_KEPT:
                self._classified[key] = columns
        return _Ready(
            line=parsed.line,
            ext_id=case.id,
            raw=parsed.raw,
            data=data,
            content_hash=hash_of_canonical(data),
            search=search_text(case),
            criterion=case.criterion,
            judge_label=case.judge.label,
            rater_labels=json.dumps([[r.rater, r.label] for r in case.ratings], ensure_ascii=False),
            ratings=[(r.rater, r.label) for r in case.ratings],
            classification=columns,
        )

    def flush(self, batch: list[_Ready | LineProblem], bytes_read: int) -> None:
        """Insert one batch: duplicates and changed cases refuse the file, as before."""
        if self.cancelled is not None and self.cancelled():
            raise ImportCancelled(f"import of {self.path.name} cancelled; nothing was imported")
        ready: list[_Ready] = []
        for item in batch:
            if isinstance(item, LineProblem):
                self.problem(item)
            else:
                ready.append(item)
        existing = self.existing([r.ext_id for r in ready])
        first_line: dict[str, int] = {}
        cases: list[tuple[Any, ...]] = []
        texts: list[tuple[int, str, str, str]] = []
        ratings: list[tuple[int, str, str]] = []
        first_id = self.next_id
        for r in ready:
            if r.ext_id in first_line:
                raise self.duplicate(r.ext_id, r.line, first_line[r.ext_id])
            first_line[r.ext_id] = r.line
            old = existing.get(r.ext_id)
            if old is not None:
                old_import, old_line, old_hash, old_path = old
                if old_import == self.import_id:
                    raise self.duplicate(r.ext_id, r.line, old_line)
                if old_hash != r.content_hash:
                    raise self.refuse(
                        f"case '{r.ext_id}' is already in this workspace with different content "
                        f"(imported from {Path(old_path).name}, line {old_line})",
                        r.line,
                    )
                self.report.present += 1
                continue
            row_id = self.next_id
            self.next_id += 1
            self.next_pos += 1
            consensus, kind, severity = r.classification
            cases.append(
                (row_id, r.ext_id, self.import_id, self.next_pos, r.line, r.criterion,
                 r.content_hash, r.judge_label, r.rater_labels, len(r.ratings), consensus, kind,
                 severity)
            )  # fmt: skip
            texts.append((row_id, r.raw, r.data, r.search))
            ratings += [(row_id, rater, label) for rater, label in r.ratings]
        db = self.sqlite
        if cases:
            db.executemany(_INSERT_CASE, cases)
            db.executemany(_INSERT_TEXT, texts)
        if ratings:
            db.executemany(_INSERT_RATING, ratings)
        if cases:
            # One statement indexes the whole batch: FTS5 tokenizes it in C, without the GIL,
            # while the other thread prepares the next batch.
            self.lockstep.overlap()
            db.execute(_INDEX_TEXT, (first_id, self.next_id - 1))
        self.report.added += len(cases)
        if self.progress is not None:
            self.progress(bytes_read, self.reader.size_bytes)

    def duplicate(self, case_id: str, line: int, first: int) -> FileRefused:
        return self.refuse(f"duplicate id '{case_id}' (first seen on line {first})", line)

    def existing(self, ids: list[str]) -> dict[str, tuple[int, int, str, str]]:
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        query = (
            "SELECT c.ext_id, c.import_id, c.line, c.content_hash, i.path FROM cases c "
            f"JOIN import_batch i ON i.id = c.import_id WHERE c.ext_id IN ({marks})"
        )
        return {ext: (imp, line, h, p) for ext, imp, line, h, p in self.sqlite.execute(query, ids)}

    def finish(self) -> None:
        r = self.report
        # Counted now: inferred ordinal scales and a threshold reclassify after insertion.
        r.kinds.update(
            dict(
                self.conn.execute(
                    text("SELECT kind, count(*) FROM cases WHERE import_id = :id GROUP BY kind"),
                    {"id": self.import_id},
                ).fetchall()
            )
        )
        self.conn.execute(
            text(
                "UPDATE import_batch SET added = :a, present = :p, skipped = :s, problems = :pr "
                "WHERE id = :id"
            ),
            {
                "a": r.added,
                "p": r.present,
                "s": r.skipped,
                "pr": json.dumps([p.describe(self.path) for p in r.problems[:100]]),
                "id": self.import_id,
            },
        )
        store_fingerprint(self.conn)


@dataclass(slots=True)
class _Ready:
    """One case, checked and prepared, waiting for its row id."""

    line: int
    ext_id: str
    raw: str
    data: str
    content_hash: str
    search: str
    criterion: str
    judge_label: str
    rater_labels: str
    ratings: list[tuple[str, str]]
    classification: tuple[str | None, str, int]
    """consensus, kind, severity"""


T = TypeVar("T")


class _Lockstep(Generic[T]):
    """Prepares the next batch on a second thread while SQLite indexes the current one.

    Python threads share one interpreter lock; SQLite gives it up only while it works in C, and
    the long stretch of that is FTS5 tokenizing a batch (one statement). So the two threads take
    turns: the preparing thread works only between ``overlap()`` (called right before that
    statement) and the hand-over of its batch, and never competes with the short inserts, whose
    thousands of steps would each wait for the lock. With one core free the stages overlap;
    without, they run one after the other as in a single thread.

    An exception in the generator is raised in the consumer; leaving the ``with`` block early (an
    error, a cancel) stops the generator on its thread, which closes the file.
    """

    def __init__(self, produce: Callable[[], Iterator[T]]) -> None:
        self._produce = produce
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._permits = threading.Semaphore(1)  # the first batch is prepared at once
        self._permitted = True
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="import-prepare", daemon=True)

    def __enter__(self) -> _Lockstep[T]:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop = True
        self._permits.release()
        while self._thread.is_alive():  # a producer may be waiting to hand over a batch
            with contextlib.suppress(queue.Empty):
                self._queue.get(timeout=0.05)
        self._thread.join()

    def __iter__(self) -> Iterator[T]:
        while True:
            self.overlap()
            item = self._queue.get()
            self._permitted = False
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    def overlap(self) -> None:
        """Let the next batch be prepared now (at most one batch ahead)."""
        if not self._permitted:
            self._permitted = True
            self._permits.release()

    def _run(self) -> None:
        try:
            generator = self._produce()
            try:
                while True:
                    self._permits.acquire()
                    if self._stop:
                        return
                    item = next(generator, _DONE)
                    self._queue.put(item)
                    if item is _DONE:
                        return
            finally:
                close = getattr(generator, "close", None)
                if close is not None:
                    close()
        except BaseException as exc:  # raised again in the consumer
            self._queue.put(_Failed(exc))


_DONE: Any = object()


@dataclass(frozen=True)
class _Failed:
    exc: BaseException


def infer_scheme(labels: list[str]) -> LabelScheme:
    """A label set inferred from data: numbers make an ordinal scale, anything else is nominal."""
    try:
        numbers = sorted(labels, key=float)
    except ValueError:
        return LabelScheme(tuple(sorted(labels, key=str.casefold)))
    return LabelScheme(tuple(numbers), ordinal=True)


def _unknown(label: str, whose: str, scheme: LabelScheme) -> str:
    """Worded as the reader words it (annotator/formats/normalize.py)."""
    return f"unknown label '{label}' for {whose}; expected one of: {', '.join(scheme.labels)}"
