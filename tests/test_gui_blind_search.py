"""The queue under blind-first review, in the window: a word that only a judge's rationale
holds lists nothing (it would tell the verdict); with blind first turned off, it lists that case
(the search's exact reach: tests/test_blind_search.py). Sorted by Case, a third click on its
header gives the queue's own order back (the Kind column, which gives it, is hidden)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from annotator.services.queue import SortKey, queue_rows
from annotator.ui.queue_panel import ALL_SCOPE
from tests.conftest import SAMPLE
from tests.test_gui_blind import blind_window

pytestmark = pytest.mark.gui

WORD = "incorrect"
"""In the sample, a word of one judge's rationale (pref-005's) and of nothing a reviewer sees
before the reveal."""


def only_judges_say(word: str) -> set[str]:
    """The sample's cases whose judge's rationale holds ``word``; checks that no visible text,
    rater or comment of any case does."""
    found = set()
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if "id" not in row:
            continue
        seen = [row["id"], row["input"], row.get("output") or "", row.get("reference") or ""]
        seen += [*(row.get("outputs") or {}).values(), json.dumps(row.get("meta", {}))]
        seen += [f"{r['rater']} {r.get('comment', '')}" for r in row.get("ratings", [])]
        assert word not in "\n".join(seen).casefold(), row["id"]
        if word in row["judge"].get("rationale", "").casefold():
            found.add(row["id"])
    return found


def listed(window: Any) -> set[str]:
    window.model.wait_until_loaded()
    ids = [window.model.id_at(row) for row in range(window.model.rowCount())]
    assert window.ws is not None
    return {row.ext_id for row in queue_rows(window.ws, ids).values()}


def test_a_word_only_a_judge_wrote_is_not_found_until_blind_first_is_off(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    cases = only_judges_say(WORD)
    assert cases
    window = blind_window(make_window, qtbot, tmp_path)
    window.queue.scope.setCurrentIndex(ALL_SCOPE)  # (pref-005 is an agreement)
    window.queue.search.setText(WORD)
    qtbot.waitUntil(lambda: window.model.filter.text == WORD, timeout=3000)
    assert window.model.filter.blind
    assert listed(window) == set()
    window.queue.search.setText("pref-00")  # what the reviewer sees is found as ever
    qtbot.waitUntil(lambda: window.model.filter.text == "pref-00", timeout=3000)
    assert listed(window)
    window.queue.search.setText(WORD)
    qtbot.waitUntil(lambda: window.model.filter.text == WORD, timeout=3000)

    window.actions_by_id["blind_first"].trigger()  # View › Blind first, off
    qtbot.waitUntil(lambda: not window.model.filter.blind, timeout=3000)
    assert window.queue.search.text() == WORD
    assert listed(window) == cases


def test_a_third_click_on_the_sorted_header_gives_the_queue_order_back(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    window = blind_window(make_window, qtbot, tmp_path)
    header = window.queue.table.horizontalHeader()
    first = [window.model.id_at(r) for r in range(window.model.rowCount())]
    assert window.model.filter.sort == SortKey.SEVERITY
    sorts = []
    for _ in range(3):  # the Case column: ascending, descending, then the queue's own order
        middle = QPoint(header.sectionViewportPosition(0) + 10, header.height() // 2)
        qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=middle)
        window.model.wait_until_loaded()
        sorts.append((window.model.filter.sort, window.model.filter.descending))
    assert sorts == [(SortKey.ID, False), (SortKey.ID, True), (SortKey.SEVERITY, False)]
    assert [window.model.id_at(r) for r in range(window.model.rowCount())] == first
