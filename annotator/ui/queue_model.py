"""The queue table: a lazy model over a SQL query.

It holds only the row ids of the current filter and sort (a compact array, fine for a million
cases) and fetches display rows in blocks, as the view asks for them.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from annotator.domain.model import Kind, Status
from annotator.services.queue import (
    QueueFilter,
    QueueRow,
    SortKey,
    queue_ids,
    queue_rows,
    undecided_among,
)
from annotator.services.workspace import Workspace
from annotator.ui import theme
from annotator.ui.widgets import safe_tooltip

BLOCK = 200
CACHE_ROWS = 5000
RowIndex = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str, SortKey], ...] = (
    ("id", "Case", SortKey.ID),
    ("kind", "Kind", SortKey.SEVERITY),
    ("judge", "Judge", SortKey.JUDGE),
    ("raters", "Raters", SortKey.SEVERITY),
    ("final", "Final", SortKey.FINAL),
    ("status", "Status", SortKey.STATUS),
    ("criterion", "Criterion", SortKey.CRITERION),
)
STATUS_COLUMN = 5
_STATUS_MARK = {Status.UNDECIDED: "", Status.SKIPPED: "↷ skip", Status.DECIDED: "✓"}
SHORT_KIND = {
    Kind.JUDGE_VS_ALL: "vs all",
    Kind.JUDGE_VS_MAJORITY: "vs majority",
    Kind.RATERS_SPLIT: "raters split",
    Kind.AGREEMENT: "agreement",
    Kind.UNRATED: "no ratings",
}


class QueueModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ws: Workspace | None = None
        self._filter = QueueFilter()
        self._ids: array[int] = array("q")
        self._cache: OrderedDict[int, QueueRow] = OrderedDict()

    # -- source ------------------------------------------------------------

    def set_workspace(self, ws: Workspace | None, flt: QueueFilter | None = None) -> None:
        self._ws = ws
        self.set_filter(flt or self._filter)

    def set_filter(self, flt: QueueFilter) -> None:
        self.beginResetModel()
        self._filter = flt
        self._cache.clear()
        self._ids = queue_ids(self._ws.engine, flt) if self._ws else array("q")
        self.endResetModel()

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, row_id: int) -> int | None:
        try:
            return self._ids.index(row_id)
        except ValueError:
            return None

    def find_undecided(self, start: int) -> int | None:
        """The first row at or after ``start`` (wrapping around) whose case is undecided."""
        n = len(self._ids)
        if self._ws is None or n == 0:
            return None
        start %= n
        for lo, hi in ((start, n), (0, start)):
            for block in range(lo, hi, 1000):
                ids = self._ids[block : min(block + 1000, hi)]
                open_ids = undecided_among(self._ws.engine, ids)
                for offset, row_id in enumerate(ids):
                    if row_id in open_ids:
                        return block + offset
        return None

    def refresh_case(self, row_id: int) -> None:
        """Show a changed case: re-read its one row (the query is not re-run)."""
        self._cache.pop(row_id, None)
        row = self.row_of(row_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- Qt model ----------------------------------------------------------------------------------

    def rowCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: RowIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.tr(COLUMNS[section][1])
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = COLUMNS[column][2]
        self.set_filter(
            replace(self._filter, sort=key, descending=order == Qt.SortOrder.DescendingOrder)
        )

    def data(self, index: RowIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row_id = self._ids[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row_id
        item = self._row(index.row(), row_id)
        if item is None:
            return None
        column = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_tooltip(
                f"{item.ext_id} — {item.kind.caption}\n"
                f"judge: {item.judge_label}\n"
                + "\n".join(f"{rater}: {label}" for rater, label in item.ratings)
            )
        if role == Qt.ItemDataRole.ForegroundRole and column == "kind":
            return QBrush(theme.pill_colors(theme.KIND_HUES[item.kind])[1])
        if role == Qt.ItemDataRole.ForegroundRole and column == "status":
            return QBrush(
                QColor("#2e9d57") if item.status == Status.DECIDED else theme.muted_color()
            )
        if role == Qt.ItemDataRole.FontRole and column == "final" and item.final_label:
            font = QFont()
            font.setBold(True)
            return font
        return None

    @staticmethod
    def _display(item: QueueRow, column: str) -> str:
        if column == "id":
            return item.ext_id
        if column == "kind":
            return SHORT_KIND[item.kind]
        if column == "criterion":
            return item.criterion or "—"
        if column == "judge":
            return item.judge_label
        if column == "raters":
            # Compact: the labels only; the tooltip names the raters.
            return "  ".join(label for _rater, label in item.ratings) or "—"
        if column == "final":
            return item.final_label or ""
        return _STATUS_MARK[item.status]

    def _row(self, row: int, row_id: int) -> QueueRow | None:
        item = self._cache.get(row_id)
        if item is not None:
            self._cache.move_to_end(row_id)
            return item
        if self._ws is None:
            return None
        start = max(0, row - BLOCK // 4)
        block = self._ids[start : start + BLOCK]
        fetched = queue_rows(self._ws.engine, block)
        for rid in block:
            if rid in fetched:
                self._cache[rid] = fetched[rid]
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
        return self._cache.get(row_id)
