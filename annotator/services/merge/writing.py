"""Writing the merged file of collected files (``formats/merged.py`` owns the format).

The lines are built from the decisions' JSON as read (:class:`MergedLines`), a case at a
time: the same bytes as ``write_merged`` of the merged cases, without building them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from annotator.domain.merge import Resolution, Scale
from annotator.formats.merged import MergedLines, write_lines
from annotator.services.cancelling import last_chance
from annotator.services.merge.collect import ROW, Collected
from annotator.services.merge.report import Cancelled, MergeCancelled, MergeError

_NO_SCALE = Scale(())
_UNANIMOUS, _CONFLICT = Resolution.UNANIMOUS.value, Resolution.CONFLICT.value


def write_collected(collected: Collected, out: Path, cancelled: Cancelled | None = None) -> None:
    """Write the merged file of ``collected`` atomically, and count its cases in the report.
    ``cancelled`` is asked once, after the last line (its last chance: what follows, the
    file's commit, cannot stop; ``cancelling.last_chance``)."""
    report = collected.report
    counts = [0, 0, 0]  # unanimous, of which single, conflicts
    write_lines(out, _to_the_commit(_lines(collected, counts), cancelled))
    report.cases = len(collected.cases)
    report.unanimous, report.single, report.conflicts = counts
    report.settled_by_lead = 0


def _to_the_commit(lines: Iterator[bytes], cancelled: Cancelled | None) -> Iterator[bytes]:
    yield from lines
    last_chance(cancelled, lambda: MergeCancelled("merge cancelled; nothing was written"))


def _lines(collected: Collected, counts: list[int]) -> Iterator[bytes]:
    """The lines in case id order; ``counts`` counts them as they go."""
    report = collected.report
    cases, scales = collected.cases, collected.scales
    fragments = collected.fragments
    line = MergedLines(report.project, report.project_title).line
    unanimous = single = conflicts = 0
    for case_id in sorted(cases):
        case = cases[case_id]
        refs = list(map(case.reviews.__getitem__, sorted(case.reviews)))  # reviewer order
        settled = case.label is not None
        if settled:
            unanimous += 1
            single += len(refs) == 1
        else:
            conflicts += 1
        yield line(
            case_id,
            case.case_hash,
            case.criterion,
            case.label,
            _UNANIMOUS if settled else _CONFLICT,
            [fragments[ref >> 32][ref & ROW] for ref in refs],
            case.info,
            scales.get(case.criterion) or case.scale or _NO_SCALE,
        )
    counts[:] = unanimous, single, conflicts


def refuse_inputs(out: Path, paths: Sequence[Path]) -> None:
    """Refuse to write the merged file over one of the files merged."""
    target = Path(out).resolve()
    if any(Path(p).resolve() == target for p in paths):
        raise MergeError(f"{Path(out).name} is one of the files being merged; choose another name")
