"""The composition root: settings, application, window."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from annotator import APP_NAME, __version__, paths
from annotator.settings import Settings
from annotator.ui.main_window import MainWindow

STYLE = """
QPushButton#primary { font-weight: 700; padding: 6px 14px; }
QPushButton#choice { padding: 4px 6px; }
QPushButton#choice:checked {
    background-color: palette(highlight); color: palette(highlighted-text); font-weight: 600;
    border: 1px solid palette(highlight); border-radius: 4px;
}
QPushButton#tag {
    padding: 3px 10px; border-radius: 11px; border: 1px solid palette(mid);
    background-color: palette(button);
}
QPushButton#tag:hover { border-color: palette(highlight); }
QPushButton#tag:checked {
    background-color: palette(highlight); color: palette(highlighted-text);
    border-color: palette(highlight);
}
"""


def make_app(argv: list[str] | None = None) -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName("annotator")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("annotator")
    icon = paths.resource_path("icons", "annotator.svg")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setStyleSheet(STYLE)
    return app


def build_window(path: Path | None, settings: Settings | None = None) -> MainWindow:
    window = MainWindow(settings or Settings.load())
    window.open_path(path if path is not None else paths.sample_file())
    return window


def run(path: Path | None = None) -> int:
    app = make_app()
    window = build_window(path)
    window.show()
    return app.exec()
