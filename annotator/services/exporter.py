"""Writing a workspace's labelled file: one line per decided case, standing on its own.

The format is ``formats/labelled/`` (its line and writers) and documented in docs/formats.md
("The labelled file"). The file is written atomically, so an interrupted export never leaves a
truncated file behind.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.domain.model import Status
from annotator.fileio import atomic_write
from annotator.formats.labelled import csv_writer, jsonl_writer, labelled_record
from annotator.services.workspace import Workspace, workspace_files
from annotator.storage import decisions, schemes
from annotator.storage import project as stored_project
from annotator.storage.db import is_workspace_file

Progress = Callable[[int, int], None]
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
) -> int:
    """Write the decisions of ``ws`` to ``out`` as ``jsonl`` or ``csv``. Returns the line count."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format '{fmt}'; use jsonl or csv")
    refuse_precious(ws, Path(out))
    total = _count(ws, include_undecided)
    written = 0
    with atomic_write(out, newline="" if fmt == "csv" else None) as fh:
        write = csv_writer(fh) if fmt == "csv" else jsonl_writer(fh)
        for record in _records(ws, include_undecided):
            write(record)
            written += 1
            if written % 2000 == 0:
                if cancelled is not None and cancelled():
                    raise ExportCancelled("export cancelled; no file was written")
                if progress is not None:
                    progress(written, total)
    if progress is not None:
        progress(written, total)
    return written


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


def _records(ws: Workspace, include_undecided: bool) -> Iterator[dict[str, Any]]:
    with ws.engine.connect() as conn:
        record = stored_project.project(conn)
        title, fingerprint = (record.title, record.fingerprint) if record else ("", "")
        scales = {c: (list(s.labels), s.ordinal) for c, s in schemes.scales(conn).items()}
        for row in decisions.labelled_rows(conn, include_undecided):
            labels, ordinal = scales.get(row[2], ([], False))
            yield labelled_record(
                case_id=row[0],
                case_hash=row[1],
                criterion=row[2],
                status=Status(row[3]),
                label=row[7],
                rationale=row[8],
                who_right=row[9],
                who_right_overridden=bool(row[10]) if row[10] is not None else None,
                tags=json.loads(row[11]) if row[11] else [],
                confidence=row[12],
                reviewer=row[13],
                decided_at=row[14],
                judge_label=row[4],
                rater_labels=json.loads(row[6]) if row[6] else {},
                kind=row[5],
                labels=labels,
                ordinal=ordinal,
                project=fingerprint,
                project_title=title,
                app_version=__version__,
            )
