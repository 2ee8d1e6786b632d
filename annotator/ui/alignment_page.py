"""The Alignment page: is the next judge any better? Every judge run against the experts'
final labels, per criterion, on the held-out cases (the headline) and on all decided cases.

One tab per criterion (no tab bar when there is one): a chart of the runs in order with
their 95 % intervals and the human ceiling as the target (``alignment_chart``; accuracy,
Cohen's kappa or macro F1), beside it two runs compared (``alignment_compare``: McNemar's
exact p-value, and the fixed and broken cases, which open in the queue); a warning when a run
was scored on cases that were calibration examples; then the tables: accuracy, kappa and
macro F1 per run, and precision, recall and F1 per label, each with its interval and n.
With one run, or no decided case, the page says what to do next instead.

The figures come from ``services.alignment`` (computed off the GUI thread by the window);
this page only lays them out, and shows every name and label as plain text.
"""

from __future__ import annotations

import math
from functools import partial

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.alignment import Comparison, Estimate, RunFigures
from annotator.services.agreement import Style, format_figure, format_interval
from annotator.services.agreement import glossary as g
from annotator.services.agreement.glossary import explain
from annotator.services.alignment.report import (
    AlignmentReport,
    CriterionAlignment,
    Scope,
)
from annotator.ui import theme
from annotator.ui.alignment_chart import AlignmentChart, ChartData, ChartPoint
from annotator.ui.alignment_compare import CompareBox
from annotator.ui.figure_tables import fit, grid, note_label, scrolling_column
from annotator.ui.plain import mnemonic, piece, window_title
from annotator.ui.widgets import plain_label, safe_tooltip, section_title
from annotator.untrusted import one_line

HEADER_HELP = {
    "Accuracy": g.EXACT,
    "Cohen's kappa": g.KAPPA,
    "Macro F1": g.MACRO_F1,
    "Right": g.WITHIN,
}
"""The glossary's sentence for each figure's column (its tooltip)."""

FIGURES: tuple[tuple[str, str, Style], ...] = (
    ("accuracy", "Accuracy", "rate"),
    ("kappa", "Cohen's kappa", "coefficient"),
    ("macro_f1", "Macro F1", "coefficient"),
)
"""The run figures the chart can show and the tables list: attribute, name, style."""

WARNING_LIGHT = """
QFrame#calibrationWarning { background-color: #fff1c2; border: 1px solid #d9b44a;
  border-radius: 6px; }
QFrame#calibrationWarning QLabel { color: #4d3800; }
"""
WARNING_DARK = """
QFrame#calibrationWarning { background-color: #4a3a08; border: 1px solid #8a6d12;
  border-radius: 6px; }
QFrame#calibrationWarning QLabel { color: #ffe7a0; }
"""

NEXT_STEPS_NO_DECISIONS = (
    "No decided cases yet, so no judge can be measured against the experts.\n\n"
    "1. Decide cases in the window, with a label and a rationale (the critique).\n"
    "2. File › Export calibration pack… writes the examples for the judge's prompt and "
    "heldout.jsonl, the cases to run the next judge on.\n"
    "3. File › Add judge run… brings the next judge's verdicts back in.\n"
    "Then this page (View › Alignment, Ctrl+Shift+L) compares the runs."
)
NEXT_STEPS_ONE_RUN = (
    "Only one judge run so far: nothing to compare it with yet.\n\n"
    "1. File › Export calibration pack… writes the experts' critiques as examples for the "
    "judge's prompt, and heldout.jsonl, the cases to measure the next judge on.\n"
    "2. Run your judge with the new prompt on heldout.jsonl.\n"
    "3. File › Add judge run… (or annotator judge-run add WS FILE --name NAME) brings its "
    "verdicts in; this page then shows both runs, the change between them and whether it "
    "is more than chance."
)


class AlignmentPage(QDialog):
    casesRequested = Signal(str, int, int, str)
    """``(criterion, before, after, "fixed" | "broken")``: runs by their index in the
    criterion's runs (the report's run order); open those cases in the queue."""
    comparisonNeeded = Signal(str, int, int)
    """``(criterion, before, after)``: two runs the report does not compare (it compares each
    with the one before it); :meth:`set_comparison` shows the comparison."""
    refreshRequested = Signal()

    def __init__(
        self,
        view: AlignmentReport,
        title: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.report = view
        self.setWindowTitle(self.tr("Alignment — ") + window_title(title))
        self.setModal(False)
        self.resize(1180, 860)
        layout = QVBoxLayout(self)
        summary = plain_label(self._summary(view))
        summary.setStyleSheet(f"color: {theme.muted_color().name()};")
        layout.addWidget(summary)
        if view.warning is not None:  # prominent: above every criterion
            layout.addWidget(
                self._warning(self.tr("Examples among the held-out cases"), view.warning.text + ".")
            )
        self.tabs = QTabWidget()
        self.tabs.setTabBarAutoHide(True)
        self.compare_boxes: dict[str, CompareBox] = {}
        self.charts: dict[str, AlignmentChart] = {}
        self.figure_boxes: dict[str, QComboBox] = {}
        """Per criterion, the figure its chart shows."""
        runs = max((len(c.runs) for c in view.criteria), default=0)
        if not view.decided or runs == 0:
            self.tabs.addTab(self._next_steps(NEXT_STEPS_NO_DECISIONS), self.tr("Alignment"))
        else:
            for c in view.criteria:
                name = mnemonic(piece(one_line(c.criterion, 40))) or "(default)"
                self.tabs.addTab(self._criterion_tab(c), name)
        layout.addWidget(self.tabs, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        recompute = QPushButton(self.tr("Recompute"))
        recompute.setAutoDefault(False)
        recompute.clicked.connect(self.refreshRequested.emit)
        buttons.addButton(recompute, QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)

    def _summary(self, view: AlignmentReport) -> str:
        runs = (
            self.tr("1 judge run") if len(view.runs) == 1 else self.tr("{0} judge runs")
        ).format(len(view.runs))
        return self.tr(
            "{0}; {1} decided cases, {2} of them held out (fraction {3:g}, split seed {4}): the "
            "judges are measured on those. Intervals: {5:.0%} bootstrap, {6} resamples."
        ).format(
            runs,
            f"{view.decided:,}",
            f"{view.heldout:,}",
            view.fraction,
            view.split_seed,
            view.level,
            view.resamples,
        ) + (
            self.tr(" {0} open conflicts left out.").format(view.open_cases)
            if view.open_cases
            else ""
        )

    def _next_steps(self, text: str) -> QWidget:
        box = QWidget()
        box.setObjectName("nextSteps")
        column = QVBoxLayout(box)
        column.setContentsMargins(24, 24, 24, 24)
        title = plain_label(self.tr("What to do next"), selectable=False, wrap=False)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        column.addWidget(title)
        steps = plain_label(self.tr(text))
        policy = steps.sizePolicy()
        policy.setHeightForWidth(True)  # (as tall as its wrapped lines, no taller)
        steps.setSizePolicy(policy)
        column.addWidget(steps)
        column.addStretch(1)
        column.setSpacing(12)
        return box

    # -- one criterion ---------------------------------------------------------------------

    def _criterion_tab(self, c: CriterionAlignment) -> QWidget:
        scroll, body = scrolling_column(spacing=10)
        imported = self.tr(
            "Run {0}, {1}, was scored on {2} held-out cases that a calibration pack gave as "
            "examples, chosen mostly among its mistakes: they pull its held-out figures "
            "down."
        )
        later = self.tr(
            "Run {0}, {1}, was scored on {2} held-out cases that a calibration pack gave as "
            "examples: it may have seen them, with their answers, in its prompt, and its "
            "figures may flatter it."
        )
        warnings = [
            (imported if r.run.imported else later).format(
                i + 1, _name(r.run.name), f"{r.examples_scored:,}"
            )
            for i, r in enumerate(c.runs)
            if r.examples_scored
        ]
        if warnings:
            body.addWidget(self._warning(self.tr("Scored on examples"), "\n".join(warnings)))
        top = SideBySide()
        top.box.addLayout(self._chart_column(c), 3)
        if len(c.runs) >= 2:
            box = CompareBox(
                [r.run.name for r in c.runs], partial(_held_out_pair, c), threshold=c.threshold
            )
            box.comparisonNeeded.connect(partial(self.comparisonNeeded.emit, c.criterion))
            box.casesRequested.connect(
                lambda before, after, which, crit=c.criterion: self.casesRequested.emit(
                    crit, before, after, which
                )
            )
            box.before.currentIndexChanged.connect(lambda _i, crit=c.criterion: self._mark(crit))
            box.after.currentIndexChanged.connect(lambda _i, crit=c.criterion: self._mark(crit))
            self.compare_boxes[c.criterion] = box
            top.box.addWidget(box, 2)
        else:
            top.box.addWidget(self._next_steps(NEXT_STEPS_ONE_RUN), 2)
        body.addWidget(top)
        self._mark(c.criterion)
        body.addWidget(section_title(self.tr("Held-out cases (the headline)")))
        body.addWidget(self._runs_table(c, heldout=True))
        body.addWidget(section_title(self.tr("Per label, held-out cases")))
        body.addWidget(self._labels_table(c, heldout=True))
        body.addWidget(section_title(self.tr("All decided cases")))
        body.addWidget(
            note_label(
                self.tr(
                    "Examples included: not a fair test of a run whose prompt holds some of them."
                )
            )
        )
        body.addWidget(self._runs_table(c, heldout=False))
        body.addWidget(section_title(self.tr("Per label, all decided cases")))
        body.addWidget(self._labels_table(c, heldout=False))
        body.addWidget(
            note_label(
                self.tr(
                    "Against the final labels (the reviewer's decision, or in a lead's "
                    "workspace the lead's or the reviewers' unanimous label). The ceiling is "
                    "how well a rater agrees with the others on the same cases as the runs, "
                    "not on every case with two ratings as the Agreement page's (alignment.md)."
                )
            )
        )
        body.addStretch(1)
        return scroll

    def set_comparison(
        self, criterion: str, before: int, after: int, comparison: Comparison
    ) -> None:
        box = self.compare_boxes.get(criterion)
        if box is not None:
            box.set_comparison(before, after, comparison)

    def _warning(self, title_text: str, text: str) -> QFrame:
        """A warning in sight above the figures: scored on calibration examples."""
        frame = QFrame()
        frame.setObjectName("calibrationWarning")
        frame.setStyleSheet(WARNING_DARK if theme.is_dark() else WARNING_LIGHT)
        row = QVBoxLayout(frame)  # the title above the text: narrow pages keep it in sight
        row.setContentsMargins(12, 8, 12, 8)
        row.setSpacing(2)
        title = plain_label(title_text, selectable=False, wrap=False)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        row.addWidget(title)
        row.addWidget(plain_label(text), 1)
        return frame

    def _chart_column(self, c: CriterionAlignment) -> QVBoxLayout:
        column = QVBoxLayout()
        head = QHBoxLayout()  # the headline wraps; the figure's choice beside it
        headline = plain_label(self._headline(c))
        font = headline.font()
        font.setBold(True)
        headline.setFont(font)
        headline.setObjectName("alignmentHeadline")
        policy = headline.sizePolicy()
        policy.setHeightForWidth(True)
        headline.setSizePolicy(policy)
        head.addWidget(headline, 1)
        choose = QComboBox()
        for key, name, _style in _figures(c):
            choose.addItem(name, key)
        choose.setToolTip(self.tr("The figure the chart shows"))
        choose.setAccessibleName(self.tr("Figure shown"))
        label = QLabel(self.tr("&Figure:"))
        label.setTextFormat(Qt.TextFormat.PlainText)  # (its "&" still makes Alt+F its key)
        label.setBuddy(choose)
        pick = QHBoxLayout()  # (the label centred on the box, the two at the top)
        pick.addWidget(label)
        pick.addWidget(choose)
        head.addLayout(pick)
        head.setAlignment(pick, Qt.AlignmentFlag.AlignTop)
        column.addLayout(head)
        chart = AlignmentChart(self._chart_data(c, "accuracy"))
        self.charts[c.criterion] = chart
        self.figure_boxes[c.criterion] = choose
        choose.currentIndexChanged.connect(
            lambda _i, crit=c, box=choose: self._show_figure(crit, str(box.currentData()))
        )
        column.addWidget(chart, 1)
        return column

    def _headline(self, c: CriterionAlignment) -> str:
        """The newest run's held-out accuracy against the human ceiling, in one line."""
        last = c.runs[-1]
        accuracy, ceiling = last.heldout.accuracy, c.ceiling(Scope.HELDOUT)
        name = _name(last.run.name)
        if accuracy.value is None:
            return self.tr("Run {0}, {1}: no held-out case with its label yet.").format(
                len(c.runs), name
            )
        text = self.tr("Run {0}, {1}: {2} accuracy on {3} held-out cases").format(
            len(c.runs), name, format_figure(accuracy.figure, "rate"), accuracy.figure.n
        )
        if ceiling.value is None:
            return text + self.tr("; no human ceiling on these cases (too few with two raters).")
        if accuracy.value > ceiling.value:
            where = self.tr("above")
        elif accuracy.value == ceiling.value:
            where = self.tr("at")
        else:
            where = self.tr("below")
        return text + self.tr(", {0} the human ceiling on these cases ({1}).").format(
            where, format_figure(ceiling.figure, "rate")
        )

    def _show_figure(self, c: CriterionAlignment, key: str) -> None:
        self.charts[c.criterion].set_data(self._chart_data(c, key))
        self._mark(c.criterion)

    def _mark(self, criterion: str) -> None:
        """Ring the two runs compared on the chart."""
        chart = self.charts.get(criterion)
        box = self.compare_boxes.get(criterion)
        if chart is not None:
            marked = box.pair() if box is not None else ()
            chart.data = ChartData(**{**chart.data.__dict__, "marked": tuple(marked)})
            chart.update()

    def _chart_data(self, c: CriterionAlignment, key: str) -> ChartData:
        name, style = next((n, s) for k, n, s in _figures(c) if k == key)
        points = tuple(_point(r.run.name, getattr(r.heldout, key), r.heldout.n) for r in c.runs)
        rate = style == "rate"
        values = [v for p in points for v in (p.value, p.low) if v is not None]
        # A coefficient below 0 (worse than chance) widens the axis down to a tick of 0.2.
        lowest = min((v for v in values), default=0.0)
        low = 0.0 if rate or lowest >= 0 else math.floor(lowest / 0.2 - 1e-9) * 0.2
        ceiling = c.ceiling(Scope.HELDOUT) if key == "accuracy" else None
        return ChartData(
            points=points,
            figure=self.tr("{0}, held-out cases").format(name),
            low=max(low, -1.0),
            high=1.0,
            percent=rate,
            ceiling=ceiling.figure.value if ceiling is not None else None,
            ceiling_low=ceiling.interval.low if ceiling is not None else None,
            ceiling_high=ceiling.interval.high if ceiling is not None else None,
        )

    # -- tables -------------------------------------------------------------------------------

    def _runs_table(self, c: CriterionAlignment, *, heldout: bool) -> Sideways:
        """A row per run, then the human ceiling (a rater against the others) to compare the
        accuracy with."""
        scope = Scope.HELDOUT if heldout else Scope.DECIDED
        figures = _figures(c)
        headers: tuple[str, ...] = ("run", "n")
        for _key, name, _style in figures:
            headers += (name, "95% CI")
        table = grid(headers, len(c.runs) + 1)
        for column, name in enumerate(headers):
            key = next((k for k in HEADER_HELP if name.startswith(k)), None)
            help_text = explain(HEADER_HELP[key]) if key is not None else None
            header = table.horizontalHeaderItem(column)
            if help_text and header is not None:
                header.setToolTip(safe_tooltip(help_text))
        for r, run in enumerate(c.runs):
            scores = run.figures(scope)
            cells: list[Cell] = [f"{r + 1}. {_name(run.run.name)}", f"{scores.n:,}"]
            for key, _title, style in figures:
                cells += _cells(getattr(scores, key), style)
            _fill(table, r, cells)
        ceiling = c.ceiling(scope)
        cells = [self.tr("human ceiling on these cases (the target)"), f"{ceiling.figure.n:,}"]
        cells += _cells(ceiling, "rate")
        _fill(table, len(c.runs), cells + [""] * (len(headers) - len(cells)))
        head = table.item(len(c.runs), 0)
        assert head is not None
        head.setToolTip(
            self.tr(
                "How often a rater agrees with the others (leave-one-out), on the cases with "
                "two raters or more: a judge as good as the people reaches it."
            )
        )
        fit(table)
        return Sideways(table)

    def _labels_table(self, c: CriterionAlignment, *, heldout: bool) -> Sideways:
        rows: list[list[Cell]] = []
        for i, run in enumerate(c.runs):
            scores: RunFigures = run.figures(Scope.HELDOUT if heldout else Scope.DECIDED)
            for label in scores.per_label:
                row: list[Cell] = [f"{i + 1}. {_name(run.run.name)}", piece(label.label)]
                row += _cells(label.precision, "rate") + _cells(label.recall, "rate")
                row += _cells(label.f1, "coefficient")
                rows.append(row + [f"{label.support:,}"])
        headers = (
            "run",
            "final label",
            "precision",
            "95% CI",
            "recall",
            "95% CI",
            "F1",
            "95% CI",
            "cases",
        )
        table = grid(headers, len(rows))
        for r, row in enumerate(rows):
            _fill(table, r, row, text_columns=2)
        fit(table, max_rows=16)
        return Sideways(table)


class SideBySide(QWidget):
    """The chart and the two runs compared: side by side where the page is wide enough, the
    comparison under the chart where it is not (beside the queue on a small screen), so that
    neither needs scrolling sideways."""

    WIDE = 860

    def __init__(self) -> None:
        super().__init__()
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSpacing(12)

    def resizeEvent(self, event: QResizeEvent) -> None:
        wide = event.size().width() >= self.WIDE
        direction = QBoxLayout.Direction.LeftToRight if wide else QBoxLayout.Direction.TopToBottom
        if self.box.direction() != direction:
            self.box.setDirection(direction)
        super().resizeEvent(event)


class Sideways(QScrollArea):
    """A table as wide as its columns, scrolled sideways on its own where the page is
    narrower, so that the page (and the chart above) never is."""

    def __init__(self, table: QTableWidget) -> None:
        super().__init__()
        self.table = table
        self.setWidget(table)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMaximumWidth(table.width())
        self.setMinimumWidth(min(table.width(), 240))
        self.setFixedHeight(table.height())

    def sizeHint(self) -> QSize:
        return self.table.size()

    def resizeEvent(self, event: QResizeEvent) -> None:
        narrow = event.size().width() < self.table.width()
        bar = self.horizontalScrollBar().sizeHint().height() if narrow else 0
        self.setFixedHeight(self.table.height() + bar)
        super().resizeEvent(event)


NAME_LIMIT = 40
"""Characters of a run's name in the tables and warnings (the chart elides to its column)."""


def _name(name: str) -> str:
    """A run's name from a file or the command line: one line, cut, controls as marks."""
    return piece(one_line(name, NAME_LIMIT))


def _figures(c: CriterionAlignment) -> tuple[tuple[str, str, Style], ...]:
    """The figures of ``c``'s runs: accuracy, kappa, macro F1, and on an ordered scale with a
    threshold the share of cases the run got right within it (as the Agreement page and the
    fixed and broken counts have "right")."""
    if c.threshold is None or all(r.heldout.right is None for r in c.runs):
        return FIGURES
    return FIGURES + (("right", f"Right (±{c.threshold:g})", "rate"),)


def _held_out_pair(c: CriterionAlignment, before: int, after: int) -> Comparison | None:
    """Two runs (by index) compared on the held-out cases, if the report holds the pair."""
    first, second = c.runs[before].run, c.runs[after].run
    for pair in c.pairs:
        if pair.before == first and pair.after == second:
            return pair.heldout
    return None


def _point(name: str, scored: Estimate | None, n: int) -> ChartPoint:
    if scored is None:
        return ChartPoint(name, None, n=n, reason="not on this scale")
    f, i = scored.figure, scored.interval
    return ChartPoint(name, f.value, i.low, i.high, n, f.reason or "")


Cell = str | tuple[str, str]
"""A table cell's text, or its text and a tooltip (why a figure is undefined, or a note)."""


def _cells(scored: Estimate | None, style: Style) -> list[Cell]:
    """A figure and its interval as two cells ("—" and nothing when undefined), with why as
    the tooltip, and resamples where the figure was undefined."""
    if scored is None:
        return ["—", ""]
    f, i = scored.figure, scored.interval
    value: Cell = format_figure(f, style)
    if f.value is None:
        value = ("—", f.reason or "")
    elif f.note:
        value = (f"{value} *", f.note)
    interval: Cell = format_interval(i, style) if i.low is not None else ("", i.reason or "")
    if i.low is not None and i.undefined_resamples:
        interval = (
            f"{interval} *",
            f"the figure was undefined on {i.undefined_resamples} of {i.resamples} "
            "resamples, which are left out",
        )
    return [value, interval]


def _fill(table: QTableWidget, row: int, cells: list[Cell], text_columns: int = 1) -> None:
    """One row of a table: names on the left, numbers right-aligned, notes as tooltips."""
    for column, cell in enumerate(cells):
        text, tip = cell if isinstance(cell, tuple) else (cell, "")
        item = QTableWidgetItem(text)
        if tip:
            item.setToolTip(safe_tooltip(tip))
        if column >= text_columns:
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        table.setItem(row, column, item)
