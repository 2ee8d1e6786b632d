"""Figures on the Agreement page: a headline card, and a report table with its footnotes.

Shared by the page's view after review (``agreement_page``) and before it
(``baseline_view``). Every text is plain (``widgets.plain_label``, table items).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.agreement import Figure, Interval
from annotator.services.agreement import (
    JudgeFigures,
    Marked,
    Section,
    Style,
    format_figure,
    format_interval,
)
from annotator.services.agreement import glossary as g
from annotator.services.agreement.glossary import HELP, explain
from annotator.ui import theme
from annotator.ui.case_cards import Card
from annotator.ui.widgets import plain_label, safe_tooltip

CARD_MIN_WIDTH = 180
"""Cards in a row share its width equally, whatever their text (a long reason wraps)."""


def figure_card(
    name: str, figure: Figure, interval: Interval, style: Style, hint: str, tip: str | None = None
) -> Card:
    """A headline figure: its name, its value large, its interval and n (or why it is
    undefined), a hint of what it is measured against, and as its tooltip ``tip``: what the
    figure says and when to read it (``services.agreement.glossary``)."""
    card = Card("verdictCard")
    if tip:
        card.setToolTip(safe_tooltip(tip))
    title = plain_label(name, selectable=False)
    font = title.font()
    font.setBold(True)
    title.setFont(font)
    card.body.addWidget(title)
    value = plain_label("—" if figure.value is None else format_figure(figure, style))
    value.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    big = value.font()
    big.setPointSizeF(big.pointSizeF() * 2.0)
    big.setBold(True)
    value.setFont(big)
    card.body.addWidget(value)
    if figure.value is None:
        detail = f"undefined: {figure.reason or ''}"
    elif interval.low is not None:
        detail = f"{interval.level:.0%} CI {format_interval(interval, style)}  ·  n = {figure.n}"
    else:
        detail = f"n = {figure.n}"
    for text in (detail, hint, figure.note or ""):
        if not text:
            continue
        line = plain_label(text, selectable=False)
        line.setStyleSheet(f"color: {theme.muted_color().name()};")
        card.body.addWidget(line)
    card.body.addStretch(1)
    # Ignored: the row, not the text, decides the width; the text wraps within it.
    card.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    card.setMinimumWidth(CARD_MIN_WIDTH)
    return card


def judge_kappa(j: JudgeFigures) -> tuple[str, Figure, Interval, str, str]:
    """The judge's kappa card's figure: quadratic-weighted on an ordered scale (what a judge
    on a Likert scale is read by), else Cohen's; its name, figure, interval, a hint naming
    the other kappa and Gwet's AC, and its tooltip."""
    c = j.chance
    if c is not None and c.kappa_quadratic is not None and c.kappa_quadratic_interval is not None:
        hint = (
            f"quadratic-weighted; unweighted {format_figure(j.kappa)}, "
            f"Gwet's AC2 {format_figure(c.ac2)}"
        )
        return (
            "Judge weighted kappa",
            c.kappa_quadratic,
            c.kappa_quadratic_interval,
            hint,
            (HELP[g.KAPPA_QUADRATIC]),
        )
    hint = f"Cohen's; Gwet's AC1 {format_figure(c.ac1) if c is not None else '—'}"
    return "Judge kappa", j.kappa, j.kappa_interval, hint, HELP[g.KAPPA]


def section_table(section: Section) -> QWidget:
    """The section's table, and under it the footnotes of its marked figures (why a figure
    is undefined, or what to know about it), numbered as in the text report; a figure's name
    has as tooltip what the figure says and when to read it (and its footnote). In a
    right-aligned column the mark goes before the value, so that values keep their right
    edge whether marked or not."""
    rows = section.rows
    table = grid(section.headers, len(rows))
    notes: list[str] = []
    for r, row in enumerate(rows):
        for column, cell in enumerate(row):
            numeric = column < len(section.numeric) and section.numeric[column]
            if isinstance(cell, Marked):
                if cell.footnote not in notes:
                    notes.append(cell.footnote)
                mark = f"[{notes.index(cell.footnote) + 1}]"
                text = f"{mark} {cell.text}" if numeric else f"{cell.text} {mark}"
            else:
                text = cell
            item = QTableWidgetItem(text)
            tips = [explain(cell.text if isinstance(cell, Marked) else cell)] if column == 0 else []
            if isinstance(cell, Marked):
                tips.append(cell.footnote)
            tip = "\n".join(t for t in tips if t)
            if tip:
                item.setToolTip(safe_tooltip(tip))
            if numeric:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, column, item)
    fit(table)
    box = QWidget()  # as wide as its column: the notes wrap there, the table keeps its width
    box.setObjectName("sectionTable")
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(table, 0, Qt.AlignmentFlag.AlignLeft)
    for i, note in enumerate(notes, 1):
        layout.addWidget(note_label(f"[{i}] {note}"))
    return box


def note_label(text: str, *, muted: bool = True) -> QLabel:
    """A muted line of notes (``muted=False``: a line of text) that wraps to the width it is
    given and is as tall as that needs (height for width: in a scrolling page, a wrapped
    label otherwise claims the height of its narrowest wrap)."""
    line = plain_label(text)
    if muted:
        line.setStyleSheet(f"color: {theme.muted_color().name()};")
    policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    policy.setHeightForWidth(True)
    line.setSizePolicy(policy)
    return line


def scrolling_column(margin: int = 12, spacing: int = 12) -> tuple[QScrollArea, QVBoxLayout]:
    """A page's tab: a frameless area that scrolls, and the column to fill in it."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    inner = QWidget()
    body = QVBoxLayout(inner)
    body.setContentsMargins(margin, margin, margin, margin)
    body.setSpacing(spacing)
    scroll.setWidget(inner)
    return scroll, body


def grid(headers: tuple[str, ...], rows: int) -> QTableWidget:
    table = QTableWidget(rows, len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.setShowGrid(False)
    return table


def fit(table: QTableWidget, max_rows: int | None = None, stretch: bool = False) -> None:
    """Size the table to its contents (up to ``max_rows`` rows), so that the page scrolls,
    not each table, and numbers sit next to their names rather than at the far edge."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    for column in range(table.columnCount()):  # room for the header text and some air
        width = max(table.columnWidth(column), header.sectionSizeHint(column)) + 16
        table.setColumnWidth(column, width)
    header.setStretchLastSection(stretch)
    shown = table.rowCount() if max_rows is None else min(table.rowCount(), max_rows)
    height = header.sizeHint().height() + 2 * table.frameWidth()
    height += sum(table.rowHeight(r) for r in range(shown))
    table.setFixedHeight(height + 2)
    scrolls = max_rows is not None and table.rowCount() > max_rows
    table.setVerticalScrollBarPolicy(
        Qt.ScrollBarPolicy.ScrollBarAsNeeded if scrolls else Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    )
    if not stretch:
        width = sum(table.columnWidth(c) for c in range(table.columnCount()))
        table.setFixedWidth(width + 2 * table.frameWidth() + 2)
