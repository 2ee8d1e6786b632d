"""A mapping never points at nothing: the fields a file has, checked against what a mapping
reads, before anything is imported; and the fields it leaves out that look like labels.

- :func:`file_fields` reads the first records of a file (a CSV file: its columns).
- :func:`check_sources` refuses (``FileRefused``) a ``--map`` whose source the file does not
  have (a CSV file: no such column; JSON: absent from every record of the sample), each part
  of a composed field (``input=instruction+input``) on its own, and a ``--rater-field``;
  naming the nearest names (``difflib``) and the fields the file has.
- :func:`ignored` lists the fields no mapping reads that look like ratings or a judge's output
  (``formats/ignored.py``).
"""

from __future__ import annotations

import difflib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.formats.csvfile import nest
from annotator.formats.errors import FileRefused
from annotator.formats.ignored import ignored_fields
from annotator.formats.mapping import MISSING, FieldMapping, composable, lookup, source_fields
from annotator.formats.reader import CaseReader

SAMPLE = 100
"""Records read for the fields a file has."""
NEAREST = 3
SHOWN = 60
"""Fields a refusal lists at most."""
_OURS = ("id", "criterion", "input", "output", "outputs", "reference", "judge", "ratings",
         "rating", "comment", "meta")  # fmt: skip
"""Our field names, read from a file that has them unless a mapping says otherwise."""


@dataclass(frozen=True)
class FileFields:
    """The fields of a file's first records: dotted paths (a CSV file: its columns)."""

    fields: list[str]
    records: list[dict[str, Any]]
    """The sample, nested (a CSV row: its columns as a record, every cell filled)."""
    columns: bool
    """A CSV file: ``fields`` are its columns."""

    def has(self, path: str) -> bool:
        """Whether some record of the sample has ``path`` (a key, column or dotted path)."""
        for record in self.records:
            flat = {f: "x" for f in self.fields} if self.columns else None
            if lookup(record, path, flat) is not MISSING:
                return True
        return False

    def nearest(self, name: str) -> list[str]:
        return difflib.get_close_matches(name, self.fields, n=NEAREST, cutoff=0.6)


def file_fields(
    path: Path | str, *, encoding: str | None = None, fmt: str | None = None, limit: int = SAMPLE
) -> FileFields:
    """The fields of the first ``limit`` readable records of ``path``. FileRefused as a
    reader refuses the file."""
    reader = CaseReader(path, encoding=encoding, fmt=fmt)
    fields: dict[str, None] = {}  # (in order, each once)
    records: list[dict[str, Any]] = []
    columns = reader.fmt == "csv"
    with closing(reader.raw_records()) as raw:
        for record in raw:
            if record.data is None:
                continue
            if columns and record.flat is not None:
                fields = dict.fromkeys(c for c in record.flat if c)
                records = [nest(dict.fromkeys(fields, "x"))]
                break
            records.append(record.data)
            fields.update(dict.fromkeys(source_fields(record.data)))
            if len(records) >= limit:
                break
    return FileFields(list(fields), records, columns)


def parts(ours: str, theirs: str, found: FileFields) -> list[str]:
    """The source fields ``--map ours=theirs`` reads: ``theirs``, or each part of a join when
    the file has no field of that name and ``ours`` can be composed."""
    if "+" in theirs and composable(ours) and not found.has(theirs):
        return [p.strip() for p in theirs.split("+") if p.strip()]
    return [theirs]


def check_sources(
    path: Path | str,
    mapping: FieldMapping | None,
    found: FileFields,
    *,
    rater_field: str | None = None,
) -> None:
    """Refuse ``path`` when ``mapping`` (or ``rater_field``) names a field the file does not
    have; see the module's docstring. A file without a readable record is left to the
    reader to refuse."""
    if not found.records:
        return
    missing: list[str] = []
    kind = "column" if found.columns else "field"
    wanted = [(f"--map {o}={t}", p) for o, t in (mapping.pairs if mapping else ())
              for p in parts(o, t, found)]  # fmt: skip
    if rater_field:
        wanted.append((f"--rater-field {rater_field}", rater_field))
    for option, name in wanted:
        if found.has(name):
            continue
        near = found.nearest(name)
        guess = f"; did you mean {' or '.join(near)}?" if near else ""
        where = "" if found.columns else f" in the first {len(found.records)} records"
        missing.append(f"{name}: no such {kind}{where}{guess} ({option})")
    if missing:
        shown = ", ".join(found.fields[:SHOWN]) or "none"
        if len(found.fields) > SHOWN:
            shown += f" and {len(found.fields) - SHOWN} more"
        raise FileRefused(Path(path), f"{'; '.join(missing)}. {kind.title()}s found: {shown}")


def ignored(found: FileFields, mapping: FieldMapping | None, *, rater_field: str | None = None
            ) -> list[str]:  # fmt: skip
    """The file's fields that look like ratings or a judge's output and that neither the
    mapping nor our own names (where the mapping does not replace them) read."""
    used: list[str] = []
    mapped = mapping.as_dict() if mapping is not None else {}
    for ours, theirs in mapped.items():
        used += parts(ours, theirs, found)
    used += [name for name in _OURS if name not in mapped]
    if rater_field:
        used.append(rater_field)
    return ignored_fields(found.fields, used)


def ignored_in(reader: CaseReader, encoding: str | None, *, limit: int = SAMPLE) -> tuple[str, ...]:
    """:func:`ignored` for what ``reader`` reads (its mapping, its long format's rater field);
    nothing when the file's records cannot be read (its import says why), or are a preset's."""
    if reader.preset is not None:  # (it reads what its format has that counts)
        return ()
    rater = reader.long.rater_field if reader.long is not None else None
    try:
        found = file_fields(reader.path, encoding=encoding, fmt=reader.fmt, limit=limit)
    except FileRefused:
        return ()
    read = reader.wide.read() if reader.wide is not None else set()  # (many criteria a row)
    return tuple(f for f in ignored(found, reader.mapping, rater_field=rater) if f not in read)
