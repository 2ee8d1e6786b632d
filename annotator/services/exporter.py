"""Writing a workspace's labelled file: one line per decided case, standing on its own.

The format is ``formats/labelled/`` (its line and writers) and documented in docs/formats.md
("The labelled file"). The file is written atomically, so an interrupted export never leaves a
truncated file behind.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar, cast

import orjson

from annotator import __version__
from annotator.domain.merge import Scale
from annotator.domain.model import Status
from annotator.domain.split import Part, parts
from annotator.fileio import atomic_write, writing_behind
from annotator.formats.labelled import LineText, csv_writer, jsonl_writer, labelled_record
from annotator.formats.labelled.record import pairs_text, strings_text
from annotator.services.cancelling import last_chance
from annotator.services.lockstep import Lockstep
from annotator.services.split import SplitSettings
from annotator.services.workspace import Workspace, WorkspaceCorrupt, workspace_files
from annotator.storage import decisions, rubric_versions, schemes
from annotator.storage import project as stored_project
from annotator.storage.db import driver_connection, is_workspace_file, name_of, translated
from annotator.untrusted import json_safe

Progress = Callable[[int, int], None]
_T = TypeVar("_T")
LINES_AT_ONCE = 2000
"""JSON Lines made at once, then written in one call (as many as :func:`tick` counts between
two looks at the cancel button and the progress bar)."""
FORMATS = ("jsonl", "csv")
"""The labelled file's formats: JSON Lines, or CSV for a spreadsheet."""


def export_format(path: Path, asked: str | None = None) -> str:
    """The format to write ``path`` in: the one ``asked`` for, else CSV for a ``.csv`` name,
    else JSON Lines."""
    if asked is not None:
        return asked
    return "csv" if path.suffix.lower() == ".csv" else "jsonl"


class ExportCancelled(Exception):
    """The user cancelled; the previous file, if any, is untouched."""


def export_decisions(
    ws: Workspace,
    out: Path | str,
    fmt: str = "jsonl",
    *,
    include_undecided: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    formula_guard: bool = True,
) -> int:
    """Write the decisions of ``ws`` to ``out`` as ``jsonl`` or ``csv``. Returns the line count.
    ``formula_guard``: in CSV, a cell a spreadsheet would run as a formula is written with a
    leading ``'`` (``formats/labelled/sheet.py``); False writes every cell as it is."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}'; use jsonl or csv")
    refuse_precious(ws, Path(out))
    total = _count(ws, include_undecided)
    written = 0
    if progress is not None:
        progress(0, total)
    with atomic_write(out, newline="" if fmt == "csv" else None) as fh, _sink(fh, fmt) as sink:
        write = _writer(sink, fmt, formula_guard)
        # (closed at once if the export stops: the thread reading its rows stops with it)
        with contextlib.closing(_records(ws, include_undecided, lines=fmt == "jsonl")) as records:
            for record in records:
                if type(record) is Lines:  # written a few megabytes at a time
                    write(record.text)
                    written += record.size
                else:
                    write(record)
                    written += 1
                tick(written, total, progress, cancelled)
        last_export_chance(cancelled)
    if progress is not None:
        progress(written, total)
    return written


class _Behind:
    """A text file's ``write`` on the thread of ``fileio.writing_behind``."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write


@contextlib.contextmanager
def _sink(fh: IO[str], fmt: str) -> Iterator[IO[str]]:
    """Where the export writes: for JSON Lines, a few megabytes at a time, a thread that
    writes them to ``fh`` while the next lines are made (``fileio.writing_behind``; leaving
    the block waits for the last write); for CSV, a row at a time, ``fh`` itself."""
    if fmt != "jsonl":
        yield fh
        return
    with writing_behind(fh) as write:
        yield cast(IO[str], _Behind(write))  # (the writers call its write() only)


def tick(
    written: int, total: int, progress: Progress | None, cancelled: Callable[[], bool] | None
) -> None:
    """After each line: every 2,000, stop if the user cancelled (the previous file stays),
    else tell ``progress``."""
    if written % 2000 == 0:
        if cancelled is not None and cancelled():
            raise _cancelled()
        if progress is not None:
            progress(written, total)


def _cancelled() -> ExportCancelled:
    return ExportCancelled("export cancelled; no file was written")


def last_export_chance(cancelled: Callable[[], bool] | None) -> None:
    """Before the file takes its name: the last moment a cancel stops the export
    (``cancelling.last_chance``)."""
    last_chance(cancelled, _cancelled)


RESCUE_BLOCK = 1000
"""Row ids a rescue reads at once; a block SQLite cannot read is read again one case at a time."""


@dataclass(frozen=True)
class Rescue:
    """What :func:`rescue_decisions` got out of a damaged workspace."""

    written: int
    """Lines written: cases SQLite could still read."""
    unreadable: int
    """Row ids that could not be read (some may never have held a case)."""

    def describe(self, out: Path) -> str:
        lost = (
            f"; {self.unreadable} row(s) could not be read and are missing"
            if self.unreadable
            else "; every row could be read"
        )
        return f"Rescued {self.written} cases into {out}{lost}."


def rescue_decisions(
    ws: Workspace,
    out: Path | str,
    fmt: str = "jsonl",
    *,
    include_undecided: bool = False,
    formula_guard: bool = True,
    cancelled: Callable[[], bool] | None = None,
) -> Rescue:
    """Write what can still be read of a damaged workspace's decisions to ``out``: the cases
    are read a block of row ids at a time, and a block that SQLite cannot read is read again
    case by case, so that one damaged page loses only the cases on it. Lines come in row id
    (import) order. ``cancelled`` is asked after each block and, last, before the file takes
    its name (``last_export_chance``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}'; use jsonl or csv")
    refuse_precious(ws, Path(out))
    unreadable = 0
    written = 0
    with ws.engine.connect() as conn:
        last = decisions.last_row_id(conn)
    with atomic_write(out, newline="" if fmt == "csv" else None) as fh:
        write = _writer(fh, fmt, formula_guard)
        try:
            context = labelled_context(ws)
        except WorkspaceCorrupt:  # lines without the project's title and scales
            context = LabelledContext("", "", {})
        for first in range(1, last + 1, RESCUE_BLOCK):
            block_last = min(first + RESCUE_BLOCK - 1, last)
            rows, lost = _read_around_damage(ws, first, block_last, include_undecided)
            unreadable += lost
            for row in rows:
                write(labelled_line(row, context))
                written += 1
            if cancelled is not None and cancelled():
                raise _cancelled()
        last_export_chance(cancelled)
    return Rescue(written, unreadable)


def _writer(fh: IO[str], fmt: str, formula_guard: bool) -> Callable[[Any], None]:
    """A record's writer (JSON Lines: lines already made too, as one str)."""
    return csv_writer(fh, formula_guard=formula_guard) if fmt == "csv" else jsonl_writer(fh)


def _read_around_damage(
    ws: Workspace, first: int, last: int, include_undecided: bool
) -> tuple[list[Any], int]:
    try:
        with ws.engine.connect() as conn:
            return decisions.labelled_rows_between(conn, first, last, include_undecided), 0
    except WorkspaceCorrupt:
        if first == last:
            return [], 1
    rows: list[Any] = []
    lost = 0
    for row_id in range(first, last + 1):
        got, missing = _read_around_damage(ws, row_id, row_id, include_undecided)
        rows += got
        lost += missing
    return rows, lost


def refuse_precious(ws: Workspace, out: Path) -> None:
    """Never write the labelled file over a workspace or over a case file it was imported from."""
    if out.exists() and is_workspace_file(out):
        raise ValueError(f"{out} is a workspace; choose another file name for the export")
    resolved = out.resolve()
    if ws.path is not None and resolved in {f.resolve() for f in workspace_files(ws.path)}:
        raise ValueError(f"{out} is the workspace itself; choose another file name")
    if ws.imported_from(out):
        raise ValueError(f"{out} is a case file imported into this workspace; choose another name")


def _count(ws: Workspace, include_undecided: bool) -> int:
    with ws.engine.connect() as conn:
        return decisions.labelled_count(conn, include_undecided)


_NO_SCALE = Scale(())


@dataclass(frozen=True)
class LabelledContext:
    """What every line of the labelled file repeats: the project and the scales."""

    title: str
    fingerprint: str
    scales: dict[str, Scale]
    split: SplitSettings | None = None
    """The project's held-out split, which gives each case with a final label its ``split``
    (its own decision, or in a lead's workspace the reviewers' unanimous label; None: a
    workspace too damaged to read it; every line's ``split`` is then empty)."""
    rubric_hashes: dict[tuple[str, int], str] = field(default_factory=dict)
    """The hash of each rubric version, by (criterion, version): a decision's
    ``rubric_hash`` (``storage.rubric_versions.hashes``)."""


def labelled_context(ws: Workspace) -> LabelledContext:
    """The project and the scales, read once for every line of an export."""
    with ws.engine.connect() as conn:
        record = stored_project.project(conn)
        title, fingerprint = (record.title, record.fingerprint) if record else ("", "")
        scales = schemes.scales(conn)
        fraction, seed = stored_project.split_settings(conn)
        hashes = rubric_versions.hashes(conn)
    return LabelledContext(title, fingerprint, scales, SplitSettings(fraction, seed), hashes)


class Lines(NamedTuple):
    """JSON Lines made already (:func:`_line_batches`): their text, and how many they are."""

    text: str
    size: int


def _records(
    ws: Workspace, include_undecided: bool, *, lines: bool = False
) -> Generator[dict[str, Any] | Lines, None, None]:
    """The labelled file's records; ``lines``: as JSON Lines made already, a few thousand at
    a time (:func:`_line_batches`), as :func:`jsonl_writer` writes the records."""
    if lines:
        yield from _line_batches(ws, include_undecided)
        return
    context = labelled_context(ws)
    with ws.engine.connect() as conn:
        for row in decisions.labelled_rows(conn, include_undecided):
            yield labelled_line(row, context)


def labelled_line(row: Any, context: LabelledContext) -> dict[str, Any]:
    """The labelled file's line of a row of ``decisions.labelled_rows`` (or of a query that
    adds columns after those)."""
    scale = context.scales.get(row[2], _NO_SCALE)
    return labelled_record(
        **_line_fields(row, context),
        labels=list(scale.labels),
        ordinal=scale.ordinal,
        threshold=scale.threshold,
        project=context.fingerprint,
        project_title=context.title,
        app_version=__version__,
    )


def _line_fields(row: Any, context: LabelledContext) -> dict[str, Any]:
    """What a row of ``decisions.labelled_rows`` gives its line, besides the scale and the
    project."""
    status = Status(row[3])
    split = context.split
    part = split.part(row[0]).value if split is not None and row[18] else ""
    return {
        "case_id": row[0],
        "case_hash": row[1],
        "criterion": row[2],
        "status": status,
        "label": row[7],
        "rationale": row[8],
        "who_right": row[9],
        "who_right_overridden": bool(row[10]) if row[10] is not None else None,
        "tags": _json(row[11]) if row[11] else [],
        "confidence": row[12],
        "reviewer": row[13],
        "decided_at": row[14],
        "judge_label": row[4],
        "rater_labels": _json(row[6]) if row[6] else {},
        "kind": row[5],
        "split": part,
        "rubric_version": row[15],
        "rubric_hash": context.rubric_hashes.get((row[2], row[15])) if row[15] else None,
        "blind_label": row[16],
        "revealed_at": row[17],
    }


def _json(text: str) -> Any:
    """JSON the workspace wrote (SQLite, or ``json.dumps``): orjson reads it in a third of
    the time; what it refuses (a lone surrogate, say) is read as before."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


MEMO_SIZE = 4096
"""Texts of tag lists kept for the lines that repeat them (most lines repeat a handful; the
memo is emptied when full)."""


def rater_text(raw: str) -> str:
    """The rater labels as the line has them (``pairs_text``), from the JSON object SQLite's
    ``json_group_object`` makes of them (``{"rater":"label",...}``, without spaces). When no
    character in it is escaped (no backslash) and every value is a string (four quotes a
    pair, each pair's ``":"`` the only one), every quote delimits a string: the line's text
    is that object with a space after each ``":"`` and ``","``, which is what ``json.dumps``
    writes for such strings. Any other object is read and written again."""
    if "\\" not in raw and raw.count('"') == 4 * raw.count('":"'):
        return raw.replace('":"', '": "').replace('","', '", "')
    return pairs_text(_json(raw))


def _line_batches(ws: Workspace, include_undecided: bool) -> Iterator[Lines]:
    """The labelled file's JSON Lines, :data:`LINES_AT_ONCE` at a time (the last fewer), as
    :func:`jsonl_writer` writes :func:`labelled_line`'s records: made straight from the rows
    (``LineText.unsafe_line``), what every line of a criterion or a project repeats encoded
    once, the rows read ahead on a thread (:func:`_read_ahead`)."""
    context = labelled_context(ws)
    text = LineText(context.fingerprint, context.title, __version__)
    no_scale = text.scale_text(_NO_SCALE.labels, _NO_SCALE.ordinal, _NO_SCALE.threshold)
    scales = {
        c: text.scale_text(s.labels, s.ordinal, s.threshold) for c, s in context.scales.items()
    }
    statuses = {int(s): s for s in Status}
    split = context.split
    part = parts(split.seed, split.fraction) if split is not None else None
    parts_named = {p: p.value for p in Part}
    hashes = context.rubric_hashes
    memo: dict[str, str] = {}

    def tags_text(raw: str | None) -> str:
        """A decision's tags (a JSON list, as the workspace holds it) as the line has them."""
        if not raw:
            return "[]"
        got = memo.get(raw)
        if got is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            got = memo[raw] = strings_text(_json(raw))
        return got

    line = text.unsafe_line
    # One read transaction: the ids and their rows are of the same moment.
    with ws.engine.connect() as conn, conn.begin(), translated(name_of(ws.engine)):
        db = driver_connection(conn)
        ids = decisions.labelled_ids(db, include_undecided)
        chunks = (ids[i : i + LINES_AT_ONCE] for i in range(0, len(ids), LINES_AT_ONCE))
        reading = (decisions.labelled_rows_of(db, chunk) for chunk in chunks)
        with _read_ahead(reading) as batches:
            for rows in batches:
                lines = []
                for row in rows:
                    status = statuses.get(row[3])
                    if status is None:
                        status = Status(row[3])  # (ValueError, as for any row)
                    criterion, version, overridden = row[2], row[15], row[10]
                    lines.append(
                        line(
                            (
                                row[0],
                                row[1],
                                criterion,
                                status,
                                row[7],
                                row[8],
                                row[9],
                                bool(overridden) if overridden is not None else None,
                                tags_text(row[11]),
                                row[12],
                                row[13],
                                row[14],
                                parts_named[part(row[0])] if part is not None and row[18] else "",
                                row[4],
                                rater_text(row[6]) if row[6] else "{}",
                                row[5],
                                scales.get(criterion, no_scale),
                                version,
                                hashes.get((criterion, version)) if version else None,
                                row[16],
                                row[17],
                            )
                        )
                    )
                yield Lines(json_safe("".join(lines)), len(lines))


READ_AHEAD = 4
"""Batches of rows read ahead of the lines made from them."""


@contextlib.contextmanager
def _read_ahead(reading: Iterator[_T]) -> Iterator[Iterator[_T]]:
    """``reading``'s items, read on a thread of their own up to :data:`READ_AHEAD` ahead of
    the caller (SQLite makes the next rows on one core while Python writes lines on the
    other). An error in reading is raised in the caller. Leaving the block, however early,
    stops the thread (after the item it is reading) before the connection is let go."""
    with Lockstep(lambda: reading, ahead=READ_AHEAD, name="annotator-reader") as ahead:
        yield iter(ahead)
