"""The hostile sample (tests/data/hostile/) in the window: every page and dialog walked, widget by
widget, for text from the files shown as anything but plain text; directions kept to each piece
(read from the laid-out text); control characters marked in the case view and copied back as
they are stored; ``&`` and ``[*]`` shown, not obeyed; the CSV export guarded."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QFont, QTextLayout
from PySide6.QtGui import Qt as GuiQt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDialog,
    QGroupBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from annotator.formats.labelled import FIELDS
from annotator.formats.labelled.sheet import FORMULA_START
from annotator.ui import dialogs
from annotator.ui.held_drafts import confirm_losing_drafts
from annotator.ui.import_dialog import ImportDialog
from annotator.ui.main_window import MainWindow
from annotator.ui.one_writer import ask_holder, confirm_take_over
from annotator.ui.plain import piece
from annotator.ui.writer_lock import Holder
from tests.data.hostile import make

pytestmark = pytest.mark.gui

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
REVIEWER_FILES = [HOSTILE / "reviews" / "ana.jsonl", HOSTILE / "reviews" / "ben.csv"]
SAFE_TIP = re.compile(r"<qt>[^<]*(?:<br>[^<]*)*</qt>", re.DOTALL)
"""A tooltip that is rich text: ours (``plain.safe_tooltip``), every ``<`` of the text escaped."""
RICH = re.compile(r"<(img|a|script|style|b)[ >]", re.IGNORECASE)
"""Markup from the sample, as a text view holds it when it took it for HTML (escaped, the
document's HTML has ``&lt;img``)."""


def _name(widget: Any) -> str:
    return f"{type(widget).__name__}({widget.objectName() or '-'})"


def _tip_ok(tip: str) -> bool:
    return not tip or not GuiQt.mightBeRichText(tip) or SAFE_TIP.fullmatch(tip) is not None


def _mnemonics(text: str) -> int:
    """How many ``&`` in ``text`` Qt takes for a shortcut (``&&`` is an ``&`` shown)."""
    return text.replace("&&", "").count("&")


def _model_tips(view: QAbstractItemView) -> Iterator[tuple[str, Any]]:
    model = view.model()
    if model is None:
        return
    for row in range(min(model.rowCount(), 100)):
        for column in range(model.columnCount()):
            index = model.index(row, column, QModelIndex())
            yield f"{_name(view)}[{row},{column}]", model.data(index, Qt.ItemDataRole.ToolTipRole)


def offenders(root: QWidget) -> list[str]:
    """Every place under ``root`` where text could be taken for markup or a shortcut: a label
    with text not in plain-text format, a tooltip that is rich text but not escaped, a text
    view whose document holds markup as markup, a button, tab, group box or action text with
    more than one shortcut ``&``."""
    found: list[str] = []
    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, QLabel) and w.text() and w.textFormat() != Qt.TextFormat.PlainText:
            found.append(f"{_name(w)} is {w.textFormat().name}: {w.text()[:80]!r}")
        if not _tip_ok(w.toolTip()):
            found.append(f"tooltip of {_name(w)}: {w.toolTip()[:80]!r}")
        body = w.document().toHtml().partition("<body")[2] if isinstance(w, QTextEdit) else ""
        if RICH.search(body):
            found.append(f"{_name(w)} holds markup as markup: {w.toPlainText()[:80]!r}")
        texts: list[tuple[str, str]] = []
        if isinstance(w, QAbstractButton):
            texts.append((_name(w), w.text()))
        if isinstance(w, QGroupBox):
            texts.append((_name(w), w.title()))
        if isinstance(w, QTabBar):
            for i in range(w.count()):
                texts.append((f"tab {i} of {_name(w)}", w.tabText(i)))
                if not _tip_ok(w.tabToolTip(i)):
                    found.append(f"tooltip of tab {i}: {w.tabToolTip(i)[:80]!r}")
        found += [f"{at} has shortcut marks: {t[:80]!r}" for at, t in texts if _mnemonics(t) > 1]
        if isinstance(w, QAbstractItemView):
            found += [f"tooltip of {where}: {tip[:80]!r}" for where, tip in _model_tips(w)
                      if isinstance(tip, str) and not _tip_ok(tip)]  # fmt: skip
        if isinstance(w, QComboBox):
            for i in range(w.count()):
                tip = w.itemData(i, Qt.ItemDataRole.ToolTipRole)
                if isinstance(tip, str) and not _tip_ok(tip):
                    found.append(f"tooltip of item {i} of {_name(w)}: {tip[:80]!r}")
    for action in root.findChildren(QAction):
        if _mnemonics(action.text()) > 1:
            found.append(f"action {action.objectName() or '-'}: {action.text()[:80]!r}")
        if not _tip_ok(action.toolTip()):
            found.append(f"tooltip of action {action.text()[:40]!r}: {action.toolTip()[:80]!r}")
    return found


def shown_texts(root: QWidget) -> str:
    """Everything shown under ``root`` as text, for checking that the data is there at all."""
    parts = [w.text() for w in root.findChildren(QLabel)]
    parts += [w.toPlainText() for w in root.findChildren(QTextEdit)]
    parts += [w.toPlainText() for w in root.findChildren(QPlainTextEdit)]
    return "\n".join(parts)


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[QDialog]:
    """Dialogs that would run modally are shown, kept here, and answered with Cancel."""
    shown: list[QDialog] = []

    def run(dialog: QDialog) -> int:
        dialog.show()
        QApplication.processEvents()
        shown.append(dialog)
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(QDialog, "exec", run)
    return shown


@pytest.fixture
def window(make_window: Any, qtbot: QtBot) -> MainWindow:
    """The window on the hostile sample, the reviewer named as a hostile file would."""
    made: MainWindow = make_window(HOSTILE / "cases.jsonl", reviewer=make.REVIEWERS["ana"])
    made.resize(1280, 720)
    qtbot.waitUntil(lambda: made.model.rowCount() == 15, timeout=10000)
    return made


def test_every_case_in_the_window_is_plain_text(window: MainWindow, qtbot: QtBot) -> None:
    seen = set()
    for _ in range(15):
        detail = window.review.detail
        assert detail is not None
        seen.add(detail.case.id)
        QApplication.processEvents()
        assert offenders(window) == [], detail.case.id[:40]
        window.review.go(+1)
    assert len(seen) == 15
    text = shown_texts(window)
    assert "<b>bold</b><img" in text  # shown, as text
    assert "⟨RLO⟩" in text and "⟨ESC⟩[31mRED" in text  # controls marked, not obeyed
    reviewer = window.reviewer_label
    assert reviewer.textFormat() == Qt.TextFormat.PlainText
    assert make.REVIEWERS["ana"].split(" ")[0] in reviewer.text()  # "<b>ana</b>", literally


def test_window_title_and_undo_show_brackets_and_ampersands(window: MainWindow) -> None:
    handle = window.windowHandle()
    assert handle is not None and "[*] sample & " in handle.title()  # not eaten by Qt
    assert "\n" not in handle.title() and "\t" not in handle.title()
    detail = window.review.detail
    assert detail is not None
    window.panel.choose_label_number(1)
    window.panel.rationale.setPlainText("because")
    window.review.save_and_next()
    undo = window.actions_by_id["undo"]
    assert undo.text().startswith("&Undo decision on ")
    assert "R&&D&&amp;&lt;" not in undo.text()  # (the id has no entity; it has "&amp;")
    assert "R&&D&&amp;<id>" in undo.text() and _mnemonics(undo.text()) == 1
    assert offenders(window) == []


def _go_to(window: MainWindow, n: int) -> None:
    for _ in range(15):
        detail = window.review.detail
        if detail is not None and detail.case.id == make.case_id(n):
            QApplication.processEvents()
            return
        window.review.go(+1)
    raise AssertionError(f"case {n} is not in the queue")


def _xs(layout: QTextLayout, text: str, start: int, end: int) -> list[float]:
    """Where the cursor stands before each of the characters ``start`` … ``end`` of ``text``
    (laid out in ``layout``) that are on the line of ``start``, on screen. Qt counts in
    UTF-16 code units."""

    def unit(i: int) -> int:
        return len(text[:i].encode("utf-16-le")) // 2

    line = layout.lineForTextPosition(unit(start))
    assert line.isValid()
    last = line.textStart() + line.textLength()  # (the part of them on that line)
    return [line.cursorToX(unit(i))[0] for i in range(start, end + 1) if unit(i) < last]


def _laid_out(text: str) -> QTextLayout:
    layout = QTextLayout(text, QFont())
    layout.beginLayout()
    layout.createLine().setLineWidth(100_000)
    layout.endLayout()
    return layout


def test_a_joined_piece_keeps_its_direction_to_itself(window: MainWindow) -> None:
    """In the compact list of many ratings, each rater's label reads left to right after the
    name, whatever the name holds (an override, a right-to-left name): read from the layout."""
    # The measure works: without isolation an override reverses the label after it.
    raw = "\u202eboB: -fail"
    xs = _xs(_laid_out(raw), raw, raw.index("-fail"), len(raw))
    assert xs != sorted(xs)
    _go_to(window, 3)
    lists = [v for v in window.view.findChildren(QPlainTextEdit) if v.objectName() == "ratingsList"]
    document = next(v for v in lists if v.isVisible()).document()
    blocks = [document.findBlockByNumber(i) for i in range(document.blockCount())]
    for block in blocks:  # laid out, scrolled into sight or not
        document.documentLayout().ensureBlockLayout(block)
    rated = piece(make.CASES[3]["ratings"][0]["label"]).split("\u2028")[0]
    for rater in make.RATERS:
        start = len(piece(rater)) + 2  # after "name: "
        block = next(b for b in blocks if b.text().startswith(f"{piece(rater)}: {rated}"))
        text = block.text()
        xs = _xs(block.layout(), text, start, start + len(rated))
        assert len(xs) > 5 and xs == sorted(xs) and len(set(xs)) == len(xs), rater
        layout, unit = block.layout(), len(text[: start - 2].encode("utf-16-le")) // 2
        line = layout.lineForTextPosition(unit)  # of the ":" after the name
        if line.lineNumber() == layout.lineForTextPosition(unit + 2).lineNumber():
            assert line.cursorToX(unit)[0] < xs[0], rater  # the label is on the name's right
    assert any(b.text().startswith("\u2068ליאור 7\u2069: ") for b in blocks)  # isolated


def test_the_case_view_marks_controls_and_copies_what_is_stored(window: MainWindow) -> None:
    _go_to(window, 1)
    source = make.CASES[1]["input"]
    boxes = [t for t in window.view.findChildren(QTextEdit) if t.isVisible()]
    box = next(t for t in boxes if "input 1 " in t.toPlainText())
    assert "\u202e" not in box.toPlainText() and "⟨RLO⟩pass⟨PDF⟩" in box.toPlainText()
    assert "\x1b" not in box.toPlainText() and "⟨ESC⟩]0;pwned⟨BEL⟩" in box.toPlainText()
    box.selectAll()
    copied = box.createMimeDataFromSelection()
    assert copied.text() == source  # the stored text, controls and all
    # The stored case is unchanged.
    assert window.review.detail is not None and window.review.detail.case.input == source


def test_dialogs_are_plain_text(window: MainWindow, captured: list[QDialog], qtbot: QtBot) -> None:
    window.show_rubric()
    window.change_reviewer()
    window.change_threshold()
    dialogs.shortcuts_dialog(window).show()
    window.actions_by_id["summary"].trigger()
    qtbot.waitUntil(lambda: len(captured) >= 4, timeout=10000)
    holder = Holder(7, "host \u202e<b>x</b>&y", "annotator")
    ask_holder(window, make.TITLE, holder)
    confirm_take_over(window, make.TITLE, holder)
    confirm_losing_drafts(window, 2, make.EVERYTHING)
    dialogs.error(window, make.TITLE, make.EVERYTHING)
    window.banner.show_reason(f"{make.TITLE} is open elsewhere", True)  # the read-only banner
    QApplication.processEvents()
    assert offenders(window.banner) == [] and window.banner.isVisible()
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    assert len(captured) >= 7 and boxes
    for dialog in [*captured, *boxes]:
        assert offenders(dialog) == [], dialog.windowTitle()
        assert "\n" not in dialog.windowTitle()
    rubric = captured[0].findChild(QPlainTextEdit)
    assert rubric is not None and "<script>alert(1)</script>" in rubric.toPlainText()
    threshold = next(d for d in captured if "threshold" in d.windowTitle().lower())
    question = threshold.findChild(QLabel)
    assert question is not None and "<img src=x>" in question.text()


def test_the_import_dialog_is_plain_text(qtbot: QtBot) -> None:
    dialog = ImportDialog(HOSTILE / "cases.csv")
    qtbot.addWidget(dialog)
    dialog.show()
    assert offenders(dialog) == []
    combos = dialog.findChildren(QComboBox)
    fields = {combo.itemText(i) for combo in combos for i in range(combo.count())}
    assert any("<b>ann</b>" in f for f in fields)  # the CSV's hostile columns, as text
    assert "<b>bold</b>" in shown_texts(dialog)


def test_the_agreement_page_is_plain_text(window: MainWindow, qtbot: QtBot) -> None:
    window.files.merge(REVIEWER_FILES)
    qtbot.waitUntil(lambda: not window.runner.tasks and window.lead, timeout=20000)
    window.show_agreement()
    qtbot.waitUntil(lambda: window.agreement_page is not None, timeout=30000)
    page = window.agreement_page
    assert page is not None
    QApplication.processEvents()
    assert offenders(page) == []
    assert "[*]" in page.windowTitle().replace("[*][*]", "[*]")
    for i in range(page.tabs.count()):
        page.tabs.setCurrentIndex(i)
        QApplication.processEvents()
        assert offenders(page) == []
    assert offenders(window) == []  # the lead's queue, filters and reviews


def test_the_windows_csv_export_is_guarded(
    window: MainWindow, qtbot: QtBot, tmp_path: Path
) -> None:
    window.panel.choose_label_number(2)
    window.panel.rationale.setPlainText("=1+1 reason")
    window.review.save_and_next()
    out = tmp_path / "decisions.csv"
    window.files.export_to(out, "csv")
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=10000)
    csv.field_size_limit(1 << 26)
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[0] == list(FIELDS) and len(rows) == 2
    assert all(not cell or cell[0] not in FORMULA_START for cell in rows[1])
    assert rows[1][FIELDS.index("rationale")] == "'=1+1 reason"


def test_the_walk_finds_each_kind_of_offender(qtbot: QtBot) -> None:
    """The walk above is not vacuous: each thing it looks for, planted, is found."""
    from PySide6.QtWidgets import QPushButton, QVBoxLayout

    root = QWidget()
    qtbot.addWidget(root)
    column = QVBoxLayout(root)
    rich = QTextEdit()
    rich.setHtml('<img src="http://127.0.0.1:9/p.png"><a href="file:///etc/passwd">x</a>')
    tip = QLabel()
    tip.setToolTip("<b>x</b>")
    for widget in (rich, QLabel("<b>ann</b>"), QPushButton("R&D &x"), tip):
        column.addWidget(widget)
    found = offenders(root)
    assert len(found) == 4, found
    assert offenders(QLabel()) == []


def test_the_rubric_dialog_is_plain_text(window: MainWindow, qtbot: QtBot) -> None:
    from annotator.ui.rubric_dialog import RubricDialog

    window.edit_rubric()
    dialog = window.findChild(RubricDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert "<script>alert(1)</script>" in dialog.rubric.toPlainText()
    dialog.rubric.appendPlainText(make.EVERYTHING)
    dialog.note.setText(make.TITLE)  # a hostile note, and a reviewer named as a hostile file
    dialog.save.click()
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 2)
    assert offenders(dialog) == []
    assert "\n" not in dialog.windowTitle()
    dialog.close()


def test_judge_runs_are_plain_text(window: MainWindow, qtbot: QtBot, tmp_path: Path) -> None:
    """A judge run's name, model, rationale and fields from a hostile file: the case view's run
    cards, File > Judge runs... and the Add judge run dialog show them inert."""
    import json
    import sqlite3

    from annotator.formats.mapping import FieldMapping
    from annotator.services.judge_runs import add_run
    from annotator.ui.judge_runs_dialog import AddRunDialog

    ws = window.ws
    assert ws is not None and ws.path is not None
    with sqlite3.connect(ws.path) as db:
        cases = db.execute("SELECT ext_id, judge_label FROM cases ORDER BY id").fetchall()
    run = tmp_path / "run.jsonl"
    run.write_text(
        "".join(
            json.dumps({"id": i, "label": label, "rationale": make.EVERYTHING, "model": make.TITLE})
            + "\n"
            for i, label in cases
        ),  # fmt: skip
        encoding="utf-8",
    )
    name = "".join(c for c in make.TITLE if c >= " ")  # (a name is one line)
    add_run(ws, run, name)
    window.review.reload()
    assert offenders(window.view) == []
    window.actions_by_id["judge_runs"].trigger()
    dialog = window.judge_runs.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert offenders(dialog) == []
    dialog.close()
    mapping = FieldMapping((("judge.label", make.EVERYTHING), ("judge.model", make.TITLE)))
    add = AddRunDialog(window, HOSTILE / "cases.jsonl", mapping, name)
    assert offenders(add) == []
    add.close()
