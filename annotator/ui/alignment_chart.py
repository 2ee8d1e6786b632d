"""The judge runs in order, each a point with its 95 % interval, against the human ceiling.

The runs go left to right in the order they were added (the x axis); the figure chosen on
the Alignment page (accuracy, Cohen's kappa or macro F1) is the y axis, with ticks and a
label. Each run is a point with its interval as a whisker, its value written beside it; the
points are joined by a thin line, so a better or worse judge reads as a step up or down. The
human ceiling, where there is one, is a dashed horizontal line labelled as the target (its
interval a faint band). Drawn with QPainter like ``heat_map``; run names are untrusted text,
drawn as plain text and elided to their column.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from annotator.ui import plain, theme
from annotator.ui.widgets import safe_tooltip
from annotator.untrusted import one_line


@dataclass(frozen=True)
class ChartPoint:
    """One run on the chart: its name, the figure (None: undefined, and why), its interval."""

    name: str
    value: float | None
    low: float | None = None
    high: float | None = None
    n: int = 0
    reason: str = ""


@dataclass(frozen=True)
class ChartData:
    """What the chart draws: the runs in order, the figure's name and range, the ceiling."""

    points: tuple[ChartPoint, ...]
    figure: str
    """The y axis's label, e.g. "Accuracy, held-out cases"."""
    low: float = 0.0
    high: float = 1.0
    percent: bool = True
    """Ticks and values as percentages (a rate), else as coefficients (0.62)."""
    ceiling: float | None = None
    ceiling_low: float | None = None
    ceiling_high: float | None = None
    marked: tuple[int, ...] = ()
    """Indexes of the runs compared below the chart (drawn with a ring)."""


MIN_COLUMN = 70
"""Narrowest column a run gets before names are cut short."""
POINT = 5.0


class AlignmentChart(QWidget):
    def __init__(self, data: ChartData, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data = data
        self._hover: int | None = None
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName(self.tr("Judge runs against the human ceiling on these cases"))
        self.setAccessibleDescription(self.describe_all())

    def set_data(self, data: ChartData) -> None:
        self.data = data
        self.setAccessibleDescription(self.describe_all())
        self.update()

    # -- geometry ---------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        return QSize(max(560, self._left() + 120 * len(self.data.points) + 150), 270)

    def minimumSizeHint(self) -> QSize:
        # Many runs squeeze their columns (numbers only under them) rather than widen the page.
        columns = min(max(len(self.data.points), 2), 6)
        return QSize(self._left() + MIN_COLUMN * columns + 90, 210)

    def _line(self) -> int:
        return QFontMetrics(self.font()).height()

    def _left(self) -> int:
        metrics = QFontMetrics(self.font())
        widest = max(metrics.horizontalAdvance(self._tick_text(t)) for t in self._ticks())
        return self._line() + 10 + widest + 8

    def _plot(self) -> QRect:
        """The plotting area: room for the y label and ticks on the left, the names below,
        the ceiling's label on the right."""
        line = self._line()
        right = self._ceiling_width() + 16 if self.data.ceiling is not None else 24
        top = line + 8
        bottom = 2 * line + 14
        return QRect(
            self._left(), top, self.width() - self._left() - right, self.height() - top - bottom
        )

    def _ceiling_lines(self) -> tuple[str, str]:
        value = self._value_text(self.data.ceiling) if self.data.ceiling is not None else ""
        return self.tr("Human ceiling on"), self.tr("these cases, target {0}").format(value)

    def _ceiling_width(self) -> int:
        bold = QFont(self.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        return max(metrics.horizontalAdvance(t) for t in self._ceiling_lines()) + 4

    def _y(self, value: float) -> float:
        plot = self._plot()
        span = (self.data.high - self.data.low) or 1.0
        share = (min(max(value, self.data.low), self.data.high) - self.data.low) / span
        return plot.bottom() - share * plot.height()

    def _x(self, index: int) -> float:
        plot = self._plot()
        n = max(len(self.data.points), 1)
        return plot.left() + (index + 0.5) * plot.width() / n

    def _column(self) -> float:
        return self._plot().width() / max(len(self.data.points), 1)

    def _ticks(self) -> list[float]:
        low, high = self.data.low, self.data.high
        step = 0.2 if high - low > 0.6 else 0.1
        first = round(low / step)
        ticks = []
        k = first
        while k * step <= high + 1e-9:
            ticks.append(round(k * step, 6))
            k += 1
        return ticks or [low, high]

    def _tick_text(self, value: float) -> str:
        return f"{value:.0%}" if self.data.percent else f"{value:.1f}"

    def _value_text(self, value: float) -> str:
        return f"{value:.0%}" if self.data.percent else f"{value:.2f}"

    def point_at(self, point: QPoint) -> int | None:
        """The run whose column holds ``point`` (within the plot's height)."""
        plot = self._plot()
        if not self.data.points or not plot.adjusted(0, -8, 0, 2 * self._line()).contains(point):
            return None
        index = int((point.x() - plot.left()) // self._column())
        return index if 0 <= index < len(self.data.points) else None

    # -- painting ----------------------------------------------------------------------------

    def _colors(self) -> tuple[QColor, QColor, QColor, QColor]:
        """(the runs, the ceiling, the grid, the ceiling's band), for light or dark."""
        if theme.is_dark():
            return QColor("#8ab4f8"), QColor("#f6ae2d"), QColor("#3c4043"), QColor(246, 174, 45, 40)
        return QColor("#1a5fb4"), QColor("#b35900"), QColor("#d5d9de"), QColor(179, 89, 0, 28)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(palette.ColorRole.WindowText)
        muted = theme.muted_color()
        runs, ceiling, grid, band = self._colors()
        metrics = QFontMetrics(self.font())
        line = metrics.height()
        plot = self._plot()
        data = self.data

        # The y axis: its label (rotated), ticks and grid lines.
        painter.save()
        painter.setPen(muted)
        painter.translate(line - 2, plot.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRect(-plot.height() // 2 - 40, -line, plot.height() + 80, line + 2),
            Qt.AlignmentFlag.AlignCenter,
            metrics.elidedText(data.figure, Qt.TextElideMode.ElideRight, plot.height() + 80),
        )
        painter.restore()
        for tick in self._ticks():
            y_tick = round(self._y(tick))
            # 0 of a coefficient is chance: its line stands out when the axis goes below it.
            chance = tick == 0 and data.low < 0
            painter.setPen(QPen(muted if chance else grid, 1))
            painter.drawLine(plot.left(), y_tick, plot.right(), y_tick)
            painter.setPen(muted)
            painter.drawText(
                QRect(line + 6, y_tick - line // 2, plot.left() - line - 12, line),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self._tick_text(tick),
            )
        painter.setPen(QPen(muted, 1))
        painter.drawLine(plot.bottomLeft(), plot.bottomRight())
        painter.drawLine(plot.topLeft(), plot.bottomLeft())

        # The ceiling: a faint band for its interval, a dashed line, "target" at the right.
        if data.ceiling is not None:
            if data.ceiling_low is not None and data.ceiling_high is not None:
                top, bottom = self._y(data.ceiling_high), self._y(data.ceiling_low)
                painter.fillRect(
                    QRectF(plot.left(), top, plot.width(), max(bottom - top, 1.0)), band
                )
            level = self._y(data.ceiling)
            painter.setPen(QPen(ceiling, 2, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(plot.left(), level), QPointF(plot.right(), level))
            bold = QFont(self.font())
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(ceiling)
            first, second = self._ceiling_lines()  # in the right margin, beside the line
            box = QRectF(plot.right() + 8, level - line, self._ceiling_width(), line)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, first)
            painter.drawText(
                box.translated(0, line),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                second,
            )
            painter.setFont(self.font())

        # The runs: a thin line through the points, whiskers, the points, their values.
        path = QPainterPath()
        started = False
        for i, p in enumerate(data.points):
            if p.value is None:
                started = False
                continue
            point = QPointF(self._x(i), self._y(p.value))
            if started:
                path.lineTo(point)
            else:
                path.moveTo(point)
                started = True
        faint = QColor(runs)
        faint.setAlpha(110)
        painter.setPen(QPen(faint, 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        column = self._column()
        bold = QFont(self.font())
        bold.setBold(True)
        # Values beside every point where the columns have room; else only beside the newest
        # (the others on hover, and in the tables).
        roomy = QFontMetrics(bold).horizontalAdvance("100%") + 2 * POINT + 16 <= column
        last = len(data.points) - 1
        for i, p in enumerate(data.points):
            x = self._x(i)
            if p.value is None:
                painter.setPen(muted)
                painter.drawText(
                    QRectF(x - column / 2, plot.center().y() - line, column, 2 * line),
                    Qt.AlignmentFlag.AlignCenter,
                    self.tr("undefined"),
                )
                continue
            if p.low is not None and p.high is not None:
                painter.setPen(QPen(runs, 1.6))
                top, bottom = self._y(p.high), self._y(p.low)
                painter.drawLine(QPointF(x, top), QPointF(x, bottom))
                for end in (top, bottom):
                    painter.drawLine(QPointF(x - 6, end), QPointF(x + 6, end))
            y = self._y(p.value)
            if i in data.marked or i == self._hover:
                painter.setPen(QPen(palette.color(palette.ColorRole.Highlight), 2))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(QPointF(x, y), POINT + 4, POINT + 4)
            painter.setPen(QPen(palette.color(palette.ColorRole.Window), 1.5))
            painter.setBrush(runs)
            painter.drawEllipse(QPointF(x, y), POINT, POINT)
            if not (roomy or i == last or i == self._hover):
                continue
            painter.setFont(bold)
            painter.setPen(text)
            value = self._value_text(p.value)
            width = QFontMetrics(bold).horizontalAdvance(value) + 4
            box = QRectF(x + POINT + 6, y - line / 2, width, line)
            if box.right() > plot.right():  # at the right edge: on the left of its point
                box.moveRight(x - POINT - 6)
            behind = QColor(palette.color(palette.ColorRole.Window))
            behind.setAlpha(210)  # the line to the next run passes under it
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(behind)
            painter.drawRoundedRect(box.adjusted(-2, 0, 2, 0), 3, 3)
            painter.setPen(text)
            painter.drawText(box, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, value)
            painter.setFont(self.font())

        # The x axis: each run's place and name, elided to its column, and n under it.
        for i, p in enumerate(data.points):
            x = self._x(i)
            name = f"{i + 1}. {plain.shown(one_line(p.name, 200))}"
            if column < MIN_COLUMN:  # the run's number; its name on hover
                name = str(i + 1)
            shown = metrics.elidedText(name, Qt.TextElideMode.ElideRight, round(column) - 6)
            painter.setPen(text)
            painter.drawText(
                QRectF(x - column / 2, plot.bottom() + 4, column, line),
                Qt.AlignmentFlag.AlignCenter,
                shown,
            )
            n = f"n = {p.n:,}"
            if metrics.horizontalAdvance(n) <= column:  # (else on hover)
                painter.setPen(muted)
                painter.drawText(
                    QRectF(x - column / 2, plot.bottom() + 4 + line, column, line),
                    Qt.AlignmentFlag.AlignCenter,
                    n,
                )
        if not data.points:
            painter.setPen(muted)
            painter.drawText(plot, Qt.AlignmentFlag.AlignCenter, self.tr("No judge runs."))
        painter.end()

    # -- reading it ----------------------------------------------------------------------------

    def describe(self, index: int) -> str:
        p = self.data.points[index]
        name = plain.piece(one_line(p.name, 200))
        if p.value is None:
            return self.tr("Run {0}, {1}: {2} undefined ({3}).").format(
                index + 1, name, self.data.figure, p.reason or self.tr("no cases")
            )
        interval = (
            self.tr(", 95% CI {0} to {1}").format(self._value_text(p.low), self._value_text(p.high))
            if p.low is not None and p.high is not None
            else ""
        )
        return self.tr("Run {0}, {1}: {2} {3}{4}, n = {5}.").format(
            index + 1, name, self.data.figure, self._value_text(p.value), interval, p.n
        )

    def describe_all(self) -> str:
        lines = [self.describe(i) for i in range(len(self.data.points))]
        if self.data.ceiling is not None:
            lines.append(
                self.tr("Human ceiling on these cases (the target): {0}.").format(
                    self._value_text(self.data.ceiling)
                )
            )
        return "\n".join(lines)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        index = self.point_at(event.position().toPoint())
        if index != self._hover:
            self._hover = index
            self.update()
        if index is not None:
            QToolTip.showText(
                event.globalPosition().toPoint(), safe_tooltip(self.describe(index)), self
            )
        else:
            QToolTip.hideText()

    def leaveEvent(self, event: object) -> None:
        self._hover = None
        self.update()
