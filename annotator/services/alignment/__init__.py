"""The alignment report: how well each judge run agrees with the experts' final labels, per
criterion, on the held-out cases (the headline) and on every decided case, beside the human
ceiling; and whether each run did better than the one before (McNemar's exact test, the cases
it fixed and broke). docs/alignment.md, "The alignment figures".

The modules: ``report`` (the plain data the window draws), ``build`` (one pass over the
workspace: ``alignment_report``, ``judge_runs``, ``compare_runs``, ``changed_cases``),
``to_json`` and ``render`` (text, Markdown, HTML).
"""

from annotator.services.alignment.build import (
    Which,
    alignment_report,
    changed_cases,
    compare_runs,
    judge_runs,
)
from annotator.services.alignment.render import render_html, render_markdown, render_text
from annotator.services.alignment.report import (
    CEILING_NAME,
    AlignmentReport,
    CalibrationWarning,
    CriterionAlignment,
    Run,
    RunPair,
    RunScores,
    Scope,
)
from annotator.services.alignment.to_json import report_to_json, report_to_json_text

__all__ = [
    "CEILING_NAME",
    "AlignmentReport",
    "CalibrationWarning",
    "CriterionAlignment",
    "Run",
    "RunPair",
    "RunScores",
    "Scope",
    "Which",
    "alignment_report",
    "changed_cases",
    "compare_runs",
    "judge_runs",
    "render_html",
    "render_markdown",
    "render_text",
    "report_to_json",
    "report_to_json_text",
]
