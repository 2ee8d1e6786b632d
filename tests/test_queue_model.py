"""What the queue table paints: every cell its own text, colour and weight.

The view paints through ``QueueModel.multiData`` (one call per cell), and the delegate reuses
the same role entries from cell to cell: a role a cell leaves alone must not keep the colour or
bold font of the cell painted before it.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem, QTableView

from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from annotator.ui.queue_model import COLUMNS, QueueModel
from tests.helpers import PASS_FAIL, case, write_jsonl

pytestmark = pytest.mark.gui


class Probe(QStyledItemDelegate):
    """The view's own delegate, asked what it would paint in a cell."""

    def option(self, index: QModelIndex | QPersistentModelIndex) -> QStyleOptionViewItem:
        opt = QStyleOptionViewItem()
        self.initStyleOption(opt, index)
        return opt


@pytest.fixture
def table(tmp_path: Any, qtbot: Any) -> tuple[QTableView, QueueModel, Probe]:
    rows = [case(f"c{i}", judge="pass", raters={"a": "fail", "b": "fail"}) for i in range(6)]
    rows += [case(f"c{i}", judge="pass", raters={"a": "pass", "b": "fail"}) for i in range(6, 9)]
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", rows, PASS_FAIL))
    model = QueueModel()
    model.set_workspace(ws, QueueFilter(kinds=None))
    model.wait_until_loaded()
    review = ReviewService(ws, "rev")
    for row in (0, 2, 3):  # decided ones between open ones: bold and green beside plain
        row_id = model.id_at(row)
        assert row_id is not None
        review.decide(row_id, "fail", "checked")
        model.refresh_case(row_id)
    view = QTableView()
    probe = Probe(view)
    view.setItemDelegate(probe)
    view.setModel(model)
    qtbot.addWidget(view)
    return view, model, probe


def test_every_cell_paints_what_the_model_says_in_any_order(table: Any) -> None:
    view, model, probe = table
    cells = [(r, c) for r in range(model.rowCount()) for c in range(len(COLUMNS))]
    # Row by row, then column by column, then backwards: every neighbour follows every other.
    orders = [cells, sorted(cells, key=lambda rc: (rc[1], rc[0])), cells[::-1]]
    final = [name for name, _title, _key in COLUMNS].index("final")
    bold_cells = 0
    for order in orders:
        for r, c in order:
            index = model.index(r, c)
            opt = probe.option(index)
            assert opt.text == (model.data(index) or "")
            bold = model.data(index, Qt.ItemDataRole.FontRole)
            assert opt.font.bold() == (bold is not None and bold.bold()), (r, c)
            bold_cells += opt.font.bold()
            brush = model.data(index, Qt.ItemDataRole.ForegroundRole)
            text_color = opt.palette.color(opt.palette.ColorRole.Text)
            expected = brush.color() if brush is not None else view.palette().color(
                view.palette().ColorRole.Text
            )  # fmt: skip
            assert text_color == expected, (r, c)
            assert opt.font.bold() == (c == final and r in (0, 2, 3))
    assert bold_cells == 3 * len(orders)


def test_a_cell_answers_its_tooltip_and_row_id(table: Any) -> None:
    _view, model, _probe = table
    index = model.index(6, 0)
    tip = model.data(index, Qt.ItemDataRole.ToolTipRole)
    assert "c" in tip and "a: pass" in tip and "b: fail" in tip
    assert model.data(index, Qt.ItemDataRole.UserRole) == model.id_at(6)
    assert model.data(QModelIndex()) is None


def test_long_ids_lose_their_middle_not_their_end(make_window) -> None:  # type: ignore[no-untyped-def]
    """Ids that share a long prefix stay told apart in a narrow Case column."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QStyleOptionViewItem

    table = make_window().queue.table
    option = QStyleOptionViewItem()
    table.itemDelegateForColumn(0).initStyleOption(option, table.model().index(0, 0))
    assert option.textElideMode == Qt.TextElideMode.ElideMiddle
    other = QStyleOptionViewItem()
    other.textElideMode = Qt.TextElideMode.ElideRight
    table.itemDelegate().initStyleOption(other, table.model().index(0, 3))
    assert other.textElideMode == Qt.TextElideMode.ElideRight


def test_the_case_column_widens_to_the_ids_in_sight(make_window, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from annotator.ui.queue_panel import ID_WIDTH
    from tests.helpers import PASS_FAIL, case, write_jsonl

    rows = [case(f"mtbench-question-{i:04d}-turn-1") for i in range(30)]
    window = make_window(write_jsonl(tmp_path / "long.jsonl", rows, PASS_FAIL))
    window.resize(1280, 720)
    table = window.queue.table
    qtbot.waitUntil(lambda: table.columnWidth(0) > ID_WIDTH, timeout=5000)
    assert table.columnWidth(0) <= max(ID_WIDTH, int(table.viewport().width() * 0.4))


def test_moving_down_the_queue_reads_its_rows_ahead(
    make_window: Any, qtbot: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reviewer going case after case down a long queue: the rows below the case are read
    while nothing else waits, so no page of the queue waits for a block of rows to be read
    while a next case is painted."""
    from annotator.ui import queue_model

    rows = [case(f"c{i:04d}", judge="pass", raters={"a": "fail"}) for i in range(700)]
    ws_path = tmp_path / "w.annotator"
    ws = Workspace.open(ws_path)
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", rows, PASS_FAIL))
    ws.close()
    window = make_window(ws_path)
    model = window.model
    model.wait_until_loaded()
    reads: list[int] = []
    real = queue_model.queue_rows
    monkeypatch.setattr(
        queue_model, "queue_rows", lambda ws, ids: (reads.append(len(ids)), real(ws, ids))[1]
    )
    panel = window.queue
    for row in range(1, 400):
        assert panel.select_row(row)
        qtbot.wait(1)  # (the read ahead waits for the event loop: the case is painted first)
        reads.clear()
        # What a page turn would paint next is in: reading it asks nothing of the workspace.
        for below in range(row, min(row + queue_model.READ_AHEAD, model.rowCount())):
            model.data(model.index(below, 0))
        assert reads == [], f"row {row}: read {reads} while painting"
    assert model.data(model.index(399, 0)) == "c0399"
