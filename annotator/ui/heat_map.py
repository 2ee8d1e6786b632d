"""A confusion matrix drawn as a heat map that opens its cells as review queues.

Rows are the adjudicated (final) label, columns what the judge said, both in scale order.
Each cell is shaded by its share of its row (so a rare label's errors stand out as much as a
common one's): green on the diagonal, where the judge was exactly right, red where it was
wrong; on an ordered scale with a threshold, blue off the diagonal but within the threshold,
where the judge counts as right (as the labelled file's "who was right" and the report's
counts have it). Click a cell, or move to it with the arrow keys and press Enter, to review
exactly those cases.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from annotator.domain.agreement import ConfusionMatrix
from annotator.domain.merge import Scale
from annotator.services.agreement.report import Rule
from annotator.ui import plain, theme
from annotator.ui.widgets import safe_tooltip

CELL = 76
"""Preferred cell size in pixels (cells shrink to fit when the matrix is large)."""
MIN_CELL = 34


class HeatMap(QWidget):
    cellActivated = Signal(str, str)
    """``(judge label, final label)`` of the cell the user opened."""

    def __init__(
        self,
        matrix: ConfusionMatrix,
        parent: QWidget | None = None,
        *,
        threshold: float | None = None,
    ) -> None:
        """``threshold``: an ordered scale's, within which the judge counts as right (None:
        only the diagonal is right)."""
        super().__init__(parent)
        self.matrix = matrix
        self.threshold = threshold
        self._rule = Rule.of(Scale(matrix.labels, True), threshold)
        self._current: tuple[int, int] | None = None
        self._hover: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Confusion matrix: final label by row, judge by column"))

    # -- geometry ---------------------------------------------------------------------------

    def _label_width(self) -> int:
        metrics = QFontMetrics(self.font())
        widest = max((metrics.horizontalAdvance(x) for x in self.matrix.labels), default=0)
        return min(max(widest, metrics.horizontalAdvance(self.tr("Final"))) + 16, 180)

    def _cell(self) -> int:
        n = max(len(self.matrix.labels), 1)
        room = self.width() - self._left() - 24
        return max(MIN_CELL, min(CELL, room // n))

    def _left(self) -> int:
        return self._label_width() + QFontMetrics(self.font()).height() + 6

    def _top(self) -> int:
        return 2 * QFontMetrics(self.font()).height() + 12

    def sizeHint(self) -> QSize:
        n = len(self.matrix.labels)
        return QSize(self._left() + n * CELL + 24, self._top() + n * CELL + 8)

    def minimumSizeHint(self) -> QSize:
        n = len(self.matrix.labels)
        return QSize(self._left() + n * MIN_CELL + 8, self._top() + n * MIN_CELL + 8)

    def _rect(self, row: int, column: int) -> QRect:
        size = self._cell()
        return QRect(self._left() + column * size, self._top() + row * size, size, size)

    def cell_at(self, point: QPoint) -> tuple[int, int] | None:
        size = self._cell()
        n = len(self.matrix.labels)
        column = (point.x() - self._left()) // size if point.x() >= self._left() else -1
        row = (point.y() - self._top()) // size if point.y() >= self._top() else -1
        return (row, column) if 0 <= row < n and 0 <= column < n else None

    def wrong(self, row: int, column: int) -> bool:
        """Whether the judge was wrong in this cell (beyond the threshold, or off the diagonal
        where there is none)."""
        labels = self.matrix.labels
        return self._rule.wrong(labels[row], labels[column])

    # -- painting ----------------------------------------------------------------------------

    def cell_color(self, row: int, column: int) -> QColor:
        counts = self.matrix.counts
        total = sum(counts[row])
        share = counts[row][column] / total if total else 0.0
        dark = theme.is_dark()
        if counts[row][column] == 0:
            return QColor("#2b2d31") if dark else QColor("#f4f5f7")
        hue = 140 if row == column else 2 if self.wrong(row, column) else 212
        # Lightness from pale (a few cases) to strong (the whole row).
        light = (60 - 30 * share) if dark else (93 - 48 * share)
        return QColor.fromHsl(hue, 150 if not dark else 110, round(light * 2.55))

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(palette.ColorRole.WindowText)
        muted = theme.muted_color()
        labels = self.matrix.labels
        n = len(labels)
        size = self._cell()
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        left, top = self._left(), self._top()

        bold = QFont(self.font())
        bold.setBold(True)
        painter.setPen(muted)
        painter.drawText(
            QRect(left, 0, n * size, line), Qt.AlignmentFlag.AlignCenter, self.tr("Judge said")
        )
        painter.save()
        painter.translate(line - 2, top + n * size / 2)
        painter.rotate(-90)
        painter.drawText(
            QRect(-n * size // 2, -line, n * size, line),
            Qt.AlignmentFlag.AlignCenter,
            self.tr("Final label"),
        )
        painter.restore()
        painter.setPen(text)
        for i, label in enumerate(map(plain.shown, labels)):
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, size - 4)
            painter.drawText(
                QRect(left + i * size, line + 4, size, line), Qt.AlignmentFlag.AlignCenter, shown
            )
            shown = metrics.elidedText(label, Qt.TextElideMode.ElideRight, self._label_width())
            painter.drawText(
                QRect(line + 6, top + i * size, self._label_width() - 8, size),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                shown,
            )
        for row in range(n):
            total = sum(self.matrix.counts[row])
            for column in range(n):
                rect = self._rect(row, column).adjusted(2, 2, -2, -2)
                color = self.cell_color(row, column)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(color)
                painter.drawRoundedRect(rect, 6, 6)
                count = self.matrix.counts[row][column]
                ink = QColor("#ffffff") if color.lightness() < 120 else QColor("#1f2328")
                painter.setPen(ink)
                painter.setFont(bold)
                compact = size < 50
                count_rect = rect if compact or not count else rect.adjusted(0, 0, 0, -line)
                painter.drawText(count_rect, Qt.AlignmentFlag.AlignCenter, f"{count:,}")
                painter.setFont(self.font())
                if total and count and not compact:
                    share = f"{100 * count / total:.0f}%"
                    painter.drawText(
                        rect.adjusted(0, line, 0, 0), Qt.AlignmentFlag.AlignCenter, share
                    )
                if (row, column) in (self._hover, self._current if self.hasFocus() else None):
                    painter.setBrush(Qt.BrushStyle.NoBrush)
                    painter.setPen(QPen(palette.color(palette.ColorRole.Highlight), 2.5))
                    painter.drawRoundedRect(rect.adjusted(-1, -1, 1, 1), 7, 7)
        painter.end()

    # -- interaction ---------------------------------------------------------------------------

    def describe(self, row: int, column: int) -> str:
        labels = self.matrix.labels
        count = self.matrix.counts[row][column]
        if row == column:
            verdict = self.tr("right, exact")
        elif self.wrong(row, column):
            verdict = self.tr("wrong")
        else:
            verdict = self.tr("right within ±{0:g}, not exact").format(self.threshold)
        return self.tr(
            "Judge said {0}, final label {1}: {2} cases (the judge was {3}).\n"
            "Click or press Enter to review them."
        ).format(plain.piece(labels[column]), plain.piece(labels[row]), f"{count:,}", verdict)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell != self._hover:
            self._hover = cell
            self.setCursor(
                Qt.CursorShape.PointingHandCursor if cell else Qt.CursorShape.ArrowCursor
            )
            self.update()
        if cell is not None:
            QToolTip.showText(
                event.globalPosition().toPoint(), safe_tooltip(self.describe(*cell)), self
            )
        else:
            QToolTip.hideText()

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position().toPoint())
        if cell is not None and event.button() == Qt.MouseButton.LeftButton:
            self._current = cell
            self.activate(*cell)

    def activate(self, row: int, column: int) -> None:
        labels = self.matrix.labels
        self.cellActivated.emit(labels[column], labels[row])

    def focusInEvent(self, event: QFocusEvent) -> None:
        if self._current is None and self.matrix.labels:
            self._current = (0, min(1, len(self.matrix.labels) - 1))
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        n = len(self.matrix.labels)
        if self._current is None or n == 0:
            super().keyPressEvent(event)
            return
        row, column = self._current
        moves = {
            Qt.Key.Key_Left: (0, -1),
            Qt.Key.Key_Right: (0, 1),
            Qt.Key.Key_Up: (-1, 0),
            Qt.Key.Key_Down: (1, 0),
        }
        key = Qt.Key(event.key())
        if key in moves:
            dr, dc = moves[key]
            self._current = (min(max(row + dr, 0), n - 1), min(max(column + dc, 0), n - 1))
            rect = self._rect(*self._current)
            QToolTip.showText(
                self.mapToGlobal(rect.bottomLeft()), safe_tooltip(self.describe(*self._current))
            )
            self.update()
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.activate(row, column)
        else:
            super().keyPressEvent(event)
