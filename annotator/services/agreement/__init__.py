"""The agreement report of merged cases, and its renderers (JSON, terminal, Markdown, HTML).

Everything is per criterion, because criteria have different scales. The adjudicated truth of a
case is its ``final_label``; cases without one (open conflicts, unreviewed cases) are left out of
the figures against the truth, and the report counts them. Agreement between reviewers and the
human ceiling don't need the truth, so they use every case.

One pass over the cases collects counts (of label pairs and of kinds of case); every figure and
every bootstrap interval is computed from those counts (see ``annotator.domain.agreement``,
``reliability``, ``ceiling`` and ``bootstrap``), so a million cases take seconds.

The report also holds the baseline before any review (``report.baseline``): the judge against
the original raters' consensus and the raters among themselves, of every case; and beside the
figures against the final labels, the same judge figures against the consensus on the very
cases settled (``CriterionReport.before``).

The modules: ``report`` (the report's dataclasses), ``build`` (``build_report`` and its
tallying), ``baseline`` (the baseline's figures from ``domain.baseline``'s counts), ``to_json``
(the JSON document), ``tables`` and ``baseline_tables`` (figures as text and the tables the
renderers and the window share), ``judge`` (which judge the figures are of, the one sentence
every renderer and the window say it in), and one module per renderer: ``text``,
``markdown`` and ``html_page``. Import from here; a workspace's report
(``workspace_report``, ``report_of``) from ``annotator.services.agreement.workspace``.
"""

from annotator.services.agreement.baseline_tables import (
    baseline_confusion,
    baseline_notes,
    baseline_sections,
)
from annotator.services.agreement.build import ScaleConflict, build_report
from annotator.services.agreement.html_page import render_html
from annotator.services.agreement.markdown import render_markdown
from annotator.services.agreement.report import (
    LEVEL,
    AgreementReport,
    AmongRaters,
    Baseline,
    Counts,
    CriterionBaseline,
    CriterionReport,
    HumanCeiling,
    JudgeFigures,
    JudgeVsConsensus,
    JudgeVsTruth,
    Overruled,
    OverruledCase,
    PairKappa,
    RaterVsTruth,
    Reliability,
    ReviewerAgreement,
    TagCount,
)
from annotator.services.agreement.tables import (
    Cell,
    Marked,
    Section,
    Style,
    criterion_notes,
    format_figure,
    format_interval,
    sections,
)
from annotator.services.agreement.text import render_text
from annotator.services.agreement.to_json import (
    REPORT_FORMAT,
    REPORT_VERSION,
    report_to_json,
    report_to_json_text,
)

__all__ = [
    "LEVEL",
    "REPORT_FORMAT",
    "REPORT_VERSION",
    "AgreementReport",
    "AmongRaters",
    "Baseline",
    "Cell",
    "Counts",
    "CriterionBaseline",
    "CriterionReport",
    "HumanCeiling",
    "JudgeFigures",
    "JudgeVsConsensus",
    "JudgeVsTruth",
    "Marked",
    "Overruled",
    "OverruledCase",
    "PairKappa",
    "RaterVsTruth",
    "Reliability",
    "ReviewerAgreement",
    "Section",
    "Style",
    "TagCount",
    "ScaleConflict",
    "baseline_confusion",
    "baseline_notes",
    "baseline_sections",
    "build_report",
    "criterion_notes",
    "format_figure",
    "format_interval",
    "render_html",
    "render_markdown",
    "render_text",
    "report_to_json",
    "report_to_json_text",
    "sections",
]
