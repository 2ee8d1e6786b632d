"""The import dialog's label values (formats/values.py, formats/label_counts.py): each value the
judge and the raters write, how often, and what it maps to, with the warnings above."""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.formats.label_counts import LabelCounts
from annotator.formats.values import JUDGE, NO_VERDICT, RATINGS, ValueMap
from annotator.ui.case_preview import WARNING_STYLE, named_label
from annotator.ui.plain import shown
from annotator.untrusted import one_line

AS_IS = "\x00as is"
"""Combo data of "(as is)": no rule (no value is named so)."""
_SOURCES = (JUDGE, RATINGS)


def _cell(text: str, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
    item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    return item


class ValueTable(QWidget):
    """Rows of (source, value, count, maps to); ``changed`` when a "maps to" changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self._status = named_label("valueStatus")
        self._warnings = named_label("valueWarnings", style=WARNING_STYLE)
        top = QHBoxLayout()
        top.addWidget(self._warnings, 1)
        self._suggest = QPushButton(self.tr("&Suggest a mapping"))
        self._suggest.setObjectName("suggestValues")
        self._suggest.setToolTip(
            self.tr("Map what the warnings found: a value only one side uses onto the other's")
        )
        self._suggest.clicked.connect(self._use_suggested)
        top.addWidget(self._suggest, 0, Qt.AlignmentFlag.AlignTop)
        self._table = QTableWidget(0, 4)
        self._table.setObjectName("valueTable")
        self._table.setHorizontalHeaderLabels(
            [self.tr("Source"), self.tr("Value in the file"), self.tr("Count"), self.tr("Maps to")]
        )
        self._table.verticalHeader().hide()
        self._table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self._table.setTabKeyNavigation(False)
        header = self._table.horizontalHeader()
        for col, mode in enumerate(
            (QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch,
             QHeaderView.ResizeMode.ResizeToContents, QHeaderView.ResizeMode.Stretch)
        ):  # fmt: skip
            header.setSectionResizeMode(col, mode)
        self._note = named_label("valueNote")
        self._note.setText(
            self.tr(
                "“no verdict”: the judge gave no usable label; such a case is not imported, and "
                "counted apart. For a rater it is an abstention."
            )
        )
        layout.addWidget(self._status)
        layout.addLayout(top)
        layout.addWidget(self._table, 1)
        layout.addWidget(self._note)
        self._counts: LabelCounts | None = None
        self._rules: dict[tuple[str, str], str] = {}
        """The user's choices by (source, value), kept across a new count."""
        self._rows: list[tuple[str, str, QComboBox]] = []
        self.set_counts(None, self.tr("The values are counted once the fields are chosen."))

    # --- what was chosen --------------------------------------------------------------------

    def values(self) -> ValueMap | None:
        """The value mapping chosen (None: every value as it is)."""
        rules = tuple((s, v, t) for (s, v), t in self._rules.items() if t != v)
        return ValueMap(rules) if rules else None

    def warnings(self) -> list[str]:
        return [] if self._counts is None else [str(w) for w in self._counts.warnings()]

    def widgets(self) -> list[QWidget]:
        return [self._suggest, *(combo for _, _, combo in self._rows)]

    def combo(self, source: str, value: str) -> QComboBox | None:
        """The "maps to" of ``value`` of ``source`` (judge, ratings)."""
        return next((c for s, v, c in self._rows if (s, v) == (source, value)), None)

    # --- filling ----------------------------------------------------------------------------

    def set_counts(self, counts: LabelCounts | None, status: str = "") -> None:
        """The counts of a read of the file (None while there are none), and a line about
        them (what was read, or that it is being read)."""
        self._counts = counts
        self._status.setText(status)
        self._status.setVisible(bool(status))
        self._fill()
        self._show_warnings()

    def _merged(self) -> dict[str, Counter[str]]:
        """Each source's values over every criterion."""
        out = {s: Counter[str]() for s in _SOURCES}
        if self._counts is not None:
            for crit in self._counts.criteria:
                for source in _SOURCES:
                    out[source].update(self._counts.counts(crit, source))
        return out

    def _fill(self) -> None:
        merged = self._merged()
        seen = sorted({v for c in merged.values() for v in c} | set(self._rules.values()))
        labels = [v for v in seen if v != NO_VERDICT]
        names = {JUDGE: self.tr("judge"), RATINGS: self.tr("raters")}
        self._table.setRowCount(0)
        self._rows = []
        for source in _SOURCES:
            for value, n in sorted(merged[source].items(), key=lambda kv: (-kv[1], kv[0])):
                row = self._table.rowCount()
                self._table.insertRow(row)
                self._table.setItem(row, 0, _cell(names[source]))
                self._table.setItem(row, 1, _cell(shown(one_line(value, 120))))
                self._table.setItem(row, 2, _cell(str(n), Qt.AlignmentFlag.AlignRight))
                combo = self._maps_to(source, value, labels)
                self._table.setCellWidget(row, 3, combo)
                self._rows.append((source, value, combo))
        self._table.resizeRowsToContents()

    def _maps_to(self, source: str, value: str, labels: list[str]) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(f"mapsTo:{source}:{value}")
        combo.setEditable(True)  # a label of one's own may be typed
        combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        combo.addItem(self.tr("(as it is)"), AS_IS)
        for label in labels:
            if label != value:
                combo.addItem(shown(one_line(label, 80)), label)
        combo.addItem(self.tr("no verdict"), NO_VERDICT)
        chosen = self._rules.get((source, value))
        index = combo.findData(chosen) if chosen is not None else 0
        if index < 0 and chosen is not None:
            combo.addItem(shown(one_line(chosen, 80)), chosen)
            index = combo.count() - 1
        combo.setCurrentIndex(max(index, 0))
        combo.activated.connect(lambda _i, s=source, v=value, c=combo: self._chosen(s, v, c))
        edit = combo.lineEdit()
        if edit is not None:
            edit.editingFinished.connect(lambda s=source, v=value, c=combo: self._chosen(s, v, c))
        return combo

    # --- changes ----------------------------------------------------------------------------

    def _chosen(self, source: str, value: str, combo: QComboBox) -> None:
        text = combo.currentText()
        index = combo.findText(text)
        data = combo.itemData(index) if index >= 0 else text.strip()
        target = None if data in (AS_IS, None) or data == "" and index < 0 else str(data)
        if target is None or target == value:
            changed = self._rules.pop((source, value), None) is not None
        else:
            changed = self._rules.get((source, value)) != target
            self._rules[(source, value)] = target
        if changed:
            self._show_warnings()
            self.changed.emit()

    def choose(self, source: str, value: str, target: str | None) -> None:
        """Map ``value`` of ``source`` to ``target`` (None: as it is; "": no verdict)."""
        if target is None:
            self._rules.pop((source, value), None)
        else:
            self._rules[(source, value)] = target
        self._fill()
        self._show_warnings()
        self.changed.emit()

    def _use_suggested(self) -> None:
        if self._counts is None:
            return
        self._counts.values = self.values() or ValueMap()
        for source, value, target in self._counts.suggested().rules:
            if source in _SOURCES:
                self._rules[(source, value)] = target
        self._fill()
        self._show_warnings()
        self.changed.emit()

    def _show_warnings(self) -> None:
        counts = self._counts
        lines: list[str] = []
        if counts is not None:
            counts.values = self.values() or ValueMap()
            lines = [str(w) for w in counts.warnings()]
            judged = self._merged()[JUDGE]
            none = sum(n for v, n in judged.items() if counts.target(JUDGE, v) == NO_VERDICT)
            if none:
                lines.append(
                    self.tr("{0} cases have no verdict: they are not imported.").format(none)
                )
        self._warnings.setText("\n".join(f"• {shown(line)}" for line in lines))  # (file's labels)
        self._warnings.setVisible(bool(lines))
        self._suggest.setEnabled(counts is not None and bool(counts.warnings()))
