"""``--columns`` and ``--judge-columns`` on the command line: many criteria in one row
(formats/wide.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.presets import Preset
from annotator.formats.sources import file_fields
from annotator.formats.wide import WideColumns, WideLayout


def wide_columns(
    args: argparse.Namespace,
    mapping: FieldMapping | None,
    long: LongFormat | None,
    preset: Preset | None,
) -> WideColumns | None:
    """The patterns given, checked against the other options (ValueError)."""
    wide = WideColumns.of(args.columns, args.judge_columns)
    if wide is None:
        return None
    others = {"--rater-field": long is not None, "--preset": preset is not None,
              "--judge": bool(args.judge), "--ratings": bool(args.ratings)}  # fmt: skip
    given = [name for name, on in others.items() if on]
    if given:
        raise ValueError(f"--columns does not go with {', '.join(given)}")
    wide.check_mapping(mapping)
    return wide


def wide_layout(
    path: Path, wide: WideColumns | None, mapping: FieldMapping | None, args: argparse.Namespace
) -> WideLayout | None:
    """The columns the patterns name in ``path`` (FileRefused when one names none)."""
    if wide is None:
        return None
    found = file_fields(path, encoding=args.encoding, fmt=args.fmt)
    return wide.resolve(path, found.fields, mapping)
