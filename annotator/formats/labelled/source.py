"""The source with decisions: each case's record as it was imported, with its line of the
labelled file added (``annotator export --with-source``; docs/formats.md, "The source with
decisions").

JSON (JSON Lines, a JSON array): the record's own text, with one member added at its end, the
decision under :data:`KEY` (or the key the exporter chose when the source has one by that
name), laid out as the record is (on one line, or indented as the record's own members are).
CSV: the source's cells, then one column per field of the labelled file
(``annotator_label``, ``annotator_rationale``, …), written as the labelled CSV writes them
(``sheet.cells``), every cell guarded against spreadsheet formulas unless asked not to. A case
read in long format (one row per rating: its text is the rows, as a JSON array) gives its rows,
each with the decision.

The service (``services/with_source.py``) chooses the format and the key; these only write.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from typing import IO, Any

from annotator.domain.model import LabelScheme
from annotator.formats.labelled.record import FIELDS, Record
from annotator.formats.labelled.sheet import cells, guard
from annotator.untrusted import json_safe

KEY = "annotator"
"""Where the decision goes in a JSON record; CSV columns are named ``annotator_<field>``."""
DECISION_FIRST = (*FIELDS[FIELDS.index("label") : FIELDS.index("decided_at") + 1], "status")
"""The decision's own fields, first; the rest of the labelled file's follow in its order."""
ORDER = DECISION_FIRST + tuple(f for f in FIELDS if f not in DECISION_FIRST)
"""The fields added to each record (the labelled file's, the decision first)."""

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\r\n]*")
_NEWLINE = re.compile(r"\r\n|\r|\n")
"""Where a line ends in JSON text (never inside a string: JSON escapes them there)."""


def key_candidates() -> list[str]:
    """The keys tried in turn for the decision: ``annotator``, ``annotator_decision``,
    ``annotator_decision_2``, …, the first one no record of the source has."""
    return [KEY, f"{KEY}_decision"] + [f"{KEY}_decision_{n}" for n in range(2, 100)]


def columns(key: str) -> list[str]:
    """The CSV columns the decision takes under ``key``."""
    return [f"{key}_{name}" for name in ORDER]


def from_export(header: Sequence[str]) -> bool:
    """Whether a CSV header is that of a file written with the source records: it has the
    decision's ``<key>_format`` and ``<key>_format_version`` columns."""
    names = set(header)
    return any(
        f"{key}_format" in names and f"{key}_format_version" in names for key in key_candidates()
    )


def ordered(record: Record) -> Record:
    """The labelled file's line ``record`` in :data:`ORDER`."""
    return {name: record[name] for name in ORDER}


def is_rows(raw: str) -> bool:
    """Whether a case's stored text is its rows (read in long format), not one record."""
    return raw.lstrip().startswith("[")


def rows_of(raw: str) -> list[str]:
    """The texts of the records of ``raw``: itself, or (long format) each of its rows as it
    stood in the file (the stored text is the rows joined into a JSON array)."""
    text = raw.strip()
    if not text.startswith("["):
        return [raw]
    rows: list[str] = []
    pos = _SPACE.match(text, 1).end()  # type: ignore[union-attr]
    while pos < len(text) and text[pos] != "]":
        _, end = _DECODER.raw_decode(text, pos)
        rows.append(text[pos:end])
        pos = _SPACE.match(text, end).end()  # type: ignore[union-attr]
        if text.startswith(",", pos):
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
    return rows


def keys_of(raw: str) -> set[str]:
    """The top-level keys of the records of ``raw`` (of every row, in long format)."""
    value = json.loads(raw)
    found: set[str] = set()
    for record in value if isinstance(value, list) else [value]:
        if isinstance(record, dict):
            found.update(record)
    return found


def with_decision(record: str, key: str, decision: Record) -> str:
    """The JSON object ``record`` (its text as imported) with ``"key": decision`` added as its
    last member: on the same line when the record is on one line, else on a line of its own,
    indented as the record's own members are, the decision indented by the same step."""
    body = record.rstrip()
    assert body.endswith("}"), "a stored record is a JSON object"
    inner = body[:-1].rstrip()
    empty = inner.endswith("{")
    if "\n" not in body:
        member = f'"{key}": {json.dumps(decision, ensure_ascii=False)}'
        return f"{inner}{'' if empty else ', '}{member}}}"
    closing = body[body.rfind("\n") + 1 : -1]  # the white space before the last "}"
    first = body[body.find("\n") + 1 :]
    members = first[: len(first) - len(first.lstrip(" \t"))] if not empty else closing + "  "
    step = max(len(members) - len(closing), 1)
    text = json.dumps(decision, ensure_ascii=False, indent=step).replace("\n", "\n" + members)
    comma = "" if empty else ","
    return f'{inner}{comma}\n{members}"{key}": {text}\n{closing}}}'


def project_header(
    title: str, guidelines: str, declared: Mapping[str, LabelScheme]
) -> Record | None:
    """The case file's project header (docs/formats.md) for the label sets a header declared
    (``declared``, by criterion; ``""`` the top-level one), or None when none was."""
    if not declared:
        return None
    project: dict[str, Any] = {"title": title}
    if guidelines:
        project["guidelines"] = guidelines
    criteria = {name: _scheme(scheme) for name, scheme in declared.items() if name}
    if "" in declared:
        project.update(_scheme(declared[""]))
    if criteria:
        project["criteria"] = criteria
    return {"project": project}


def _scheme(scheme: LabelScheme) -> dict[str, Any]:
    out: dict[str, Any] = {"labels": list(scheme.labels)}
    if scheme.ordinal:
        out["ordinal"] = True
        if scheme.threshold:
            out["threshold"] = scheme.threshold
    if scheme.rubric:
        out["rubric"] = scheme.rubric
    return out


class JsonLinesOut:
    """JSON Lines: the project header (if any) on the first line, then each record on its
    line, the decision added."""

    def __init__(self, fh: IO[str], key: str, header: Record | None = None) -> None:
        self.fh, self.key = fh, key
        if header is not None:
            fh.write(json_safe(json.dumps(header, ensure_ascii=False)) + "\n")

    def write(self, raw: str, decision: Record) -> int:
        """Write the records of ``raw`` (one, or a long case's rows); how many."""
        rows = rows_of(raw)
        for row in rows:
            if "\n" in row or "\r" in row:  # a pretty-printed item, from another file
                row = " ".join(part.strip(" \t") for part in _NEWLINE.split(row))
            self.fh.write(json_safe(with_decision(row, self.key, decision)) + "\n")
        return len(rows)

    def close(self) -> None:
        """Nothing to end a JSON Lines file with."""


class JsonArrayOut:
    """A JSON array: the project header (if any) first, then the records as items, each in
    its own layout (one a line, or pretty-printed as it was)."""

    def __init__(self, fh: IO[str], key: str, header: Record | None = None) -> None:
        self.fh, self.key = fh, key
        self.header = json.dumps(header, ensure_ascii=False) if header is not None else None
        self.count = 0

    def write(self, raw: str, decision: Record) -> int:
        rows = rows_of(raw)
        for row in rows:
            item = with_decision(row, self.key, decision)
            indent = item[item.rfind("\n") + 1 : -1] if "\n" in item else ""
            if self.count == 0 and self.header is not None:
                self._item(indent + self.header)
            self._item(indent + item)
        return len(rows)

    def _item(self, text: str) -> None:
        self.fh.write(("[\n" if self.count == 0 else ",\n") + json_safe(text))
        self.count += 1

    def close(self) -> None:
        if self.count == 0 and self.header is not None:
            self._item(self.header)
        self.fh.write("\n]\n" if self.count else "[]\n")


class CsvOut:
    """CSV: the source's ``source_columns``, then the decision's columns under ``key``; a row
    without one of the columns (a case from another file) has it empty."""

    def __init__(
        self, fh: IO[str], source_columns: Sequence[str], key: str, *, formula_guard: bool
    ) -> None:
        self.writer = csv.writer(fh)
        self.source_columns = list(source_columns)
        self.formula_guard = formula_guard
        protect = guard if formula_guard else str
        self.writer.writerow([protect(c) for c in self.source_columns] + columns(key))

    def write(self, raw: str, decision: Record) -> int:
        rows = rows_of(raw)
        added = cells(decision, ORDER, formula_guard=self.formula_guard)
        for row in rows:
            source: dict[str, Any] = json.loads(row)
            values = [source.get(column, "") for column in self.source_columns]
            protected = [guard(v) if self.formula_guard else v for v in values]
            self.writer.writerow(protected + added)
        return len(rows)

    def close(self) -> None:
        """Nothing to end a CSV file with."""
