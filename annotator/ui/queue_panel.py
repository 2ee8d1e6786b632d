"""The queue: filters (scope, status, criterion, label, rater, tag, text) over a lazy table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from PySide6.QtCore import (
    QItemSelection,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QSignalBlocker,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.merge import ReviewState
from annotator.domain.model import Kind, Status
from annotator.domain.split import Part
from annotator.services.queue import DISAGREEMENTS, QueueFilter
from annotator.ui.plain import piece, shown
from annotator.ui.queue_columns import ID_WIDTH as ID_WIDTH  # (tests)
from annotator.ui.queue_columns import QueueColumns
from annotator.ui.queue_model import QueueModel
from annotator.untrusted import one_line

ANY = object()
STALE = "stale"
"""The status filter's "Decided under an older rubric" (``QueueFilter.stale``)."""


@dataclass(frozen=True)
class SwitchedToJudge:
    """The reviews filter's value for the cases where ``reviewer`` ("": anyone) switched to
    the judge's label after the reveal (``QueueFilter.switched_to_judge``)."""

    reviewer: str


@dataclass(frozen=True)
class CaseList:
    """The reviews filter's value for exactly these cases, by case id (the cases a judge run
    fixed or broke, from the Alignment page: ``QueueFilter.cases``), and what to call them."""

    caption: str
    ids: tuple[str, ...]


_VIEW_COMBOS = ("status", "criterion", "label", "rater", "tag", "split")
"""The filters a workspace keeps (``QueuePanel.view_state``)."""
FILTER_WAIT = 0.15
"""Seconds a filter change may hold the window before the queue's rows come in later."""
CONTEXT_ROWS = 3
"""Rows kept in view on the side a case came from, when the queue turns a page to show it."""
ALL_SCOPE = 2
"""Index of "All cases" in SCOPES."""
SCOPES: tuple[tuple[str, frozenset[Kind] | None], ...] = (
    ("Disagreements", DISAGREEMENTS),
    ("Disagreements + agreements", DISAGREEMENTS | {Kind.AGREEMENT}),
    ("All cases", None),
) + tuple((k.caption, frozenset({k})) for k in Kind)
SEARCH_ALL = "Search ids, text, rationales  (Ctrl+F)"
SEARCH_BLIND = "Search ids, text, your rationales  (Ctrl+F)"
SEARCH_BLIND_TIP = (
    "Blind first: the search looks at what a case shows before the reveal (id, input, "
    "output, reference, meta) and at your own rationales, not at the judge's or the raters' words."
)
"""The search box's placeholder, and under blind-first review its tooltip too."""


class _MiddleElided(QStyledItemDelegate):
    """Cells too long for their column lose their middle, not their end."""

    def initStyleOption(  # noqa: N802
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideMiddle


class _Header(QHeaderView):
    """The queue's column titles, repainted when a selection comes or goes, not at every one.

    Qt repaints a header at each change of selection, every section the selection crosses:
    with whole rows selected one at a time, all of them at each next case (0.3 ms), to show
    the same bold titles (a row crosses every column). They change only when the queue goes
    from a selected row to none or back, which is what is compared: the selection now, and
    the one the titles were last painted with (a reset clears a selection without a signal).
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        # (what QTableView sets on the header it makes itself)
        self.setSectionsClickable(True)
        self.setHighlightSections(True)
        self._painted_selected = False

    def _has_selection(self) -> bool:
        model = self.selectionModel()
        return model is not None and model.hasSelection()

    def paintEvent(self, event: QPaintEvent) -> None:
        self._painted_selected = self._has_selection()
        super().paintEvent(event)

    def selectionChanged(self, selected: QItemSelection, deselected: QItemSelection) -> None:
        if self._has_selection() != self._painted_selected:
            super().selectionChanged(selected, deselected)


class QueuePanel(QWidget):
    includesAgreementsChanged = Signal(bool)
    """The scope now does (or no longer does) list agreements."""
    caseActivated = Signal(object)
    """Emitted with the row id of the case the user selected, or None when the queue is empty."""

    def __init__(self, model: QueueModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.setSpacing(6)

        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr(SEARCH_ALL))
        self.search.setClearButtonEnabled(True)
        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.apply_filters)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        layout.addWidget(self.search)
        # After a case is chosen and painted: the rows below it read ahead (queue_model), and
        # the page turned ahead where the next case is out of sight (_turn_page_ahead).
        self._read_ahead = QTimer(self, singleShot=True, interval=0)
        self._read_ahead.timeout.connect(self._when_shown)
        self._ahead_of: int | None = None
        """The row a move down selected last: its page is turned ahead of the next case."""

        grid = QGridLayout()
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(4)
        self.scope = self._combo(
            [(self.tr(t), v) for t, v in SCOPES], self.tr("Which kinds of case")
        )
        self.scope.currentIndexChanged.connect(self._scope_changed)
        self.status = self._combo(
            [(self.tr("Any status"), None)]
            + [(self.tr(s.caption), s) for s in Status]
            + [(self.tr("Decided under an older rubric"), STALE)],
            self.tr("Decision status"),
        )
        # (its longest item, "Decided under an older rubric", is elided rather than widening
        # the queue)
        self.status.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.status.setMinimumContentsLength(len(self.tr("Any status")))
        self.criterion = self._combo([], self.tr("Criterion"))
        self.label = self._combo(
            [], self.tr("Cases where the judge, a rater or you used this label")
        )
        self.rater = self._combo([], self.tr("Cases this rater rated"))
        self.tag = self._combo([], self.tr("Decisions with this tag"))
        self.split = self._combo(
            [
                (self.tr("Any split part"), None),
                (self.tr("Examples part"), Part.EXAMPLES),
                (self.tr("Held-out part"), Part.HELDOUT),
            ],
            self.tr(
                "Decided cases in the examples part (a calibration pack's examples come from "
                "there) or in the held-out part (the next judge is measured there)"
            ),
        )
        self.reviews = QComboBox()  # not _combo(): choosing one may change the scope first
        self.reviews.setToolTip(self.tr("What the merged reviewer files say of a case"))
        for text, value in (
            (self.tr("Any reviews"), None),
            (self.tr("Reviewer conflicts"), ReviewState.CONFLICT),
            (self.tr("Reviewers unanimous"), ReviewState.UNANIMOUS),
        ):
            self.reviews.addItem(text, value)
        self.reviews.currentIndexChanged.connect(lambda _i: self._reviews_chosen())
        self.reviews.hide()  # shown in a lead's workspace (reviewer files merged in)
        self._grid = grid
        self._filters = (self.scope, self.status, self.criterion, self.label, self.rater,
                         self.tag, self.split, self.reviews)  # fmt: skip
        for i, combo in enumerate(self._filters):
            grid.addWidget(combo, i // 2, i % 2)
        layout.addLayout(grid)
        self._reflow()

        self._keep: int | None = None
        self._settling = False
        self._awaited: int | None = None
        """A case shown before its row came in (opening a big workspace): selected when it
        does, unless another row was chosen meanwhile (``select_when_in``)."""
        model.rowsReady.connect(self._settle)
        for rows_came in (model.rowsReady, model.modelReset, model.rowsInserted):
            # (once the table has taken the rows in: it scrolls to the row then)
            rows_came.connect(lambda *_: QTimer.singleShot(0, self, self.select_awaited))
        for rows_came in (model.rowsReady, model.modelReset, model.rowsInserted):
            rows_came.connect(lambda *_: QTimer.singleShot(0, self._fit_ids))
        self.table = QTableView()
        self.table.setHorizontalHeader(_Header(self.table))
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(1, Qt.SortOrder.AscendingOrder)
        # A third click on the sorted header: the queue's own order (QueueModel.sort)
        self.table.horizontalHeader().setSortIndicatorClearable(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        # Ids often share a long prefix ("mtbench-question-…"): cut them in the middle, so
        # that the end that tells them apart stays in sight.
        self._ids = _MiddleElided(self.table)
        self.table.setItemDelegateForColumn(0, self._ids)
        self.columns = QueueColumns(self.table)
        """The columns' widths, and which are shown (they fit the queue's width)."""
        # The Case column fits the rows in sight only (Qt's default measures 1,000 rows, each
        # read from the workspace: a fifth of a second when a million-case workspace opens).
        self.table.horizontalHeader().setResizeContentsPrecision(0)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        layout.addWidget(self.table, 1)

    def _combo(self, items: list[tuple[str, object]], tip: str) -> QComboBox:
        combo = QComboBox()
        combo.setToolTip(tip)
        for text, value in items:
            combo.addItem(text, value)
        combo.currentIndexChanged.connect(lambda _i: self.apply_filters())
        return combo

    def set_vocabulary(self, vocab: dict[str, list[str]], tags: list[str]) -> None:
        for combo, everything, values in (
            (self.criterion, self.tr("Any criterion"), vocab["criteria"]),
            (self.label, self.tr("Any label"), vocab["labels"]),
            (self.rater, self.tr("Any rater"), vocab["raters"]),
            (self.tag, self.tr("Any tag"), tags),
        ):
            combo.blockSignals(True)
            current = combo.currentData()
            combo.clear()
            combo.addItem(everything, ANY)
            for value in values:
                combo.addItem(shown(one_line(value, 80)) or self.tr("(default)"), value)
            index = combo.findData(current)
            combo.setCurrentIndex(max(index, 0))
            combo.blockSignals(False)
        self.criterion.setVisible(len(vocab["criteria"]) > 1)
        self.columns.set_criteria(vocab["criteria"])
        self._reflow()

    def set_blind(self, blind: bool, seed: int | None = None) -> None:
        """Blind-first review: hide what would tell what the judge and the raters said (the
        Kind, Judge and Raters columns, the scope's kinds, the label and rater filters), and
        order the queue by ``seed`` (None: most severe first). Quietly: the caller loads the
        queue next."""
        self.columns.set_blind(blind)
        for combo in (self.scope, self.label, self.rater):
            combo.setVisible(not blind)
        # (what the search covers: QueueFilter.blind)
        self.search.setPlaceholderText(self.tr(SEARCH_BLIND if blind else SEARCH_ALL))
        self.search.setToolTip(self.tr(SEARCH_BLIND_TIP) if blind else "")
        if blind:
            # Any label and rater; a scope of all disagreements (and agreements), not of a
            # kind (the kinds name a side).
            scope = self.scope.currentIndex()
            if scope > ALL_SCOPE:
                scope = 1 if self.includes_agreements() else 0
            for combo, index in ((self.label, 0), (self.rater, 0), (self.scope, scope)):
                if combo.currentIndex() != index:
                    with QSignalBlocker(combo):
                        combo.setCurrentIndex(index)
        self._reflow()
        self.model.set_blind(blind, seed)

    def _reflow(self) -> None:
        """The filters shown, two to a row in their order, with no gap where one is hidden
        (blind first hides the label and rater filters and the scope; one criterion, its
        filter; a reviewer's workspace, the reviews filter)."""
        for combo in self._filters:
            self._grid.removeWidget(combo)
        shown = [combo for combo in self._filters if not combo.isHidden()]
        for i, combo in enumerate(shown):
            self._grid.addWidget(combo, i // 2, i % 2)

    def set_lead_mode(self, lead: bool) -> None:
        """Show the reviews filter when reviewer files were merged into the workspace."""
        self.reviews.setVisible(lead)
        self._reflow()
        if not lead and self.reviews.currentIndex() != 0:
            with QSignalBlocker(self.reviews):  # the caller loads the queue next
                self.reviews.setCurrentIndex(0)

    def show_reviews(
        self,
        value: ReviewState | tuple[str, str, str] | SwitchedToJudge | CaseList,
        *,
        load: bool = True,
        verdict: str = "",
    ) -> None:
        """List the reviewer conflicts (or unanimous cases), or one cell of the judge's
        confusion matrix ``(criterion, judge label, final label)``, or the cases where a
        reviewer switched to the judge after the reveal, or a list of cases, whatever their
        kind.
        ``load`` False: only choose the filter; the caller reads the queue next. ``verdict``:
        whether the judge was right in that cell, where a threshold makes it worth saying
        ("right within ±1")."""
        self.set_lead_mode(True)
        index = self.reviews.findData(value)
        if index < 0 and isinstance(value, SwitchedToJudge):
            who = piece(value.reviewer) if value.reviewer else self.tr("a reviewer")
            text = self.tr("{0} switched to the judge after the reveal").format(who)
        elif index < 0 and isinstance(value, CaseList):
            text = value.caption
        elif index < 0:
            criterion, judge, truth = value  # type: ignore[misc]
            crit = f" ({piece(criterion)})" if criterion else ""
            text = self.tr("Judge said {0}, final {1}{2}").format(piece(judge), piece(truth), crit)
            text += f": {verdict}" if verdict else ""
        with QSignalBlocker(self.reviews):  # one queue load, below
            if index < 0:
                while self.reviews.count() > 3:  # one matrix cell at a time
                    self.reviews.removeItem(3)
                self.reviews.addItem(text, value)
                index = 3
            self.reviews.setCurrentIndex(index)
        self._reviews_chosen(load=load)

    def _reviews_chosen(self, *, load: bool = True) -> None:
        """Load the queue once; a reviews filter looks at every kind of case, so the scope
        becomes "All cases" (quietly: the user's "include agreements" setting stays)."""
        if self.reviews.currentData() is not None and self.scope.currentIndex() != ALL_SCOPE:
            with QSignalBlocker(self.scope):
                self.scope.setCurrentIndex(ALL_SCOPE)
        if load:
            self.apply_filters()

    def reset_filters(self) -> None:
        """Back to the whole queue, with no search (another workspace is opened: its filters
        are its own). Quietly: the caller loads the queue next."""
        self._debounce.stop()
        with QSignalBlocker(self.search):
            self.search.clear()
        for combo in (
            self.status, self.criterion, self.label, self.rater, self.tag, self.split,
            self.reviews,
        ):  # fmt: skip
            with QSignalBlocker(combo):
                combo.setCurrentIndex(0)

    def view_state(self) -> dict[str, str]:
        """The search and the filters chosen, as text, to come back to in this workspace
        (``restore_view``); the scope is the user's setting, a matrix cell a moment's."""
        state = {"search": self.search.text()} if self.search.text() else {}
        for name in _VIEW_COMBOS:
            combo: QComboBox = getattr(self, name)
            data = combo.currentData()
            if combo.currentIndex() > 0 and data is not ANY and data is not None:
                state[name] = data.name if isinstance(data, Status) else str(data)
        return state

    def restore_view(self, state: Mapping[str, object]) -> None:
        """Choose again the search and filters :meth:`view_state` gave for this workspace
        (a value the workspace no longer has is passed over), and show that queue."""
        changed = False
        text = state.get("search")
        if isinstance(text, str) and text != self.search.text():
            with QSignalBlocker(self.search):
                self.search.setText(text)
            changed = True
        for name in _VIEW_COMBOS:
            value = state.get(name)
            if not isinstance(value, str):
                continue
            combo: QComboBox = getattr(self, name)
            index = next(
                (
                    i
                    for i in range(1, combo.count())
                    if (d := combo.itemData(i)) is not ANY
                    and (d.name if isinstance(d, Status) else d) == value
                ),
                -1,
            )
            if index > 0 and index != combo.currentIndex():
                with QSignalBlocker(combo):
                    combo.setCurrentIndex(index)
                changed = True
        if changed:
            self.apply_filters()

    def set_include_agreements(self, include: bool) -> None:
        if self.includes_agreements() != include:
            self.scope.setCurrentIndex(1 if include else 0)

    def includes_agreements(self) -> bool:
        kinds = self.scope.currentData()
        return kinds is None or Kind.AGREEMENT in kinds

    def _scope_changed(self) -> None:
        self.includesAgreementsChanged.emit(self.includes_agreements())

    def current_filter(self) -> QueueFilter:
        def value(combo: QComboBox) -> object:
            data = combo.currentData()
            return None if data is ANY else data

        criterion = value(self.criterion)
        status = self.status.currentData()
        reviews = self.reviews.currentData()
        return replace(
            self.model.filter,
            kinds=self.scope.currentData(),
            status=status if isinstance(status, Status) else None,
            stale=status == STALE,
            criterion=criterion if isinstance(criterion, str) else None,
            label=str(value(self.label) or "") or None,
            rater=str(value(self.rater) or "") or None,
            tag=str(value(self.tag) or "") or None,
            split=Part(part) if (part := self.split.currentData()) else None,
            text=self.search.text(),
            review_state=reviews if isinstance(reviews, ReviewState) else None,
            judge_truth=reviews if isinstance(reviews, tuple) else None,
            switched_to_judge=(reviews.reviewer if isinstance(reviews, SwitchedToJudge) else None),
            cases=reviews.ids if isinstance(reviews, CaseList) else None,
        )

    def apply_filters(self) -> None:
        """Show the queue the filters now ask for, keeping the case shown if it is in it.

        At a million cases the rows may come in after this returns (see QueueModel.set_filter);
        the window never waits more than a moment, and the case is chosen when rows arrive.
        """
        self._keep = self.current_id() if self._awaited is None else self._awaited
        self._awaited = None
        self._settling = True
        self.model.set_filter(self.current_filter(), wait=FILTER_WAIT)
        self._settle()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_ids()

    def _fit_ids(self) -> None:
        """Widen the Case column to the ids in sight, the columns fitting the queue's width
        (``QueueColumns.fit``); longer ids are cut in the middle."""
        self.columns.fit()

    def _settle(self) -> None:
        """After a filter change: select the case shown before if the new queue has it (among
        the rows in so far), else the first; with no rows (once all are in), show none."""
        if not self._settling:
            return
        if (self._keep is not None and self.select_id(self._keep)) or self.select_row(0):
            self._settling = False
        elif not self.model.loading:
            self._settling = False
            self.caseActivated.emit(None)

    # -- selection ------------------------------------------------------------

    def current_id(self) -> int | None:
        index = self.table.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def current_row(self) -> int:
        index = self.table.currentIndex()
        return index.row() if index.isValid() else -1

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        self._ahead_of = row if row > self.current_row() else None
        index = self.model.index(row, 0)
        if not self._in_sight(row):
            # Out of sight: a page turn, not a row at a time (which would paint the whole
            # table again on every next case). Going down, the case comes near the top, with
            # the few before it above and the page of those to come below; going up, near
            # the bottom.
            hint = QAbstractItemView.ScrollHint
            context = self._context_rows()
            if self.table.visualRect(index).top() >= 0:  # (below: a page down)
                anchor, where = max(0, row - context), hint.PositionAtTop
            else:
                anchor = min(self.model.rowCount() - 1, row + context)
                where = hint.PositionAtBottom
            self.table.scrollTo(self.model.index(anchor, 0), where)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self._read_ahead.start()
        return True

    def _in_sight(self, row: int) -> bool:
        """Whether the whole of ``row`` shows in the queue."""
        rect = self.table.visualRect(self.model.index(row, 0))
        return self.table.viewport().rect().contains(rect)

    def _context_rows(self) -> int:
        """:data:`CONTEXT_ROWS`, or fewer in a queue too short to show them and the case's row
        (a page turned by more rows than are in sight hid the case it turned to)."""
        in_sight = self.table.viewport().height() // max(1, self.table.rowHeight(0))
        return max(0, min(CONTEXT_ROWS, in_sight - 1))

    def _when_shown(self) -> None:
        row = self.current_row()
        self.model.read_ahead(row)
        if row >= 0 and row == self._ahead_of:
            self._turn_page_ahead(row)

    def _turn_page_ahead(self, row: int) -> None:
        """Where ``row``, just moved down to, is the last row in sight: turn the queue's page
        now, as the next case would (``select_row``), while the reviewer reads this one. The
        page turn repainted every row of the queue, and was the slowest part of the next cases
        that needed one (docs/benchmarks.md). A queue the reviewer scrolled away from the
        row is left where it is."""
        if row + 1 >= self.model.rowCount():
            return
        if not self._in_sight(row) or self._in_sight(row + 1):
            return
        context = self._context_rows()
        if context < 1:  # (one row in sight: turned, the page would hide the case shown)
            return
        anchor = self.model.index(max(0, row + 1 - context), 0)
        self.table.scrollTo(anchor, QAbstractItemView.ScrollHint.PositionAtTop)

    def select_id(self, row_id: int) -> bool:
        row = self.model.row_of(row_id)
        return row is not None and self.select_row(row)

    def select_when_in(self, row_id: int | None) -> None:
        """Select the case ``row_id`` (shown already) as soon as its row is in; None: forget
        the one awaited."""
        self._awaited = row_id
        if row_id is not None:
            # "No current row", set through the view: else, taking the keys (focus-in), a
            # table makes its first row current, and that would show another case.
            self.table.setCurrentIndex(QModelIndex())
        self.select_awaited()

    def awaiting(self) -> bool:
        """A case is shown whose row is not in yet (:meth:`select_when_in`)."""
        return self._awaited is not None

    def select_awaited(self) -> None:
        """Select the case awaited (:meth:`select_when_in`) if its row is in."""
        awaited = self._awaited
        if awaited is None:
            return
        if self.current_row() >= 0:  # the reviewer chose a row meanwhile
            self._awaited = None
        elif self.model.row_of(awaited) is not None or not self.model.loading:
            self._awaited = None
            self.select_id(awaited)

    def _current_changed(self) -> None:
        row_id = self.current_id()
        if row_id is not None:
            self.caseActivated.emit(row_id)
