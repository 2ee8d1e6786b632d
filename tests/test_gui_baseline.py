"""The Agreement page right after import, with no decisions: the baseline before any review
(the judge against the raters' consensus, the raters among themselves), each figure as the
report has it; and once the reviewer decides, the view after review above it."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QTableWidget
from pytestqt.qtbot import QtBot

from annotator.services.agreement import format_figure
from annotator.ui.baseline_view import BaselineView
from annotator.ui.heat_map import HeatMap
from tests.conftest import SAMPLE

pytestmark = pytest.mark.gui


def _cells(widget: BaselineView) -> list[str]:
    texts = []
    for table in widget.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            for c in range(table.columnCount()):
                item = table.item(r, c)
                texts.append(item.text() if item is not None else "")
    return texts


def _labels(widget: BaselineView) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel)]


def test_the_page_shows_the_baseline_right_after_import(
    make_window, qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(SAMPLE)
    assert window.ws is not None and not window.lead
    action = window.actions_by_id["agreement"]
    assert action.isEnabled()  # no reviewers' files needed
    action.trigger()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=20000)
    page = window.agreement_page
    assert page is not None and page.isVisible()
    report = page.report
    assert report.criteria == () and report.baseline is not None
    assert page.findChild(HeatMap) is None  # no final labels yet
    assert [page.tabs.tabText(i) for i in range(page.tabs.count())] == [
        b.criterion for b in report.baseline.criteria
    ] + ["&Anchoring"]  # the blind-first decisions: none yet, and how to have them
    for i, b in enumerate(report.baseline.criteria):
        view = page.tabs.widget(i).findChild(BaselineView)
        assert view is not None and view.baseline is b
        labels, cells = _labels(view), _cells(view)
        j, raters = b.judge, b.raters
        agrees = j.within if j.within is not None else j.accuracy  # ordered: within ±t
        assert format_figure(agrees, "rate") in labels  # the headline card
        assert format_figure(raters.alpaca_eval.judge, "rate") in labels
        for figure, style in (
            (j.accuracy, "rate"),
            (j.kappa, "coefficient"),
            (j.macro_f1, "coefficient"),
            (raters.reliability.alpha, "coefficient"),
            (raters.ceiling.humans, "rate"),
            (raters.alpaca_eval.humans, "rate"),
            (raters.alpaca_eval.judge, "rate"),
        ):
            shown = format_figure(figure, style)  # type: ignore[arg-type]
            assert any(cell.endswith(shown) for cell in cells), (b.criterion, shown)
        for name in ("AlpacaEval human agreement, raters", "human ceiling (leave-one-out)"):
            assert name in cells
    assert "No decisions yet" in page.findChild(QLabel).text()

    # The reviewer decides a case: the page, recomputed, has the view after review as well.
    service = window.review.service
    assert service is not None
    row = service.row_id("faith-001") or 0
    service.decide(row, "fail", "Invented a dose.")
    page.refreshRequested.emit()
    qtbot.waitUntil(lambda: window.agreement_page is not page, timeout=20000)
    again = window.agreement_page
    assert again is not None and len(again.report.criteria) == 1
    assert again.findChild(HeatMap) is not None
    assert again.findChild(BaselineView) is not None
    again.grab().save(str(tmp_path / "page.png"))  # it paints
