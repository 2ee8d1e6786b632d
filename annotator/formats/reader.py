"""Read a case file (JSON Lines or CSV) as a stream of parsed cases and line problems."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.domain.model import Case, Project
from annotator.formats import csvfile, jsonl
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.header import load_sidecar
from annotator.formats.lines import Lines, open_text
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid, normalize
from annotator.formats.records import RawRecord

FORMATS = ("jsonl", "csv")
_SUFFIXES = {".jsonl": "jsonl", ".json": "jsonl", ".ndjson": "jsonl",
             ".csv": "csv", ".tsv": "csv"}  # fmt: skip
# Any other name (.txt included) is JSON Lines when its first character is "{", else CSV.
_ALIASES = {"json": "jsonl", "ndjson": "jsonl", "tsv": "csv"}


@dataclass(frozen=True)
class ParsedCase:
    line: int
    raw: str
    """The original record verbatim: the JSONL line, or the CSV row as a JSON object."""
    case: Case


class CaseReader:
    """A case file, checked at open (cheaply) and streamed on iteration.

    Opening raises FileRefused for file-level problems; iterating yields ParsedCase or
    LineProblem items and may raise FileRefused: CSV columns missing after mapping (at once, so
    that a mapping can still be chosen from ``sample_records``), bad encoding further in,
    strict mode, no cases.
    Duplicate ids are not detected here (the importer does that).
    """

    def __init__(
        self,
        path: Path | str,
        mapping: FieldMapping | None = None,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        strict: bool = False,
    ) -> None:
        self.path = Path(path)
        self.mapping = mapping if mapping is not None and mapping.pairs else None
        self.strict = strict
        self._opened = open_text(self.path, encoding)
        self.size_bytes = self._opened.size
        self.fmt = _detect_format(self.path, fmt, self._opened.head)
        self._lines: Lines | None = None
        self._header_line: int | None = None
        self._layout: csvfile.CsvLayout | None = None
        self.project: Project | None
        if self.fmt == "jsonl":
            self.project, self._header_line = jsonl.scan(self._opened)
        else:
            self._layout = csvfile.scan(self._opened)
            self.project = load_sidecar(self.path)

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far by the current (or last) iteration."""
        return self._lines.bytes_read if self._lines is not None else 0

    def __iter__(self) -> Iterator[ParsedCase | LineProblem]:
        if self._layout is not None:
            csvfile.check_required(self._opened, self._layout, self.mapping)
        self._lines = lines = Lines(self._opened)
        found = False
        with closing(self._records(lines)) as records:
            for record in records:
                found = True
                item = self._parse(record)
                if self.strict and isinstance(item, LineProblem):
                    raise FileRefused(self.path, f"{item.message} (strict mode)", item.line)
                yield item
        if not found:
            raise FileRefused(self.path, "the file has no cases")

    def _records(self, lines: Lines) -> Generator[RawRecord, None, None]:
        if self._layout is not None:
            return csvfile.records(lines, self._layout)
        return jsonl.records(lines, self._header_line)

    def _parse(self, record: RawRecord) -> ParsedCase | LineProblem:
        if record.data is None:
            return LineProblem(record.line, record.problem or "unreadable record")
        data = record.data
        if self.mapping is not None:
            data = self.mapping.apply(data, record.flat)
            if record.flat is not None:  # CSV: a mapped cell may hold JSON, as ours may
                data = csvfile.parse_json_fields(data)
        try:
            case = normalize(data, self.project)
        except Invalid as e:
            return LineProblem(record.line, str(e))
        return ParsedCase(record.line, record.raw, case)


def sample_records(
    path: Path | str, *, encoding: str | None = None, fmt: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The first readable records before mapping (CSV: rows by column name), for a preview."""
    reader = CaseReader(path, encoding=encoding, fmt=fmt)
    out: list[dict[str, Any]] = []
    if limit <= 0:
        return out
    with closing(reader._records(Lines(reader._opened))) as records:
        for record in records:
            if record.data is not None:
                out.append(dict(record.flat) if record.flat is not None else record.data)
                if len(out) >= limit:
                    break
    return out


def _detect_format(path: Path, fmt: str | None, head: str) -> str:
    if fmt is not None:
        fmt = _ALIASES.get(fmt.lower(), fmt.lower())
        if fmt not in FORMATS:
            raise ValueError(f"unknown format '{fmt}'; use jsonl or csv")
        return fmt
    by_suffix = _SUFFIXES.get(path.suffix.lower())
    if by_suffix is not None:
        return by_suffix
    return "jsonl" if head.lstrip().startswith("{") else "csv"
