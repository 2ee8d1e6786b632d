"""The Agreement page: the judge against the original raters before any review, and how far
reviewers, raters and the judge agree with the final labels after.

One tab per criterion: before any review, the baseline (``baseline_view``); after review, the
headline figures with their intervals, the judge before and after review on the same cases,
the judge's confusion matrix as a heat map whose cells open as review queues, and the report's
tables. The figures come from ``services.agreement`` (computed off the GUI thread); this page
only lays them out, and shows every name and label as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.agreement import Figure, Interval
from annotator.domain.anchoring import Anchoring
from annotator.fileio import atomic_write
from annotator.services.agreement import (
    AgreementReport,
    CriterionBaseline,
    CriterionReport,
    Section,
    Style,
    criterion_notes,
    format_figure,
    render_html,
    render_markdown,
    sections,
)
from annotator.services.agreement import glossary as g
from annotator.services.agreement.anchoring_tables import anchoring_notes, anchoring_section
from annotator.services.agreement.baseline_tables import AFTER_TITLE, BEFORE_TITLE
from annotator.services.agreement.glossary import explain
from annotator.services.agreement.judge import judge_sentence
from annotator.services.agreement.report import Rule
from annotator.services.agreement.tables import BEFORE_AFTER, overruled_lines
from annotator.settings import Settings
from annotator.ui import dialogs, theme
from annotator.ui.baseline_view import BaselineView
from annotator.ui.figure_tables import (
    figure_card,
    fit,
    grid,
    judge_kappa,
    note_label,
    scrolling_column,
    section_table,
)
from annotator.ui.heat_map import HeatMap
from annotator.ui.plain import mnemonic, piece, shown, window_title
from annotator.ui.widgets import FlowLayout, plain_label, safe_tooltip, section_title
from annotator.untrusted import one_line

GAPS_SHOWN = 200
"""Rubric-gap cases a criterion's tab lists (the exported report lists them all)."""


class AgreementPage(QDialog):
    cellActivated = Signal(str, str, str)
    """``(criterion, judge label, final label)``: open those cases as the review queue."""
    switchedActivated = Signal(str)
    """A reviewer's name ("": anyone): open the cases where their blind-first decision
    switched to the judge's label after the reveal as the review queue."""
    refreshRequested = Signal()
    """Compute the report again (after more conflicts were settled)."""

    def __init__(
        self,
        report: AgreementReport,
        title: str,
        parent: QWidget | None = None,
        settings: Settings | None = None,
    ) -> None:
        """Which judge the judge's figures are of (``report.measured_judge``) is said at the
        top of each criterion's tab, in the exported report's words (not said for a report
        read from files, which the window does not show)."""
        super().__init__(parent)
        self.report = report
        self.title = title
        self._settings = settings
        """Where the last export went (``export_dir``): the report is offered there too."""
        self.setWindowTitle(self.tr("Agreement — ") + window_title(title))
        self.setModal(False)
        self.resize(1180, 860)
        layout = QVBoxLayout(self)
        summary = plain_label(self._summary(report))
        summary.setStyleSheet(f"color: {theme.muted_color().name()};")
        layout.addWidget(summary)
        judge = report.measured_judge
        self._judge = judge_sentence(judge, name=piece) if judge is not None else ""
        self.tabs = QTabWidget()
        after = {c.criterion: c for c in report.criteria}
        before = {b.criterion: b for b in report.baseline.criteria} if report.baseline else {}
        for criterion in sorted(set(after) | set(before)):
            name = mnemonic(piece(one_line(criterion, 40))) or "(default)"
            tab = self._criterion_tab(before.get(criterion), after.get(criterion))
            self.tabs.addTab(tab, name)
        if self.tabs.count():
            self.anchoring = self._anchoring_tab(report.anchoring)
            self.tabs.addTab(self.anchoring, self.tr("&Anchoring"))
        else:
            self.tabs.addTab(plain_label(self.tr("No cases yet.")), self.tr("Agreement"))
        layout.addWidget(self.tabs, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        for text, slot in (
            (self.tr("Recompute"), self.refreshRequested.emit),
            (self.tr("Export Markdown…"), self.export_markdown),
            (self.tr("Export HTML…"), self.export_html),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def _summary(self, report: AgreementReport) -> str:
        c = report.counts
        intervals = self.tr("Intervals: {0:.0%} bootstrap, {1} resamples, seed {2}.").format(
            report.level, report.resamples, report.seed
        )
        if not report.criteria:
            return (
                self.tr(
                    "No decisions yet: before any review, the judge against the original raters."
                )
                + f" {intervals}"
            )
        return (
            self.tr(
                "{0} reviewed cases: {1} settled unanimously, {2} by you (the lead), {3} open "
                "conflicts, {4} not reviewed."
            ).format(c.cases, c.unanimous, c.lead, c.conflicts, c.unreviewed)
            + f" {intervals}"
        )

    # -- one criterion ---------------------------------------------------------------------------

    def _criterion_tab(
        self, before: CriterionBaseline | None, c: CriterionReport | None
    ) -> QWidget:
        """After review (against the final labels) if there are decisions, then before any
        review (the judge against the raters, every case)."""
        scroll, body = scrolling_column()
        scale_of = c.scale if c is not None else before.scale if before is not None else None
        if scale_of is not None:
            scale = ", ".join(map(piece, scale_of.labels))
            scale += self.tr(" (ordered)") if scale_of.ordinal else ""
            body.addWidget(plain_label(self.tr("Labels: {0}").format(scale)))
        if self._judge:  # (the judge's figures below, after review and before)
            body.addWidget(note_label(self._judge, muted=False))
        if c is not None:  # what the reviewers decided first, then the baseline of every case
            body.addWidget(_part_title(self.tr(AFTER_TITLE)))
            self._after_review(body, c)
        if before is not None:
            body.addWidget(_part_title(self.tr(BEFORE_TITLE)))
            body.addWidget(BaselineView(before))
        body.addStretch(1)
        return scroll

    def _after_review(self, body: QVBoxLayout, c: CriterionReport) -> None:
        """The headline figures, the judge before and after review, the judge's heat map
        beside its tables, then the reviewers' agreement, the tags, who was overruled and the
        notes."""
        body.addLayout(self._headline(c))
        tables = {s.title: s for s in sections(c, piece)}
        body.addWidget(section_title(self.tr(BEFORE_AFTER)))
        body.addWidget(section_table(tables[BEFORE_AFTER]))
        body.addLayout(self._judge_errors(c, tables))

        for title in ("Between reviewers", "Tags on cases the judge got wrong"):
            body.addWidget(section_title(self.tr(title)))
            if tables[title].rows:
                body.addWidget(section_table(tables[title]))
            else:
                body.addWidget(plain_label(self.tr("None.")))
        body.addWidget(section_title(self.tr("Overruled: where the final label went against")))
        body.addWidget(_overruled_table(c))
        if c.judge.threshold is not None:  # overruled beyond the threshold; exact beside
            heads = [overruled_lines(o, 0, piece, c.judge.threshold)[0] for o in c.overruled]
            body.addWidget(note_label("\n".join(heads)))
        if c.rubric_gaps:  # candidate rubric edits (Edit > Rubric…)
            body.addWidget(section_title(self.tr("Rubric gaps: candidate rubric edits")))
            body.addWidget(_gaps_table(c))
            more = len(c.rubric_gaps) - GAPS_SHOWN
            if more > 0:
                body.addWidget(note_label(self.tr("… and {0} more cases").format(more)))
        for note in criterion_notes(c):
            body.addWidget(note_label(note))

    def _headline(self, c: CriterionReport) -> QHBoxLayout:
        """A card each: the judge's accuracy and kappa, the human ceiling, the reviewers'
        alpha."""
        headline = QHBoxLayout()
        j, h, r = c.judge, c.ceiling, c.reviewers
        alpha = self.tr("ordinal") if c.scale.ordinal else self.tr("nominal")
        kappa_name, kappa, kappa_interval, kappa_hint, kappa_tip = judge_kappa(j)
        right: tuple[str, Figure, Interval, Style, str, str | None] = (
            self.tr("Judge accuracy"),
            j.accuracy,
            j.accuracy_interval,
            "rate",
            self.tr("exact agreement with the final labels"),
            explain(g.EXACT),
        )
        if j.within is not None and j.within_interval is not None and j.threshold is not None:
            right = (  # the judge right as "who was right" says, exact agreement beside
                self.tr("Judge right (±{0:g})").format(j.threshold),
                j.within,
                j.within_interval,
                "rate",
                self.tr("exact agreement {0}; right: within {1:g} of the final label").format(
                    format_figure(j.accuracy, "rate"), j.threshold
                ),
                explain(g.WITHIN),
            )
        cards: tuple[tuple[str, Figure, Interval, Style, str, str | None], ...] = (
            right,
            (
                self.tr(kappa_name),
                kappa,
                kappa_interval,
                "coefficient",
                self.tr("against the final labels, {0}").format(kappa_hint),
                kappa_tip,
            ),
            (
                self.tr("Human ceiling"),
                h.humans,
                h.humans_interval,
                "rate",
                self.tr("a rater vs the others; the judge: {0}").format(
                    format_figure(h.judge, "rate")
                ),
                explain("human ceiling"),
            ),
            (
                self.tr("Reviewer alpha"),
                r.alpha,
                r.alpha_interval,
                "coefficient",
                self.tr("Krippendorff's, {0}").format(alpha),
                explain(g.ALPHA_ORDINAL if c.scale.ordinal else g.ALPHA_NOMINAL),
            ),
        )
        for name, figure, interval, style, hint, tip in cards:
            headline.addWidget(figure_card(name, figure, interval, style, hint, tip), 1)
        return headline

    def _judge_errors(self, c: CriterionReport, tables: dict[str, Section]) -> QHBoxLayout:
        """The judge's confusion matrix as a heat map (a cell opens its cases as the queue),
        beside the tables against the adjudicated truth and per label."""
        middle = QHBoxLayout()
        middle.setSpacing(16)
        left = QVBoxLayout()
        left.addWidget(section_title(self.tr("Where the judge goes wrong")))
        heat = HeatMap(c.judge.confusion, threshold=c.judge.threshold)
        heat.cellActivated.connect(
            lambda judge, truth, crit=c.criterion: self.cellActivated.emit(crit, judge, truth)
        )
        left.addWidget(heat)
        near = (
            self.tr(
                " Blue: within ±{0:g} of the final label, where the judge counts as right."
            ).format(c.judge.threshold)
            if c.judge.threshold is not None
            else ""
        )
        how = plain_label(
            self.tr("Rows: the final label. Columns: the judge.")
            + near
            + self.tr(" Click a cell to review its cases.")
        )
        how.setStyleSheet(f"color: {theme.muted_color().name()};")
        left.addWidget(how)
        left.addStretch(1)
        middle.addLayout(left, 2)
        right = QVBoxLayout()
        for title in ("Against the adjudicated truth", "Judge per label"):
            right.addWidget(section_title(self.tr(title)))
            right.addWidget(section_table(tables[title]))
        right.addStretch(1)
        middle.addLayout(right, 3)
        return middle

    def verdict(self, criterion: str, judge: str, truth: str) -> str:
        """Whether the judge was right in a cell of its confusion matrix, where the
        criterion's threshold makes that more than "on the diagonal"; else empty."""
        c = next((x for x in self.report.criteria if x.criterion == criterion), None)
        if c is None or c.judge.threshold is None:
            return ""
        t = c.judge.threshold
        if judge == truth:
            return self.tr("the judge was right, exact")
        if Rule.of(c.scale, t).wrong(truth, judge):
            return self.tr("the judge was wrong (more than {0:g} off)").format(t)
        return self.tr("the judge was right within ±{0:g}, not exact").format(t)

    # -- anchoring -------------------------------------------------------------------------------

    def _anchoring_tab(self, a: Anchoring | None) -> QWidget:
        """The blind-first decisions: each reviewer's rates with their intervals, the notes,
        and per reviewer the count of switches to the judge, which opens those cases as the
        queue; without blind-first decisions, one line that says how to have them."""
        scroll, body = scrolling_column()
        body.addWidget(_part_title(self.tr("Anchoring: how far the reveal moves the reviewers")))
        if a is not None and a.any:
            body.addWidget(self._switched(a))
            body.addWidget(section_table(anchoring_section(a)))
            for note in anchoring_notes(a, piece):
                body.addWidget(note_label(note))
        else:
            body.addWidget(note_label(anchoring_notes(a)[0]))
        body.addStretch(1)
        return scroll

    def _switched(self, a: Anchoring) -> QWidget:
        """Per reviewer (and everyone), how many decisions switched to the judge's label after
        the reveal: a click opens those cases as the queue. The buttons wrap onto more lines
        (many reviewers never widen the page)."""
        host = QWidget()
        row = FlowLayout(host, spacing=6)
        title = plain_label(self.tr("Switched to the judge after the reveal:"))
        title.setWordWrap(False)
        row.addWidget(title)
        people = a.reviewers + ((a.overall,) if a.overall and len(a.reviewers) > 1 else ())
        for r in people:
            count = r.to_judge.count
            name = piece(r.reviewer) if r.reviewer else self.tr("everyone")
            button = QPushButton(self.tr("{0}: {1} case(s)").format(name, count))
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setStyleSheet("color: palette(link); text-decoration: underline;")
            button.setEnabled(count > 0)
            button.setToolTip(
                self.tr(
                    "Review the cases where {0} committed a first label other than the "
                    "judge's and then took the judge's label."
                ).format(name)
            )
            button.clicked.connect(
                lambda _c=False, who=r.reviewer: self.switchedActivated.emit(who)
            )
            row.addWidget(button)
        return host

    # -- exporting -------------------------------------------------------------------------------

    def export_markdown(self) -> None:
        self._export("md", self.tr("Markdown (*.md)"))

    def export_html(self) -> None:
        self._export("html", self.tr("HTML page (*.html)"))

    def _export(self, suffix: str, kind: str) -> None:
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in self.title)[:50]
        settings = self._settings
        folder = Path(settings.export_dir) if settings and settings.export_dir else Path.home()
        default = str(folder / f"{stem.strip('-') or 'agreement'}-agreement.{suffix}")
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export report"), default, kind)
        if not path:
            return
        if settings is not None:
            settings.export_dir = str(Path(path).parent)
            settings.save()
        self.write_report(Path(path), suffix)

    def write_report(self, path: Path, suffix: str) -> None:
        render = render_html if suffix == "html" else render_markdown
        try:
            with atomic_write(path) as fh:
                fh.write(render(self.report, overruled_limit=None))
        except OSError as exc:
            dialogs.error(self, self.tr("Export failed"), str(exc))


def _part_title(text: str) -> QWidget:
    """The title of a part of the page: before review, after review."""
    label = plain_label(text, selectable=False)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    label.setFont(font)
    return label


def _why_table(headers: tuple[str, ...], rows: Sequence[Sequence[str]]) -> QTableWidget:
    """A table of plain text whose last column, the rationales, stretches and has each
    rationale whole in its tooltip."""
    table = grid(headers, len(rows))
    for r, row in enumerate(rows):
        for column, text in enumerate(row):
            item = QTableWidgetItem(text)
            if column == len(row) - 1:
                item.setToolTip(safe_tooltip(text))
            table.setItem(r, column, item)
    fit(table, max_rows=14, stretch=True)
    return table


def _gaps_table(c: CriterionReport) -> QTableWidget:
    """The cases tagged "rubric gap" (the first ``GAPS_SHOWN``): a row per person who tagged
    one, with their label and rationale, as the Overruled table above it."""
    headers = ("case", "final", "tagged by", "their label", "why")
    rows = [
        (
            shown(gap.case_id),
            shown(gap.final_label) if gap.final_label is not None else "not settled",
            piece(who) if who else "?",
            shown(label),
            piece(why) if why else "(no rationale)",
        )
        for gap in c.rubric_gaps[:GAPS_SHOWN]
        for who, label, why in gap.notes
    ]
    return _why_table(headers, rows)


def _overruled_table(c: CriterionReport) -> QTableWidget:
    headers = ("who", "case", "their label", "final", "settled by", "why")
    rows = [
        (
            f"{o.role} {piece(o.person)}",
            shown(x.case_id),
            shown(x.label),
            shown(x.final_label),
            x.settled_by,
            "; ".join(f"{piece(who)}: {piece(why)}" for who, why in x.rationales),
        )
        for o in c.overruled
        for x in o.cases
    ]
    return _why_table(headers, rows)
