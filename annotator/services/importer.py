"""Import a case file into a workspace: streamed, in one transaction, all or nothing.

Line problems (bad JSON on a line, an unknown label, ...) skip that line and are reported; file
problems (bad encoding, duplicate ids, ...) refuse the whole file. See docs/formats.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from annotator.domain.disagreement import classify
from annotator.domain.model import Project
from annotator.domain.serialize import canonical_case, rater_labels_json, search_text
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.join import Join
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping, refusal_hint, source_fields
from annotator.formats.presets import Preset, suggestion
from annotator.formats.reader import CaseReader, ParsedCase, sample_records
from annotator.formats.rounding import Rounding
from annotator.formats.sources import ignored_in
from annotator.formats.values import NoVerdict, ValueMap
from annotator.formats.wide import WideLayout
from annotator.services.cancelling import last_chance
from annotator.services.classification import check_threshold
from annotator.services.import_report import ImportReport, ImportUnconfirmed, warnings
from annotator.services.import_target import ImportTarget
from annotator.services.lockstep import Lockstep
from annotator.services.reimport import collision_hint, replace_earlier
from annotator.services.schemes import ImportSchemes, infer_scheme
from annotator.services.workspace import Clock, Workspace, now_iso
from annotator.storage import cases, judge_runs, search_index
from annotator.storage import project as stored_project
from annotator.storage.db import filling, writing
from annotator.storage.project import UNTITLED

BATCH = 1000
"""Cases per insert batch (by default)."""
CLASSIFIED_KEPT = 100_000
MAX_PROBLEMS_KEPT = 1000
HINT_SAMPLE = 20
"""Records read for the fields a refused file has."""
_MISSING_REQUIRED = ("missing id", "missing input", "missing judge label")

Progress = Callable[[int, int], None]
"""Called with (bytes done, bytes in all)."""


class ImportCancelled(Exception):
    """The user cancelled; nothing was imported."""


def _cancelled(path: Path) -> ImportCancelled:
    return ImportCancelled(f"import of {path.name} cancelled; nothing was imported")


def import_file(
    ws: Workspace,
    path: Path | str,
    mapping: FieldMapping | None = None,
    *,
    strict: bool = False,
    encoding: str | None = None,
    fmt: str | None = None,
    threshold: float | None = None,
    long: LongFormat | None = None,
    join: Join | None = None,
    preset: Preset | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    clock: Clock = now_iso,
    batch: int = BATCH,
    values: ValueMap | None = None,
    confirmed: bool = True,
    replace: bool = False,
    rounding: Rounding | None = None,
    wide: WideLayout | None = None,
    made_for_it: bool = False,
) -> ImportReport:
    """Import ``path`` into ``ws``. Raises FileRefused (nothing imported) or ImportCancelled.

    ``threshold``, when given, becomes the disagreement threshold of every ordinal criterion.
    ``long``: the file has one row per rating, grouped into cases by id (formats/long.py).
    ``join``: the judge's verdicts and ratings from other files, by id (formats/join.py); the
    report's ``join`` says how the files met. ``preset``: a tool's export (formats/presets),
    read as the preset says, ``mapping`` over its own.
    ``progress`` is called after each ``batch`` of cases with the bytes read and the file's
    size, and ``cancelled`` asked; ``clock`` stamps the import.
    ``values``: each source's label values mapped (formats/values.py). Unless ``confirmed``,
    an import that finds what ``import_report.warnings`` lists is rolled back and raises
    ``ImportUnconfirmed`` (with its report). ``replace``: an earlier import of the same file
    is replaced (services/reimport.py; without it, ``ImportWouldReplace`` when it differs).
    ``rounding``: scores between a numeric scale's labels rounded (formats/rounding.py);
    those left are a warning. ``wide``: a row per output with many criteria, a case per
    criterion (formats/wide.py); the report counts each criterion's cases.
    ``made_for_it``: ``ws`` was made for this import (``ImportTarget.created``) and nothing
    else reads it meanwhile: while it holds no case, the import writes its rows once, without
    the write-ahead log (``db.filling``).
    """
    path = Path(path)
    if threshold is not None:
        check_threshold(threshold)  # before reading: not after a long import
    try:
        reader = CaseReader(
            path, mapping, encoding=encoding, fmt=fmt, strict=strict, long=long, join=join,
            values=values, preset=preset, rounding=rounding, wide=wide,
        )  # fmt: skip
    except FileRefused as e:  # (a .eval archive is "not a text file" without its preset)
        more = suggestion(path) if preset is None and e.path == path else ""
        if not more:
            raise
        raise FileRefused(e.path, e.message + more, e.line, unit=e.unit) from None
    ignored = ignored_in(reader, encoding, limit=HINT_SAMPLE)
    options = _Options(mapping, threshold, progress, cancelled, clock, batch,
                       confirmed, replace, ws.path or ws.name, ignored)  # fmt: skip
    fill = made_for_it and ws.path is not None and ws.never_imported()
    with (filling if fill else writing)(ws.engine) as conn:
        report = _Import(conn, reader, path, options).run()
        last_chance(cancelled, lambda: _cancelled(path))
        return report


@dataclass(frozen=True)
class _Options:
    mapping: FieldMapping | None
    threshold: float | None
    progress: Progress | None
    cancelled: Callable[[], bool] | None
    clock: Clock
    batch: int
    confirmed: bool = True
    replace: bool = False
    workspace: Path | str = ""
    ignored: tuple[str, ...] = ()


class _Import:
    def __init__(self, conn: Connection, reader: CaseReader, path: Path, options: _Options) -> None:
        self.conn = conn
        self.reader = reader
        self.path = path
        self.options = options
        self.report = ImportReport(path)
        project = reader.project
        self.schemes = ImportSchemes(
            conn, path, header_declares=project is not None and bool(project.schemes)
        )
        self.writer = cases.CaseWriter(conn)
        self.first_id = self.writer.next_id
        reader.pulse = self.pulse
        self._classified: dict[tuple[str, str, tuple[str, ...]], tuple[str | None, str, int]] = {}
        """Classification by (criterion, judge label, rater labels): few distinct ones."""
        self._models: set[str] = set()
        """The judge models the cases name, up to two (the imported judge run's name)."""

    def pulse(self) -> None:
        """While a long file's rows are sorted (no batch yet): a cancel stops the import, and
        the progress shows."""
        cancelled, progress = self.options.cancelled, self.options.progress
        if cancelled is not None and cancelled():
            raise _cancelled(self.path)
        if progress is not None:
            progress(self.reader.bytes_read, self.reader.size_bytes)

    def refuse(self, message: str, line: int | None = None) -> FileRefused:
        return FileRefused(self.path, message, line, unit=self.reader.unit)

    def run(self) -> ImportReport:
        mapping = self.options.mapping
        recorded: dict[str, Any] = mapping.as_dict() if mapping else {}
        if self.reader.join is not None:  # (so that a re-import with the same join is known)
            recorded["join"] = self.reader.join.describe()
        if self.reader.preset is not None:
            recorded["preset"] = self.reader.preset.name
        if self.reader.values is not None:
            recorded["labels"] = self.reader.values.specs()
        if self.reader.rounding.modes:
            recorded["round"] = self.reader.rounding.specs()
        if self.reader.wide is not None:
            recorded["wide"] = self.reader.wide.to_json()
        self.report.replaced = replace_earlier(
            self.conn, self.path, recorded, replace=self.options.replace,
            workspace=self.options.workspace,
        )  # fmt: skip
        if self.report.replaced:  # (the label sets it inferred may be gone)
            self.schemes.reload()
        self.import_id = cases.begin_import(
            self.conn, str(self.path.resolve()), self.reader.fmt, json.dumps(recorded),
            self.options.clock(),
        )  # fmt: skip
        self.apply_header(self.reader.project)
        self.writer.defer_indexes()  # (into a new workspace: made once, in finish())
        with Lockstep(self.prepared_batches) as batches:
            self.lockstep = batches
            for batch, bytes_read in batches:
                self.flush(batch, bytes_read)
        self.report.join = self.reader.join_result
        self.report.labels = self.reader.label_counts
        self.report.between = self.reader.between
        self.report.ignored = list(self.options.ignored)
        self.report.mapped = self.reader.mapping is not None
        if self.report.added + self.report.present == 0:
            detail = f": {self.report.problems[0].message}" if self.report.problems else ""
            first = self.report.problems[0].line if self.report.problems else None
            skipped = f"{self.report.skipped} {self.reader.unit}s skipped"
            if self.report.no_verdict.cases:
                skipped += f"; {self.report.no_verdict.describe()}"
            raise self.refuse(f"no valid cases ({skipped}){detail}{self.hint()}", first)
        self.schemes.settle_inferred()
        if self.options.threshold is not None:
            self.schemes.set_threshold(self.options.threshold)
        found = [] if self.options.confirmed else warnings(self.report)
        if found:  # rolled back with the transaction
            raise ImportUnconfirmed(self.report, found)
        self.finish()
        return self.report

    def hint(self) -> str:
        """When the first line lacks an id, input or judge label: the file's fields and the
        guessed ``--map`` line (not in long format, whose import needs more than a mapping)."""
        problems = self.report.problems
        if self.reader.join_result is not None:  # (ids that don't match show there)
            return f"; {self.reader.join_result.brief()}"
        if not problems or self.reader.long is not None or self.reader.join is not None:
            return ""
        if self.reader.preset is not None:  # (its mapping is the preset's, not a guess)
            return ""
        preset = suggestion(self.path)  # a tool's export: its preset, before a guessed mapping
        if not problems[0].message.endswith(_MISSING_REQUIRED):
            return preset
        fields: list[str] = []
        try:
            for record in sample_records(self.path, fmt=self.reader.fmt, limit=HINT_SAMPLE):
                fields += [f for f in source_fields(record) if f not in fields]
        except (FileRefused, OSError):
            return ""
        guessed = refusal_hint(str(self.path), fields, self.options.mapping)
        return preset + (guessed and "; else" + guessed[1:]) if preset else guessed

    def apply_header(self, project: Project | None) -> None:
        """The project's title (the file's name, if nothing names it), guidelines and label
        schemes from the file's header; what the workspace has already stays."""
        record = stored_project.project(self.conn)
        assert record is not None
        title = record.title if record.title not in ("", UNTITLED) else ""
        if project is None:
            if not title:
                stored_project.set_title(self.conn, self.path.stem)
            return
        stored_project.set_title(
            self.conn, title or project.title, record.guidelines or project.guidelines
        )
        for crit, scheme in project.schemes.items():
            self.schemes.declare(crit, scheme)
        # a review pack's blind-first review and random order (only what the header says)
        stored_project.set_blind_settings(self.conn, project.blind_first, project.random_order)

    # -- cases ------------------------------------------------------------

    def problem(self, problem: LineProblem) -> None:
        if isinstance(problem, NoVerdict):  # counted apart: not a problem of the file
            self.report.no_verdict.add(problem)
            return
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
        size = self.options.batch
        for item in self.reader:
            if isinstance(item, ParsedCase):
                conformed = self.schemes.conform(item)
                if isinstance(conformed, ParsedCase):
                    batch.append(self.ready(conformed))
                    ready += 1
                else:
                    batch.append(conformed)
            else:
                batch.append(item)
            if ready >= size or len(batch) >= 4 * size:
                yield batch, self.reader.bytes_read
                batch, ready = [], 0
        if batch:
            yield batch, self.reader.bytes_read

    def ready(self, parsed: ParsedCase) -> _Ready:
        """Everything the case's rows need that takes no database."""
        case = parsed.case
        data, content_hash = canonical_case(case)
        raters = tuple(r.label for r in case.ratings)
        if len(self._models) < 2:
            self._models.add(case.judge.model.strip())
        key = (case.criterion, case.judge.label, raters)
        columns = self._classified.get(key)
        if columns is None:
            c = classify(case.judge.label, raters, self.schemes.scheme_for(case.criterion))
            columns = (c.consensus, c.kind.value, c.severity)
            if len(self._classified) < CLASSIFIED_KEPT:
                self._classified[key] = columns
        return _Ready(
            line=parsed.line,
            ext_id=case.id,
            raw=parsed.raw,
            data=data,
            content_hash=content_hash,
            search=search_text(case),
            criterion=case.criterion,
            judge_label=case.judge.label,
            rater_labels=rater_labels_json(case.ratings),
            ratings=[(r.rater, r.label) for r in case.ratings],
            classification=columns,
        )

    def flush(self, batch: list[_Ready | LineProblem], bytes_read: int) -> None:
        """Insert one batch: duplicates and changed cases refuse the file, as before."""
        cancelled, progress = self.options.cancelled, self.options.progress
        if cancelled is not None and cancelled():
            raise _cancelled(self.path)
        ready: list[_Ready] = []
        for item in batch:
            if isinstance(item, LineProblem):
                self.problem(item)
            else:
                ready.append(item)
        rows = self.rows(ready)
        self.writer.insert(*rows)  # (their search index comes after the commit: finish())
        self.report.added += len(rows[0])
        if progress is not None:
            progress(bytes_read, self.reader.size_bytes)

    def rows(self, ready: list[_Ready]) -> _Rows:
        """The rows of the new cases among ``ready``; a case stored before with the same
        content counts as present, one with other content or twice in the file refuses it."""
        existing = self.writer.existing([r.ext_id for r in ready])
        first_line: dict[str, int] = {}
        new: _Rows = ([], [], [])
        cases_, texts, ratings = new
        for r in ready:
            self.report.rated += bool(r.ratings)
            if r.ext_id in first_line:
                raise self.duplicate(r.ext_id, r.line, first_line[r.ext_id])
            first_line[r.ext_id] = r.line
            old = existing.get(r.ext_id)
            if old is not None:
                if old.import_id == self.import_id:
                    raise self.duplicate(r.ext_id, r.line, old.line)
                if old.content_hash != r.content_hash:
                    hint = collision_hint(self.conn, self.path, old.path, self.options.workspace)
                    raise self.refuse(
                        f"case '{r.ext_id}' is already in this workspace with different content "
                        f"(imported from {Path(old.path).name}, line {old.line}){hint}",
                        r.line,
                    )
                self.report.present += 1
                continue
            row_id, position = self.writer.take_id()
            consensus, kind, severity = r.classification
            cases_.append(
                (row_id, r.ext_id, self.import_id, position, r.line, r.criterion,
                 r.content_hash, r.judge_label, r.rater_labels, len(r.ratings), consensus, kind,
                 severity)
            )  # fmt: skip
            texts.append((row_id, r.raw, r.data, r.search))
            ratings += [(row_id, rater, label) for rater, label in r.ratings]
        return new

    def duplicate(self, case_id: str, line: int, first: int) -> FileRefused:
        unit = self.reader.unit
        return self.refuse(f"duplicate id '{case_id}' (first seen on {unit} {first})", line)

    def finish(self) -> None:
        self.writer.make_indexes()
        r = self.report
        # Counted now: inferred ordinal scales and a threshold reclassify after insertion.
        r.kinds.update(cases.kinds_of_import(self.conn, self.import_id))
        if self.reader.wide is not None:
            r.wide = self.reader.wide
            r.criteria = cases.kinds_by_criterion(self.conn, self.import_id)
        problems = json.dumps([p.describe(self.path) for p in r.problems[:100]])
        cases.finish_import(self.conn, self.import_id, r.added, r.present, r.skipped, problems)
        stored_project.store_fingerprint(self.conn)
        if r.added:  # indexed for search after the commit, in steps (storage/search_index.py)
            search_index.mark_new_rows(self.conn, self.first_id)
        self.add_imported_run()

    def add_imported_run(self) -> None:
        """The judge the cases came with is the project's first judge run, named after its
        model when the cases agree on one (``services.judge_runs``): made here, from what the
        import saw, rather than later by a walk over every case's text."""
        if judge_runs.has_imported_run(self.conn):
            return
        model = next(iter(self._models)) if len(self._models) == 1 else ""
        judge_runs.add_run(
            self.conn, model or judge_runs.IMPORTED_NAME, model=model,
            path=str(self.path.resolve()), mapping="{}", added_at=self.options.clock(),
            imported=True,
        )  # fmt: skip


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


_Rows = tuple[list[tuple[Any, ...]], list[tuple[int, str, str, str]], list[tuple[int, str, str]]]
"""New cases' rows: cases, case texts, ratings (``storage.cases.CaseWriter.insert``)."""


__all__ = [
    "ImportCancelled",
    "ImportReport",
    "ImportTarget",
    "import_file",
    "infer_scheme",
]
