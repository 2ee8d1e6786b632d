"""Case text with a very long run without a space (a model's repeated letters, a base64 blob)
wraps anywhere while it is shown, and the next text wraps at word boundaries again
(``ui/plain.set_marked``): Qt looking for a word boundary all along a 200,000-letter run took
seconds per case; the hostile sample has one."""

from __future__ import annotations

from PySide6.QtGui import QTextOption
from pytestqt.qtbot import QtBot

from annotator.ui.case_cards import long_text_view
from annotator.ui.plain import stored_selection
from annotator.ui.widgets import WrappingText

RUN = "W" * 200_000 + " <b>end</b>"
WORDS = "Paracetamol is safe at the usual dose. " * 20


def test_a_long_run_wraps_anywhere_and_then_at_words_again(qtbot: QtBot) -> None:
    anywhere = QTextOption.WrapMode.WrapAnywhere
    words = QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere
    wrapping = WrappingText(RUN)
    long_view = long_text_view(RUN)
    for view in (wrapping, long_view):
        qtbot.addWidget(view)
        view.resize(500, 300)
        view.show()
        assert view.wordWrapMode() == anywhere
        assert view.toPlainText() == RUN  # all of it, as text
        view.set_text(WORDS)
        assert view.wordWrapMode() == words and view.toPlainText() == WORDS
        view.set_text("short " + "x" * 1999)  # a run just below the limit
        assert view.wordWrapMode() == words
        view.set_text(RUN)
        assert view.wordWrapMode() == anywhere
    view = WrappingText(RUN)
    qtbot.addWidget(view)
    view.selectAll()
    assert stored_selection(view, view._shown) == RUN  # copying gives the text as stored
