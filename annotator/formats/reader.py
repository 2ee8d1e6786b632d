"""Read a case file (JSON Lines, a JSON array, CSV, Parquet) as a stream of parsed cases and
line problems; in long format, rows grouped into cases (formats/long.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from annotator.domain.model import Case, Project
from annotator.formats import csvfile, jsondoc, jsonl, parquet
from annotator.formats import join as join_module
from annotator.formats import long as long_module
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.header import load_sidecar
from annotator.formats.join import Join
from annotator.formats.join_index import JoinResult, SideIndex, merged_ratings
from annotator.formats.jsontext import JsonError, loads
from annotator.formats.label_counts import LabelCounts
from annotator.formats.lines import Lines, TextReader, open_text
from annotator.formats.long import LongFormat
from annotator.formats.mapping import MISSING, FieldMapping, lookup
from annotator.formats.normalize import Invalid, case_id, normalize, to_label
from annotator.formats.presets.base import Preset
from annotator.formats.presets.zipped import UNIT as ZIP_UNIT
from annotator.formats.presets.zipped import ZipRecords, is_zip
from annotator.formats.records import RawRecord
from annotator.formats.rounding import Between, Rounding
from annotator.formats.values import NoVerdict, RecordLabels, ValueMap, record_labels
from annotator.formats.wide import WideLayout

FORMATS = ("jsonl", "json", "csv", "parquet")
"""``json``: one JSON document (an array of cases, or pretty-printed case objects)."""
_ALIASES = {"ndjson": "jsonl", "tsv": "csv", "pq": "parquet"}
_JSON_SUFFIXES = (".jsonl", ".json", ".ndjson")
_CSV_SUFFIXES = (".csv", ".tsv")
_OURS = frozenset(("id", "criterion", "input", "output", "outputs", "reference", "judge",
                   "ratings", "meta"))  # fmt: skip


@dataclass(frozen=True)
class ParsedCase:
    line: int
    raw: str
    """The original record verbatim: the JSONL line, the array item, the CSV row as a JSON
    object, or (long format) the case's rows as a JSON array."""
    case: Case


class _Progress(Protocol):
    bytes_read: int


class CaseReader:
    """A case file, checked at open (cheaply) and streamed on iteration.

    Opening raises FileRefused for file-level problems; iterating yields ParsedCase or
    LineProblem items and may raise FileRefused: CSV columns missing after mapping (at once, so
    that a mapping can still be chosen from ``sample_records``), bad encoding further in, a
    broken JSON array, strict mode, rows of one case that disagree (long format), no cases.
    Duplicate ids are not detected here (the importer does that). ``join``: files joined by
    id (formats/join.py; ``join_result`` says how they met). ``rows`` reads only that many
    records (a preview of a long file). ``values`` maps each source's label values
    (formats/values.py): a case whose judge gave no verdict is yielded as a ``NoVerdict`` (a
    LineProblem counted apart); ``label_counts`` counts every record's values as it is read.
    """

    def __init__(
        self,
        path: Path | str,
        mapping: FieldMapping | None = None,
        *,
        encoding: str | None = None,
        fmt: str | None = None,
        strict: bool = False,
        long: LongFormat | None = None,
        rows: int | None = None,
        join: Join | None = None,
        values: ValueMap | None = None,
        preset: Preset | None = None,
        rounding: Rounding | None = None,
        wide: WideLayout | None = None,
    ) -> None:
        self.path = Path(path)
        self.wide = wide
        """Many criteria in one row: each row read as a case per criterion (formats/wide.py)."""
        self.rounding = rounding or Rounding()
        """Scores between a numeric scale's labels: rounded, else counted in ``between``
        and their cases skipped (formats/rounding.py)."""
        self.between = Between(self.rounding)
        self.preset = preset
        """A tool's export (formats/presets): its records, transformed; its mapping under
        ``mapping``; its long format unless ``long`` is given."""
        if preset is not None:
            mapping = preset.mapping_with(mapping)
            if long is None and preset.long is not None:  # (a joined judge file replaces its rows)
                joined = join is not None and join.judge is not None
                long = replace(preset.long, judge_rater=None) if joined else preset.long
        self.join = join
        self.join_result: JoinResult | None = None
        self._index: SideIndex | None = None
        if join is not None:
            try:
                mapping = join.case_mapping(mapping)
            except ValueError as e:
                raise FileRefused(self.path, str(e)) from None
        self.values = values if values is not None and values.rules else None
        self.mapping = mapping if mapping is not None and mapping.pairs else None
        self.strict = strict
        self.long = long
        self.rows = rows
        fmt = canonical_format(fmt)
        self.unit = "line"
        """What a problem's number counts: "line", or "row" (Parquet)."""
        self._progress: _Progress | None = None
        self._counts = long_module.Counts()
        self.pulse: Callable[[], None] | None = None
        """Called now and then while a long file's rows are read and sorted, before its first
        case (the importer checks for a cancel there, and shows progress)."""
        self._header_line: int | None = None
        self._json_header = False
        self._layout: csvfile.CsvLayout | None = None
        self._parquet: parquet.ParquetRows | ZipRecords | None = None
        """A file of rows that is not text: Parquet, or a preset's zip archive."""
        self._opened = None
        self._inside: str | None = None
        self.project: Project | None
        zipped = preset.zipped if preset is not None else None
        if zipped is not None and is_zip(self.path):
            self.fmt, self.unit = "zip", ZIP_UNIT
            self._parquet = ZipRecords(self.path, zipped)
        if parquet.is_parquet(self.path, fmt) or self._parquet is not None:
            if self._parquet is None:
                self.fmt, self.unit = "parquet", "row"
                self._parquet = parquet.ParquetRows(self.path)
            self._own_size = self._parquet.size
            self.size_bytes = self._own_size + self._side_sizes()
            self.project = load_sidecar(self.path)
            self.label_counts = LabelCounts(values, self.project)
            return
        self._opened = opened = open_text(self.path, encoding)
        self._own_size = opened.size
        self.size_bytes = opened.size + self._side_sizes()
        self.fmt = fmt or _detect_format(self.path, opened.head)
        if preset is not None and preset.inside and preset.holds_records(opened.head):
            self.fmt, self._inside = "json", preset.inside  # (one object: its list of records)
            self.project = load_sidecar(self.path)
        elif self.fmt == "jsonl":
            self.project, self._header_line = jsonl.scan(opened)
        elif self.fmt == "json":
            self.project, self._json_header = jsondoc.scan(opened)
            self.project = self.project or load_sidecar(self.path)
        else:
            self._layout = csvfile.scan(opened)
            self.project = load_sidecar(self.path)
        self.label_counts = LabelCounts(values, self.project)

    def _side_sizes(self) -> int:
        """The joined files' sizes (read first, they count in the progress)."""
        sizes = 0
        for side in self.join.files if self.join is not None else ():
            try:
                sizes += side.path.stat().st_size
            except OSError:
                raise FileRefused(side.path, "file not found or unreadable") from None
        return sizes

    @property
    def bytes_read(self) -> int:
        """Bytes consumed so far by the current (or last) iteration: the joined files', then
        the file's. In long format, half the file's size goes to reading its rows and half to
        grouping them (after the sort)."""
        side = self._index.bytes_read if self._index is not None else 0
        read = self._progress.bytes_read if self._progress is not None else 0
        if self.long is None:
            return side + read
        return side + read // 2 + int(self._own_size * self._counts.fraction()) // 2

    def __iter__(self) -> Iterator[ParsedCase | LineProblem]:
        if self._layout is not None and self._opened is not None:
            judge = self.long is None or self.long.judge_rater is None
            judge = judge and (self.join is None or self.join.judge is None)
            judge = judge and self.wide is None
            csvfile.check_required(
                self._opened, self._layout, self.mapping, judge=judge, guess=self.long is None
            )
        found = False
        with closing(self._items()) as items:
            for item in items:
                found = True
                if (
                    self.strict
                    and isinstance(item, LineProblem)
                    and not isinstance(item, NoVerdict)
                ):
                    raise FileRefused(
                        item.file or self.path,
                        f"{item.message} (strict mode)",
                        item.line,
                        unit=item.unit,
                    )
                yield item
        if not found:
            raise FileRefused(self.path, "the file has no cases")

    def raw_records(self) -> Generator[RawRecord, None, None]:
        """The file's records before mapping (a header left out); with a preset, transformed
        by it."""
        records = self._file_records()
        return records if self.preset is None else self.preset.records(records)

    def _file_records(self) -> Generator[RawRecord, None, None]:
        if self._parquet is not None:
            self._progress = self._parquet
            return self._parquet.records()
        assert self._opened is not None
        if self.fmt == "json":
            text = TextReader(self._opened)
            self._progress = text
            if self._inside is not None:
                return jsondoc.inside(self._opened, self._inside, text)
            return jsondoc.records(self._opened, self._json_header, text)
        lines = Lines(self._opened)
        self._progress = lines
        if self._layout is not None:
            return csvfile.records(lines, self._layout)
        return jsonl.records(lines, self._header_line)

    def _items(self) -> Generator[ParsedCase | LineProblem, None, None]:
        if self.join is None:
            yield from self._cases()
            return
        with SideIndex(self.join, self._side_reader, pulse=self.pulse) as index:
            self._index = index
            yield from index.problems()
            yield from self._cases()
            self.join_result = index.result()

    def _side_reader(self, side: join_module.SideFile) -> CaseReader:
        return CaseReader(side.path, encoding=side.encoding, fmt=side.fmt)

    def _cases(self) -> Generator[ParsedCase | LineProblem, None, None]:
        self.label_counts = LabelCounts(self.values, self.project)
        self.between = Between(self.rounding, self.project)
        with closing(self.raw_records()) as records:
            limited = islice(records, self.rows) if self.rows is not None else records
            if self.long is None:
                for record in limited:
                    if self.wide is None or record.data is None:
                        yield self._parse(record)
                    else:
                        yield from self._wide(record, self.wide)
                return
            rows = (self._row(record, self.long) for record in limited)
            self._counts = counts = long_module.Counts()
            cases = long_module.grouped(
                rows, self.long, self.path, unit=self.unit, counts=counts, pulse=self.pulse
            )
            with closing(cases):
                for item in cases:
                    if isinstance(item, LineProblem):
                        yield item
                    else:
                        yield self._normalize(item.line, item.raw, item.record, "")

    def _wide(self, record: RawRecord, wide: WideLayout) -> Iterator[ParsedCase | LineProblem]:
        """A row of a wide file: a case per criterion; a row without an id, one problem."""
        assert record.data is not None
        data = self._mapped(record)
        if data.get("id") in (None, ""):
            yield self._problem(record.line, record.where, "missing id")
            return
        for one in wide.expand(data, record.data, record.flat):
            where = f"criterion '{one['criterion']}'"
            where = f"{record.where}: {where}" if record.where else where
            yield self._normalize(record.line, record.raw, one, where)

    def _problem(self, line: int, where: str, message: str) -> LineProblem:
        return LineProblem(line, f"{where}: {message}" if where else message, self.unit)

    def _parse(self, record: RawRecord) -> ParsedCase | LineProblem:
        if record.data is None:
            return self._problem(record.line, record.where, record.problem or "unreadable")
        item = self._normalize(record.line, record.raw, self._mapped(record), record.where)
        if isinstance(item, LineProblem) and self.fmt == "json" and not record.where:
            hint = jsondoc.inside_hint(record.data)  # a pretty-printed object: an export's?
            return LineProblem(item.line, item.message + hint, item.unit) if hint else item
        return item

    def _mapped(self, record: RawRecord) -> dict[str, Any]:
        assert record.data is not None
        data = record.data
        if self.mapping is not None:
            data = self.mapping.apply(data, record.flat)
            if record.flat is not None:  # CSV: a mapped cell may hold JSON, as ours may
                data = csvfile.parse_json_fields(data)
        return data

    def _normalize(
        self, line: int, raw: str, data: dict[str, Any], where: str
    ) -> ParsedCase | LineProblem:
        if self._index is not None:
            try:
                joined = self._joined(line, data, self._index)
            except Invalid as e:
                return self._problem(line, where, str(e))
            if isinstance(joined, str):
                return self._problem(line, where, joined)
            data = joined
        labels: RecordLabels | None = record_labels(data)  # (read once: counts, rounding)
        self.label_counts.add(data, labels)
        if self.values is not None:
            mapped, none = self.values.apply(data)
            if none is not None:
                return NoVerdict.of(line, mapped, none, self.unit)
            if mapped is not data:  # (labels mapped: read again)
                data, labels = mapped, None
        data, between = self.between.apply(data, labels)
        if between is not None:
            return self._problem(line, where, between)
        try:
            case = normalize(data, self.project)
        except Invalid as e:
            return self._problem(line, where, str(e))
        return ParsedCase(line, raw, case)

    def _joined(self, line: int, data: dict[str, Any], index: SideIndex) -> dict[str, Any] | str:
        """The case's record with what the joined files give it; or why it has none: the
        judge's file has no verdict for it. Raises Invalid (no id), FileRefused (a judge label
        of its own beside a judge file)."""
        try:
            key = case_id(data.get("id"))
        except Invalid as e:
            raise Invalid(f"{e} ('{index.join.on.cases}', the join's key)") from None
        data = dict(data)
        for side, side_line, value in index.lookup(key):
            name = side.path.name
            if isinstance(side, join_module.JudgeFile):
                if data.get("judge") not in (None, ""):
                    raise FileRefused(
                        self.path,
                        f"case '{key}' has a judge label of its own ('judge') and the judge "
                        f"file {name} gives its verdict too; keep one (a second judge will "
                        "come as a judge run)",
                        line,
                        unit=self.unit,
                    )
                if side_line is None:
                    return f"case '{key}' has no verdict in the judge file {name}"
                data["judge"] = value
            elif value is not None:
                data["ratings"] = merged_ratings(data.get("ratings"), value, name)
        return data

    def _row(self, record: RawRecord, form: LongFormat) -> long_module.Row | LineProblem:
        """One row of a long file, mapped, with its case id and rater."""
        if record.data is None:
            return self._problem(record.line, record.where, record.problem or "unreadable")
        rater_value = lookup(record.data, form.rater_field, record.flat)
        data = self._mapped(record)
        field = form.rater_field.split(".")[0]
        mapped = self.mapping.targets() if self.mapping is not None else set()
        if field in _OURS and field not in mapped:  # the rater is not also that field of ours
            data = {k: v for k, v in data.items() if k != field}
        try:
            key = case_id(data.get("id"))
            rater = None if rater_value is MISSING else to_label(rater_value, "the rater")
        except Invalid as e:
            return self._problem(record.line, record.where, str(e))
        label = data.get("ratings")
        problem = None
        if rater is None and label not in (None, ""):
            where = f"{record.where}: " if record.where else ""
            problem = f"{where}a rating with no rater ('{form.rater_field}' is missing or empty)"
        return long_module.Row(record.line, record.raw, key, rater, data, problem)


def sample_records(
    path: Path | str,
    *,
    encoding: str | None = None,
    fmt: str | None = None,
    limit: int = 20,
    preset: Preset | None = None,
) -> list[dict[str, Any]]:
    """The first readable records before mapping (CSV: rows by column name), for a preview;
    with a preset, as it transforms them (its fields under ``preset``)."""
    reader = CaseReader(path, encoding=encoding, fmt=fmt, preset=preset)
    out: list[dict[str, Any]] = []
    if limit <= 0:
        return out
    with closing(reader.raw_records()) as records:
        for record in records:
            if record.data is not None:
                out.append(dict(record.flat) if record.flat is not None else record.data)
                if len(out) >= limit:
                    break
    return out


def canonical_format(fmt: str | None) -> str | None:
    """A format's one name; ValueError for one we don't read."""
    if fmt is None:
        return None
    fmt = _ALIASES.get(fmt.lower(), fmt.lower())
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}'; use {', '.join(FORMATS)}")
    return fmt


def _detect_format(path: Path, head: str) -> str:
    """CSV by name; else by the first character: "[" a JSON array, "{" JSON Lines unless the
    first object goes on past its line (pretty-printed JSON); else JSON Lines by name, CSV."""
    suffix = path.suffix.lower()
    if suffix in _CSV_SUFFIXES:
        return "csv"
    start = head.lstrip(" \t\r\n")
    if start.startswith("["):
        return "json"
    if start.startswith("{"):
        return "json" if _pretty(start) else "jsonl"
    return "jsonl" if suffix in _JSON_SUFFIXES else "csv"


def _pretty(start: str) -> bool:
    """Whether the object that starts ``start`` goes on past its first line."""
    first, newline, _ = start.partition("\n")
    if not newline:  # one line, or longer than the part read at open: JSON Lines
        return False
    first = first.strip()
    try:
        loads(first)
    except JsonError:
        return first == "{" or first.endswith((",", "{", "[", ":"))
    return False
