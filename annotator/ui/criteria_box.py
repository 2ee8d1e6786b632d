"""The import dialog's "Criteria" tab: many criteria in one row (a column per criterion and
rater: formats/wide.py), and what a score between a scale's labels becomes
(formats/rounding.py), as ``--columns``, ``--judge-columns`` and ``--round`` say."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from annotator.formats.errors import FileRefused
from annotator.formats.label_counts import LabelCounts
from annotator.formats.mapping import FieldMapping
from annotator.formats.rounding import MODES, Rounding
from annotator.formats.wide import WideColumns, WideLayout
from annotator.ui.case_preview import WARNING_STYLE, named_label
from annotator.ui.plain import shown
from annotator.untrusted import one_line


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    return label


class CriteriaBox(QWidget):
    """Two patterns over the file's column names and a rounding; ``changed`` on an edit."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = Path()
        self._fields: list[str] = []
        self._counts: LabelCounts | None = None
        column = QVBoxLayout(self)
        wide = QGroupBox(self.tr("Many criteria in one row"))
        box = QVBoxLayout(wide)
        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        intro = _note(
            self.tr(
                "A row per output, a column per criterion and rater (relevance_57e2b, "
                "gpt4_relevance…)? Name the columns with {criterion} and {rater}: each row "
                "becomes a case per criterion, its id the row's id and the criterion joined "
                "by |. Leave both empty for a criterion per row."
            ),
        )
        box.addWidget(intro)
        box.addLayout(grid)
        self._raters = QLineEdit()
        self._raters.setObjectName("raterColumnsEdit")
        self._raters.setPlaceholderText("{criterion}_{rater}")
        self._judge = QLineEdit()
        self._judge.setObjectName("judgeColumnsEdit")
        self._judge.setPlaceholderText("gpt4_{criterion}")
        for row, (text, edit) in enumerate(
            ((self.tr("Raters' col&umns:"), self._raters),
             (self.tr("Ju&dge's columns:"), self._judge)), start=1
        ):  # fmt: skip
            label = QLabel(text)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setBuddy(edit)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            edit.textChanged.connect(self.changed)
        self._found = named_label("criteriaFound")
        self._found.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.addWidget(self._found)
        column.addWidget(wide)
        between = QGroupBox(self.tr("Scores between labels"))
        box = QVBoxLayout(between)
        grid = QGridLayout()
        box.addWidget(
            _note(
                self.tr(
                    "A number between a scale's labels (4.5 on a 1–5 scale) stops the import "
                    "unless it is rounded here, mapped under Label values, or its case skipped "
                    "(Import despite the warnings). The judge's raw score stays in the case."
                ),
            )
        )
        box.addLayout(grid)
        self._round = QComboBox()
        self._round.setObjectName("roundCombo")
        names = {
            "half-even": self.tr("Round half to even (4.5 → 4, 3.5 → 4)"),
            "half-up": self.tr("Round half up (4.5 → 5)"),
            "down": self.tr("Round down (4.9 → 4)"),
            "up": self.tr("Round up (4.1 → 5)"),
        }
        self._round.addItem(self.tr("Ask (count them, import nothing)"), "")
        for mode in MODES:
            self._round.addItem(names[mode], mode)
        self._round.currentIndexChanged.connect(self.changed)
        label = QLabel(self.tr("R&ound:"))
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setBuddy(self._round)
        grid.addWidget(label, 0, 0)
        grid.addWidget(self._round, 0, 1)
        grid.setColumnStretch(1, 1)
        column.addWidget(between)
        column.addStretch(1)

    def widgets(self) -> list[QWidget]:
        return [self._raters, self._judge, self._round]

    def set_fields(self, path: Path, fields: list[str]) -> None:
        self._path, self._fields = path, fields

    def columns(self) -> WideColumns | None:
        """The patterns, when both are given and well formed."""
        raters, judge = self._raters.text().strip(), self._judge.text().strip()
        if not raters and not judge:
            return None
        try:
            return WideColumns.of(raters or None, judge or None)
        except ValueError:
            return None

    def active(self) -> bool:
        """Whether a pattern is given (the judge's label and ratings are then theirs)."""
        return bool(self._raters.text().strip() or self._judge.text().strip())

    def layout_for(self, mapping: FieldMapping | None) -> tuple[WideLayout | None, str]:
        """The columns the patterns find, or why there are none ("" when none is given);
        the criteria found are shown."""
        if not self.active():
            self._found.setText("")
            self._found.setStyleSheet("")
            return None, ""
        problem = ""
        layout = None
        try:
            columns = WideColumns.of(self._raters.text().strip() or None,
                                     self._judge.text().strip() or None)  # fmt: skip
            assert columns is not None
            layout = columns.resolve(self._path, self._fields, mapping)
        except ValueError as e:
            problem = str(e)
        except FileRefused as e:
            problem = e.message
        if layout is None:
            self._found.setText(shown(one_line(problem, 600)))
            self._found.setStyleSheet(WARNING_STYLE)
            return None, problem
        lines = [self.tr("{0} criteria, a case each per row:").format(len(layout.criteria))]
        lines += [f"• {line.strip()}" for line in layout.report({})[1 : 1 + len(layout.criteria)]]
        lines += self._counted(layout)
        self._found.setText(shown("\n".join(lines)))
        self._found.setStyleSheet("")
        return layout, ""

    def show_counts(self, counts: LabelCounts | None) -> None:
        """The label values of a read of the whole file (None: not read yet): each
        criterion's judge's labels and ratings are counted under the criteria found."""
        self._counts = counts

    def _counted(self, layout: WideLayout) -> list[str]:
        counts = self._counts
        if counts is None or not set(counts.criteria) & set(layout.criteria):
            return []
        lines = [self.tr("In the whole file (before the cases are checked):")]
        for crit in layout.criteria:
            judge = counts.counts(crit, "judge").total()
            ratings = counts.counts(crit, "ratings").total()
            lines.append(
                self.tr("    {0}: {1} judge's labels, {2} ratings").format(crit, judge, ratings)
            )
        return lines

    def rounding(self) -> Rounding | None:
        mode = self._round.currentData()
        return Rounding.parse([mode]) if isinstance(mode, str) and mode else None
