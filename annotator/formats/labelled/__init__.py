"""The labelled file: a reviewer's decisions, one line per case (docs/formats.md).

Written by ``record.py`` (the line and the JSON Lines writer: the exporter's and the
benchmarks') and ``sheet.py`` (the CSV form, safe from spreadsheet formulas, and its reading
back), read for a merge by ``scan.py`` (fast, in columns, checked) and, for a line the
fast path turns down, by ``careful.py`` (saying exactly what is wrong). What it shares with
the merged file's reader (the format names, a line's checks) is ``formats/versioned.py``.
"""

from annotator.formats.labelled.careful import criterion_name
from annotator.formats.labelled.record import (
    DECISIONS_VERSION,
    FIELDS,
    LineText,
    jsonl_writer,
    labelled_record,
)
from annotator.formats.labelled.scan import (
    CHUNK,
    CheckPoint,
    LabelledScan,
    LineGroup,
    file_sha256,
    scan_labelled,
)
from annotator.formats.labelled.sheet import csv_writer, guard, unguard
from annotator.formats.versioned import DECISIONS_FORMAT, file_format

__all__ = [
    "CHUNK",
    "DECISIONS_FORMAT",
    "DECISIONS_VERSION",
    "FIELDS",
    "CheckPoint",
    "LabelledScan",
    "LineText",
    "LineGroup",
    "criterion_name",
    "csv_writer",
    "file_format",
    "file_sha256",
    "guard",
    "jsonl_writer",
    "labelled_record",
    "scan_labelled",
    "unguard",
]
