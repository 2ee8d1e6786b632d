"""Reading case files (JSON Lines, CSV) into normalized cases. Pure Python: no Qt here.

See docs/formats.md for the formats and the bad-input policy.
"""

from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.mapping import TARGETS, FieldMapping, guess_mapping, source_fields
from annotator.formats.reader import CaseReader, ParsedCase, sample_records

__all__ = [
    "TARGETS",
    "CaseReader",
    "FieldMapping",
    "FileRefused",
    "LineProblem",
    "ParsedCase",
    "guess_mapping",
    "sample_records",
    "source_fields",
]
