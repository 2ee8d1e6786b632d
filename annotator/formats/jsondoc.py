"""JSON case files that are one document, streamed: a JSON array of case objects (on one line
or pretty-printed), or case objects one after another (pretty-printed JSON, as ``jq`` writes).

The file is never parsed whole. A small splitter finds where each item of the array begins and
ends, tracking only strings (with their escapes) and brackets, in C through regular
expressions; each item is then parsed alone through ``formats/jsontext`` (nesting bounded, no
``NaN``), so that memory stays flat in the file's size and a bad item is reported by its index
and the line where it starts (``item [12]``) while the items around it are read. What breaks
the array itself refuses the file: an array never closed (a truncated file), a missing comma,
text after the array.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import closing
from typing import Any

from annotator.domain.model import Project
from annotator.formats.errors import FileRefused
from annotator.formats.header import is_header, parse_header
from annotator.formats.jsontext import JsonError, loads, value_at
from annotator.formats.lines import OpenedFile, TextReader
from annotator.formats.normalize import kind_of
from annotator.formats.records import RawRecord

CHUNK = 1 << 20
"""Characters read at a time (more while one item is longer than what is buffered)."""

_SPACE = re.compile(r"[ \t\r\n]*+")
_SKIP = re.compile(r'[^"\[\]{}]*+(?:"(?:[^"\\]++|\\.)*+"[^"\[\]{}]*+)*+', re.DOTALL)
"""Text up to the next bracket outside a string (or to a string not closed in the buffer)."""
_STRING = re.compile(r'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_SCALAR = re.compile(r'[^ \t\r\n,\[\]{}"]*+')
_HEADER_START = re.compile(r'\{\s*"project"\s*:')


class _CutShort(Exception):
    """The file ended inside an item."""


class _Splitter:
    """The text of a JSON document and a position in it, read on demand."""

    def __init__(self, opened: OpenedFile, text: TextReader) -> None:
        self.opened = opened
        self.text = text
        self.buf = ""
        self.pos = 0
        self._line = 1
        self._counted = 0
        """``_line`` is the line at ``buf[_counted]``."""

    def refuse(self, message: str, at: int | None = None) -> FileRefused:
        return FileRefused(self.opened.path, message, self.line_at(self.pos if at is None else at))

    def line_at(self, at: int) -> int:
        """The line at ``buf[at]`` (positions only move forward)."""
        if at > self._counted:
            self._line += self.buf.count("\n", self._counted, at)
            self._counted = at
        return self._line

    def more(self, wanted: int = CHUNK) -> bool:
        """Read more text onto the buffer, dropping what was consumed; False at the end."""
        if self.pos > CHUNK:
            self.line_at(self.pos)
            self.buf = self.buf[self.pos :]
            self._counted -= self.pos
            self.pos = 0
        text = self.text.read(max(wanted, len(self.buf) - self.pos))
        self.buf += text
        return bool(text)

    def peek(self) -> str:
        """The next character that is not white space ("" at the end of the file)."""
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self.more():
                return ""

    def value(self) -> tuple[int, str, tuple[Any] | None]:
        """The line and text of the JSON value at ``pos`` (moved past it), and the value when
        it was read at once (else the caller parses the text). _CutShort when the file ends
        inside it."""
        start = self.pos
        line = self.line_at(start)
        fast = value_at(self.buf, start)
        if fast is not None and fast[1] < len(self.buf):  # (a number may go on after it)
            self.pos = fast[1]
            return line, self.buf[start : self.pos], (fast[0],)
        first = self.buf[start]
        if first in "[{":
            end = self._composite_end(start)
        elif first == '"':
            end = self._match_end(_STRING, start, whole=True)
        else:
            end = self._match_end(_SCALAR, start, whole=False)
        start = self.pos  # (moved if the buffer was trimmed meanwhile)
        self.pos = end
        return line, self.buf[start:end], None

    def _composite_end(self, start: int) -> int:
        """Where the object or array at ``start`` (= ``pos``) ends: brackets counted outside
        strings."""
        depth, at = 0, start
        while True:
            at = _SKIP.match(self.buf, at).end()  # type: ignore[union-attr]
            if at == len(self.buf) or self.buf[at] == '"':  # the buffer ends inside it
                offset = at - start
                if not self.more():
                    raise _CutShort
                start = self.pos  # (moved if the buffer was trimmed)
                at = start + offset
                continue
            depth += 1 if self.buf[at] in "[{" else -1
            at += 1
            if depth == 0:
                return at

    def _match_end(self, pattern: re.Pattern[str], start: int, *, whole: bool) -> int:
        while True:
            m = pattern.match(self.buf, start)
            if m is not None and m.end() < len(self.buf):
                return m.end()
            self.pos = start
            if not self.more():
                if m is None or whole and m.end() == start:
                    raise _CutShort
                return m.end()
            start = self.pos


def items(opened: OpenedFile, text: TextReader | None = None) -> Generator[RawRecord, None, None]:
    """Every item of the array (or every top-level value), parsed: a RawRecord each, with its
    line and, in an array, its index. FileRefused for what breaks the document. ``text``: the
    file opened (for its ``bytes_read``), closed at the end."""
    with text or TextReader(opened) as reader:
        doc = _Splitter(opened, reader)
        first = doc.peek()
        if first == "[":
            yield from _array(doc)
        elif first == "{":
            yield from _sequence(doc)
        elif first:
            raise doc.refuse(f"not a JSON array or object: the file starts with {first!r}")


def _array(
    doc: _Splitter, name: str = "item ", *, whole: bool = True
) -> Generator[RawRecord, None, None]:
    """The items of the array at ``pos``; ``name`` names them in messages (``item [3]``, or
    ``samples[3]``). ``whole``: the array is the document (nothing may follow it)."""
    opened_on = doc.line_at(doc.pos)
    doc.pos += 1
    index = 0

    def truncated() -> FileRefused:
        after = f" after {name}[{index - 1}]" if index else ""
        return doc.refuse(
            f"the array opened on line {opened_on} is never closed{after}: the file looks truncated"
        )

    char = doc.peek()
    while char != "]":
        if not char:
            raise truncated()
        if char in ",]}:":
            after = f" after {name}[{index - 1}]" if index else ""
            raise doc.refuse(f"expected {name}[{index}]{after}, found {char!r}")
        yield _item(doc, index, name)
        index += 1
        char = doc.peek()
        if char == ",":
            doc.pos += 1
            char = doc.peek()
            if char == "]":
                raise doc.refuse(f"a comma after the last {name}[{index - 1}], before ']'")
        elif char and char != "]":
            raise doc.refuse(f"expected ',' or ']' after {name}[{index - 1}], found {char!r}")
    doc.pos += 1
    if not whole:
        return
    char = doc.peek()
    if char:
        raise doc.refuse(f"text after the end of the array: {char!r} (one JSON array per file)")


def _sequence(doc: _Splitter) -> Generator[RawRecord, None, None]:
    while (char := doc.peek()) != "":
        if char != "{":
            raise doc.refuse(f"expected an object, found {char!r}")
        yield _item(doc, None)


def _item(doc: _Splitter, index: int | None, name: str = "item ") -> RawRecord:
    where = f"{name}[{index}]" if index is not None else ""
    try:
        line, text, parsed = doc.value()
    except _CutShort:
        what = where or "the object"
        raise doc.refuse(
            f"{what} is cut short: the file ends inside it (the file looks truncated)"
        ) from None
    try:
        data = parsed[0] if parsed is not None else loads(text)
    except JsonError as e:
        on = f" (line {line + e.line - 1})" if e.line is not None and e.line > 1 else ""
        return RawRecord(line, text, None, f"invalid JSON: {e}{on}", where=where)
    if not isinstance(data, dict):
        return RawRecord(
            line, text, None, f"not a JSON object (found {kind_of(data)})", where=where
        )
    return RawRecord(line, text, data, where=where)


def inside(
    opened: OpenedFile, path: str, text: TextReader | None = None
) -> Generator[RawRecord, None, None]:
    """The items of the array at the dotted ``path`` inside the document's object
    (``results.results`` in promptfoo's results), streamed as :func:`items` streams a top-level
    array: the values before it are passed over (each read whole: they are small in the
    exports that keep their records so), and nothing after it is read. Each item is named
    ``path[N]``. FileRefused when the document is not an object or has no such array."""
    with text or TextReader(opened) as reader:
        doc = _Splitter(opened, reader)
        first = doc.peek()
        if first != "{":
            found = f"starts with {first!r}" if first else "is empty"
            raise doc.refuse(f"expected one JSON object holding '{path}', but the file {found}")
        yield from _descend(doc, path.split("."), path)


def _descend(doc: _Splitter, parts: list[str], path: str) -> Generator[RawRecord, None, None]:
    """At the ``{`` of an object: find key ``parts[0]`` and go on into its value."""
    doc.pos += 1
    while (char := doc.peek()) != "}":
        if char != '"':
            raise doc.refuse(
                f"expected a key of an object, found {char!r}"
                if char
                else "the file ends inside an object: the file looks truncated"
            )
        key = _value(doc)[0]
        if doc.peek() != ":":
            raise doc.refuse(f"expected ':' after the key {key!r}")
        doc.pos += 1
        start = doc.peek()
        if not start:
            raise doc.refuse("the file ends inside an object: the file looks truncated")
        if key == parts[0] and len(parts) == 1 and start == "[":
            yield from _array(doc, path, whole=False)
            return
        if key == parts[0] and len(parts) > 1 and start == "{":
            yield from _descend(doc, parts[1:], path)
            return
        _value(doc)
        if doc.peek() == ",":
            doc.pos += 1
    raise doc.refuse(f"no list '{path}' in the file: not the export it was read as?")


def _value(doc: _Splitter) -> tuple[Any, int]:
    """The value at ``pos`` (moved past it) and its line. FileRefused when the file ends in
    it or it is not JSON."""
    try:
        line, text, parsed = doc.value()
    except _CutShort:
        raise doc.refuse("the file ends inside a value: the file looks truncated") from None
    if parsed is not None:
        return parsed[0], line
    try:
        return loads(text), line
    except JsonError as e:
        raise FileRefused(doc.opened.path, f"invalid JSON: {e}", line) from None


def scan(opened: OpenedFile) -> tuple[Project | None, bool]:
    """The project header (the first item, if it is one) and whether there is one. FileRefused
    when no item follows it, or the document is broken before."""
    project = None
    with closing(items(opened)) as it:
        first = next(it, None)
        if first is not None and first.data is None and _HEADER_START.match(first.raw):
            # Meant as the header but broken: without it the label sets would be lost.
            raise FileRefused(opened.path, f"bad project header: {first.problem}", first.line)
        header = first is not None and is_header(first.data)
        if first is not None and first.data is not None and header:
            project = parse_header(first.data, opened.path, first.line)
            first = next(it, None)
        if first is None:
            raise FileRefused(opened.path, "the file has no cases")
    return project, header


def records(
    opened: OpenedFile, has_header: bool, text: TextReader | None = None
) -> Generator[RawRecord, None, None]:
    """Every item after the header; a header further on is a problem of its item."""
    with closing(items(opened, text)) as it:
        for n, record in enumerate(it):
            if n == 0 and has_header:
                continue
            if is_header(record.data):
                problem = "a project header is only allowed as the first item"
                yield RawRecord(record.line, record.raw, None, problem, where=record.where)
            else:
                yield record


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def lists_inside(record: dict[str, Any], prefix: str = "", depth: int = 0) -> list[tuple[str, int]]:
    """The dotted paths of the lists of objects in ``record`` (three levels deep at most), and
    their lengths: where an export that is one object keeps its records."""
    found: list[tuple[str, int]] = []
    for key, value in record.items():
        path = f"{prefix}{key}"
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:50]):
            found.append((path, len(value)))
        elif isinstance(value, dict) and depth < 2:
            found += lists_inside(value, path + ".", depth + 1)
    return found


def inside_hint(record: dict[str, Any]) -> str:
    """For an object that is not a case but holds lists of objects (promptfoo's results,
    an Inspect log): where its records may be, and how to take them out."""
    found = lists_inside(record)
    if not found:
        return ""
    path = max(found, key=lambda f: f[1])[0]
    listed = ", ".join(f"{p} ({n} objects)" for p, n in found[:4])
    how = ""
    if all(_NAME.fullmatch(part) for part in path.split(".")):
        how = f", for example: jq '.{path}[]' FILE > cases.json"
    return (
        f" (this object is not a case but holds lists of objects: {listed}; annotator reads "
        f"those of promptfoo's results and Inspect's logs with --preset promptfoo or --preset "
        f"inspect; take others out first{how})"
    )
