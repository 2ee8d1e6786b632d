"""The queue's columns: how wide each is, which are shown, and the header's menu to choose.

At 1280x720 the queue is some 360 pixels wide, not room for every column: the columns shown
fit its width, never a sideways scroll away. Each column is as wide as its header and its
usual values; the Case column takes the ids in sight (up to 40 % of the width) and gives back
what the others need; the last column shown takes what is left. The Split, Criterion and Kind
columns (the case view shows each, as a pill) are shown while there is room for them, given
up in that order; Criterion is not shown when the project has one criterion. A right-click on
the header chooses the columns: one chosen there is shown (or hidden) whatever the width, the
others narrower to make room, and the choice is kept for the next time (in ``window.ini``
with the window's layout). Under blind-first review the Kind, Judge and Raters columns are
hidden whatever was chosen.

Only widths and hidden sections change here: the cells are the model's (``queue_model``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, QSettings, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QMenu, QTableView

from annotator import paths
from annotator.domain.model import Kind
from annotator.ui.plain import shown
from annotator.ui.queue_cells import PART_TEXT, SHORT_KIND
from annotator.ui.queue_model import BLIND_HIDDEN, COLUMNS

ID_WIDTH = 76
"""The Case column's narrowest width."""
CELL_PADDING = 12
"""A cell's margins around its text."""
ID_SHARE = 0.4
"""The Case column's widest, as a share of the queue's width."""
CRITERION_WIDEST = 150
"""The Criterion column's widest natural width (a longer name is cut, whole in its tooltip)."""
GIVEN_UP = (("split", False), ("criterion", False), ("kind", True))
"""The columns shown only while there is room for them (unless chosen), given up in this
order when the queue is too narrow (the case view shows each as a pill; the queue's own order
is by kind), each with whether the ids are cut first to keep it."""
SQUEEZED = ("criterion", "raters", "kind", "split", "judge", "status", "final")
"""The columns narrowed (their text cut at its end, down to their header's width), in this
order, when the columns chosen do not fit even with the ids cut; beyond that (more columns
chosen than the headers leave room for) the queue scrolls sideways."""
CHOSEN_KEY = "queue/columns"
"""Where the header menu's choices are kept (``window.ini``): ``{name: shown}`` as JSON."""


class QueueColumns(QObject):
    """The widths and the shown columns of the queue's ``table``, fitted again whenever its
    viewport changes width (:meth:`fit`)."""

    def __init__(self, table: QTableView) -> None:
        super().__init__(table)
        self.table = table
        self._blind = False
        self._criteria = 0
        """How many criteria the project has (0: not known yet)."""
        self._chosen = _load()
        self._narrowest = self._headers()
        self._natural = self._measure()
        header = table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._show_menu)
        # (a section's own tooltip, the Judge column's, comes first: QHeaderView.viewportEvent)
        header.viewport().setToolTip(self.tr("Click to sort; right-click to choose the columns"))
        table.viewport().installEventFilter(self)
        for column, (name, _title, _key) in enumerate(COLUMNS):
            if name != "id":
                table.setColumnWidth(column, self._natural[name])
        table.setColumnWidth(0, ID_WIDTH)

    def _measure(self) -> dict[str, int]:
        """Each column's width for its header and its usual values (Raters: two ratings; the
        Status marks; Criterion: its header until the criteria are known)."""
        metrics = self.table.fontMetrics()
        bold = QFont(self.table.font())
        bold.setBold(True)
        strong = QFontMetrics(bold)
        values = {
            "kind": [metrics.horizontalAdvance(SHORT_KIND[k]) for k in Kind],
            "judge": [metrics.horizontalAdvance("pass")],
            "raters": [metrics.horizontalAdvance("pass  fail")],
            "final": [strong.horizontalAdvance("pass")],
            "status": [metrics.horizontalAdvance("↷ skip")],
            "split": [metrics.horizontalAdvance(t) for t in PART_TEXT.values()],
            "criterion": [0],
        }
        return {
            name: max(max(values[name]) + CELL_PADDING, self._narrowest[name])
            for name, _title, _key in COLUMNS
            if name in values
        }

    def _headers(self) -> dict[str, int]:
        """Each column's header width: the narrowest it is squeezed to."""
        header = self.table.horizontalHeader().fontMetrics()
        return {n: header.horizontalAdvance(self.tr(t)) + CELL_PADDING for n, t, _k in COLUMNS}

    def set_criteria(self, names: Sequence[str]) -> None:
        """The project's criteria: the Criterion column as wide as their names (up to
        :data:`CRITERION_WIDEST`), and not shown for one criterion (unless chosen)."""
        metrics = self.table.fontMetrics()
        widest = max([metrics.horizontalAdvance(shown(n) or "—") for n in names], default=0)
        natural = max(widest + CELL_PADDING, self._narrowest["criterion"])
        self._natural["criterion"] = min(natural, CRITERION_WIDEST)
        self._criteria = len(names)
        self.fit()

    def set_blind(self, blind: bool) -> None:
        """Blind-first review: the Kind, Judge and Raters columns hidden (and back after)."""
        self._blind = blind
        self.fit()

    def wanted(self, name: str) -> bool:
        """Whether column ``name`` is shown when there is room for it."""
        if self._blind and name in BLIND_HIDDEN:
            return False
        if name in self._chosen:
            return self._chosen[name]
        return not (name == "criterion" and self._criteria == 1)

    def fit(self) -> None:
        """Show the columns wanted that fit the queue's width, the Case column as wide as the
        ids in sight allow (Qt measures the rows in sight only: a million rows cost nothing)."""
        table = self.table
        width = table.viewport().width()
        if width <= 0:
            return
        ids = table.sizeHintForColumn(0)
        ids = min(max(ID_WIDTH, ids), max(ID_WIDTH, int(width * ID_SHARE)))
        names = [name for name, _title, _key in COLUMNS if name == "id" or self.wanted(name)]
        need = ids + sum(self._natural[n] for n in names if n != "id")
        for name, over_ids in GIVEN_UP:
            room = width + (ids - ID_WIDTH if over_ids else 0)
            if need > room and name in names and name not in self._chosen:
                names.remove(name)
                need -= self._natural[name]
        widths = {name: self._natural[name] for name in names if name != "id"}
        excess = need - width
        if excess > 0:  # (columns chosen that do not fit): the ids cut in the middle, then
            # the columns whose text may be cut at its end, down to their headers
            cut = min(excess, ids - ID_WIDTH)
            ids, excess = ids - cut, excess - cut
            for name in SQUEEZED:
                if excess > 0 and name in widths:
                    cut = min(excess, widths[name] - self._narrowest[name])
                    widths[name], excess = widths[name] - max(cut, 0), excess - max(cut, 0)
        widths["id"] = ids
        for column, (name, _title, _key) in enumerate(COLUMNS):
            hidden = name not in names
            if table.isColumnHidden(column) != hidden:
                table.setColumnHidden(column, hidden)
            if not hidden and table.columnWidth(column) != widths[name]:
                table.setColumnWidth(column, widths[name])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Resize:  # (the queue, or its vertical scroll bar)
            self.fit()
        return False

    # -- the header's menu -------------------------------------------------------------------

    def menu(self) -> QMenu:
        """The header's menu: each column but Case, checked when shown; a column checked or
        unchecked there is shown or hidden whatever the width. The last entry forgets those
        choices: the columns that fit again."""
        menu = QMenu(self.table)
        menu.setToolTipsVisible(True)
        for column, (name, title, _key) in enumerate(COLUMNS):
            if name == "id":
                continue
            action = menu.addAction(self.tr(title))
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            if self._blind and name in BLIND_HIDDEN:
                action.setEnabled(False)
                action.setToolTip(self.tr("Hidden under blind-first review"))
            action.toggled.connect(lambda on, n=name: self.choose(n, on))
        menu.addSeparator()
        again = menu.addAction(self.tr("Columns that fit the queue"))
        again.setToolTip(self.tr("Forget the columns chosen here: show those there is room for"))
        again.setEnabled(bool(self._chosen))
        again.triggered.connect(self.forget_choices)
        return menu

    def choose(self, name: str, on: bool) -> None:
        """Show (or hide) column ``name`` whatever the width, now and the next time."""
        self._chosen[name] = on
        _save(self._chosen)
        self.fit()

    def forget_choices(self) -> None:
        self._chosen = {}
        _save(self._chosen)
        self.fit()

    def _show_menu(self, at: QPoint) -> None:
        menu = self.menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.horizontalHeader().mapToGlobal(at))


def _store() -> QSettings:
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def _load() -> dict[str, bool]:
    """The header menu's choices kept (a damaged value: none)."""
    try:
        data = json.loads(str(_store().value(CHOSEN_KEY, "{}")))
    except ValueError:
        return {}
    names = {name for name, _title, _key in COLUMNS if name != "id"}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in names and isinstance(v, bool)}


def _save(chosen: dict[str, bool]) -> None:
    store = _store()
    store.setValue(CHOSEN_KEY, json.dumps(chosen, sort_keys=True))
    store.sync()
