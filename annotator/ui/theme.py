"""Colours that follow the system's light or dark palette (or the one chosen in View ›
Appearance), and a colour per label."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from annotator.domain.model import Kind, LabelScheme

_NAMED_HUES = {
    "pass": 140,
    "yes": 140,
    "true": 140,
    "correct": 140,
    "good": 140,
    "fail": 2,
    "no": 2,
    "false": 2,
    "incorrect": 2,
    "bad": 2,
    "a": 212,
    "b": 28,
    "tie": -1,
    "both": -1,
    "neither": -1,
    "unsure": -1,
}
_CYCLE = (212, 28, 280, 175, 330, 55, 100, 250, 0)

KIND_HUES = {
    Kind.JUDGE_VS_ALL: 0,
    Kind.JUDGE_VS_MAJORITY: 25,
    Kind.RATERS_SPLIT: 275,
    Kind.AGREEMENT: 140,
    Kind.UNRATED: -1,
}


def is_dark() -> bool:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def label_hue(label: str, scheme: LabelScheme) -> int:
    """A hue for the label: semantic for pass/fail-like words, red→green on ordinal scales."""
    key = label.casefold()
    if key in _NAMED_HUES:
        return _NAMED_HUES[key]
    if scheme.ordinal and label in scheme.labels and len(scheme.labels) > 1:
        i = scheme.labels.index(label)
        return round(i * 130 / (len(scheme.labels) - 1))
    index = scheme.labels.index(label) if label in scheme.labels else abs(hash(label))
    return _CYCLE[index % len(_CYCLE)]


def pill_colors(hue: int) -> tuple[QColor, QColor]:
    """(background, text) for a label pill of this hue (-1: neutral grey)."""
    dark = is_dark()
    sat = 0 if hue < 0 else (110 if dark else 150)
    h = max(hue, 0)
    if dark:
        return QColor.fromHsl(h, sat, 70), QColor.fromHsl(h, min(sat + 60, 255), 215)
    return QColor.fromHsl(h, sat, 225), QColor.fromHsl(h, min(sat + 60, 255), 60)


def muted_color() -> QColor:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.PlaceholderText)


def border_color() -> QColor:
    """The outline of an unchosen button or chip: plain to see on either palette (the
    palette's own ``mid`` all but vanishes on a dark one)."""
    return QColor("#777c85") if is_dark() else QColor("#a9aeb6")


APPEARANCES = ("system", "light", "dark")
"""View › Appearance: follow the system, or always light, or always dark."""
_DARK = {
    QPalette.ColorRole.Window: "#202124",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#17181a",
    QPalette.ColorRole.AlternateBase: "#232427",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#2d2e31",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: "#3d6fd8",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.PlaceholderText: "#9aa0a6",
    QPalette.ColorRole.ToolTipBase: "#2d2e31",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.Link: "#8ab4f8",
    QPalette.ColorRole.Light: "#5f6368",
    QPalette.ColorRole.Midlight: "#4a4c50",
    QPalette.ColorRole.Mid: "#4a4c50",
    QPalette.ColorRole.Dark: "#121314",
    QPalette.ColorRole.Shadow: "#000000",
}
_DISABLED_DARK = {
    QPalette.ColorRole.WindowText: "#7b7f85",
    QPalette.ColorRole.Text: "#7b7f85",
    QPalette.ColorRole.ButtonText: "#7b7f85",
}
_system: tuple[str, QPalette] | None = None
"""The application's own style and palette, from before a light or dark one was chosen."""


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role, color in _DISABLED_DARK.items():
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(color))
    return palette


def apply_appearance(choice: str) -> None:
    """Light or dark whatever the system says (Qt's Fusion style, with its light palette or
    ours dark), or (``system``, or a choice not known) back to the system's own."""
    global _system
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        return
    if choice not in ("light", "dark"):
        if _system is not None:  # (never left: nothing to undo)
            name, palette = _system
            app.setStyle(QStyleFactory.create(name) or QStyleFactory.create("Fusion"))
            app.setPalette(palette)
        return
    if _system is None:
        _system = (app.style().name(), QPalette(app.palette()))
    fusion = QStyleFactory.create("Fusion")
    palette = fusion.standardPalette() if choice == "light" else dark_palette()
    app.setStyle(fusion)
    app.setPalette(palette)
