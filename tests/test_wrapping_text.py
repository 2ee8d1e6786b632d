"""A short case text (``widgets.WrappingText``) is exactly as tall as its text at its width,
however it came there: a new text, a narrower or wider card, a zoom. It is laid out only when
something changed (``_fit`` sets the width only when it differs; ``setPlainText`` lays a new
text out once), so these compare it with a text made afresh at the same width."""

from __future__ import annotations

from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from annotator.ui.widgets import WrappingText

WORDS = "Paracetamol is safe at the usual dose, said the judge; the raters did not agree. "
LONG = WORDS * 12
MARKED = "A line\u202e with an override, a tab\tand a bell\x07. " * 6


def _shown(qtbot: QtBot, text: str, width: int, point_size: float | None = None) -> WrappingText:
    view = WrappingText(text)
    qtbot.addWidget(view)
    if point_size is not None:
        font = view.font()
        font.setPointSizeF(point_size)
        view.setFont(font)
    view.resize(width, view.height())
    view.show()
    return view


def _fresh_height(qtbot: QtBot, text: str, width: int, point_size: float | None = None) -> int:
    return _shown(qtbot, text, width, point_size).height()


def test_a_text_is_as_tall_as_its_text_through_new_texts_widths_and_zoom(qtbot: QtBot) -> None:
    view = _shown(qtbot, WORDS, 600)
    assert view.height() == _fresh_height(qtbot, WORDS, 600)
    view.set_text(LONG)
    assert view.toPlainText() == LONG
    tall = view.height()
    assert tall == _fresh_height(qtbot, LONG, 600) and tall > 3 * _fresh_height(qtbot, WORDS, 600)
    view.resize(300, view.height())
    assert view.height() == _fresh_height(qtbot, LONG, 300) > tall
    view.resize(900, view.height())
    assert view.height() == _fresh_height(qtbot, LONG, 900) < tall
    font = view.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    view.setFont(font)  # zoomed: the same width, taller
    assert view.height() == _fresh_height(qtbot, LONG, 900, font.pointSizeF())
    view.set_text(WORDS)
    assert view.height() == _fresh_height(qtbot, WORDS, 900, font.pointSizeF())


def test_a_new_text_is_plain_and_its_marks_are_its_own(qtbot: QtBot) -> None:
    """A new text replaces the last as plain text (filled into the document, not through
    QTextEdit.setPlainText): the marks of control characters are the last text's alone,
    nothing stays selected, and it is as tall as one made afresh."""
    view = _shown(qtbot, MARKED, 500)
    marked = QTextCursor(view.document())
    marked.setPosition(MARKED.index("\u202e") + 1)  # (the override shows as a mark)
    assert marked.charFormat().background().style().name != "NoBrush"
    view.selectAll()
    view.set_text(LONG)
    assert view.toPlainText() == LONG and not view.textCursor().hasSelection()
    cursor = QTextCursor(view.document())
    for at in range(0, len(LONG), 37):
        cursor.setPosition(at + 1)
        assert cursor.charFormat().background().style().name == "NoBrush"
    assert view.height() == _fresh_height(qtbot, LONG, 500)
    view.set_text("<b>bold?</b> &amp; <img src='x'>")
    assert view.toPlainText() == "<b>bold?</b> &amp; <img src='x'>"
