"""The import dialog's offer of a preset (formats/presets): "Looks like a Label Studio JSON
export: use the label-studio preset?" and a button that turns it on and off."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from annotator.formats.presets import Preset
from annotator.ui.plain import safe_tooltip


class PresetBanner(QWidget):
    """Hidden when no preset was found; ``toggled`` when the button is pressed."""

    toggled = Signal()

    def __init__(self, found: Preset | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("presetBanner")
        self.setStyleSheet("#presetBanner { background: #e8f0fe; border-radius: 4px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._found = found
        self._used = False
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self._label = QLabel()
        self._label.setObjectName("presetLabel")
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._label.setWordWrap(True)
        self._button = QPushButton()
        self._button.setObjectName("usePreset")
        self._button.clicked.connect(self._toggle)
        row.addWidget(self._label, 1)
        row.addWidget(self._button)
        self.setVisible(found is not None)
        self._show()

    def preset(self) -> Preset | None:
        """The preset in use (None: the file is read as it is)."""
        return self._found if self._used else None

    def _toggle(self) -> None:
        self._used = not self._used and self._found is not None
        self._show()
        self.toggled.emit()

    def _show(self) -> None:
        found = self._found
        if found is None:
            return
        if self._used:
            text = self.tr("Read as {0} (the {1} preset).").format(found.title, found.name)
            self._button.setText(self.tr("Don't use the &preset"))
        else:
            text = self.tr(found.question)
            self._button.setText(self.tr("Use the &preset"))
        self._label.setText(text)
        tip = f"{found.description}\n\n{self.tr('The format:')} {found.doc_url}"
        self._label.setToolTip(safe_tooltip(tip))
