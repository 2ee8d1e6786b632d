"""The agreement report as a standalone HTML page: inline CSS, no scripts, every piece of user
text escaped (markup, and control characters shown as marks); the confusion matrix is a heat
map."""

from __future__ import annotations

import html

from annotator.domain.merge import Scale
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
from annotator.services.agreement.report import (
    LEVEL,
    AgreementReport,
    JudgeVsTruth,
    OverruledCase,
    Rule,
)
from annotator.services.agreement.rubric_gaps import INTRO as GAPS_INTRO
from annotator.services.agreement.rubric_gaps import NONE as NO_GAPS
from annotator.services.agreement.rubric_gaps import TITLE as GAPS
from annotator.services.agreement.rubric_gaps import gap_entries
from annotator.services.agreement.tables import (
    Section,
    criterion_name,
    criterion_notes,
    footnoted,
    overruled_lines,
    sections,
)
from annotator.untrusted import visible_controls

PAGE_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330;
       margin: 2em auto; max-width: 70em; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d8dce4; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .4em 0 1em; }
th, td { padding: .3em .7em; border: 1px solid #d8dce4; text-align: left; vertical-align: top; }
th { background: #f1f3f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
small.foot { display: block; color: #6b6f78; font-size: .85em; }
.note { color: #4a4f5a; }
table.heat td { text-align: center; min-width: 4.5em; font-variant-numeric: tabular-nums; }
table.heat td small { display: block; opacity: .8; }
table.heat th.corner { font-weight: 400; color: #4a4f5a; }
.rationale { color: #39404d; }
code { background: #f1f3f7; padding: 0 .25em; border-radius: 3px; }
"""


_BREAKS = {0x2028: "&#x2028;", 0x2029: "&#x2029;", 0x85: "&#x85;"}


def html_text(text: str) -> str:
    """User text as HTML text or attribute: markup escaped; bidirectional and other control
    characters as visible marks (``⟨RLO⟩``, ``⟨ESC⟩``: inert, as in the window's case view); line
    separators as character references (a line of the file is never cut by
    ``str.splitlines()``)."""
    return html.escape(visible_controls(text).text, quote=True).translate(_BREAKS)


def render_html(report: AgreementReport, *, overruled_limit: int | None = 200) -> str:
    """The report as a standalone HTML page: inline CSS, no scripts, no external resources;
    every piece of user text escaped. The confusion matrix is a heat map."""
    c0 = report.counts
    counts = (
        f"{c0.cases} cases: {c0.unanimous} settled unanimously, {c0.lead} by the lead, "
        f"{c0.conflicts} open conflicts, {c0.unreviewed} not reviewed."
        if report.criteria
        else f"{NO_DECISIONS.capitalize()}."
    )
    body = [
        "<h1>Agreement report</h1>",
        f"<p>{counts} Intervals: "
        f"{LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, seed "
        f"{report.seed}.</p>",
        f"<p>{judge_sentence(report.measured_judge, name=_name_html, words=html_text)}</p>",
    ]
    body += _baseline_html(report)
    if report.criteria:
        body.append(f"<h1>{html_text(AFTER_TITLE)}</h1>")
    for c in report.criteria:
        scale = ", ".join(f"<bdi>{html_text(x)}</bdi>" for x in c.scale.labels)
        body += [
            f"<h2>{html_text(criterion_name(c))}</h2>",
            f"<p>Labels: {scale}{' (ordinal)' if c.scale.ordinal else ''}</p>",
        ]
        for s in sections(c):
            body.append(f"<h3>{html_text(s.title)}</h3>")
            body.append(html_table(s) if s.rows else "<p>(none)</p>")
        body += [
            "<h3>Confusion matrix</h3>",
            '<p class="note">Rows: the adjudicated truth; columns: the judge. Shading: the '
            "share of each truth row (green on the diagonal, red off it"
            + (
                f"; blue off the diagonal but within the threshold (±{c.judge.threshold:g}), "
                "where the judge counts as right"
                if c.judge.threshold is not None
                else ""
            )
            + ").</p>",
            _heat_map(c.judge),
        ]
        body.append(
            '<ul class="note">'
            + "".join(f"<li>{html_text(n)}</li>" for n in criterion_notes(c))
            + "</ul>"
        )
        body.append("<h3>Overruled</h3>")
        if not c.overruled:
            body.append("<p>(nobody)</p>")
        for o in c.overruled:
            head, shown, more = overruled_lines(o, overruled_limit, threshold=c.judge.threshold)
            body.append(f"<h4>{html_text(head)}</h4>")
            if not shown:
                continue
            rows = "".join(
                f"<tr><td><code>{html_text(x.case_id)}</code></td><td>{html_text(x.label)}</td>"
                f"<td>{html_text(x.final_label)}</td><td>{html_text(x.settled_by)}</td>"
                f'<td class="rationale">{_rationales_html(x)}</td></tr>'
                for x in shown
            )
            body.append(
                "<table><tr><th>case</th><th>their label</th><th>final label</th>"
                f"<th>settled</th><th>rationale</th></tr>{rows}</table>"
            )
            if more:
                body.append(f'<p class="note">… and {more} more</p>')
    body.append(f"<h1>{html_text(ANCHORING)}</h1>")
    if report.anchoring is not None and report.anchoring.any:
        body.append(html_table(anchoring_section(report.anchoring)))
    notes = anchoring_notes(report.anchoring)
    body.append('<ul class="note">' + "".join(f"<li>{html_text(n)}</li>" for n in notes) + "</ul>")
    gaps = gap_entries(report, overruled_limit)
    intro = html_text(GAPS_INTRO if gaps else NO_GAPS)
    body.append(f'<h1>{html_text(GAPS)}</h1><p class="note">{intro}</p>')
    for heading, cases, more in gaps:
        items = "".join(f"<li>{html_text(line)}</li>" for line in cases)
        items += f"<li>… and {more} more</li>" if more else ""
        body.append(f"<h2>{html_text(heading)}</h2><ul>{items}</ul>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Agreement report</title>\n<style>{PAGE_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _name_html(text: str) -> str:
    """A name from elsewhere joined with our words: escaped, and isolated (``<bdi>``)."""
    return f"<bdi>{html_text(text)}</bdi>"


def _rationales_html(x: OverruledCase) -> str:
    return "<br>".join(
        f"<b><bdi>{html_text(by)}</bdi></b>: "
        + (f"<bdi>{html_text(why)}</bdi>" if why.strip() else "<i>no rationale</i>")
        for by, why in x.rationales
    )


def _baseline_html(report: AgreementReport) -> list[str]:
    if report.baseline is None or not report.baseline.criteria:
        return []
    body = [f"<h1>{html_text(BEFORE_TITLE)}</h1>"]
    for b in report.baseline.criteria:
        scale = ", ".join(f"<bdi>{html_text(x)}</bdi>" for x in b.scale.labels)
        body += [
            f"<h2>{html_text(b.criterion or '(default criterion)')}</h2>",
            f"<p>Labels: {scale}{' (ordinal)' if b.scale.ordinal else ''}</p>",
        ]
        for s in baseline_sections(b):
            body += [f"<h3>{html_text(s.title)}</h3>", html_table(s)]
        body += [
            "<h3>Confusion matrix</h3>",
            '<p class="note">Rows: the raters\' consensus; columns: the judge.</p>',
            html_table(baseline_confusion(b)),
            '<ul class="note">'
            + "".join(f"<li>{html_text(n)}</li>" for n in baseline_notes(b))
            + "</ul>",
        ]
    return body


def html_table(s: Section) -> str:
    """The table, a marked cell with its footnote's number (before a right-aligned value, so
    that values keep their right edge), and the footnotes under it."""
    right = s.numeric or tuple(False for _ in s.headers)
    body, notes = footnoted(s, lambda k: f"[{k}]")
    head = "".join(f"<th>{html_text(x)}</th>" for x in s.headers)
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{html_text(x)}</td>' if r else f"<td>{html_text(x)}</td>"
            for x, r in zip(row, right, strict=True)
        )
        + "</tr>"
        for row in body
    )
    foot = "".join(f'<small class="foot">[{k}] {html_text(text)}</small>' for k, text in notes)
    return f"<table><tr>{head}</tr>{rows}</table>{foot}"


def _heat_map(j: JudgeVsTruth) -> str:
    """The judge's confusion matrix; on an ordered scale with a threshold, a cell off the
    diagonal but within it is shaded as right by the threshold."""
    m = j.confusion
    rule = Rule.of(Scale(m.labels, True), j.threshold)
    head = '<th class="corner">truth \\ judge</th>' + "".join(
        f"<th>{html_text(x)}</th>" for x in m.labels
    )
    rows = []
    for i, (label, row) in enumerate(zip(m.labels, m.counts, strict=True)):
        total = sum(row)
        cells = []
        for k, count in enumerate(row):
            share = count / total if total else 0.0
            near = i != k and not rule.wrong(label, m.labels[k])
            verdict = "exact" if i == k else "right within the threshold" if near else "wrong"
            cells.append(
                f'<td style="{_heat_style(share, i == k, near)}" '
                f'title="truth {html_text(label)}, judge {html_text(m.labels[k])}: '
                f'{count} ({verdict})">'
                f"{count}<small>{share:.0%}</small></td>"
            )
        rows.append(f"<tr><th>{html_text(label)}</th>{''.join(cells)}</tr>")
    return f'<table class="heat"><tr>{head}</tr>{"".join(rows)}</table>'


def _heat_style(share: float, diagonal: bool, near: bool = False) -> str:
    """Green for agreement, blue for right within the threshold, red for confusion; stronger
    for a larger share of the row."""
    base = (46, 139, 87) if diagonal else (45, 110, 190) if near else (200, 55, 45)
    strength = 0.08 + 0.85 * share if share else 0.0
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    ink = "#ffffff" if strength > 0.55 else "#1d2330"
    return f"background:rgb({r},{g},{b});color:{ink}"
