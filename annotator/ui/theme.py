"""Colours that follow the system's light or dark palette, and a colour per label."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

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
