"""The alignment report as tables (:class:`Section`, shared with the agreement report's
renderers), and as text for a terminal, a Markdown document and a standalone HTML page (inline
CSS and an inline SVG chart, no scripts, no external resources, every run name, label and
criterion escaped)."""

from __future__ import annotations

import re

from annotator.domain.alignment import Comparison, Estimate, RunFigures
from annotator.services.agreement.html_page import PAGE_CSS, html_table, html_text
from annotator.services.agreement.markdown import md_table, md_text
from annotator.services.agreement.tables import Cell, Section, Style, figure_cell, interval_cell
from annotator.services.agreement.text import text_table
from annotator.services.alignment.report import (
    CEILING_NAME,
    AlignmentReport,
    CriterionAlignment,
    Scope,
)
from annotator.untrusted import visible_controls

TITLE = "Alignment report"
NO_RUNS_DECIDED = "no decided case yet: the runs are scored against the final labels"


def _pair(e: Estimate | None, style: Style) -> tuple[Cell, Cell]:
    if e is None:
        return "", ""
    return figure_cell(e.figure, style), interval_cell(e.interval, style)


def _right_name(c: CriterionAlignment) -> str:
    return f"right (±{c.threshold:g})"


def runs_section(c: CriterionAlignment, scope: Scope) -> Section:
    """Each run's accuracy, Cohen's kappa and macro F1 (and on an ordered scale with a
    threshold, the share right within it), with their intervals; the human ceiling last."""
    ordered = c.threshold is not None
    headers = ["run", "n", "accuracy", "95% interval", "Cohen's kappa", "95% interval"]
    headers += ["macro F1", "95% interval"]
    if ordered:
        headers += [_right_name(c), "95% interval"]
    rows: list[tuple[Cell, ...]] = []
    for r in c.runs:
        f = r.figures(scope)
        row: list[Cell] = [r.run.name, str(f.n)]
        row += [*_pair(f.accuracy, "rate"), *_pair(f.kappa, "coefficient")]
        row += _pair(f.macro_f1, "coefficient")
        if ordered:
            row += _pair(f.right, "rate")
        rows.append(tuple(row))
    ceiling = c.ceiling(scope)
    last: list[Cell] = [CEILING_NAME, str(ceiling.figure.n), *_pair(ceiling, "rate")]
    last += ["", "", "", ""] + (["", ""] if ordered else [])
    rows.append(tuple(last))
    cases = c.heldout_cases if scope is Scope.HELDOUT else c.decided_cases
    return Section(
        f"Runs against the final labels, {scope.caption} ({cases})",
        tuple(headers),
        tuple(rows),
        (False,) + (True,) * (len(headers) - 1),
    )


def labels_section(c: CriterionAlignment, scope: Scope) -> Section:
    """Precision, recall and F1 of each label, run by run."""
    rows: list[tuple[Cell, ...]] = []
    for r in c.runs:
        f: RunFigures = r.figures(scope)
        for x in f.per_label:
            rows.append(
                (
                    r.run.name,
                    x.label,
                    str(x.support),
                    *_pair(x.precision, "rate"),
                    *_pair(x.recall, "rate"),
                    *_pair(x.f1, "coefficient"),
                )
            )
    headers = ("run", "label", "support", "precision", "95% interval", "recall", "95% interval",
               "F1", "95% interval")  # fmt: skip
    return Section(
        f"Per label, {scope.caption}",
        headers,
        tuple(rows),
        (False, False) + (True,) * 7,
    )


def _p(value: float) -> str:
    return f"{value:.4f}" if value >= 0.0001 else f"{value:.2e}"


def pairs_section(c: CriterionAlignment, scope: Scope) -> Section:
    """Each run against the one before it: fixed, broken, McNemar's exact p."""
    rows: list[tuple[Cell, ...]] = []
    for p in c.pairs:
        k: Comparison = p.comparison(scope)
        rows.append(
            (
                f"{p.before.name} → {p.after.name}",
                str(k.n),
                str(k.fixed),
                str(k.broken),
                str(k.both_right),
                str(k.both_wrong),
                _p(k.p_value),
            )
        )
    return Section(
        f"Each run against the one before, {scope.caption}",
        ("runs", "paired cases", "fixed", "broken", "both right", "both wrong", "McNemar p"),
        tuple(rows),
        (False,) + (True,) * 6,
    )


def criterion_sections(c: CriterionAlignment) -> list[Section]:
    out = [runs_section(c, Scope.HELDOUT), runs_section(c, Scope.DECIDED)]
    if c.pairs:
        out += [pairs_section(c, Scope.HELDOUT), pairs_section(c, Scope.DECIDED)]
    return out + [labels_section(c, Scope.HELDOUT), labels_section(c, Scope.DECIDED)]


def criterion_notes(c: CriterionAlignment) -> list[str]:
    notes = [
        "fixed: wrong before, right now; broken: right before, wrong now"
        + (f" (right: within ±{c.threshold:g} of the final label)" if c.threshold else "")
        + "; McNemar's exact test counts only those two."
    ]
    for r in c.runs:
        if r.examples_scored:
            notes.append(
                f"{r.run.name} was scored on {r.examples_scored} held-out case(s) that were "
                "calibration examples."
            )
    return notes


def summary_lines(report: AlignmentReport) -> list[str]:
    """The report's head: the split, the runs, the intervals, and the warning if any."""
    runs = ", ".join(r.name for r in report.runs)
    lines = [
        f"{report.decided} decided cases, {report.heldout} of them held out (the project's "
        f"split: fraction {report.fraction:g}, seed {report.split_seed})"
        + (f"; {report.open_cases} open conflicts left out" if report.open_cases else "")
        + ".",
        f"Runs, in order: {runs}.",
        f"Intervals: {report.level:.0%} percentile bootstrap, {report.resamples} resamples, "
        f"seed {report.seed}.",
    ]
    if report.warning is not None:
        lines.append(f"Warning: {report.warning.text}.")
    if not report.decided:
        lines.append(f"({NO_RUNS_DECIDED}.)")
    return lines


def _heading(c: CriterionAlignment) -> str:
    return (
        f"{c.criterion or '(default criterion)'}: labels {', '.join(c.scale.labels)}"
        f"{' (ordinal)' if c.scale.ordinal else ''}"
    )


# -- text ---------------------------------------------------------------------------------------


def render_text(report: AlignmentReport) -> str:
    lines = [TITLE] + [f"  {x}" for x in summary_lines(report)]
    for c in report.criteria:
        lines += ["", f"== {_heading(c)}"]
        for s in criterion_sections(c):
            lines += ["", s.title]
            lines += text_table(s) if s.rows else ["  (none)"]
        lines += [""] + [f"  {n}" for n in criterion_notes(c)]
    return "\n".join(_terminal(x) for x in lines) + "\n"


def _terminal(line: str) -> str:
    """A line safe for a terminal: bidirectional and other control characters as visible marks
    (``⟨RLO⟩``), so that a run's name can neither reorder the line nor reach the terminal."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", visible_controls(line).text).rstrip()


# -- Markdown -----------------------------------------------------------------------------------


def render_markdown(report: AlignmentReport) -> str:
    out = [f"# {TITLE}", ""] + [md_text(x) for x in summary_lines(report)]
    for c in report.criteria:
        out += ["", f"## {md_text(_heading(c))}"]
        for s in criterion_sections(c):
            out += ["", f"### {md_text(s.title)}", ""]
            out += md_table(s) if s.rows else ["(none)"]
        out += [""] + [f"- {md_text(n)}" for n in criterion_notes(c)]
    return "\n".join(out) + "\n"


# -- HTML ---------------------------------------------------------------------------------------

_CHART_CSS = """
svg.chart { display: block; margin: .4em 0 1em; }
svg.chart text { font: 12px system-ui, sans-serif; fill: #1d2330; }
.warning { background: #fff4e0; border: 1px solid #e0a040; padding: .5em .8em; }
"""


def render_html(report: AlignmentReport) -> str:
    body = [f"<h1>{TITLE}</h1>"]
    for x in summary_lines(report)[:3]:
        body.append(f"<p>{html_text(x)}</p>")
    if report.warning is not None:
        body.append(f'<p class="warning">Warning: {html_text(report.warning.text)}.</p>')
    for c in report.criteria:
        body.append(f"<h2>{html_text(_heading(c))}</h2>")
        body.append(
            '<p class="note">Accuracy on the held-out cases, each run with its 95% interval; '
            "the dashed line is the human ceiling on these cases.</p>"
        )
        body.append(_chart(c))
        for s in criterion_sections(c):
            body += [f"<h3>{html_text(s.title)}</h3>", html_table(s) if s.rows else "<p>(none)</p>"]
        body.append(
            '<ul class="note">'
            + "".join(f"<li>{html_text(n)}</li>" for n in criterion_notes(c))
            + "</ul>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{TITLE}</title>\n<style>{PAGE_CSS}{_CHART_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _chart(c: CriterionAlignment) -> str:
    """Each run's held-out accuracy with its interval, in order, and the human ceiling as a
    dashed line: an inline SVG."""
    width, height, left, top, bottom = 120 + 110 * max(1, len(c.runs)), 220, 50, 16, 40
    plot = height - top - bottom

    def y(v: float) -> float:
        return top + (1 - v) * plot

    parts = [
        f'<svg class="chart" width="{width}" height="{height}" role="img" '
        f'aria-label="{html_text("held-out accuracy of each run")}">'
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
            'stroke="#e3e6ec"/>'
            f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:.0%}</text>'
        )
    ceiling = c.ceiling_heldout.figure.value
    if ceiling is not None:
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y(ceiling):.1f}" y2="{y(ceiling):.1f}" '
            'stroke="#2e8b57" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{width - 12}" y="{y(ceiling) - 5:.1f}" text-anchor="end">'
            f"{html_text(CEILING_NAME)} {ceiling:.1%}</text>"
        )
    for i, r in enumerate(c.runs):
        x = left + 60 + 110 * i
        acc = r.heldout.accuracy
        name = visible_controls(r.run.name).text
        short = name if len(name) <= 16 else name[:15] + "…"
        parts.append(
            f'<text x="{x}" y="{height - bottom + 18}" text-anchor="middle">{html_text(short)}'
            f"<title>{html_text(name)}</title></text>"
        )
        if acc.interval.low is not None and acc.interval.high is not None:
            parts.append(
                f'<line x1="{x}" x2="{x}" y1="{y(acc.interval.high):.1f}" '
                f'y2="{y(acc.interval.low):.1f}" stroke="#2d6ebe" stroke-width="2"/>'
            )
        if acc.value is not None:
            parts.append(
                f'<circle cx="{x}" cy="{y(acc.value):.1f}" r="5" fill="#2d6ebe">'
                f"<title>{html_text(name)}: {acc.value:.1%} (n={acc.figure.n})</title></circle>"
                f'<text x="{x + 9}" y="{y(acc.value) + 4:.1f}">{acc.value:.1%}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
