"""The import dialog's choice of long format: which field names each row's rater, and which
rater (if any) is the LLM judge (formats/long.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QWidget

from annotator.formats.errors import FileRefused
from annotator.formats.long import LongFormat, long_format
from annotator.formats.mapping import MISSING, FieldMapping, lookup
from annotator.formats.normalize import Invalid, to_label
from annotator.formats.reader import sample_records
from annotator.ui.join_fields import present
from annotator.ui.plain import shown
from annotator.untrusted import one_line

_NONE = ""
RATER_SAMPLE = 500
"""Records read for the raters to choose the judge's rows from."""
MAX_RATERS = 100


def raters_of(path: Path, field: str, encoding: str | None, preset: Any = None) -> list[str]:
    """The raters named in ``field`` of the file's first records (as a ``preset`` reads
    them, if one), in order of appearance."""
    extra = {"preset": preset} if preset is not None else {}
    try:
        records = sample_records(path, encoding=encoding, limit=RATER_SAMPLE, **extra)
    except FileRefused:
        return []  # (the dialog shows why)
    raters: dict[str, None] = {}
    for record in records:
        value = lookup(record, field)
        try:
            rater = None if value is MISSING else to_label(value)
        except Invalid:
            continue
        if rater is not None:
            raters.setdefault(rater)
            if len(raters) >= MAX_RATERS:
                break
    return list(raters)


class LongFormatBox(QWidget):
    """Two choices, a row of the import dialog's mapping; ``changed`` when either changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 4, 0, 0)
        grid.setHorizontalSpacing(10)
        self._rater = QComboBox()
        self._rater.setObjectName("raterFieldCombo")
        self._judge = QComboBox()
        self._judge.setObjectName("judgeRaterCombo")
        for combo in (self._rater, self._judge):
            combo.setMinimumContentsLength(14)
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
        self._rater.currentIndexChanged.connect(self._rater_changed)
        self._judge.currentIndexChanged.connect(self._changed)
        rater_label = QLabel(self.tr("Ra&ter field (one row per rating):"))
        rater_label.setBuddy(self._rater)
        judge_label = QLabel(self.tr("&Judge's rows:"))
        judge_label.setBuddy(self._judge)
        for label in (rater_label, judge_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
        grid.addWidget(rater_label, 0, 0)
        grid.addWidget(self._rater, 0, 1)
        grid.addWidget(judge_label, 0, 3)
        grid.addWidget(self._judge, 0, 4)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)
        grid.setColumnMinimumWidth(2, 14)
        self._note = QLabel()
        self._note.setObjectName("longFormatNote")
        self._note.setTextFormat(Qt.TextFormat.PlainText)
        self._note.setWordWrap(True)
        self._note.setText(
            self.tr(
                "Rows with the same case id become one case; “Rating label” above is each "
                "row's label. If the judge's verdicts are rows too, choose its name."
            )
        )
        grid.addWidget(self._note, 1, 0, 1, 5)
        self._rater.setToolTip(
            self.tr(
                "If your file has one row per rating (a case's id on several rows, each with a "
                "rater and a label), choose the field that names the rater."
            )
        )
        self._source: tuple[Path | None, str | None] = (None, None)
        self._preset: Any = None
        self.set_source(Path(), None, [])

    @staticmethod
    def below(box: QWidget, above: QWidget, changed: Callable[[], None]) -> LongFormatBox:
        """A new one in the grid of ``box``, as its row before ``above`` (the last row),
        calling ``changed`` when a choice changes."""
        made = LongFormatBox()
        made.changed.connect(changed)
        grid = box.layout()
        assert isinstance(grid, QGridLayout)
        grid.removeWidget(above)
        grid.addWidget(made, grid.rowCount(), 0, 1, grid.columnCount())
        grid.addWidget(above, grid.rowCount(), 0, 1, grid.columnCount())
        return made

    def format_for(self, mapping: FieldMapping | None) -> LongFormat | None:
        """The long format chosen (rows grouped by id) with ``mapping``; None for one record
        per case, or while no field holds each row's label (see :meth:`required`)."""
        try:
            return long_format(self.rater_field(), self.judge_rater(), mapping)
        except ValueError:
            return None

    def required(self, fields: list[str]) -> list[str]:
        """Our ``fields`` that must be mapped, in long format also each row's label (ours
        ``ratings``), and not the judge's label when the judge has rows of its own."""
        if self.rater_field() is None:
            return fields
        judge_rows = self.judge_rater() is not None
        return [f for f in fields if f != "judge.label" or not judge_rows] + ["ratings"]

    def present(self, source: str, fields: list[str]) -> bool:
        """Whether the sample records hold ``source`` for one of our fields: not the rater
        field (MT-Bench names it ``judge``: it is no judge's label)."""
        rater = self.rater_field()
        if rater is not None and rater in (source, source.split(".")[0]):
            return False
        return present(source, fields)

    def rater_field(self) -> str | None:
        value = self._rater.currentData()
        return value if isinstance(value, str) and value else None

    def judge_rater(self) -> str | None:
        value = self._judge.currentData()
        return value if isinstance(value, str) and value and self.rater_field() else None

    def set_source(
        self,
        path: Path,
        encoding: str | None,
        fields: list[str],
        *,
        enabled: bool = True,
        preset: Any = None,
    ) -> None:
        """The file, and its fields to choose the rater field from (a choice still there is
        kept); the raters are read from the file (as the ``preset`` reads it) when a rater
        field is chosen."""
        self._source = (path, encoding)
        self._preset = preset
        self.setEnabled(enabled)
        current = self.rater_field()
        with QSignalBlocker(self._rater):
            self._rater.clear()
            self._rater.addItem(self.tr("(none: one row per case)"), _NONE)
            for field in fields:
                self._rater.addItem(shown(one_line(field, 80)), field)
            self._rater.setCurrentIndex(max(self._rater.findData(current or _NONE), 0))
        self._read_raters()

    def _read_raters(self) -> None:
        field = self.rater_field()
        path, encoding = self._source
        self.set_raters(raters_of(path, field, encoding, self._preset) if path and field else [])

    def set_raters(self, raters: list[str]) -> None:
        """The raters found in the rater field, to choose the judge's rows from."""
        current = self.judge_rater()
        with QSignalBlocker(self._judge):
            self._judge.clear()
            self._judge.addItem(self.tr("(none: the judge's label is a field above)"), _NONE)
            for rater in raters:
                self._judge.addItem(shown(one_line(rater, 80)), rater)
            self._judge.setCurrentIndex(max(self._judge.findData(current or _NONE), 0))
        self._update()

    def combos(self) -> list[QComboBox]:
        """In tab order."""
        return [self._rater, self._judge]

    def choose(self, rater_field: str | None, judge_rater: str | None = None) -> None:
        """Select these (for a caller that knows them, and tests)."""
        self._rater.setCurrentIndex(max(self._rater.findData(rater_field or _NONE), 0))
        self._judge.setCurrentIndex(max(self._judge.findData(judge_rater or _NONE), 0))

    def _rater_changed(self) -> None:
        with QSignalBlocker(self._judge):
            self._read_raters()
        self._changed()

    def _changed(self) -> None:
        self._update()
        self.changed.emit()

    def _update(self) -> None:
        long = self.rater_field() is not None
        self._judge.setEnabled(long)
        self._note.setVisible(long)
