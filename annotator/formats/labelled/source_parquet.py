"""The source with decisions as Parquet, for a Parquet source when pyarrow is installed (the
optional extra ``annotator[parquet]``): the source's columns, then the decision as one struct
column (``source.py`` writes the JSON and CSV forms; docs/formats.md, "The source with
decisions").

A Parquet file needs its schema before its first row, and the workspace keeps each row as the
JSON object it was read as (``formats/parquet.py``: times as ISO 8601 text). So the schema is
found first (:class:`SchemaOf`, over every record, each column's type widened as the rows
need: null to text, whole numbers to floats), then the rows are written in batches
(:class:`ParquetOut`). Records whose types cannot share one column refuse the file.
"""

from __future__ import annotations

import json
from typing import IO, Any

from annotator.formats.labelled.record import Record
from annotator.formats.labelled.source import ORDER, rows_of

BATCH = 2000
"""Records turned into a table at a time."""
_TYPES = {
    "who_right_overridden": "bool",
    "ordinal": "bool",
    "format_version": "int64",
    "rubric_version": "int64",
    "threshold": "float64",
    "tags": "list",
    "labels": "list",
    "rater_labels": "map",
}
"""The decision's fields that are not text, by their Arrow type."""


class NotOneSchema(ValueError):
    """The records' values cannot share one column type; the message names the column."""


def available() -> bool:
    """Whether pyarrow can be imported (it is optional)."""
    try:
        import pyarrow.parquet  # noqa: F401  (only asked)
    except ImportError:
        return False
    return True


def _pa() -> Any:
    import pyarrow  # the optional extra; callers check available() first

    return pyarrow


def decision_type() -> Any:
    """The decision's struct: the labelled file's fields, typed."""
    pa = _pa()
    types = {
        "bool": pa.bool_(),
        "int64": pa.int64(),
        "float64": pa.float64(),
        "list": pa.list_(pa.string()),
        "map": pa.map_(pa.string(), pa.string()),
    }
    return pa.struct(
        [pa.field(name, types.get(_TYPES.get(name, ""), pa.string())) for name in ORDER]
    )


class SchemaOf:
    """The schema of the source's records, widened batch by batch (``add``, then ``schema``)."""

    def __init__(self) -> None:
        self.schema: Any = None
        self._batch: list[dict[str, Any]] = []

    def add(self, raw: str) -> None:
        self._batch += [json.loads(row) for row in rows_of(raw)]
        if len(self._batch) >= BATCH:
            self._widen()

    def finish(self) -> Any:
        """The schema of every record added."""
        if self._batch or self.schema is None:
            self._widen()
        return self.schema

    def _widen(self) -> None:
        pa = _pa()
        try:
            found = pa.Table.from_pylist(self._batch).schema
            if self.schema is not None:
                found = pa.unify_schemas([self.schema, found], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as e:
            raise NotOneSchema(str(e).strip().splitlines()[0][:200]) from None
        self.schema = found
        self._batch = []


class ParquetOut:
    """Parquet: the source's columns (``schema``), then the decision under ``key``."""

    def __init__(self, fh: IO[bytes], key: str, schema: Any) -> None:
        pa = _pa()
        import pyarrow.parquet as pq

        self.key = key
        self.schema = schema.append(pa.field(key, decision_type()))
        self.writer = pq.ParquetWriter(fh, self.schema)
        self._batch: list[dict[str, Any]] = []

    def write(self, raw: str, decision: Record) -> int:
        rows = rows_of(raw)
        for row in rows:
            record = json.loads(row)
            record[self.key] = decision
            self._batch.append(record)
        if len(self._batch) >= BATCH:
            self._flush()
        return len(rows)

    def _flush(self) -> None:
        pa = _pa()
        if self._batch:
            try:
                table = pa.Table.from_pylist(self._batch, schema=self.schema)
            except (pa.ArrowInvalid, pa.ArrowTypeError) as e:
                raise NotOneSchema(str(e).strip().splitlines()[0][:200]) from None
            self.writer.write_table(table)
        self._batch = []

    def close(self) -> None:
        self._flush()
        self.writer.close()
