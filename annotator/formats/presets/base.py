"""What a preset is: how to read one tool's export as cases, without the user mapping a field.

A preset is a record source (the file's records as they are, or a list inside one JSON object,
or the samples of a zip), a transform that works out what a mapping alone cannot (a label from
a list of annotations, a tie spelled ``1.5``, an id made of several fields) and puts it under
the record's :data:`KEY`, a default :class:`FieldMapping` from those fields (and the record's
own) onto ours, and, for files with one row per rating, a :class:`LongFormat`. The original
record is kept as it is (the stored source, ``export --with-source``); an explicit ``--map``
replaces the preset's mapping of the same field.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from annotator.formats.jsontext import JsonError, loads
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid, to_text
from annotator.formats.records import RawRecord

KEY = "preset"
"""Where a preset's transform puts the fields it works out: ``--map input=preset.input``."""

_KEY_NAME = re.compile(r'"((?:[^"\\]|\\.){1,80})"\s*:')


@dataclass(frozen=True)
class Sniff:
    """The start of a file, as :func:`detect` looks at it."""

    head: str
    """The decoded start of the file (empty for a binary file)."""
    members: tuple[str, ...] = ()
    """A zip archive's member names."""
    columns: tuple[str, ...] = ()
    """A Parquet file's columns."""

    @property
    def first(self) -> str:
        """The first character that is not white space."""
        stripped = self.head.lstrip(" \t\r\n\ufeff")
        return stripped[:1]

    @cached_property
    def keys(self) -> frozenset[str]:
        """The names of the JSON object keys (or CSV columns) seen in the head (found once:
        each preset asks)."""
        found = {m.group(1) for m in _KEY_NAME.finditer(self.head)}
        if self.first not in "[{":  # CSV: the header row
            found |= {c.strip().strip('"') for c in re.split(r"[,;\t]", self.head.split("\n")[0])}
        return frozenset(found) | frozenset(self.columns)


@dataclass(frozen=True)
class Preset:
    name: str
    """What ``--preset`` takes: ``label-studio``."""
    title: str
    """What it reads, for people: "a Label Studio JSON export"."""
    description: str
    """One paragraph: what becomes the case, the judge and the ratings."""
    doc_url: str
    """The format's own documentation or source."""
    mapping: FieldMapping
    """The default mapping; a given ``--map`` of the same field replaces a pair."""
    derive: Callable[[dict[str, Any]], dict[str, Any]]
    """The fields a record's mapping reads under :data:`KEY`. Raises :class:`Invalid` (a
    ValueError) for a record it cannot read: that record is skipped, saying why."""
    recognise: Callable[[Sniff], bool]
    """Whether a file's start looks like this format (cheap: no parsing)."""
    long: LongFormat | None = None
    """One row per rating: grouped into cases (a given ``--rater-field`` replaces it)."""
    inside: str | None = None
    """The dotted path of the list of records inside one JSON object (``results.results``);
    None: the records are the file's own (a JSON array, JSON Lines, ...)."""
    zipped: str | None = None
    """The folder of a zip archive whose ``.json`` members are the records (``samples/``),
    read when the file is a zip archive."""

    @property
    def question(self) -> str:
        """What the import dialog asks when it detects the format."""
        return f"Looks like {self.title}: use the {self.name} preset?"

    def mapping_with(self, given: FieldMapping | None) -> FieldMapping:
        """The preset's mapping with ``given`` over it: a pair of ours replaces the preset's
        pair of the same field, and of the fields in it or around it (``judge`` replaces
        ``judge.label``; ``ratings.alice`` replaces ``ratings``)."""
        if given is None or not given.pairs:
            return self.mapping
        ours = [o for o, _ in given.pairs]

        def replaced(field: str) -> bool:
            return any(
                o == field or o.startswith(field + ".") or field.startswith(o + ".") for o in ours
            )

        kept = tuple(p for p in self.mapping.pairs if not replaced(p[0]))
        return FieldMapping(kept + given.pairs)

    def holds_records(self, head: str) -> bool:
        """Whether a file that starts with ``head`` is one object holding the records at
        :attr:`inside` (not the records themselves, one a line, as ``export --with-source``
        writes them back): it starts with ``{`` and its first line is not a whole object, or
        is one with the list's first key."""
        start = head.lstrip(" \t\r\n\ufeff")
        if self.inside is None or not start.startswith("{"):
            return False
        first = start.partition("\n")[0]
        try:
            record = loads(first)
        except JsonError:  # over several lines, or longer than the head: the tool's file
            return True
        return not isinstance(record, dict) or self.inside.split(".")[0] in record

    def transform(self, record: dict[str, Any]) -> dict[str, Any]:
        """The record with the fields the preset works out under :data:`KEY`. Raises
        :class:`Invalid`."""
        return {**record, KEY: self.derive(record)}

    def records(
        self, records: Generator[RawRecord, None, None]
    ) -> Generator[RawRecord, None, None]:
        """``records`` transformed; one the transform cannot read becomes its problem."""
        with closing(records):
            for record in records:
                if record.data is None:
                    yield record
                    continue
                try:
                    data = self.transform(record.data)
                except Invalid as e:
                    yield replace(record, data=None, problem=str(e))
                    continue
                yield replace(record, data=data)

    def command(self, path: str) -> str:
        """The command line that imports ``path`` with this preset (for docs and messages)."""
        return f"annotator import {path} --preset {self.name}"


def text(value: Any) -> str | None:
    """A value as text (None for None and for an empty string)."""
    shown = to_text(value)
    return shown if shown else None


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (nothing for a value that is not a list)."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def need_object(record: Mapping[str, Any], key: str, whose: str) -> dict[str, Any]:
    """``record[key]`` when it is an object; :class:`Invalid` naming it otherwise."""
    value = record.get(key)
    if not isinstance(value, dict):
        found = "missing" if value is None else f"not an object ({type(value).__name__})"
        raise Invalid(f"{whose}: '{key}' is {found}")
    return value


def number_text(value: Any) -> str | None:
    """A label that is a number, as text: ``4.0`` is ``"4"``; None for None."""
    if value is None or isinstance(value, bool):
        return None if value is None else ("true" if value else "false")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
