"""The import dialog's raters, one column each (``ratings.human_1=human_1``): a row per rater
with its name (editable; the column's, until changed) and the column that holds its labels."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from annotator.ui.plain import shown
from annotator.untrusted import one_line

PREFIX = "ratings."
"""Our field of one rater's label: ``ratings.<name>``."""
_NONE = ""


def rater_pairs(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (rater name, column) of the mapping ``pairs`` that give one rater a column."""
    return [(ours[len(PREFIX) :], theirs) for ours, theirs in pairs if ours.startswith(PREFIX)]


class _Row:
    def __init__(self, name: QLineEdit, column: QComboBox, remove: QToolButton) -> None:
        self.name, self.column, self.remove = name, column, remove
        self.named = False
        """Whether the user typed the name (else it follows the column)."""

    def widgets(self) -> list[QWidget]:
        return [self.name, self.column, self.remove]


def _drop(row: _Row) -> None:
    for w in row.widgets():
        w.hide()
        w.setObjectName("")  # (gone at once for findChild; deleted later)
        w.deleteLater()


class RaterColumns(QWidget):
    """Rows of (rater name, column); ``changed`` when one changes, is added or removed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setHorizontalSpacing(10)
        self._grid.setVerticalSpacing(4)
        self._fields: list[str] = []
        self._rows: list[_Row] = []
        self.suggest: Callable[[], list[str]] = list
        """The columns to offer a new row first (else it asks for one)."""
        self._note = QLabel(
            self.tr(
                "Raters, one column each (the rater's name is the column's unless you type one):"
            )
        )
        self._note.setObjectName("raterColumnsNote")
        self._note.setTextFormat(Qt.TextFormat.PlainText)
        self._note.setWordWrap(True)
        self._add = QPushButton(self.tr("&Add a rater"))
        self._add.setObjectName("addRater")
        self._add.clicked.connect(self._add_clicked)
        self._layout_rows()

    # --- what was chosen --------------------------------------------------------------------

    def pairs(self) -> list[tuple[str, str]]:
        """(``ratings.<name>``, column) of each row with a column and a name."""
        out = []
        for row in self._rows:
            column, name = row.column.currentData(), row.name.text().strip()
            if isinstance(column, str) and column and name:
                out.append((PREFIX + name, column))
        return out

    def problem(self) -> str:
        """Why the rows can't be imported as they are ("" when they can)."""
        names: list[str] = []
        for row in self._rows:
            column, name = row.column.currentData(), row.name.text().strip()
            if not (isinstance(column, str) and column):
                continue
            if not name:
                return self.tr("A rater has no name: type one, or remove the row.")
            if "." in name:
                return self.tr("A rater's name can't hold a dot: {0}").format(shown(one_line(name)))
            if name in names:
                return self.tr("Two raters are named {0}: rename one.").format(
                    shown(one_line(name))
                )
            names.append(name)
        return ""

    def widgets(self) -> list[QWidget]:
        """In tab order."""
        return [w for row in self._rows for w in row.widgets()] + [self._add]

    # --- filling ----------------------------------------------------------------------------

    def set_fields(self, fields: list[str], raters: list[tuple[str, str]]) -> None:
        """The file's fields to choose columns from, and the rows: ``raters`` (name, column)."""
        self._fields = fields
        for row in self._rows:
            _drop(row)
        self._rows = []
        for name, column in raters:
            self._append(name, column)
        self._layout_rows()

    def current(self) -> list[tuple[str, str]]:
        """(name, column) of each row, as shown (to keep them across a reload)."""
        return [(r.name.text(), str(r.column.currentData() or "")) for r in self._rows]

    def add(self, column: str, name: str | None = None) -> None:
        """A row for ``column`` (named after it unless ``name``)."""
        self._append(column if name is None else name, column)
        self._layout_rows()
        self.changed.emit()

    def remove(self, index: int) -> None:
        _drop(self._rows.pop(index))
        self._layout_rows()
        self.changed.emit()

    # --- inside -----------------------------------------------------------------------------

    def _append(self, name: str, column: str) -> None:
        edit = QLineEdit(name)
        edit.setPlaceholderText(self.tr("rater's name"))
        combo = QComboBox()
        combo.setMinimumContentsLength(14)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.addItem(self.tr("(choose a column)"), _NONE)
        for field in self._fields:  # a field name from the file: its controls as marks
            combo.addItem(shown(one_line(field, 80)), field)
        if column and combo.findData(column) < 0:
            combo.addItem(shown(one_line(column, 80)), column)  # kept, though not in the sample
        combo.setCurrentIndex(max(combo.findData(column), 0))
        remove = QToolButton()
        remove.setText("✕")
        remove.setAutoRaise(True)
        row = _Row(edit, combo, remove)
        row.named = bool(name) and name != column
        remove.setToolTip(self.tr("Remove this rater"))
        edit.textEdited.connect(lambda _t, r=row: self._renamed(r))
        combo.currentIndexChanged.connect(lambda _i, r=row: self._column_changed(r))
        remove.clicked.connect(lambda _c=False, r=row: self.remove(self._rows.index(r)))
        self._rows.append(row)

    def _layout_rows(self) -> None:
        grid = self._grid
        while grid.count():
            grid.takeAt(0)
        grid.addWidget(self._note, 0, 0, 1, 3)
        for i, row in enumerate(self._rows):
            row.name.setObjectName(f"raterName:{i}")
            row.column.setObjectName(f"raterColumn:{i}")
            row.remove.setObjectName(f"raterRemove:{i}")
            row.remove.setAccessibleName(self.tr("Remove rater {0}").format(i + 1))
            grid.addWidget(row.name, 1 + i, 0)
            grid.addWidget(row.column, 1 + i, 1)
            grid.addWidget(row.remove, 1 + i, 2)
        grid.addWidget(self._add, 1 + len(self._rows), 0, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        order = self.widgets()
        for a, b in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(a, b)

    def _add_clicked(self) -> None:
        used = {r.column.currentData() for r in self._rows}
        column = next((f for f in self.suggest() if f not in used), "")
        self.add(column, "" if not column else None)
        self._rows[-1].column.setFocus()

    def _renamed(self, row: _Row) -> None:
        row.named = bool(row.name.text().strip())
        self.changed.emit()

    def _column_changed(self, row: _Row) -> None:
        column = row.column.currentData()
        if not row.named:
            with QSignalBlocker(row.name):
                row.name.setText(column if isinstance(column, str) else "")
        self.changed.emit()
