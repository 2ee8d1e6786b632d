"""Small building blocks: plain-text labels, label pills, section titles, a flow layout, case
text with visible control characters (the rules for text from files: ``ui/plain.py``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMimeData,
    QPoint,
    QRect,
    QRectF,
    QSize,
    QSizeF,
    Qt,
)
from PySide6.QtGui import (
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLayout,
    QLayoutItem,
    QPlainTextEdit,
    QProgressBar,
    QSizePolicy,
    QStatusBar,
    QTextEdit,
    QWidget,
)

from annotator.ui import theme
from annotator.ui.plain import safe_tooltip, set_marked, shown, stored_selection
from annotator.untrusted import Shown, one_line

__all__ = ["safe_tooltip"]  # (the tooltips' module is plain.py; imported from here too)


class _WrappedLabel(QLabel):
    """A wrapped label that remembers its height for a width while its text and font stay.

    Qt lays a wrapped label's text out again at every ``heightForWidth``, and a layout asks it
    several times each time it is laid out (its minimum, its hint, its geometry): the case's
    meta line, laid out with every case, spent 0.17 ms of a next case there.
    """

    def __init__(self) -> None:
        super().__init__()
        self._heights: dict[int, int] = {}
        self._heights_of = ""
        """The text the heights are of (any change of text, however made, is seen)."""

    def heightForWidth(self, width: int) -> int:  # noqa: N802
        text = self.text()
        if text != self._heights_of:
            self._heights.clear()
            self._heights_of = text
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = super().heightForWidth(width)
        return height

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _LOOK_CHANGES:
            self._heights.clear()
        super().changeEvent(event)

    # What else changes a height for a width, and is not an event: the heights start again.
    def setWordWrap(self, on: bool) -> None:  # noqa: N802
        self._heights.clear()
        super().setWordWrap(on)

    def setMargin(self, margin: int) -> None:  # noqa: N802
        self._heights.clear()
        super().setMargin(margin)

    def setIndent(self, indent: int) -> None:  # noqa: N802
        self._heights.clear()
        super().setIndent(indent)

    def setContentsMargins(self, *margins: Any) -> None:  # noqa: N802
        self._heights.clear()
        super().setContentsMargins(*margins)


_LOOK_CHANGES = (
    QEvent.Type.FontChange,
    QEvent.Type.StyleChange,
    QEvent.Type.LayoutDirectionChange,
)


def plain_label(text: str = "", *, selectable: bool = True, wrap: bool = True) -> QLabel:
    """A QLabel that never interprets its text as HTML (case text is untrusted)."""
    label = _WrappedLabel() if wrap else QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    label.setOpenExternalLinks(False)
    if selectable:
        label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    return label


def section_title(text: str) -> QLabel:
    label = plain_label(text.upper(), selectable=False, wrap=False)
    label.setProperty("fontFactor", 0.82)  # of the text around it, when that is zoomed
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.82)
    font.setBold(True)
    font.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 108)
    label.setFont(font)
    set_muted(label)
    return label


def show_if(widget: QWidget, visible: bool) -> None:
    """``widget.setVisible(visible)``, left out when it would change nothing: a view that is
    refilled for every case makes many such calls, and each costs."""
    if widget.isHidden() == visible:
        widget.setVisible(visible)


LAYOUT_ROUNDS = 8
"""More than the widget tree is deep from a case's text to the window (text, card, grid, area,
case, view): each round lays out one level more."""


def lay_out_now() -> None:
    """Lay out now what filling a view changed, every level of it, before anything is painted.

    Left to the event loop, a text that changes height asks its card to lay out again, the card
    its grid, the grid the case, each in a turn of its own: and the window was painted between
    turns, so a next case was painted three times (half laid out twice, the first time in the
    old case's heights) before it stood. Here each round delivers the requests the one before
    made; after the last (more rounds than levels) one paint shows the case as it stands.
    """
    for _ in range(LAYOUT_ROUNDS):
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)


@contextmanager
def held_layouts(layouts: Sequence[QLayout]) -> Iterator[None]:
    """Fill a view with its ``layouts`` held: laid out once, after, not once per widget shown.

    Qt lays out every shown ancestor of a widget the moment it is shown (``setVisible``: each
    one's layout, up to the first without): a case that shows a few cards and texts laid out
    the whole case as many times, each time wrapping every text again. A disabled layout does
    not lay out: each is enabled again and asked to lay out (a ``LayoutRequest``, one per
    widget however many are posted), for :func:`lay_out_now` (or the event loop) to lay the
    view out once, every level of it.
    """
    for layout in layouts:
        layout.setEnabled(False)
    try:
        yield
    finally:
        for layout in layouts:
            layout.setEnabled(True)
            widget = layout.parentWidget()
            if widget is not None:
                QCoreApplication.postEvent(widget, QEvent(QEvent.Type.LayoutRequest))


def set_muted(widget: QWidget) -> None:
    """Draw the widget's text in the palette's muted colour (no per-widget style sheet: those
    are parsed and polished again for every widget, every time)."""
    palette = widget.palette()
    palette.setColor(QPalette.ColorRole.WindowText, theme.muted_color())
    widget.setPalette(palette)
    widget.setProperty("muted", True)


def restore_muted(root: QWidget) -> None:
    """Set the muted colour again on every muted widget in ``root`` (the palette changed)."""
    for widget in root.findChildren(QWidget):
        if widget.property("muted"):
            set_muted(widget)


PILL_LIMIT = 200
"""Characters a pill holds at most (a label of a 200,000-character line, say)."""


class Pill(QLabel):
    """A label in a rounded, tinted capsule, in the colours of ``hue`` (-1: neutral grey).

    It paints itself, so changing its text or hue costs a repaint, not a style sheet, and its
    font follows the view's (text zoom) with ``big`` pills a little larger. Plain text only.
    """

    def __init__(self, text: str = "", hue: int = -1, *, big: bool = False) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.PlainText)
        self._hue = hue
        self._big = big
        self._pad = (12, 3) if big else (8, 1)
        self._drawn: QFont | None = None
        """The font it draws in (``_font``), kept until its font changes."""
        self._hint: tuple[str, QSize] | None = None
        """Its size hint and the text it was measured for (Qt's layouts ask it often)."""
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(one_line(text, PILL_LIMIT))  # a pill is one line

    def set_pill(self, text: str, hue: int) -> None:
        text = one_line(text, PILL_LIMIT)
        if text != self.text():
            self.setText(text)  # QLabel asks its layout again
            self._tip()
        if hue != self._hue:
            self._hue = hue
            self.update()

    def _font(self) -> QFont:
        if self._drawn is None:
            font = QFont(self.font())
            font.setWeight(QFont.Weight.DemiBold)
            if self._big:
                font.setPointSizeF(font.pointSizeF() * 1.15)
            self._drawn = font
        return self._drawn

    def sizeHint(self) -> QSize:
        text = self.text()
        if self._hint is None or self._hint[0] != text:
            metrics = QFontMetricsF(self._font())
            width = metrics.horizontalAdvance(text) + 2 * self._pad[0]
            height = metrics.height() + 2 * self._pad[1] + 2
            self._hint = (text, QSize(int(width + 1.5), int(height + 0.5)))
        return QSize(self._hint[1])

    def minimumSizeHint(self) -> QSize:
        """Narrower than its text: on a narrow window a pill is cut with "…" (its tooltip
        then holds the text) rather than widening the view past the window."""
        full = self.sizeHint()
        least = QFontMetricsF(self._font()).horizontalAdvance("Mm…") + 2 * self._pad[0]
        return QSize(min(full.width(), int(least + 1.5)), full.height())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            self._drawn = self._hint = None
            self.updateGeometry()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._tip()

    def _tip(self) -> None:
        """The full text as the tooltip while the pill is cut, none otherwise."""
        cut = bool(self.text()) and self.width() < self.sizeHint().width()
        tip = safe_tooltip(self.text()) if cut else ""
        if tip != self.toolTip():
            self.setToolTip(tip)

    def paintEvent(self, event: QPaintEvent) -> None:
        bg, fg = theme.pill_colors(self._hue)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bg)
        box = QRectF(self.rect())
        radius = min(9.0, box.height() / 2)
        painter.drawRoundedRect(box, radius, radius)
        painter.setPen(fg)
        font = self._font()
        painter.setFont(font)
        room = box.width() - 2 * self._pad[0]  # squeezed by its layout: cut, not clipped
        text = QFontMetricsF(font).elidedText(self.text(), Qt.TextElideMode.ElideRight, room)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class PillFlow(QWidget):
    """A row of pills that wraps; ``set_pills`` reuses the pills it has."""

    def __init__(self, spacing: int = 4) -> None:
        super().__init__()
        self._flow = FlowLayout(self, spacing=spacing)
        self._pills: list[Pill] = []

    def set_pills(self, pills: list[tuple[str, int]]) -> None:
        while len(self._pills) < len(pills):
            made = Pill()
            self._pills.append(made)
            self._flow.addWidget(made)
        for pill, (text, hue) in zip(self._pills, pills, strict=False):
            pill.set_pill(text, hue)
            if pill.toolTip():  # (each change is an event for every filter of the application)
                pill.setToolTip("")  # (set_tooltip gives one back where it is due)
            show_if(pill, True)
        for spare in self._pills[len(pills) :]:
            spare.set_pill("", -1)  # nothing stale left in a hidden pill
            show_if(spare, False)
        self._flow.invalidate()
        show_if(self, bool(pills))

    def set_tooltip(self, index: int, tip: str) -> None:
        """The ``index``-th pill's tooltip ("": none)."""
        if index < len(self._pills):
            self._pills[index].setToolTip(tip)


PAGING_KEYS = frozenset(
    (Qt.Key.Key_Space, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown, Qt.Key.Key_Home, Qt.Key.Key_End)
)


class WrappingText(QTextEdit):
    """Read-only case text that wraps anywhere if it must (long URLs, ids) and is as tall as its
    text. Filled with setPlainText only: nothing is interpreted as HTML or loaded. Control
    characters show as marks (``plain.set_marked``); copying gives the stored text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.setReadOnly(True)
        self.setAcceptRichText(False)
        self.setUndoRedoEnabled(False)
        self._text = text
        self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        self._shown = set_marked(self, text)  # (after the wrap mode: plain.set_marked)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        # Transparent on its card: no fill behind the text (a style sheet would do the same,
        # and make every paint of it go through Qt's style sheet machinery).
        self.viewport().setAutoFillBackground(False)
        self.document().setDocumentMargin(0)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit()

    def set_text(self, text: str) -> None:
        if text == self._text:  # the same (often: empty): the layout stands
            return
        self._text = text
        self._shown = set_marked(self, text)
        self._fit()

    def setPlainText(self, text: str) -> None:
        """The text laid out once, its glyphs kept for the paint (``set_marked`` fills it here).

        QTextEdit's own lays the text out and lets its glyphs go, then shapes it again to place
        its cursor (which a read-only text does not show): that second shaping is what the
        paint uses. Here the document takes the text with no width (Qt lays nothing out for a
        null page), each paragraph is told to keep its glyphs, and the width is given back: one
        layout, and the paint draws its glyphs. A case text reaches the screen in about three
        quarters of the time.
        """
        document = self.document()
        width = document.textWidth()
        document.setPageSize(QSizeF(0, 0))
        document.setPlainText(text)
        block = document.begin()
        while block.isValid():
            block.layout().setCacheEnabled(True)
            block = block.next()
        document.setTextWidth(width)

    def createMimeDataFromSelection(self) -> QMimeData:
        mime = QMimeData()
        mime.setText(stored_selection(self, self._shown))
        return mime

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Paging keys go to the view it is in (it has no scroll bar of its own to page)."""
        if event.key() in PAGING_KEYS:
            event.ignore()
            return
        super().keyPressEvent(event)

    def _fit(self) -> None:
        document = self.document()
        width = max(self.viewport().width(), 40)
        # Set only when it changes: setting it lays the whole text out again, even at the same
        # width (QTextEdit's own resize has already set it; a new text is laid out as it is set).
        if document.textWidth() != width:
            document.setTextWidth(width)
        height = int(document.size().height() + 0.5) + 2 * self.frameWidth()
        if height != self.height():
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # (its own height: nothing to fit)
            self._fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:  # zoomed: the same text, another height
            self._fit()

    def minimumSizeHint(self) -> QSize:
        return QSize(40, self.height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().averageCharWidth() * 60, self.height())


class MarkedText(QPlainTextEdit):
    """Read-only case text in a box of its own (long text): control characters show as marks
    (``plain.set_marked``); copying gives the stored text."""

    def __init__(self) -> None:
        super().__init__()
        self.setReadOnly(True)
        self._shown = Shown("")

    def set_text(self, text: str) -> None:
        self._shown = set_marked(self, text)

    def createMimeDataFromSelection(self) -> QMimeData:
        mime = QMimeData()
        mime.setText(stored_selection(self, self._shown))
        return mime


class StatusBar(QStatusBar):
    """The window's status bar: a message may quote a file (an id, a file name), so it is put
    on one line with its control characters as marks (``plain.shown``)."""

    def showMessage(self, text: str, /, timeout: int | None = 0) -> None:
        super().showMessage(shown(one_line(text, 500)), timeout or 0)


class ProgressBar(QProgressBar):
    """The status bar's progress: a new value is painted with the rest of the window.
    (``QProgressBar.setValue`` repaints at once, and a repaint paints every part of the window
    waiting for one: on opening a workspace, the whole window once more before its first case.)
    """

    def setValue(self, value: int) -> None:
        self.setUpdatesEnabled(False)
        super().setValue(value)
        self.setUpdatesEnabled(True)  # (an update: painted when the event loop paints)


class ElidedLabel(QLabel):
    """One line of plain text that shrinks with an ellipsis (the full text is in the tooltip)."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._full = ""
        self._hint: QSize | None = None
        """The size hint of the full text, until it or the font changes (layouts ask often)."""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("…") * 3)
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        if text == self._full and (self.text() or not text):  # (shown as it is: nothing to do)
            return
        self._full = text
        self._hint = None
        self.setToolTip(safe_tooltip(text) if text else "")
        # Elided to the present width: if the layout then gives another, resizeEvent elides again.
        super().setText(
            self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, self.width())
        )
        self.updateGeometry()

    def full_text(self) -> str:
        return self._full

    def sizeHint(self) -> QSize:
        if self._hint is None:
            self._hint = QSize(
                self.fontMetrics().horizontalAdvance(self._full) + 2, super().sizeHint().height()
            )
        return QSize(self._hint)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _LOOK_CHANGES:
            self._hint = None
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        metrics = self.fontMetrics()
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))
        super().resizeEvent(event)


class FlowLayout(QLayout):
    """Lays widgets out left to right, wrapping onto new lines (Qt's flow layout example)."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._heights: dict[int, int] = {}
        """``heightForWidth`` by width, until the layout is invalidated (Qt's layouts ask it
        many times for each layout of the window; an item that changes invalidates it)."""
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def invalidate(self) -> None:
        self._heights.clear()
        super().invalidate()

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)
        self._heights.clear()

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        self._heights.clear()
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            height = self._heights[width] = self._arrange(QRect(0, 0, width, 0), move=False)
        return height

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, move=True)

    def sizeHint(self) -> QSize:
        return self.minimumSize()

    def minimumSize(self) -> QSize:
        size = QSize()
        for item in self._items:
            if not item.isEmpty():
                size = size.expandedTo(item.minimumSize())
        return size

    def _arrange(self, rect: QRect, *, move: bool) -> int:
        x, y, line = rect.x(), rect.y(), 0
        gap = self.spacing()
        for item in self._items:
            if item.isEmpty():  # a hidden widget takes no room
                continue
            hint = item.sizeHint()
            if rect.width() > 0:  # wider than a whole line: cut to it (a pill elides)
                hint.setWidth(max(min(hint.width(), rect.width()), item.minimumSize().width()))
            if x + hint.width() > rect.right() and line > 0:
                x, y, line = rect.x(), y + line + gap, 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + gap
            line = max(line, hint.height())
        return y + line - rect.y()


def clear_layout(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget = item.widget()
        if widget is not None:
            # Hidden now, deleted when control returns to the event loop: never drawn stale.
            widget.hide()
            widget.deleteLater()
        else:
            inner = item.layout()
            if inner is not None:
                clear_layout(inner)
