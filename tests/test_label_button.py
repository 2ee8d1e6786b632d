"""A label button cuts a long label with "…" to the width it gets, also while it is the chosen
one, whose text the style sheet draws bold (wider): the selected label's text had been cut
mid-word with no "…" (ui/panel_buttons.LabelButton)."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget
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


def test_only_the_panel_s_buttons_paint_through_a_style_sheet(qtbot: QtBot) -> None:
    """The panel's style sheet is on the widgets that hold its buttons: its rationale box, tag
    box and titles paint through the application's style, not Qt's style sheet style (the
    panel is repainted at every change of criterion, and that style made it half as slow
    again), while the buttons keep the look the sheet gives them."""
    from annotator.ui.decision_panel import DecisionPanel

    panel = DecisionPanel()
    qtbot.addWidget(panel)
    panel.show()

    def sheet_styled(widget: QWidget) -> bool:
        return widget.style().metaObject().className() == "QStyleSheetStyle"

    assert not panel.styleSheet()
    assert not sheet_styled(panel.rationale) and not sheet_styled(panel.tag_edit)
    assert not sheet_styled(panel._label_title)
    buttons = [*panel._who_buttons.values(), *panel._conf_buttons.values(), panel.save_button]
    assert all(sheet_styled(button) for button in buttons)
    assert all("QPushButton#choice" in button.parentWidget().styleSheet() for button in buttons[:4])
