"""A label button cuts a long label with "…" to the width it gets, also while it is the chosen
one, whose text the style sheet draws bold (wider): the selected label's text had been cut
mid-word with no "…" (ui/panel_buttons.LabelButton)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from pytestqt.qtbot import QtBot

from annotator.ui.panel_buttons import LabelButton

TEXT = "3 · partly helpful: correct but generic, misses the one step that matters most here"


def test_the_chosen_label_is_cut_with_an_ellipsis_in_bold_too(qtbot: QtBot) -> None:
    button = LabelButton(TEXT)
    button.setCheckable(True)
    qtbot.addWidget(button)
    button.resize(270, 34)
    button.show()
    assert button.text().endswith("…")
    plain = button.text()
    button.setChecked(True)
    bold = QFont(button.font())
    bold.setBold(True)
    shown = button.text().replace("&&", "&")
    assert shown.endswith("…") and len(shown) <= len(plain)
    assert QFontMetrics(bold).horizontalAdvance(shown) <= button.width() - 28
    button.setChecked(False)
    assert button.text() == plain
    button.resize(2000, 34)
    assert button.text().replace("&&", "&") == TEXT  # room for all of it: none cut
