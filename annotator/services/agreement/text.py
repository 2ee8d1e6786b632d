"""The agreement report for a terminal: aligned plain-text tables."""

from __future__ import annotations

import re

from annotator.services.agreement.report import LEVEL, AgreementReport
from annotator.services.agreement.tables import (
    Section,
    confusion_section,
    criterion_name,
    criterion_notes,
    footnoted,
    overruled_lines,
    plain,
    rationale_text,
    sections,
)


def render_text(report: AgreementReport, *, overruled_limit: int | None = 20) -> str:
    """The report for a terminal: aligned plain-text tables."""
    lines = [
        "Agreement report",
        f"  {report.counts.cases} cases: {report.counts.unanimous} settled unanimously, "
        f"{report.counts.lead} by the lead, {report.counts.conflicts} open conflicts, "
        f"{report.counts.unreviewed} not reviewed",
        f"  intervals: {LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, "
        f"seed {report.seed}",
    ]
    for c in report.criteria:
        lines += [
            "",
            f"== {criterion_name(c)} ==  labels: {', '.join(c.scale.labels)}"
            f"{' (ordinal)' if c.scale.ordinal else ''}",
        ]
        for s in sections(c):
            lines += ["", s.title]
            lines += _text_table(s) if s.rows else ["  (none)"]
        lines += ["", "Confusion matrix (rows: truth, columns: judge)"]
        lines += _text_table(confusion_section(c.judge.confusion))
        lines += [""] + [f"  {n}" for n in criterion_notes(c)]
        lines += ["", "Overruled"]
        for o in c.overruled:
            head, shown, more = overruled_lines(o, overruled_limit)
            lines.append(f"  {head}")
            for x in shown:
                lines.append(f"    {x.case_id}: {x.label} -> {x.final_label} ({rationale_text(x)})")
            if more:
                lines.append(f"    … and {more} more")
        if not c.overruled:
            lines.append("  (nobody)")
    return "\n".join(_plain_line(x) for x in lines) + "\n"


def _plain_line(line: str) -> str:
    """Drop control characters a case id or rationale might carry into the terminal."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line).rstrip()


def _text_table(s: Section) -> list[str]:
    body, notes = footnoted(s, lambda text, k: f"{text} [{k}]")
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
