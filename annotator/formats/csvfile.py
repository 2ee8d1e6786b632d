"""CSV case files: a header row of dotted column names, then one case per row."""

from __future__ import annotations

import csv
import json
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from itertools import chain
from types import GeneratorType
from typing import Any, NoReturn, cast

from annotator.formats.errors import FileRefused
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.labelled.sheet import unguard
from annotator.formats.labelled.source import from_export
from annotator.formats.lines import Lines, OpenedFile
from annotator.formats.mapping import FieldMapping, refusal_hint
from annotator.formats.records import RawRecord

DELIMITERS = (",", ";", "\t")
FIELD_LIMIT = 1 << 26
"""Largest cell accepted (64 MB); a larger one usually means an unmatched quote."""
_JSON_COLUMNS = ("judge", "ratings", "outputs", "meta")
"""Columns whose cell may hold a JSON object (or list) instead of a plain value."""


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    columns: tuple[str, ...]
    header_line: int
    """The line where the header row ends (records before it are skipped)."""
    header_start: int
    """The line where the header row starts."""
    guarded: bool = False
    """Written by ``export --with-source`` (its ``annotator_format`` columns): cells guarded
    against spreadsheet formulas are read without the guard (``labelled.sheet.unguard``)."""


def scan(opened: OpenedFile) -> CsvLayout:
    """Read the header row. FileRefused when it is unusable or no row follows."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    lines = Lines(opened)
    with closing(_lines(lines)) as it:
        first = next((text for text in it if text.strip()), None)
        if first is None:
            raise FileRefused(opened.path, "the file has no cases")
        start = lines.line
        delimiter = sniff_delimiter(first)
        reader = csv.reader(chain([first], it), delimiter=delimiter)
        header = _next(reader, opened, start) or []
        if it.gi_frame is None:  # (see records())
            _unmatched_quote(opened, start, lines.line)
        columns = _columns(header, opened, start)
        guarded = from_export(columns)
        if guarded:
            columns = tuple(unguard(name) for name in columns)
        layout = CsvLayout(delimiter, columns, lines.line, start, guarded)
        while True:
            start = lines.line + 1
            row = _next(reader, opened, start)
            if row is None:
                raise FileRefused(opened.path, "the file has no cases")
            if it.gi_frame is None:
                _unmatched_quote(opened, start, lines.line)
            if any(cell.strip() for cell in row):
                return layout


def _lines(lines: Lines) -> GeneratorType[str, None, None]:
    """The lines as the generator they are (its ``gi_frame`` is None once they run out)."""
    return cast("GeneratorType[str, None, None]", iter(lines))


def _unmatched_quote(
    opened: OpenedFile, start: int, end: int, cells: tuple[int, int] | None = None
) -> NoReturn:
    """Refuse the file for a quote left open in the row on lines ``start`` to ``end``: one
    never closed (it ran into the end of the file), or closed only by a stray quote lines
    later, leaving ``cells`` (found, expected) that don't fit the header.

    The csv module reads a quote that is never closed as a cell running to the end of the
    file, and returns it as a row: hundreds of rows would be lost without a word.
    """
    quote = _quote_line(opened, start, end)
    n = end - quote
    taken = f"{n} line{'s' if n != 1 else ''}"
    if cells is None:
        how = f"is never closed, so the {taken} after it would be read as one cell"
    else:
        how = (
            f"takes in the {taken} after it, to line {end}, and leaves a row of {cells[0]} "
            f"cells where the header has {cells[1]}"
        )
    raise FileRefused(opened.path, f"unmatched quote: the quote opened on this line {how}", quote)


def _quote_line(opened: OpenedFile, start: int, end: int) -> int:
    """The line where the last quoted cell of the row on lines ``start`` to ``end`` opened: a
    line with an odd number of quotes opens a cell, the next such line closes it. (Read again
    from the file: this is only ever done once, for the message.)"""
    lines = Lines(opened)
    found, inside = start, False
    with closing(iter(lines)) as it:
        for text in it:
            if lines.line > end:
                break
            if lines.line >= start and text.count('"') & 1:
                inside = not inside
                if inside:
                    found = lines.line
    return found


def sniff_delimiter(line: str) -> str:
    """The delimiter of a header line: whichever of , ; tab occurs most outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _next(reader: Iterator[list[str]], opened: OpenedFile, line: int) -> list[str] | None:
    try:
        return next(reader)
    except StopIteration:
        return None
    except csv.Error as e:
        raise FileRefused(
            opened.path, f"unreadable CSV ({e}); is a quote left open?", line
        ) from None


def _columns(header: list[str], opened: OpenedFile, line: int) -> tuple[str, ...]:
    columns = tuple(name.strip() for name in header)
    seen: set[str] = set()
    for name in columns:
        if name and name in seen:
            raise FileRefused(opened.path, f"column '{name}' appears twice in the header", line)
        seen.add(name)
    return columns


def check_required(
    opened: OpenedFile,
    layout: CsvLayout,
    mapping: FieldMapping | None,
    *,
    judge: bool = True,
    guess: bool = True,
) -> None:
    """Refuse a file lacking a column for id, input or (unless not ``judge``: long format with
    the judge's own rows) the judge's label, after mapping; naming its columns and (if
    ``guess``: not in long format) the import with the guessed mapping."""
    flat = {c: "x" for c in layout.columns if c}
    record = nest(flat)
    if mapping is not None:
        record = mapping.apply(record, flat)
    verdict = record.get("judge")
    labelled = verdict is not None and (not isinstance(verdict, dict) or "label" in verdict)
    present = {
        "id": record.get("id") is not None,
        "input": record.get("input") is not None,
        "judge.label": labelled,
    }
    if not judge:
        del present["judge.label"]
    missing = [name for name, ok in present.items() if not ok]
    if missing:
        columns = [c for c in layout.columns if c]
        via = " (after --map)" if mapping is not None and mapping.pairs else ""
        if guess:
            hint = refusal_hint(str(opened.path), columns, mapping, kind="columns")
        else:
            hint = f"; columns found: {', '.join(columns) or 'none'}"
        raise FileRefused(
            opened.path,
            f"missing required column(s){via}: {', '.join(missing)}{hint}",
            layout.header_start,
        )


def records(lines: Lines, layout: CsvLayout) -> Generator[RawRecord, None, None]:
    """Every non-blank row after the header."""
    csv.field_size_limit(max(csv.field_size_limit(), FIELD_LIMIT))
    width = len(layout.columns)
    it = _lines(lines)
    reader = csv.reader(it, delimiter=layout.delimiter)
    while True:
        start = lines.line + 1
        row = _next(reader, lines.opened, start)
        if row is None:
            return
        if lines.line <= layout.header_line:
            continue
        if it.gi_frame is None:
            # The lines ran out inside the row, which the csv module only reads on for a
            # quoted cell: a quote never closed. (A complete last row leaves them unfinished.)
            _unmatched_quote(lines.opened, start, lines.line)
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            if lines.line > start:  # a quoted cell across lines, and the cells don't fit
                _unmatched_quote(lines.opened, start, lines.line, (len(row), width))
            yield RawRecord(start, "", None, f"{len(row)} fields where the header has {width}")
            continue
        if layout.guarded:
            row = [unguard(cell) for cell in row]
        flat = {col: cell for col, cell in zip(layout.columns, row, strict=True) if col}
        yield RawRecord(start, json.dumps(flat, ensure_ascii=False), nest(flat), None, flat)


def parse_json_fields(record: dict[str, Any]) -> dict[str, Any]:
    """Read JSON in the cells mapped onto judge, ratings, outputs and meta (after --map)."""
    out = dict(record)
    for field in _JSON_COLUMNS:
        value = out.get(field)
        if not isinstance(value, str):
            continue
        parsed = _json_cell(value.replace("\r\n", "\n"))
        if field == "judge" and not isinstance(parsed, dict):
            out[field] = {"label": value}
        else:
            out[field] = parsed
    return out


def nest(flat: dict[str, str]) -> dict[str, Any]:
    """A CSV row in the canonical nested shape (empty cells are absent)."""
    record: dict[str, Any] = {}
    for column, cell in flat.items():
        if cell == "":
            continue
        value = cell.replace("\r\n", "\n")
        head, dot, rest = column.partition(".")
        if not dot and head in _JSON_COLUMNS:
            parsed = _json_cell(value)
            if head == "judge" and not isinstance(parsed, dict):
                _sub(record, "judge")["label"] = value
            else:
                record[head] = parsed
        elif not dot or not rest:
            record[column] = value
        elif head in ("output", "outputs"):
            _sub(record, "outputs")[rest] = value
        elif head in ("rating", "ratings"):
            _sub(_sub(record, "ratings"), rest)["label"] = value
        elif head == "comment":
            rating = _sub(_sub(record, "ratings"), rest)
            rating.setdefault("label", None)
            rating["comment"] = value
        elif head in ("judge", "meta"):
            _sub(record, head)[rest] = value
        else:
            _set_dotted(record, column, value)
    return record


def _json_cell(value: str) -> Any:
    if value.lstrip().startswith(("{", "[")):
        try:
            return loads(value)
        except JsonError:
            pass  # kept as the text it is (a cell that only looks like JSON)
    return value


def _sub(node: dict[str, Any], key: str) -> dict[str, Any]:
    child = node.get(key)
    if not isinstance(child, dict):
        child = {}
        node[key] = child
    return child


def _set_dotted(record: dict[str, Any], column: str, value: str) -> None:
    *parents, last = column.split(".")
    node = record
    for part in parents:
        node = _sub(node, part)
    node[last] = value
