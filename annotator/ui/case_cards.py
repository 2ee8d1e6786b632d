"""The case view's building blocks: cards that paint themselves (the Agreement page's figures
are cards too), the grid that places them side by side, text that scrolls in a box of its own
when it is long, and pools that keep cards from case to case (``case_view.CaseView`` fills
them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QResizeEvent,
    QTextOption,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import Case, LabelScheme
from annotator.ui import theme
from annotator.ui.plain import piece, shown
from annotator.ui.widgets import (
    ElidedLabel,
    MarkedText,
    Pill,
    PillFlow,
    WrappingText,
    plain_label,
    section_title,
    set_muted,
    show_if,
)

T = TypeVar("T", bound=QWidget)


class Card(QFrame):
    """A framed block with an optional coloured left edge; it paints itself."""

    EDGE = 4

    def __init__(self, name: str, accent_hue: int | None = None) -> None:
        super().__init__()
        self.setObjectName(name)
        self._hue = accent_hue
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(6)

    def set_accent(self, hue: int | None) -> None:
        if hue != self._hue:
            self._hue = hue
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        dark = theme.is_dark()
        background = QColor("#2b2d31") if dark else QColor("#ffffff")
        border = QColor("#3c3f45") if dark else QColor("#dcdfe4")
        edge = border if self._hue is None else theme.pill_colors(self._hue)[1]
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        # Filled, not stroked, and the edge clipped by a rectangle, not a path: Qt strokes a
        # path and clips to one far more slowly than it fills (a tenth of a millisecond a
        # card, every card painted again on every next case).
        outer = QRectF(self.rect())
        outline = QPainterPath()
        outline.addRoundedRect(outer, 8.5, 8.5)
        inside = QPainterPath()
        inside.addRoundedRect(outer.adjusted(1, 1, -1, -1), 7.5, 7.5)
        painter.fillPath(outline, border)
        painter.fillPath(inside, background)
        painter.setClipRect(QRect(1, 0, self.EDGE, self.height()))  # (inside the border)
        painter.fillPath(outline, edge)


class CardGrid(QWidget):
    """Cards side by side, in as many columns as fit (at least ``min_width`` each).

    ``show_cards`` puts a given list of cards in the grid (the others are hidden): the cards are
    kept and refilled from case to case.
    """

    def __init__(self, min_width: int) -> None:
        super().__init__()
        self._cards: list[QWidget] = []
        self._min = min_width
        self._columns = 0
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(10)
        # An explicit minimum keeps the grid from demanding the width of all cards in one row.
        self.setMinimumWidth(min_width)

    def show_cards(self, cards: Sequence[QWidget], min_width: int | None = None) -> None:
        if min_width is not None and min_width != self._min:
            self._min = min_width
            self.setMinimumWidth(min_width)
        if list(cards) != self._cards:
            for card in self._cards:
                if card not in cards:
                    show_if(card, False)
            self._cards = list(cards)
            self._columns = 0  # place them again
        self._place(self._fit(self.width()))
        for card in self._cards:
            show_if(card, True)  # after _place: in the grid, so never a window of its own

    def _fit(self, width: int) -> int:
        return max(1, min(len(self._cards), (width + 10) // (self._min + 10)))

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        while self._grid.count():
            self._grid.takeAt(0)
        for i, card in enumerate(self._cards):
            self._grid.addWidget(card, i // columns, i % columns)
        for column in range(max(self._grid.columnCount(), len(self._cards))):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._place(self._fit(event.size().width()))
        super().resizeEvent(event)


LONG_COMMENT = 600
"""A judge rationale or rater comment longer than this scrolls in a box of its own."""
LONG_TEXT = 12_000
"""Above this many characters, text goes in a scrolling editor: labels lay out slowly."""


def long_text_view(text: str = "") -> MarkedText:
    """A read-only, plain-text view of long text with its own scroll bar (control characters
    as marks)."""
    view = MarkedText()
    view.setObjectName("caseText")
    view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    view.set_text(text)  # (after the wrap mode: plain.set_marked)
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.setMinimumHeight(420)
    view.setTextInteractionFlags(
        Qt.TextInteractionFlag.TextSelectableByMouse
        | Qt.TextInteractionFlag.TextSelectableByKeyboard
    )
    return view


class TextBody:
    """Text in a card: wrapped in place while short, in a scrolling box when long (``limit``).
    The scrolling box is made the first time a text needs it."""

    def __init__(self, layout: QVBoxLayout, limit: int, box_name: str, box_height: int) -> None:
        self._layout = layout
        self._limit = limit
        self._box_name = box_name
        self._box_height = box_height
        self.short = WrappingText("")
        self._layout.addWidget(self.short)
        self.box: MarkedText | None = None

    def set_text(self, text: str) -> None:
        long = len(text) > self._limit
        if long and self.box is None:
            self.box = long_text_view()
            self.box.setFont(self.short.font())  # the view's text zoom, set on each widget
            self.box.setObjectName(self._box_name)
            if self._box_height:
                self.box.setMinimumHeight(0)
                self.box.setMaximumHeight(self._box_height)
            self._layout.insertWidget(self._layout.indexOf(self.short) + 1, self.box)
        if self.box is not None:
            if long or self.box.document().characterCount() > 1:  # (an empty one has 1)
                self.box.set_text(text if long else "")
            show_if(self.box, long)
        self.short.set_text("" if long else text)
        show_if(self.short, bool(text) and not long)


class VerdictCard(Card):
    """Who said what: a name, a detail (model, "rater"), the label, and what they wrote."""

    def __init__(self) -> None:
        super().__init__("verdictCard")
        top = QHBoxLayout()
        self.name = ElidedLabel()
        bold = QFont()
        bold.setBold(True)  # only the weight: the size follows the view's text zoom
        self.name.setFont(bold)
        self.name.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        top.addWidget(self.name)
        self.detail = ElidedLabel()
        set_muted(self.detail)
        top.addWidget(self.detail, 1)
        self.label = Pill(big=True)
        top.addWidget(self.label)
        self.body.addLayout(top)
        self.tags = PillFlow()
        self.body.addWidget(self.tags)
        self.text = TextBody(self.body, LONG_COMMENT, "commentText", 180)
        self.body.addStretch(1)

    def fill(
        self, who: str, detail: str, label: str, hue: int, text: str, tags: Sequence[str] = ()
    ) -> None:
        """``who``, ``label``, ``tags`` and ``text`` come from files: control characters show
        as marks; ``detail`` is shown as given (its parts from files joined as ``plain.piece``)."""
        self.set_accent(hue)
        self.name.set_full_text(shown(who))
        self.name.setMinimumWidth(min(self.name.sizeHint().width(), 80))
        self.detail.set_full_text(detail)
        self.label.set_pill(shown(label), hue)
        self.tags.set_pills([(shown(tag), -1) for tag in tags])
        self.text.set_text(text)

    def clear(self) -> None:
        """Let go of the last case's text (a spare card holds nothing stale)."""
        if self.name.full_text():
            self.fill("", "", "", -1, "")


class RatingsCard(Card):
    """Many ratings at a glance: how many gave each label, then a list to scroll through."""

    def __init__(self) -> None:
        super().__init__("verdictCard")
        head = QHBoxLayout()
        self.title = plain_label(selectable=False, wrap=False)
        bold = QFont()
        bold.setBold(True)
        self.title.setFont(bold)
        head.addWidget(self.title, 1)
        self.counts = PillFlow()
        head.addWidget(self.counts)
        self.body.addLayout(head)
        self.list = long_text_view()
        self.list.setObjectName("ratingsList")
        self.list.setMinimumHeight(0)
        self.list.setMaximumHeight(200)
        self.body.addWidget(self.list)

    def clear(self) -> None:
        self.title.clear()
        self.counts.set_pills([])
        self.list.clear()

    def fill(self, case: Case, scheme: LabelScheme, title: str) -> None:
        self.title.setText(title)
        counts = Counter(r.label for r in case.ratings)
        ranked = sorted(counts, key=lambda x: (-counts[x], x))
        self.counts.set_pills(
            [(f"{piece(x)} ×{counts[x]}", theme.label_hue(x, scheme)) for x in ranked]
        )
        # One line a rating, each part isolated (its marks shown: plain.piece), so that an
        # override in a rater's name cannot reverse the label after it.
        lines = (
            f"{piece(r.rater)}: {piece(r.label)}" + (f" — {piece(r.comment)}" if r.comment else "")
            for r in case.ratings
        )
        self.list.setPlainText("\n".join(lines))


class TextCard(Card):
    """A titled block of case text, with a row of pills under the title if any."""

    def __init__(self, title: str = "") -> None:
        super().__init__("textCard")
        self.title = section_title(title)
        self.body.addWidget(self.title)
        self.pills = PillFlow()
        self.pills.hide()
        self.body.addWidget(self.pills)
        self.text = TextBody(self.body, LONG_TEXT, "caseText", 0)
        self.text.short.setObjectName("caseText")
        self.body.addStretch(1)  # beside a taller card, the text stays under its title

    def fill(
        self, text: str, title: str | None = None, pills: Sequence[tuple[str, int]] = ()
    ) -> None:
        if title is not None:
            self.title.setText(title.upper())
        self.pills.set_pills(list(pills))
        self.text.set_text(text)

    def clear(self) -> None:
        self.fill("", "")


class Pool(Generic[T]):
    """Widgets of one kind, made as needed and kept for the next case."""

    def __init__(
        self, make: Callable[[], T], parent: QWidget, adopt: Callable[[QWidget], None]
    ) -> None:
        self._make = make
        self._parent = parent
        self._adopt = adopt
        self._items: list[T] = []

    def take(self, count: int) -> list[T]:
        while len(self._items) < count:
            made = self._make()
            park(made, self._parent)
            self._adopt(made)
            self._items.append(made)
        return self._items[:count]

    def spares(self, used: int) -> list[T]:
        """The ones this case does not need."""
        return self._items[used:]


def park(widget: QWidget, parent: QWidget) -> None:
    """Give ``widget`` to ``parent``, hidden until a grid shows it in place (hidden
    explicitly: a child never hidden would show with its parent, at 0,0)."""
    widget.setParent(parent)
    widget.hide()


def clear_cards(cards: Sequence[VerdictCard | TextCard]) -> None:
    for card in cards:
        card.clear()
