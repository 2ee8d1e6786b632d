"""The agreement report for a terminal: aligned plain-text tables."""

from __future__ import annotations

import re

from annotator.domain.anchoring import Anchoring
from annotator.services.agreement.anchoring_tables import TITLE as ANCHORING
from annotator.services.agreement.anchoring_tables import anchoring_notes, anchoring_section
from annotator.services.agreement.baseline_tables import (
    AFTER_TITLE,
    BEFORE_TITLE,
    NO_DECISIONS,
    baseline_confusion,
    baseline_notes,
    baseline_sections,
)
from annotator.services.agreement.judge import judge_sentence
from annotator.services.agreement.report import LEVEL, AgreementReport
from annotator.services.agreement.rubric_gaps import INTRO as GAPS_INTRO
from annotator.services.agreement.rubric_gaps import NONE as NO_GAPS
from annotator.services.agreement.rubric_gaps import TITLE as GAPS
from annotator.services.agreement.rubric_gaps import gap_entries
from annotator.services.agreement.tables import (
    Section,
    criterion_name,
    criterion_notes,
    footnoted,
    judge_confusion,
    overruled_lines,
    plain,
    rationale_text,
    sections,
)
from annotator.untrusted import visible_controls


def render_text(report: AgreementReport, *, overruled_limit: int | None = 20) -> str:
    """The report for a terminal: aligned plain-text tables."""
    lines = [
        "Agreement report",
        f"  {report.counts.cases} cases: {report.counts.unanimous} settled unanimously, "
        f"{report.counts.lead} by the lead, {report.counts.conflicts} open conflicts, "
        f"{report.counts.unreviewed} not reviewed"
        if report.criteria
        else f"  {NO_DECISIONS}",
        f"  intervals: {LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, "
        f"seed {report.seed}",
        f"  {judge_sentence(report.measured_judge, name=shown_name)}",
    ]
    lines += _baseline_lines(report)
    if report.criteria:
        lines += ["", "", AFTER_TITLE]
    for c in report.criteria:
        lines += _block(
            f"{criterion_name(c)} ==  labels: {', '.join(c.scale.labels)}"
            f"{' (ordinal)' if c.scale.ordinal else ''}",
            sections(c),
            "Confusion matrix (rows: truth, columns: judge)",
            judge_confusion(c.judge),
            criterion_notes(c),
        )
        lines += ["", "Overruled"]
        for o in c.overruled:
            head, shown, more = overruled_lines(o, overruled_limit, threshold=c.judge.threshold)
            lines.append(f"  {head}")
            for x in shown:
                lines.append(f"    {x.case_id}: {x.label} -> {x.final_label} ({rationale_text(x)})")
            if more:
                lines.append(f"    … and {more} more")
        if not c.overruled:
            lines.append("  (nobody)")
    lines += anchoring_lines(report.anchoring)
    lines += _gap_lines(report, overruled_limit)
    return "\n".join(_plain_line(x) for x in lines) + "\n"


def anchoring_lines(a: Anchoring | None) -> list[str]:
    """The anchoring section for a terminal (the agreement report and the summary)."""
    lines = ["", "", ANCHORING]
    if a is not None and a.any:
        lines += text_table(anchoring_section(a))
    return lines + [f"  {n}" for n in anchoring_notes(a)]


def _gap_lines(report: AgreementReport, limit: int | None) -> list[str]:
    entries = gap_entries(report, limit)
    lines = ["", "", GAPS, f"  {GAPS_INTRO if entries else NO_GAPS}"]
    for heading, cases, more in entries:
        lines += ["", f"  {heading}", *(f"    {line}" for line in cases)]
        lines += [f"    … and {more} more"] if more else []
    return lines


def _baseline_lines(report: AgreementReport) -> list[str]:
    if report.baseline is None or not report.baseline.criteria:
        return []
    lines = ["", "", BEFORE_TITLE]
    for b in report.baseline.criteria:
        lines += _block(
            f"{b.criterion or '(default criterion)'} ==  labels: {', '.join(b.scale.labels)}"
            f"{' (ordinal)' if b.scale.ordinal else ''}",
            baseline_sections(b),
            "Confusion matrix (rows: the raters' consensus, columns: judge)",
            baseline_confusion(b),
            baseline_notes(b),
        )
    return lines


def _block(
    heading: str, tables: list[Section], matrix_title: str, matrix: Section, notes: list[str]
) -> list[str]:
    """One criterion: its heading, tables, confusion matrix and notes."""
    lines = ["", f"== {heading}"]
    for s in tables:
        lines += ["", s.title]
        lines += text_table(s) if s.rows else ["  (none)"]
    lines += ["", matrix_title, *text_table(matrix)]
    return lines + [""] + [f"  {n}" for n in notes]


def shown_name(text: str) -> str:
    """A name from elsewhere as the terminal shows it: its controls as marks (``⟨RLO⟩``)."""
    return visible_controls(text).text


def _plain_line(line: str) -> str:
    """Drop control characters a case id or rationale might carry into the terminal."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line).rstrip()


def text_table(s: Section) -> list[str]:
    body, notes = footnoted(s, lambda k: f"[{k}]")
    rows = [tuple(plain(x) for x in s.headers)] + [tuple(plain(x) for x in r) for r in body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(s.headers))]
    right = s.numeric or tuple(False for _ in s.headers)
    out = []
    for k, row in enumerate(rows):
        cells = [
            cell.rjust(w) if right[i] and k else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  " + "  ".join(cells))
        if k == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    out += [f"  [{k}] {plain(text)}" for k, text in notes]
    return out
