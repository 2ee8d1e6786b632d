"""The queue table: a lazy model over a SQL query.

It holds only the row ids of the current filter and sort (a compact array, fine for a million
cases) and fetches display rows in blocks, as the view asks for them; what each cell shows is
in ``queue_cells``.

The ids are read on a worker thread (``services.queue.QueueLoad``, run by ``queue_ids``): at a
million cases a filter can take a few hundred milliseconds and a search for a common word
seconds. The window waits a moment for them; if they take longer it shows the first rows, which
come in milliseconds, and the rest joins the table when it is in. Typing in the search box
interrupts the search before.
"""

from __future__ import annotations

import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from annotator.services.queue import (
    QueueFilter,
    QueueLoad,
    QueueRow,
    SortKey,
    first_undecided,
    queue_rows,
    undecided_among,
)
from annotator.services.workspace import Workspace
from annotator.ui.plain import safe_tooltip
from annotator.ui.queue_cells import ANSWERED, DISPLAY, TOOLTIP, USER, blind_tooltip, cell
from annotator.ui.queue_ids import IdsLoad
from annotator.ui.run_cards import imported_judge_text

if TYPE_CHECKING:  # PySide6 has it from 6.7 (before, Qt never calls multiData from Python)
    from PySide6.QtCore import QModelRoleDataSpan

BLOCK = 200
CACHE_ROWS = 5000
READ_AHEAD = 60
"""Rows below the current one kept read (``read_ahead``): two pages of the queue."""
WAIT_ALL = 0.02
"""Seconds ``set_filter`` waits for every id before it settles for the first rows (default)."""
WAIT_FIRST = 0.15
"""Seconds it waits for the first rows; then the table is empty until they come."""
RowIndex = QModelIndex | QPersistentModelIndex

COLUMNS: tuple[tuple[str, str, SortKey], ...] = (
    ("id", "Case", SortKey.ID),
    ("kind", "Kind", SortKey.SEVERITY),
    ("judge", "Judge", SortKey.JUDGE),
    ("raters", "Raters", SortKey.SEVERITY),
    ("final", "Final", SortKey.FINAL),
    ("status", "Status", SortKey.STATUS),
    ("split", "Split", SortKey.SEVERITY),
    ("criterion", "Criterion", SortKey.CRITERION),
)


BLIND_HIDDEN = frozenset({"kind", "judge", "raters"})
"""The columns that tell what the judge and the raters said (the kind names a side): hidden
under blind-first review, with their sorting (``QueuePanel.set_blind``)."""


class QueueModel(QAbstractTableModel):
    rowsReady = Signal()
    """After ``set_filter`` returned: rows came in (the first ones, or the rest), or the reading
    ended (perhaps with none)."""
    _news = Signal(int)
    """From a load's thread: it has the first rows or is done (queued to the GUI thread)."""

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        loader: Callable[[Workspace, QueueFilter], QueueLoad] = QueueLoad,
        wait_all: float = WAIT_ALL,
    ) -> None:
        """``loader`` reads a filter's ids (:class:`QueueLoad`); ``wait_all``: how long
        ``set_filter`` waits for every id before it settles for the first rows."""
        super().__init__(parent)
        self._loader = loader
        self._wait_all = wait_all
        self._ws: Workspace | None = None
        self._filter = QueueFilter()
        self._ids: array[int] = array("q")
        self._cache: OrderedDict[int, QueueRow] = OrderedDict()
        self._load: IdsLoad | None = None
        self._generation = 0
        self._last_row = 0
        self._blind = False
        self._imported_judge: str | None = None
        """The imported judge's run name, once the project has other runs too (None: one
        judge, nothing to tell apart)."""
        self._seed: int | None = None
        self._news.connect(self._on_news, Qt.ConnectionType.QueuedConnection)

    # -- source ------------------------------------------------------------

    def set_workspace(
        self, ws: Workspace | None, flt: QueueFilter | None = None, wait: float | None = None
    ) -> None:
        """Show ``ws``'s queue (``wait``: as :meth:`set_filter`'s)."""
        self._ws = ws
        self.set_filter(flt or self._filter, wait)

    def set_filter(self, flt: QueueFilter, wait: float | None = None) -> None:
        """Show the queue of ``flt``. ``wait`` None: return with every id read (as tests and
        opening a workspace want). Else return within about ``wait`` seconds, with every id or
        the first rows or (if even those take longer) none yet: ``rowsReady`` follows."""
        if self._load is not None:
            self._load.query.interrupt()
            self._load = None
        self._generation += 1
        flt = self._filter = self._adjusted(flt)
        if self._ws is None:
            self._install(array("q"))
            return
        if self._ws.path is None:  # in memory: one connection for all threads, so no overlap
            wait = None
        load = IdsLoad(self._generation, self._loader(self._ws, flt), self._news)
        self._load = load
        start = time.perf_counter()
        if wait is None:
            load.wait(float("inf"), first=False)
        else:
            load.wait(start + min(wait, self._wait_all), first=False)
            load.wait(start + max(wait, WAIT_FIRST), first=True)
        self._take(load, reset=True)

    def set_blind(self, blind: bool, seed: int | None = None) -> None:
        """Blind-first review (``blind``): no cell or tooltip names a judge's or rater's label
        or the kind (the view hides those columns), no filter or sort on them is applied, and
        the search looks only at what a case shows before its reveal.
        ``seed``: the reviewer's random order (None: most severe first). Takes effect with the
        next :meth:`set_filter`; the caller loads the queue again."""
        self._seed = seed
        if blind != self._blind:
            self._blind = blind
            self.refresh_all()

    def _adjusted(self, flt: QueueFilter) -> QueueFilter:
        """``flt`` with the order seed, and under blind-first review without the label and
        rater filters and the judge sort (what the reviewer must not see yet), its text
        searched blind (``QueueFilter.blind``)."""
        flt = replace(flt, seed=self._seed, blind=self._blind)
        if self._blind:
            sort = SortKey.SEVERITY if flt.sort == SortKey.JUDGE else flt.sort
            flt = replace(flt, label=None, rater=None, sort=sort)
        return flt

    @property
    def loading(self) -> bool:
        """True while the ids of the current filter are still being read."""
        return self._load is not None

    def wait_until_loaded(self) -> None:
        """Block until every id of the current filter is in (for a search over all rows)."""
        load = self._load
        if load is not None:
            load.wait(float("inf"), first=False)
            self._take(load, reset=False)

    def _on_news(self, generation: int) -> None:
        load = self._load
        if load is not None and load.generation == generation and self._take(load, reset=False):
            self.rowsReady.emit()

    def _take(self, load: IdsLoad, *, reset: bool) -> bool:
        """Show what ``load`` has read so far; True if rows came in or it is done."""
        with load.cond:
            head, ids, error, done = load.head, load.ids, load.error, load.done
        if done:
            self._load = None
            if error is not None:
                self._install(array("q"))
                raise error
            if ids is None:  # interrupted (not by us: we drop interrupted loads)
                ids = array("q")
            if not reset and len(self._ids) <= len(ids) and ids[: len(self._ids)] == self._ids:
                if len(ids) > len(self._ids):  # the rest after the first rows
                    self.beginInsertRows(QModelIndex(), len(self._ids), len(ids) - 1)
                    self._ids = ids
                    self.endInsertRows()
                return True
            self._install(ids)
            return True
        if head is not None and (reset or not self._ids):
            self._install(head)
            return True
        if reset:
            self._install(array("q"))
        return False

    def _install(self, ids: array[int]) -> None:
        self.beginResetModel()
        self._cache.clear()
        self._ids = ids
        self._last_row = 0
        self.endResetModel()

    @property
    def filter(self) -> QueueFilter:
        return self._filter

    def id_at(self, row: int) -> int | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_of(self, row_id: int) -> int | None:
        """The row of a case. Looks beside the last row found first: moving to the next case
        must not scan a million ids."""
        ids = self._ids
        last = self._last_row
        for row in (last, last + 1, last - 1):
            if 0 <= row < len(ids) and ids[row] == row_id:
                self._last_row = row
                return row
        try:
            row = ids.index(row_id)
        except ValueError:
            return None
        self._last_row = row
        return row

    def first_open_id(self) -> int | None:
        """The row id of the queue's first case waiting for a decision, found without its
        rows (which may still be coming in): one walk of an index (``first_undecided``)."""
        return None if self._ws is None else first_undecided(self._ws, self._filter)

    def find_undecided(self, start: int) -> int | None:
        """The first row at or after ``start`` (wrapping around) whose case is undecided.

        While the ids are still being read (a search for a common word, at a million cases),
        the rows already in are looked at first: only when none of them after ``start`` is
        open does it wait for the rest.
        """
        ws = self._ws
        if ws is None:
            return None
        if self._load is not None:
            n = len(self._ids)
            if 0 <= start < n:
                row = self._open_row(ws, start, n)
                if row is not None:
                    return row
            self.wait_until_loaded()
        n = len(self._ids)
        if n == 0:
            return None
        start %= n
        if start == 0:  # resuming: one walk of the queue index finds it
            found = first_undecided(ws, self._filter)
            row = self.row_of(found) if found is not None else None
            if row is not None or found is None:
                return row
        row = self._open_row(ws, start, n)
        return row if row is not None else self._open_row(ws, 0, start)

    def _open_row(self, ws: Workspace, lo: int, hi: int) -> int | None:
        """The first row in ``lo`` … ``hi - 1`` whose case is undecided."""
        block, size = lo, 1000
        while block < hi:  # growing blocks: few queries when many cases are decided
            ids = self._ids[block : min(block + size, hi)]
            open_ids = undecided_among(ws, ids)
            for offset, row_id in enumerate(ids):
                if row_id in open_ids:
                    return block + offset
            block += size
            size = min(size * 2, 30_000)
        return None

    def refresh_case(self, row_id: int) -> None:
        """Show a changed case: re-read its one row (the query is not re-run)."""
        self._cache.pop(row_id, None)
        row = self.row_of(row_id)
        if row is not None:
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def refresh_all(self) -> None:
        """Show every line again as the workspace has it now (another window changed it): the
        cached rows are read again; which cases the queue holds stays."""
        self._cache.clear()
        if self._ids:
            last = self.index(len(self._ids) - 1, len(COLUMNS) - 1)
            self.dataChanged.emit(self.index(0, 0), last)

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
        if (
            orientation == Qt.Orientation.Horizontal
            and role == TOOLTIP
            and COLUMNS[section][0] == "judge"
            and self._imported_judge is not None
        ):
            return safe_tooltip(imported_judge_text(self._imported_judge))
        return None

    def set_imported_judge(self, name: str | None) -> None:
        """The imported judge's run name when the project has more than one run (the Judge
        column, the kinds and "who was right" are about that one), else None."""
        if name != self._imported_judge:
            self._imported_judge = name
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort by ``column``; a column below 0 (a third click on the sorted header clears its
        indicator) gives the queue's own order back: most severe first, or the reviewer's
        random order (under blind first, with the Kind column hidden, the only way back)."""
        descending = column >= 0 and order == Qt.SortOrder.DescendingOrder
        key = COLUMNS[column][2] if column >= 0 else SortKey.SEVERITY
        self.set_filter(replace(self._filter, sort=key, descending=descending), wait=WAIT_FIRST)

    def data(self, index: RowIndex, role: int = DISPLAY) -> Any:
        # Painting goes through ``multiData``; this answers tooltips, tests and accessibility.
        if role not in ANSWERED or not index.isValid():
            return None
        row = index.row()
        if role == USER:
            return self._ids[row]
        item = self._row(row, self._ids[row])
        return None if item is None else self._cell(item, COLUMNS[index.column()][0], role)

    def _cell(self, item: QueueRow, column: str, role: int) -> Any:
        if self._blind and (role == TOOLTIP or column in BLIND_HIDDEN):
            return blind_tooltip(item) if role == TOOLTIP else None
        return cell(item, column, role)

    def multiData(self, index: RowIndex, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role the view asks of one cell, in one call.

        The item delegate asks seven roles for each cell it paints; answering them here is one
        call into Python per cell instead of seven, which is most of the cost of a page turn in
        the queue. The view reuses the span's entries from cell to cell, so each one is set or
        cleared: a role left alone would keep the previous cell's colour or bold font.
        """
        item = None
        column = ""
        if index.isValid():
            row = index.row()
            item = self._row(row, self._ids[row])
            column = COLUMNS[index.column()][0]
        # A span is a sequence to Python (``len``, indexing), though its stubs don't say so.
        entries: Iterable[QModelRoleData] = (
            (roleDataSpan,)
            if isinstance(roleDataSpan, QModelRoleData)
            else cast("Sequence[QModelRoleData]", roleDataSpan)
        )
        for entry in entries:
            role = entry.role()
            value = None if item is None or role not in ANSWERED else self._cell(item, column, role)
            if value is None:
                entry.clearData()
            else:
                entry.setData(value)

    def read_ahead(self, row: int, count: int = READ_AHEAD) -> None:
        """Read the rows from ``row`` on into the cache now, unless the next ``count`` are in
        it: a reviewer moving down the queue then never waits for a block of rows to be read
        while a case is painted (the queue asks this when nothing else is waiting)."""
        if self._ws is None or not 0 <= row < len(self._ids):
            return
        ahead = self._ids[row : row + count]
        if all(row_id in self._cache for row_id in ahead):
            return
        self._fetch(row)

    def _row(self, row: int, row_id: int) -> QueueRow | None:
        item = self._cache.get(row_id)
        if item is not None:
            self._cache.move_to_end(row_id)
            return item
        if self._ws is None:
            return None
        self._fetch(max(0, row - BLOCK // 4))
        return self._cache.get(row_id)

    def _fetch(self, start: int) -> None:
        """Read a block of rows from ``start`` into the cache."""
        assert self._ws is not None
        block = self._ids[start : start + BLOCK]
        fetched = queue_rows(self._ws, block)
        for rid in block:
            if rid in fetched:
                self._cache[rid] = fetched[rid]
        while len(self._cache) > CACHE_ROWS:
            self._cache.popitem(last=False)
