"""Parquet case files: each row is a record, its columns the fields (a struct column is an
object, so ``judge.label`` reaches into a ``judge`` struct). Read in batches, so memory stays
flat.

Parquet needs pyarrow, the optional extra ``annotator[parquet]``; it is imported only when a
Parquet file is opened, and the installed app does not include it (it would double the
installer's size): without it the file is refused with a message saying what to install or how
to convert the file.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Generator
from decimal import Decimal
from pathlib import Path
from typing import Any

from annotator.formats.errors import FileRefused, open_binary
from annotator.formats.records import RawRecord

SUFFIXES = (".parquet", ".pq")
MAGIC = b"PAR1"
BATCH = 1000
"""Rows read at a time."""
NEEDS_PYARROW = (
    "reading Parquet needs pyarrow: pip install 'annotator[parquet]' (the installed app "
    "does not read Parquet: save the file as JSON Lines, for example with pandas: "
    "pandas.read_parquet(FILE).to_json(OUT, orient='records', lines=True))"
)


def is_parquet(path: Path, fmt: str | None) -> bool:
    """Whether ``path`` is to be read as Parquet: asked for, named so, or by its first bytes."""
    if fmt is not None:
        return fmt.lower() == "parquet"
    if path.suffix.lower() in SUFFIXES:
        return True
    try:
        with open_binary(path) as fh:
            return fh.read(4) == MAGIC
    except (FileRefused, OSError):
        return False  # (the text reader says why it cannot be read)


def _parquet_module(path: Path) -> Any:
    try:
        import pyarrow.parquet  # the optional extra, imported only for a Parquet file
    except ImportError:
        raise FileRefused(path, NEEDS_PYARROW) from None
    return pyarrow.parquet


class ParquetRows:
    """A Parquet file opened (its footer read and checked), streamed on ``records()``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.bytes_read = 0
        pq = _parquet_module(path)
        with open_binary(path):  # file missing, a folder, unreadable: said as for any file
            pass
        self._pq = pq
        try:
            self.size = path.stat().st_size
            with pq.ParquetFile(path) as file:
                self.rows: int = file.metadata.num_rows
        except Exception as e:  # pyarrow's ArrowInvalid, OSError: what it says is the reason
            raise FileRefused(path, f"not a readable Parquet file ({_reason(e)})") from None
        if self.rows == 0:
            raise FileRefused(path, "the file has no cases")

    def records(self) -> Generator[RawRecord, None, None]:
        """Every row, as a RawRecord whose ``line`` is the row number (from 1)."""
        self.bytes_read = 0
        try:
            file = self._pq.ParquetFile(self.path)
        except Exception as e:  # (changed since it was opened)
            raise FileRefused(self.path, f"not a readable Parquet file ({_reason(e)})") from None
        with file:
            yield from self._rows(file)

    def _rows(self, file: Any) -> Generator[RawRecord, None, None]:
        n = 0
        batches = file.iter_batches(batch_size=BATCH)
        while True:
            try:
                batch = next(batches, None)
                rows = batch.to_pylist() if batch is not None else []
            except Exception as e:  # a damaged page further in
                where = f" after row {n}" if n else ""
                raise FileRefused(self.path, f"cannot read the file{where}: {_reason(e)}") from None
            if batch is None:
                self.bytes_read = self.size
                return
            for row in rows:
                n += 1
                data = {str(k): jsonable(v) for k, v in row.items()}
                yield RawRecord(n, json.dumps(data, ensure_ascii=False), data)
            self.bytes_read = self.size * n // max(self.rows, 1)


def _reason(error: Exception) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__


def jsonable(value: Any) -> Any:
    """A value of a Parquet cell as JSON holds it: a float that is not finite (how pandas
    writes a missing number) is null; times are ISO 8601 text; bytes are decoded as UTF-8; a
    map (pairs) is an object."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if value and all(isinstance(p, tuple) and len(p) == 2 for p in value):
            return {str(k): jsonable(v) for k, v in value}
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)
