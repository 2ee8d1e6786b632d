"""The band across the top of a window that may not write its workspace, saying why."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QWidget

from annotator.ui import theme
from annotator.ui.widgets import plain_label

LIGHT = """
QFrame#readOnlyBanner { background-color: #fff1c2; border-bottom: 1px solid #d9b44a; }
QFrame#readOnlyBanner QLabel { color: #4d3800; }
"""
DARK = """
QFrame#readOnlyBanner { background-color: #4a3a08; border-bottom: 1px solid #8a6d12; }
QFrame#readOnlyBanner QLabel { color: #ffe7a0; }
"""


class ReadOnlyBanner(QFrame):
    takeOverRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readOnlyBanner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 8)
        layout.setSpacing(12)
        title = plain_label(self.tr("Read-only"), selectable=False, wrap=False)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        self.text = plain_label("")
        layout.addWidget(self.text, 1)
        self.take_over = QPushButton(self.tr("Take over…"))
        self.take_over.setToolTip(
            self.tr("Make this window the one that saves (the other becomes read-only)")
        )
        self.take_over.clicked.connect(self.takeOverRequested)
        layout.addWidget(self.take_over)
        self.hide()

    def show_reason(self, why: str | None, can_take_over: bool) -> None:
        """Show why the window is read-only (None: hide the banner)."""
        if why is None:
            self.hide()
            return
        self.setStyleSheet(DARK if theme.is_dark() else LIGHT)
        hint = (
            self.tr("You can read and export here; to decide cases, take over.")
            if can_take_over
            else self.tr(
                "You can read and export here; to decide cases, copy it to a folder you can "
                "write to and open the copy."
            )
        )
        self.text.setText(self.tr("{0}. {1}").format(why, hint))
        self.take_over.setVisible(can_take_over)
        self.show()
