"""The Agreement page: how far reviewers, raters and the judge agree with the final labels.

One tab per criterion: the headline figures with their intervals, the judge's confusion matrix
as a heat map whose cells open as review queues, and the report's tables. The figures come
from ``services.agreement`` (computed off the GUI thread); this page only lays them out, and
shows every name and label as plain text.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.agreement import Figure, Interval
from annotator.fileio import atomic_write
from annotator.services.agreement import (
    AgreementReport,
    CriterionReport,
    Marked,
    Section,
    Style,
    criterion_notes,
    format_figure,
    format_interval,
    render_html,
    render_markdown,
    sections,
)
from annotator.settings import Settings
from annotator.ui import dialogs, theme
from annotator.ui.case_cards import Card
from annotator.ui.heat_map import HeatMap
from annotator.ui.plain import mnemonic, piece, shown, window_title
from annotator.ui.widgets import plain_label, safe_tooltip, section_title
from annotator.untrusted import one_line


class AgreementPage(QDialog):
    cellActivated = Signal(str, str, str)
    """``(criterion, judge label, final label)``: open those cases as the review queue."""
    refreshRequested = Signal()
    """Compute the report again (after more conflicts were settled)."""

    def __init__(
        self,
        report: AgreementReport,
        title: str,
        parent: QWidget | None = None,
        settings: Settings | None = None,
    ) -> None:
        super().__init__(parent)
        self.report = report
        self.title = title
        self._settings = settings
        """Where the last export went (``export_dir``): the report is offered there too."""
        self.setWindowTitle(self.tr("Agreement — ") + window_title(title))
        self.setModal(False)
        self.resize(1180, 860)
        layout = QVBoxLayout(self)
        c = report.counts
        summary = plain_label(
            self.tr(
                "{0} cases: {1} settled unanimously, {2} by you (the lead), {3} open "
                "conflicts, {4} not reviewed. Intervals: {5:.0%} bootstrap, {6} resamples, "
                "seed {7}."
            ).format(
                c.cases,
                c.unanimous,
                c.lead,
                c.conflicts,
                c.unreviewed,
                report.level,
                report.resamples,
                report.seed,
            )
        )
        summary.setStyleSheet(f"color: {theme.muted_color().name()};")
        layout.addWidget(summary)
        self.tabs = QTabWidget()
        for criterion in report.criteria:
            name = mnemonic(piece(one_line(criterion.criterion, 40))) or "(default)"
            self.tabs.addTab(self._criterion_tab(criterion), name)
        if not report.criteria:
            self.tabs.addTab(plain_label(self.tr("No merged cases yet.")), self.tr("Agreement"))
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

    # -- one criterion ---------------------------------------------------------------------------

    def _criterion_tab(self, c: CriterionReport) -> QWidget:
        """The headline figures, the judge's heat map beside its tables, then the reviewers'
        agreement, the tags, who was overruled and the notes."""
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        inner = QWidget()
        body = QVBoxLayout(inner)
        body.setContentsMargins(12, 12, 12, 12)
        body.setSpacing(12)
        scale = ", ".join(map(piece, c.scale.labels))
        scale += self.tr(" (ordered)") if c.scale.ordinal else ""
        body.addWidget(plain_label(self.tr("Labels: {0}").format(scale)))
        body.addLayout(self._headline(c))
        tables = {s.title: s for s in sections(c, piece)}
        body.addLayout(self._judge_errors(c, tables))

        for title in ("Between reviewers", "Tags on cases the judge got wrong"):
            body.addWidget(section_title(self.tr(title)))
            if tables[title].rows:
                body.addWidget(_table(tables[title]))
            else:
                body.addWidget(plain_label(self.tr("None.")))
        body.addWidget(section_title(self.tr("Overruled: where the final label went against")))
        body.addWidget(_overruled_table(c))
        for note in criterion_notes(c):
            line = plain_label(note)
            line.setStyleSheet(f"color: {theme.muted_color().name()};")
            body.addWidget(line)
        body.addStretch(1)
        scroll.setWidget(inner)
        return scroll

    def _headline(self, c: CriterionReport) -> QHBoxLayout:
        """A card each: the judge's accuracy and kappa, the human ceiling, the reviewers'
        alpha."""
        headline = QHBoxLayout()
        j, h, r = c.judge, c.ceiling, c.reviewers
        alpha = self.tr("ordinal") if c.scale.ordinal else self.tr("nominal")
        cards: tuple[tuple[str, Figure, Interval, Style, str], ...] = (
            (
                self.tr("Judge accuracy"),
                j.accuracy,
                j.accuracy_interval,
                "rate",
                self.tr("against the final labels"),
            ),
            (
                self.tr("Judge kappa"),
                j.kappa,
                j.kappa_interval,
                "coefficient",
                self.tr("Cohen's, against the final labels"),
            ),
            (
                self.tr("Human ceiling"),
                h.humans,
                h.humans_interval,
                "rate",
                self.tr("a rater vs the others; the judge: {0}").format(
                    format_figure(h.judge, "rate")
                ),
            ),
            (
                self.tr("Reviewer alpha"),
                r.alpha,
                r.alpha_interval,
                "coefficient",
                self.tr("Krippendorff's, {0}").format(alpha),
            ),
        )
        for name, figure, interval, style, hint in cards:
            headline.addWidget(_figure_card(name, figure, interval, style, hint))
        return headline

    def _judge_errors(self, c: CriterionReport, tables: dict[str, Section]) -> QHBoxLayout:
        """The judge's confusion matrix as a heat map (a cell opens its cases as the queue),
        beside the tables against the adjudicated truth and per label."""
        middle = QHBoxLayout()
        middle.setSpacing(16)
        left = QVBoxLayout()
        left.addWidget(section_title(self.tr("Where the judge goes wrong")))
        heat = HeatMap(c.judge.confusion)
        heat.cellActivated.connect(
            lambda judge, truth, crit=c.criterion: self.cellActivated.emit(crit, judge, truth)
        )
        left.addWidget(heat)
        how = plain_label(
            self.tr("Rows: the final label. Columns: the judge. Click a cell to review its cases.")
        )
        how.setStyleSheet(f"color: {theme.muted_color().name()};")
        left.addWidget(how)
        left.addStretch(1)
        middle.addLayout(left, 2)
        right = QVBoxLayout()
        for title in ("Against the adjudicated truth", "Judge per label"):
            right.addWidget(section_title(self.tr(title)))
            right.addWidget(_table(tables[title]))
        right.addStretch(1)
        middle.addLayout(right, 3)
        return middle

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


def _figure_card(name: str, figure: Figure, interval: Interval, style: Style, hint: str) -> Card:
    card = Card("verdictCard")
    title = plain_label(name, selectable=False)
    font = title.font()
    font.setBold(True)
    title.setFont(font)
    card.body.addWidget(title)
    value = plain_label(format_figure(figure, style), selectable=False)
    big = value.font()
    big.setPointSizeF(big.pointSizeF() * 2.0)
    big.setBold(True)
    value.setFont(big)
    card.body.addWidget(value)
    if figure.value is None:
        detail = figure.reason or ""
    elif interval.low is not None:
        detail = f"{interval.level:.0%} CI {format_interval(interval, style)}  ·  n = {figure.n}"
    else:
        detail = f"n = {figure.n}"
    for text in (detail, hint):
        line = plain_label(text, selectable=False)
        line.setStyleSheet(f"color: {theme.muted_color().name()};")
        card.body.addWidget(line)
    card.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    return card


def _table(section: Section) -> QWidget:
    """The section's table, and under it the footnotes of its marked figures (why a figure
    is undefined, or what to know about it), numbered as in the text report."""
    rows = section.rows
    table = _grid(section.headers, len(rows))
    notes: list[str] = []
    for r, row in enumerate(rows):
        for column, cell in enumerate(row):
            if isinstance(cell, Marked):
                if cell.footnote not in notes:
                    notes.append(cell.footnote)
                text = f"{cell.text} [{notes.index(cell.footnote) + 1}]"
            else:
                text = cell
            item = QTableWidgetItem(text)
            if isinstance(cell, Marked):
                item.setToolTip(safe_tooltip(cell.footnote))
            numeric = column < len(section.numeric) and section.numeric[column]
            if numeric:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, column, item)
    _fit(table)
    if not notes:
        return table
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(table)
    for i, note in enumerate(notes, 1):
        line = plain_label(f"[{i}] {note}")
        line.setStyleSheet(f"color: {theme.muted_color().name()};")
        layout.addWidget(line)
    return box


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
    table = _grid(headers, len(rows))
    for r, row in enumerate(rows):
        for column, text in enumerate(row):
            item = QTableWidgetItem(text)
            if column == len(row) - 1:
                item.setToolTip(safe_tooltip(text))
            table.setItem(r, column, item)
    _fit(table, max_rows=14, stretch=True)
    return table


def _grid(headers: tuple[str, ...], rows: int) -> QTableWidget:
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setShowGrid(False)
    return table


def _fit(table: QTableWidget, max_rows: int | None = None, stretch: bool = False) -> None:
    """Size the table to its contents (up to ``max_rows`` rows), so that the page scrolls,
    not each table, and numbers sit next to their names rather than at the far edge."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for column in range(table.columnCount()):  # room for the header text and some air
        width = max(table.columnWidth(column), header.sectionSizeHint(column)) + 16
        table.setColumnWidth(column, width)
    header.setStretchLastSection(stretch)
    shown = table.rowCount() if max_rows is None else min(table.rowCount(), max_rows)
    height = header.sizeHint().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(shown))
    table.setFixedHeight(height + 2)
    scrolls = max_rows is not None and table.rowCount() > max_rows
    table.setVerticalScrollBarPolicy(
        Qt.ScrollBarPolicy.ScrollBarAsNeeded if scrolls else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    )
    if not stretch:
        width = sum(table.columnWidth(c) for c in range(table.columnCount()))
        table.setMaximumWidth(width + 2 * table.frameWidth() + 2)
