"""annotator's own files, the labelled file and the merged file: what their readers share.

Every line of these files names its format and format version, so that each reader can tell
the other file from its own and say so. The names are here, beside the checks that use them;
everything else of a format (its version, fields, writers and readers) is its own module's:
``formats/labelled/`` and ``formats/merged.py``.

A lead merges what reviewers send back, so a file may have been edited by hand, cut short by a
full disk or mixed up with a case file: every problem is refused with the file, the line and
what is wrong (:class:`FileRefused`), and the caller writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson

from annotator.formats.errors import FileRefused, open_binary
from annotator.formats.jsontext import describe

DECISIONS_FORMAT = "annotator.decisions"
"""The labelled file (``formats/labelled/``)."""
MERGED_FORMAT = "annotator.merged"
"""The merged file (``formats/merged.py``)."""

_MISTAKEN = {
    MERGED_FORMAT: "is a merged file, not a reviewer's labelled file",
    DECISIONS_FORMAT: "is a reviewer's labelled file, not a merged file",
}
BOM = b"\xef\xbb\xbf"


class Bad(Exception):
    """A problem with one line; the reader adds the file and line."""


def problem(exc: Exception) -> str:
    """What is wrong with a line, from what reading it raised."""
    if isinstance(exc, KeyError):
        return f"'{exc.args[0]}' is missing"
    return str(exc)


def parse_line(path: Path, number: int, raw: bytes, seen: bool) -> dict[str, Any] | None:
    """A line read carefully: blank (None), after a byte order mark, or refused saying why.
    ``seen``: whether a line of the file was read before (a line that follows them and does
    not parse is cut short, or malformed; the first one says the file is another kind)."""
    if not raw.strip():
        return None
    if number == 1 and raw.startswith(BOM):
        raw = raw[3:]  # a byte order mark, added by some editors
    try:
        record: dict[str, Any] = orjson.loads(raw)
    except ValueError as exc:
        if not raw.endswith(b"\n") and seen:
            raise FileRefused(
                path, "the line is cut short: the file looks truncated", number
            ) from None
        if not seen:
            raise FileRefused(
                path, f"is not a labelled file (line 1 is not JSON: {exc})", number
            ) from None
        raise FileRefused(path, f"not valid JSON ({exc})", number) from None
    return record


def check_format(
    path: Path, number: int, record: Mapping[str, Any], fmt: str, version: int
) -> None:
    """Refuse a line that is not of format ``fmt`` in a version up to ``version``."""
    found = record.get("format")
    if found != fmt:
        if isinstance(found, str) and found in _MISTAKEN:
            raise FileRefused(path, _MISTAKEN[found], number)
        if found is None:
            raise FileRefused(
                path,
                "is not a labelled file: it has no 'format' field (a case file? Import it instead)",
                number,
            )
        raise FileRefused(path, f"is not a labelled file (format {describe(found)})", number)
    got = record.get("format_version")
    if not isinstance(got, int) or isinstance(got, bool) or got < 1:
        raise FileRefused(path, "'format_version' must be a whole number from 1", number)
    if got > version:
        raise FileRefused(
            path,
            f"was written by a newer annotator (format_version {got}; this version reads "
            f"up to {version}). Please update annotator.",
            number,
        )


def checked_records(path: Path, fmt: str, version: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """The lines of a file of format ``fmt`` as JSON objects, with their line numbers; blank
    lines are passed over, and any other problem refuses the file (:class:`FileRefused`)."""
    with open_binary(path) as fh:
        number = 0
        seen = False
        for raw in fh:
            number += 1
            record = parse_line(path, number, raw, seen)
            if record is None:  # a blank line
                continue
            if not isinstance(record, dict):
                raise FileRefused(path, "each line must be a JSON object", number)
            check_format(path, number, record, fmt, version)
            seen = True
            yield number, record
        if not seen:
            raise FileRefused(path, "is empty: it holds no decisions")


def text_field(record: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    """The string at ``key`` ("" when it is missing and not ``required``); raises :class:`Bad`."""
    value = record.get(key)
    if value is None:
        if required:
            raise Bad(f"'{key}' is missing")
        return ""
    if not isinstance(value, str):
        raise Bad(f"'{key}' must be a string, not {describe(value)}")
    if required and not value.strip():
        raise Bad(f"'{key}' is empty")
    return value


def threshold_field(record: Mapping[str, Any], ordinal: bool) -> float | None:
    """A line's ``threshold``: a number from 0 on an ordinal scale, null (or missing: files
    written before lines carried it) otherwise; raises :class:`Bad`."""
    value = record.get("threshold")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
        raise Bad(f"'threshold' must be a number from 0, not {describe(value)}")
    if not ordinal:
        raise Bad("'threshold' is for an ordinal scale ('ordinal': true) and must be null here")
    return float(value)


def file_format(path: Path) -> str | None:
    """The ``format`` named on the first line of ``path`` (None if it names none, is not JSON or
    cannot be read: reading it says why)."""
    try:
        with Path(path).open("rb") as fh:
            first = fh.readline(FIRST_LINE_LIMIT)
    except OSError:
        return None
    if first.startswith(BOM):
        first = first[3:]
    try:
        record = orjson.loads(first)
    except ValueError:  # (orjson.JSONDecodeError: not JSON, too deep, a number too large)
        return None
    value = record.get("format") if isinstance(record, dict) else None
    return value if isinstance(value, str) else None


FIRST_LINE_LIMIT = 1 << 24
"""How much of the first line :func:`file_format` reads (a line of a labelled or merged file
is a few kilobytes; a longer one is read by the reader, which says what is wrong)."""
