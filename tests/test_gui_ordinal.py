"""The Agreement page on an ordered scale: the weighted kappa leads, every figure's name says
in its tooltip what it measures and when to read it, the kappa paradox is explained on the
card, and the page fits 1280 x 720 without scrolling sideways."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QScrollArea, QTableWidget
from pytestqt.qtbot import QtBot

from annotator.services.agreement.glossary import HELP, explain
from annotator.services.agreement.workspace import workspace_report
from annotator.ui.agreement_page import AgreementPage
from annotator.ui.baseline_view import BaselineView
from annotator.ui.case_cards import Card
from tests.test_ordinal_report import _workspace

pytestmark = pytest.mark.gui


def test_figures_have_tooltips_and_the_page_fits(qtbot: QtBot, tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=120)
    report = workspace_report(ws, resamples=20)
    page = AgreementPage(report, "Likert")
    qtbot.addWidget(page)
    page.resize(1280, 720)
    page.show()
    qtbot.waitExposed(page)
    names = [page.tabs.tabText(i) for i in range(page.tabs.count())]
    page.tabs.setCurrentIndex(names.index("fluency"))
    view = page.tabs.currentWidget().findChild(BaselineView)
    assert view is not None
    tipped = {}
    for table in view.findChildren(QTableWidget):
        for r in range(table.rowCount()):
            item = table.item(r, 0)
            if item is not None and explain(item.text()):
                tipped[item.text()] = item.toolTip()
    for name in (
        "Cohen's kappa, quadratic-weighted",
        "Gwet's AC1",
        "Krippendorff's alpha, interval",
    ):
        assert name in tipped
        assert HELP[name].split(",")[0].replace("'", "&#x27;") in tipped[name]
    cards = [c for c in view.findChildren(Card) if c.toolTip()]
    assert len(cards) == 4
    texts = [label.text() for label in view.findChildren(QLabel)]
    assert "Judge weighted kappa" in texts
    assert any(t.startswith("kappa paradox") for t in texts)  # on the card
    scroll = page.tabs.currentWidget()
    assert isinstance(scroll, QScrollArea)
    assert scroll.horizontalScrollBar().maximum() == 0  # nothing cut at 1280 wide
    page.grab().save(str(tmp_path / "page.png"))
