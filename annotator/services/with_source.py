"""Writing each case's source record with its decision: ``annotator export --with-source``.

The labelled file holds a case's id and hash but not its text; this writes the records the
cases were imported from, as they were (the workspace keeps each verbatim), in the source's own
field names and format, with the case's line of the labelled file added (the writers are
``formats/labelled/source.py``; docs/formats.md, "The source with decisions"). The format is
the source's: a JSON array gives a JSON array, JSON Lines JSON Lines, CSV CSV (the columns of
every CSV file the cases came from), and Parquet Parquet (JSON Lines without pyarrow). Cases
from files of formats that cannot share one file (CSV and JSON) are refused, naming the files.

Streamed (a few thousand cases at a time) and written atomically, like the labelled file.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection

from annotator.fileio import atomic_write, atomic_write_bytes
from annotator.formats.labelled.record import Record
from annotator.formats.labelled.source import (
    CsvOut,
    JsonArrayOut,
    JsonLinesOut,
    columns,
    key_candidates,
    keys_of,
    ordered,
    project_header,
    rows_of,
)
from annotator.formats.labelled.source_parquet import NotOneSchema, ParquetOut, SchemaOf
from annotator.formats.labelled.source_parquet import available as parquet_available
from annotator.services.exporter import (
    Progress,
    labelled_context,
    labelled_line,
    last_export_chance,
    refuse_precious,
    tick,
)
from annotator.services.workspace import Workspace
from annotator.storage import cases, decisions, schemes
from annotator.storage import project as stored_project
from annotator.storage.cases import SourceFile
from annotator.untrusted import json_safe

FORMAT_NAMES = {"jsonl": "JSON Lines", "json": "a JSON array", "csv": "CSV", "parquet": "Parquet"}
SUFFIXES = {"jsonl": ".jsonl", "json": ".json", "csv": ".csv", "parquet": ".parquet"}
SIDECAR_FORMATS = ("csv", "parquet")
"""Formats whose project header goes to a sidecar file."""
_CSV_NAMES = (".csv", ".tsv")
_JSON_NAMES = (".jsonl", ".ndjson", ".json")


class Writer(Protocol):
    """What writes the records (``formats/labelled/source.py``, ``source_parquet.py``)."""

    def write(self, raw: str, decision: Record) -> int: ...
    def close(self) -> None: ...


class SourceRefused(ValueError):
    """The source records cannot be written as asked; the message says why and what to do."""


@dataclass(frozen=True)
class SourcePlan:
    """How the source records of a workspace's cases are written."""

    fmt: str
    """``jsonl``, ``json`` (a JSON array) or ``csv``."""
    key: str
    """The key of the decision in a JSON record; a CSV file's columns are ``<key>_<field>``."""
    columns: tuple[str, ...]
    """CSV: the source's columns, in their order (those of later files after)."""
    files: tuple[SourceFile, ...]
    notes: tuple[str, ...]
    """What the user should know (a Parquet source written as JSON Lines, a key suffixed)."""
    header: Record | None = None
    """The project header, when a header declared the label sets (JSON: the first record;
    CSV: the sidecar ``<name>.project.json``), so that the file reads back with them."""

    @property
    def suffix(self) -> str:
        """The file name's ending for this format."""
        return SUFFIXES[self.fmt]


@dataclass(frozen=True)
class SourceExport:
    """What :func:`export_with_source` wrote."""

    cases: int
    records: int
    """Records written: one per case, or a long-format case's rows."""
    plan: SourcePlan

    def describe(self, out: Path) -> str:
        rows = f" ({self.records} records)" if self.records != self.cases else ""
        text = f"Wrote {self.cases} cases{rows} with their source records to {out}"
        if self.plan.fmt in SIDECAR_FORMATS and self.plan.header is not None:
            text += f", their project header to {sidecar(out)}"
        return text


def plan_source(ws: Workspace, include_undecided: bool = False) -> SourcePlan:
    """The format, the decision's key and the columns the source records are written with.
    Raises :class:`SourceRefused` for cases from a CSV file and a JSON one together."""
    with ws.engine.connect() as conn:
        files = cases.source_files(conn, include_undecided) or cases.source_files(conn, True)
        fmt, notes = _format(files)
        if fmt == "csv":
            source_columns = _csv_columns(files)
            key = next(k for k in key_candidates() if not set(columns(k)) & set(source_columns))
        else:
            source_columns = ()
            key = next(k for k in key_candidates() if not _taken(conn, k, include_undecided))
        header = _header(conn)
    if key != key_candidates()[0]:
        field = key_candidates()[0]
        where = f"columns '{key}_label', …" if fmt == "csv" else f"'{key}'"
        notes.append(f"the source has its own '{field}' field: the decisions are under {where}")
    return SourcePlan(fmt, key, source_columns, tuple(files), tuple(notes), header)


def source_format(ws: Workspace) -> str:
    """The format the cases of ``ws`` are written in with their source records (``jsonl``,
    ``json`` or ``csv``; see :func:`plan_source`). Raises :class:`SourceRefused` for cases
    from a CSV file and a JSON one."""
    with ws.engine.connect() as conn:
        return _format(cases.source_files(conn, True))[0]


def _format(files: Sequence[SourceFile]) -> tuple[str, list[str]]:
    """The format to write the records of ``files`` in, and what to tell the user of it."""
    kinds = {f.fmt for f in files}
    if "csv" in kinds and len(kinds) > 1:
        raise SourceRefused(_mixed(files))
    if kinds == {"csv"}:
        return "csv", []
    if kinds == {"parquet"} and parquet_available():
        return "parquet", []
    return ("json" if kinds == {"json"} else "jsonl"), _json_notes(files, kinds)


def export_with_source(
    ws: Workspace,
    out: Path | str,
    *,
    include_undecided: bool = False,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    formula_guard: bool = True,
) -> SourceExport:
    """Write the source record of every decided case (or every case) of ``ws`` to ``out``,
    each with its decision added, in the source's format (:func:`plan_source`), in import
    order. ``formula_guard``: in CSV, every cell a spreadsheet would run as a formula (the
    source's too) is written with a leading ``'``."""
    out = Path(out)
    refuse_precious(ws, out)
    plan = _named(plan_source(ws, include_undecided), out)
    context = labelled_context(ws)
    written = records = 0
    with ws.engine.connect() as conn:
        total = decisions.labelled_count(conn, include_undecided)
        schema = _parquet_schema(conn, plan, out, include_undecided, cancelled)
        opened = (
            atomic_write_bytes(out)
            if plan.fmt == "parquet"
            else atomic_write(out, newline="" if plan.fmt == "csv" else None)
        )
        with opened as fh:
            writer = _writer(plan, fh, schema, formula_guard)
            for row in decisions.labelled_rows_with_source(conn, include_undecided):
                records += writer.write(row[-1], ordered(labelled_line(row, context)))
                written += 1
                tick(written, total, progress, cancelled)
            last_export_chance(cancelled)
            writer.close()
    if plan.fmt in SIDECAR_FORMATS and plan.header is not None:
        with atomic_write(sidecar(out)) as fh:
            fh.write(json_safe(json.dumps(plan.header, ensure_ascii=False, indent=2)) + "\n")
    if progress is not None:
        progress(written, total)
    return SourceExport(written, records, plan)


def _writer(plan: SourcePlan, fh: Any, schema: Any, formula_guard: bool) -> Writer:
    if plan.fmt == "parquet":
        return ParquetOut(fh, plan.key, schema)
    if plan.fmt == "csv":
        return CsvOut(fh, plan.columns, plan.key, formula_guard=formula_guard)
    return (JsonArrayOut if plan.fmt == "json" else JsonLinesOut)(fh, plan.key, plan.header)


def _parquet_schema(
    conn: Connection,
    plan: SourcePlan,
    out: Path,
    include_undecided: bool,
    cancelled: Callable[[], bool] | None,
) -> Any:
    """For Parquet: the schema of the source's records (a first pass over them, which a
    cancel stops like the writing)."""
    if plan.fmt != "parquet":
        return None
    schema = SchemaOf()
    try:
        rows = decisions.labelled_rows_with_source(conn, include_undecided)
        for n, row in enumerate(rows, 1):
            schema.add(row[-1])
            tick(n, 0, None, cancelled)
        return schema.finish()
    except NotOneSchema as exc:
        raise SourceRefused(
            f"{out.name}: the records of {_names(plan.files)} cannot share one Parquet "
            f"schema any more ({exc}); name the output {out.stem}.jsonl to write JSON Lines"
        ) from None


def sidecar(out: Path) -> Path:
    """Where a CSV file's project header goes: ``<name>.project.json`` beside it."""
    return out.with_name(f"{out.stem}.project.json")


def _header(conn: Connection) -> Record | None:
    record = stored_project.project(conn)
    declared = {c: s.scheme for c, s in schemes.schemes(conn).items() if s.declared}
    title, guidelines = (record.title, record.guidelines) if record else ("", "")
    return project_header(title, guidelines, declared)


def _taken(conn: Connection, key: str, include_undecided: bool) -> bool:
    """Whether a record (or a row of one) of the exported cases has ``key`` at its top (only
    the texts that hold ``"key"`` are read)."""
    texts = cases.texts_holding(conn, json.dumps(key), include_undecided)
    return any(key in keys_of(raw) for raw in texts)


def _csv_columns(files: Sequence[SourceFile]) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for f in files:
        rows = rows_of(f.first_text) if f.first_text else []
        if rows:
            found.update(dict.fromkeys(json.loads(rows[0])))
    return tuple(found)


def _names(files: Sequence[SourceFile]) -> str:
    return ", ".join(f"{Path(f.path).name} ({FORMAT_NAMES.get(f.fmt, f.fmt)})" for f in files)


def _mixed(files: Sequence[SourceFile]) -> str:
    return (
        "--with-source writes the cases in their source's format, and these come from CSV "
        f"and JSON files, which cannot share one file: {_names(files)}. Export without "
        "--with-source (the labelled file), or import the files into separate workspaces"
    )


def _json_notes(files: Sequence[SourceFile], kinds: set[str]) -> list[str]:
    if kinds == {"parquet"}:
        return [
            f"the cases came from {_names(files)}: written as JSON Lines (writing Parquet "
            "needs pyarrow: pip install 'annotator[parquet]')"
        ]
    if len(kinds) > 1:
        return [f"the cases came from {_names(files)}: written as JSON Lines"]
    return []


def _named(plan: SourcePlan, out: Path) -> SourcePlan:
    """``plan`` for the output's name: a Parquet source named ``.jsonl`` (or ``.json``) is
    written as JSON Lines; a name of another kind (CSV for JSON records, JSON for CSV rows)
    is refused, saying which name to use."""
    suffix = out.suffix.lower()
    if plan.fmt == "parquet" and suffix in _JSON_NAMES:
        note = (
            f"the cases came from {_names(plan.files)}: written as JSON Lines, as {out.name} asks"
        )
        return replace(plan, fmt="jsonl", notes=(*plan.notes, note))
    wrong = suffix in _CSV_NAMES if plan.fmt != "csv" else suffix in _JSON_NAMES
    if wrong:
        raise SourceRefused(
            f"{out.name}: the cases came from {_names(plan.files)}, and --with-source writes "
            f"them in their own format, {FORMAT_NAMES[plan.fmt]}: name the output "
            f"{out.stem}{plan.suffix}"
        )
    return plan
