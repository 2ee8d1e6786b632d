"""Text laid out only when something changed, and the same as laid out afresh.

A short case text (``widgets.WrappingText``) is exactly as tall as its text at its width,
however it came there: a new text, a narrower or wider card, a zoom (``_fit`` sets the width
only when it differs; ``setPlainText`` lays a new text out once). A wrapped label remembers its
height for a width, an elided one its size hint: both follow every change of text and font."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from annotator.ui.widgets import ElidedLabel, WrappingText, plain_label

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


def _qt_height(text: str, width: int, font: QFont) -> int:
    """What Qt's own wrapped label says, laid out afresh."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setFont(font)
    label.setText(text)
    return label.heightForWidth(width)


def test_a_wrapped_label_s_height_follows_its_text_font_and_wrapping(qtbot: QtBot) -> None:
    """``plain_label`` remembers a wrapped label's height for a width (a layout asks it many
    times): any change of text, however made, of font or of wrapping is a new height."""
    label = plain_label(WORDS)
    qtbot.addWidget(label)
    assert (
        label.heightForWidth(200)
        == label.heightForWidth(200)
        == _qt_height(WORDS, 200, label.font())
    )
    label.setText(LONG)
    assert label.heightForWidth(200) == _qt_height(LONG, 200, label.font())
    QLabel.setText(label, WORDS)  # (Qt's own setText, past the Python class)
    assert label.heightForWidth(200) == _qt_height(WORDS, 200, label.font())
    label.clear()
    assert label.heightForWidth(200) == _qt_height("", 200, label.font())
    label.setText(LONG)
    narrow = label.heightForWidth(200)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)  # zoomed
    assert label.heightForWidth(200) == _qt_height(LONG, 200, font) > narrow
    label.setWordWrap(False)
    assert label.heightForWidth(200) == QLabel.heightForWidth(label, 200)


def test_an_elided_label_s_hint_follows_its_text_and_font(qtbot: QtBot) -> None:
    label = ElidedLabel("short")
    qtbot.addWidget(label)
    short = label.sizeHint()
    assert label.sizeHint() == short
    label.set_full_text(LONG)
    assert label.sizeHint().width() > short.width()
    assert label.sizeHint().width() == label.fontMetrics().horizontalAdvance(LONG) + 2
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    label.setFont(font)
    assert label.sizeHint().width() == label.fontMetrics().horizontalAdvance(LONG) + 2
    assert label.sizeHint().height() == QLabel.sizeHint(label).height() > short.height()
