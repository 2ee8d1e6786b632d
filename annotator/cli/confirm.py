"""The import's questions on the command line: a ``--map`` that names no field of the file,
label values that do not match (``--labels``, ``--yes``), an earlier import (``--replace``)."""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from pathlib import Path

from annotator import console
from annotator.formats.long import LongFormat
from annotator.formats.mapping import FieldMapping
from annotator.formats.sources import check_sources, file_fields
from annotator.services.import_report import ImportReport, ImportUnconfirmed, warnings


def check_mapping(
    path: Path, mapping: FieldMapping | None, long: LongFormat | None, args: argparse.Namespace
) -> None:
    """Refuse (``FileRefused``) a ``--map`` or ``--rater-field`` naming a field the file does
    not have, before anything is imported."""
    if mapping is None and long is None:
        return
    found = file_fields(path, encoding=args.encoding, fmt=args.fmt)
    check_sources(path, mapping, found, rater_field=long.rater_field if long else None)


def say_warnings(report: ImportReport) -> None:
    """What the import went on despite (``--yes``), on stderr."""
    for line in warnings(report):
        console.say(f"annotator: warning: {line}")


def unconfirmed(exc: ImportUnconfirmed, argv: Sequence[str] | None, *, as_json: bool) -> int:
    """Say why nothing was imported, with the counts and the import again with the suggested
    ``--labels`` (with ``--json``, also as JSON on stdout); exit status 1."""
    command = suggested_command(exc.report, argv)
    console.say(f"annotator: error: {exc.explain(command)}")
    if as_json:
        report = exc.report
        console.show(
            console.json_text(
                {
                    "file": str(report.path),
                    "imported": False,
                    "warnings": exc.warnings,
                    "labels": report.labels.to_json() if report.labels is not None else None,
                    "between": report.between.to_json() if report.between else None,
                    "suggested_command": command,
                    "no_verdict": report.no_verdict.to_json(),
                    "ignored_fields": report.ignored,
                }
            )
        )
    return 1


def suggested_command(report: ImportReport, argv: Sequence[str] | None) -> str | None:
    """The command as it was given, its ``--labels`` replaced by the suggested ones; None
    when there is nothing to suggest (or the command is not known)."""
    if argv is None or report.labels is None:
        return None
    suggested = report.labels.suggested()
    if suggested == report.labels.values:
        return None
    kept: list[str] = []
    given = iter(argv)
    for arg in given:
        if arg == "--labels":
            next(given, None)  # (its value)
        elif not arg.startswith("--labels="):
            kept.append(arg)
    for spec in suggested.specs():
        kept += ["--labels", spec]
    return "annotator " + shlex.join(kept)
