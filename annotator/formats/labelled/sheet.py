"""The labelled file as CSV, for a spreadsheet: written safe from formulas, read back exactly.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (``=HYPERLINK("http://…","click")`` in a case id or a rationale runs
when a lead opens the file). :func:`guard` writes such a cell with a leading ``'``, which a
spreadsheet shows as text and does not keep; :func:`unguard` removes exactly that guard. So
that the two are exact inverses, a cell that already begins with apostrophes followed by one
of those characters gets one more. ``tags`` are joined by ``"; "`` unless a tag would then be
read back otherwise (a tag holding ``"; "``), when they are written as a JSON list.

:func:`csv_writer` writes the file (docs/formats.md, "The labelled file");
:func:`is_labelled_csv` and :func:`json_batches` let the merge's scanner (``scan.py``) read it
back as the JSON lines the same export would have written.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from annotator.formats.errors import FileRefused
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.labelled.record import FIELDS, Record, Writer

FORMULA_START = frozenset("=+-@\t\r")
"""What a spreadsheet takes a cell beginning with for a formula (OWASP's list)."""
NULLABLE = frozenset(
    ("label", "rationale", "who_right", "who_right_overridden", "confidence", "reviewer",
     "decided_at", "threshold", "rubric_version", "rubric_hash", "blind_label", "revealed_at")
)  # fmt: skip
"""Fields written as an empty cell when null (the others are never null)."""
JSON_CELLS = ("rater_labels", "labels")
_COUNTS = ("format_version", "rubric_version")
"""Whole-number cells."""
BOOLEANS = ("who_right_overridden", "ordinal")
CELL_LIMIT = 1 << 26
"""Largest cell read back (64 MB, as for case files)."""
BATCH = 1000
"""Rows handed to the scanner at a time."""


def guard(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: with a ``'`` before it when it begins (after
    any apostrophes) with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return."""
    rest = cell.lstrip("'")
    return "'" + cell if rest and rest[0] in FORMULA_START else cell


def unguard(cell: str) -> str:
    """The cell :func:`guard` was given: one leading ``'`` less, when a guard is there."""
    if cell.startswith("'"):
        rest = cell.lstrip("'")
        if rest and rest[0] in FORMULA_START:
            return cell[1:]
    return cell


def tags_cell(tags: list[str]) -> str:
    """``tags`` in one cell: joined by ``"; "``, or a JSON list when the join would be read
    back as other tags (a tag holding ``"; "``, an empty tag) or looks like a list."""
    joined = "; ".join(tags)
    if joined.startswith("[") or (tags and (not joined or joined.split("; ") != tags)):
        return json.dumps(tags, ensure_ascii=False)
    return joined


def tags_of(cell: str) -> list[str] | str:
    """The tags of a cell :func:`tags_cell` wrote (a JSON list that is not a list of strings
    is the text it is: the scanner refuses it, saying why)."""
    if not cell:
        return []
    if cell.startswith("["):
        try:
            value = loads(cell)
        except JsonError:
            value = None
        if isinstance(value, list) and all(isinstance(t, str) for t in value):
            return value
    return cell.split("; ")


def csv_writer(fh: IO[str], *, formula_guard: bool = True) -> Writer:
    """Write records to ``fh`` (a text file opened with ``newline=""``) as CSV: a header of
    :data:`FIELDS`, then a row a record: ``tags`` in one cell (:func:`tags_cell`),
    ``rater_labels`` and ``labels`` as JSON, null as an empty cell. With ``formula_guard``
    (the default) every cell is written through :func:`guard`."""
    writer = csv.writer(fh)
    writer.writerow(FIELDS)

    def write(record: Record) -> None:
        writer.writerow(cells(record, FIELDS, formula_guard=formula_guard))

    return write


def cells(record: Record, names: Sequence[str], *, formula_guard: bool) -> list[Any]:
    """The cells of ``record``'s fields ``names``, as the labelled CSV writes them: ``tags``
    in one cell (:func:`tags_cell`), ``rater_labels`` and ``labels`` as JSON, null as an empty
    cell, text through :func:`guard` when ``formula_guard``."""
    row: list[Any] = []
    for name in names:
        value = record[name]
        if name == "tags":
            value = tags_cell(value)
        elif name in JSON_CELLS:
            value = json.dumps(value, ensure_ascii=False)
        elif value is None:
            value = ""
        row.append(guard(value) if formula_guard and isinstance(value, str) else value)
    return row


# -- reading it back -------------------------------------------------------------------------------


def is_labelled_csv(head: bytes) -> bool:
    """Whether ``head`` (a file's first bytes) starts a labelled file written as CSV: a header
    row naming ``format`` and ``format_version``."""
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0]
    try:
        cells = next(csv.reader([first.decode("utf-8").rstrip("\r")]), [])
    except (UnicodeDecodeError, csv.Error):
        return False
    return "format" in cells and "format_version" in cells


class _Hashing(io.RawIOBase):
    """``fh`` read through, every byte read added to ``digest`` (closing it leaves ``fh``)."""

    def __init__(self, fh: BinaryIO, digest: Any) -> None:
        super().__init__()
        self._fh, self._digest = fh, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._fh.read(len(buffer))
        self._digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def json_batches(path: Path, fh: BinaryIO, digest: Any) -> Iterator[list[bytes]]:
    """The rows of a labelled CSV file as the JSON lines its export as JSON Lines holds, in
    batches for ``scan._scan_lines``: each line at the number of the line its row starts on
    (blank entries before it), every byte read added to ``digest``. Raises
    :class:`FileRefused` for a file that is not valid UTF-8 or not valid CSV."""
    csv.field_size_limit(max(csv.field_size_limit(), CELL_LIMIT))
    text = io.TextIOWrapper(
        io.BufferedReader(_Hashing(fh, digest)), encoding="utf-8-sig", newline=""
    )
    reader = csv.reader(text, strict=True)
    header: list[str] | None = None
    batch: list[bytes] = []
    number = 0  # lines handed on so far
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader, None)
        except UnicodeDecodeError as exc:
            byte = exc.object[exc.start]
            raise FileRefused(path, f"not valid UTF-8 (byte 0x{byte:02x})", start) from None
        except csv.Error as exc:
            raise FileRefused(path, f"not valid CSV: {exc}", start) from None
        if row is None:
            break
        if header is None:
            header = _header(path, row)
            continue
        if not row:
            continue  # a blank line
        if len(row) != len(header):
            raise FileRefused(
                path, f"the row has {len(row)} cells; the header has {len(header)}", start
            )
        batch.extend(b"" for _ in range(start - number - 1))
        batch.append(orjson.dumps(record_of(dict(zip(header, row, strict=True)))))
        number = start
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _header(path: Path, row: list[str]) -> list[str]:
    if len(set(row)) != len(row):
        twice = next(name for name in row if row.count(name) > 1)
        raise FileRefused(path, f"the column '{twice}' is named twice", 1)
    return row


def _number(cell: str) -> float | int | str:
    """A number cell (a threshold) as its number; other text as it is."""
    text = cell.strip()
    if not text.isascii() or len(text) > 32:
        return cell
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        return cell
    return value if value == value and abs(value) != float("inf") else cell


def record_of(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON object its line in JSON Lines is: guards removed, ``tags`` a list,
    ``rater_labels`` and ``labels`` parsed, ``format_version`` a number, booleans true or
    false, empty nullable cells null. A cell that is not what its field holds stays the text it
    is, for the scanner to refuse saying why."""
    record: dict[str, Any] = {}
    for name, raw in row.items():
        cell = unguard(raw)
        value: Any = cell
        if name == "tags":
            value = tags_of(cell)
        elif name in JSON_CELLS:
            try:
                value = loads(cell)
            except JsonError:
                value = cell
        elif name in _COUNTS and cell.isascii() and cell.isdigit() and len(cell) < 16:
            value = int(cell)
        elif name in BOOLEANS and cell.lower() in ("true", "false"):
            value = cell.lower() == "true"
        elif name == "threshold":
            value = _number(cell)
        if name in NULLABLE and cell == "":
            value = None
        record[name] = value
    return record
