"""The agreement report as a Markdown document, to share: user text escaped (Markdown, HTML, and
control characters shown as marks), one line per cell."""

from __future__ import annotations

import html
import re

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

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_text(text: str) -> str:
    """User text safe inside a Markdown table cell: one line, Markdown punctuation escaped,
    HTML escaped (Markdown viewers render raw HTML), and bidirectional and other control
    characters as visible marks (``⟨RLO⟩``, ``⟨ESC⟩``), which neither reorder the line nor reach a
    terminal that shows the file."""
    line = visible_controls(plain(text)).text
    return html.escape(_MD_SPECIAL.sub(r"\\\1", line), quote=False)


def render_markdown(report: AgreementReport, *, overruled_limit: int | None = 50) -> str:
    """The report as a Markdown document, to share."""
    c0 = report.counts
    counts = (
        f"{c0.cases} cases: {c0.unanimous} settled unanimously, {c0.lead} by the lead, "
        f"{c0.conflicts} open conflicts, {c0.unreviewed} not reviewed."
        if report.criteria
        else f"{NO_DECISIONS.capitalize()}."
    )
    out = [
        "# Agreement report",
        "",
        f"{counts} Intervals: "
        f"{LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, seed {report.seed}.",
        "",
        judge_sentence(report.measured_judge, name=md_text),  # (our words: no markup)
    ]
    out += _baseline_md(report)
    if report.criteria:
        out += ["", f"## {AFTER_TITLE}"]
    for c in report.criteria:
        scale = ", ".join(md_text(x) for x in c.scale.labels)
        out += [
            "",
            f"## {md_text(criterion_name(c))}",
            "",
            f"Labels: {scale}{' (ordinal)' if c.scale.ordinal else ''}",
        ]
        for s in sections(c):
            out += ["", f"### {s.title}", ""]
            out += md_table(s) if s.rows else ["(none)"]
        out += ["", "### Confusion matrix", "", "Rows: truth; columns: the judge.", ""]
        out += md_table(judge_confusion(c.judge))
        out += [""] + [f"- {n}" for n in criterion_notes(c)]
        out += ["", "### Overruled", ""]
        for o in c.overruled:
            head, shown, more = overruled_lines(o, overruled_limit, threshold=c.judge.threshold)
            out.append(f"- **{md_text(head)}**")
            for x in shown:
                out.append(
                    f"  - case {md_text(x.case_id)}: {md_text(x.label)} → "
                    f"{md_text(x.final_label)} — {md_text(rationale_text(x))}"
                )
            if more:
                out.append(f"  - … and {more} more")
        if not c.overruled:
            out.append("(nobody)")
    out += ["", f"## {ANCHORING}", ""]
    if report.anchoring is not None and report.anchoring.any:
        out += md_table(anchoring_section(report.anchoring)) + [""]
    out += [f"- {md_text(n)}" for n in anchoring_notes(report.anchoring)]
    gaps = gap_entries(report, overruled_limit)
    out += ["", f"## {GAPS}", "", md_text(GAPS_INTRO if gaps else NO_GAPS)]
    for heading, cases, more in gaps:
        out += ["", f"### {md_text(heading)}", "", *(f"- {md_text(line)}" for line in cases)]
        out += [f"- … and {more} more"] if more else []
    return "\n".join(out) + "\n"


def _baseline_md(report: AgreementReport) -> list[str]:
    if report.baseline is None or not report.baseline.criteria:
        return []
    out = ["", f"## {BEFORE_TITLE}"]
    for b in report.baseline.criteria:
        scale = ", ".join(md_text(x) for x in b.scale.labels)
        name = md_text(b.criterion or "(default criterion)")
        out += ["", f"### {name}", "", f"Labels: {scale}{' (ordinal)' if b.scale.ordinal else ''}"]
        for s in baseline_sections(b):
            out += ["", f"#### {s.title}", ""]
            out += md_table(s)
        out += ["", "#### Confusion matrix", "", "Rows: the raters' consensus; columns: the judge."]
        out += [""] + md_table(baseline_confusion(b))
        out += [""] + [f"- {md_text(n)}" for n in baseline_notes(b)]
    return out


def md_table(s: Section) -> list[str]:
    right = s.numeric or tuple(False for _ in s.headers)
    body, notes = footnoted(s, lambda k: f"({k})")
    out = [
        "| " + " | ".join(md_text(h) for h in s.headers) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
        *("| " + " | ".join(md_text(x) for x in row) + " |" for row in body),
    ]
    if notes:
        out += [""] + [f"({k}) {md_text(text)}  " for k, text in notes]
    return out
