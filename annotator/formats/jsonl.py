"""JSON Lines case files: an optional project header line, then one case object per line."""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import closing

from annotator.domain.model import Project
from annotator.formats.errors import FileRefused
from annotator.formats.header import is_header, parse_header
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.lines import Lines, OpenedFile
from annotator.formats.normalize import kind_of
from annotator.formats.records import RawRecord


def scan(opened: OpenedFile) -> tuple[Project | None, int | None]:
    """The project header and its line, if any. FileRefused when no case line follows."""
    lines = Lines(opened)
    project: Project | None = None
    header_line: int | None = None
    with closing(iter(lines)) as it:
        for text in it:
            stripped = text.strip()
            if not stripped:
                continue
            if header_line is not None:
                return project, header_line
            _refuse_whole_json(opened, stripped, lines.line)
            try:
                record = loads(stripped)
            except JsonError as e:
                if _HEADER_START.match(stripped):
                    # Meant as the header but broken: importing without it would lose the
                    # label sets and the rubric, so the whole file is refused.
                    raise FileRefused(
                        opened.path, f"bad project header: invalid JSON: {e}", lines.line
                    ) from None
                record = None
            if not is_header(record):
                return None, None
            project = parse_header(record, opened.path, lines.line)
            header_line = lines.line
    raise FileRefused(opened.path, "the file has no cases")


def _refuse_whole_json(opened: OpenedFile, first: str, line: int) -> None:
    """Refuse a JSON document (an array, or a pretty-printed object) read as JSON Lines (by
    --format jsonl: the format is otherwise found from the file's start)."""
    if first.startswith("["):
        raise FileRefused(
            opened.path, "the file is a JSON array, not JSON Lines: read it as --format json", line
        )
    if first == "{":
        raise FileRefused(
            opened.path,
            "the file looks like pretty-printed JSON, not JSON Lines: read it as --format json",
            line,
        )


_HEADER_START = re.compile(r'^\{\s*"project"\s*:')


def records(lines: Lines, header_line: int | None) -> Generator[RawRecord, None, None]:
    """Every non-blank line after the header, parsed."""
    for text in lines:
        line = lines.line
        if line == header_line:
            continue
        raw = text[:-1] if text.endswith("\n") else text
        raw = raw[:-1] if raw.endswith("\r") else raw
        if not raw.strip():
            continue
        yield _record(line, raw)


def _record(line: int, raw: str) -> RawRecord:
    try:
        data = loads(raw)
    except JsonError as e:
        return RawRecord(line, raw, None, f"invalid JSON: {e}")
    if not isinstance(data, dict):
        return RawRecord(line, raw, None, f"not a JSON object (found {kind_of(data)})")
    if is_header(data):
        return RawRecord(line, raw, None, "a project header is only allowed on the first line")
    return RawRecord(line, raw, data)
