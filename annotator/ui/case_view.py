"""The case: who said what (judge and each rater, side by side), then input, output(s), reference.

Every piece of case text is shown with plain-text labels: no HTML is interpreted, nothing fetched.

The view is built once and then only filled in: moving to the next case sets the text of the
cards it has (hiding the ones this case does not need) instead of deleting and creating a few
hundred widgets, and cards and pills paint themselves rather than each carrying a style sheet.
That keeps a next-case action within a frame (docs/benchmarks.md, "Next case").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from PySide6.QtCore import QRectF, Qt, Signal
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
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import Case, LabelScheme, Status
from annotator.services.review import CaseDetail
from annotator.ui import theme
from annotator.ui.widgets import (
    ElidedLabel,
    Pill,
    PillFlow,
    WrappingText,
    plain_label,
    restore_muted,
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
        box = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        outline = QPainterPath()
        outline.addRoundedRect(box, 8, 8)
        painter.fillPath(outline, background)
        painter.setPen(border)
        painter.drawPath(outline)
        painter.setClipPath(outline)
        painter.fillRect(QRectF(box.left(), box.top(), self.EDGE, box.height()), edge)


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
MANY_RATERS = 6
"""With more ratings than this, they share one compact card instead of a card each."""


def long_text_view(text: str = "") -> QPlainTextEdit:
    """A read-only, plain-text view of long text with its own scroll bar."""
    view = QPlainTextEdit()
    view.setObjectName("caseText")
    view.setReadOnly(True)
    view.setPlainText(text)
    view.setFrameShape(QFrame.Shape.NoFrame)
    view.setMinimumHeight(420)
    view.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
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
        self.box: QPlainTextEdit | None = None

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
                self.box.setPlainText(text if long else "")
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
        self.set_accent(hue)
        self.name.set_full_text(who)
        self.name.setMinimumWidth(min(self.name.sizeHint().width(), 80))
        self.detail.set_full_text(detail)
        self.label.set_pill(label, hue)
        self.tags.set_pills([(tag, -1) for tag in tags])
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
        self.counts.set_pills([(f"{x} ×{counts[x]}", theme.label_hue(x, scheme)) for x in ranked])
        self.list.setPlainText(
            "\n".join(
                f"{r.rater}: {r.label}" + (f" — {r.comment}" if r.comment else "")
                for r in case.ratings
            )
        )


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
            _park(made, self._parent)
            self._adopt(made)
            self._items.append(made)
        return self._items[:count]

    def spares(self, used: int) -> list[T]:
        """The ones this case does not need."""
        return self._items[used:]


class CaseView(QScrollArea):
    rubricRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._inner.setObjectName("caseInner")
        outer = QVBoxLayout(self._inner)
        outer.setContentsMargins(18, 14, 18, 18)
        outer.setSpacing(0)
        self.setWidget(self._inner)
        self._base_point_size = self._inner.font().pointSizeF()
        self._dark = theme.is_dark()
        self._text_scale = 1.0

        self._empty = plain_label()
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._scale(self._empty, 15 / 10)
        set_muted(self._empty)
        outer.addWidget(self._empty, 1)

        self._content = QWidget()
        self._layout = QVBoxLayout(self._content)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(12)
        outer.addWidget(self._content)
        self._build()
        self.show_case(None)

    # -- building (once) ---------------------------------------------------------------------

    def _scale(self, widget: QWidget, factor: float) -> None:
        """Give the widget a font ``factor`` times the view's."""
        widget.setProperty("fontFactor", factor)
        self._apply_font(widget)

    def _apply_font(self, root: QWidget) -> None:
        """Set the view's text size on ``root`` and everything in it: on each widget, times its
        own ``fontFactor`` (a font set on a widget is not passed down to children that have
        their own)."""
        size = self._base_point_size * self._text_scale
        for widget in (root, *root.findChildren(QWidget)):
            font = QFont(widget.font())
            font.setPointSizeF(size * float(widget.property("fontFactor") or 1.0))
            widget.setFont(font)

    def _section(self, text: str = "") -> QLabel:
        title = section_title(text)
        self._apply_font(title)
        return title

    def _build(self) -> None:
        row = QHBoxLayout()
        row.setSpacing(8)
        self._title = ElidedLabel()  # ids can be long (UUIDs, paths)
        self._title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        font = QFont(self._title.font())
        font.setBold(True)
        self._title.setFont(font)
        self._scale(self._title, 1.45)
        row.addWidget(self._title)
        self._kind = Pill()
        self._criterion = Pill()
        self._status = Pill()
        for made in (self._kind, self._criterion, self._status):
            row.addWidget(made)
        self._position = ElidedLabel()  # takes the spare width, elides only when there is none
        self._position.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        set_muted(self._position)
        row.addWidget(self._position, 1)
        rubric = QPushButton(self.tr("Rubric (F1)"))
        rubric.setFlat(True)
        rubric.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rubric.clicked.connect(self.rubricRequested)
        row.addWidget(rubric)
        self._layout.addLayout(row)

        self._layout.addWidget(self._section(self.tr("Who said what")))
        self._verdicts = CardGrid(min_width=210)
        self._layout.addWidget(self._verdicts)
        self._judge = VerdictCard()
        self._raters = Pool(VerdictCard, self._verdicts, self._apply_font)
        self._ratings = RatingsCard()
        self._unrated = Card("verdictCard")
        self._unrated.body.addWidget(plain_label(self.tr("No human ratings")))
        for card in (self._judge, self._ratings, self._unrated):
            _park(card, self._verdicts)

        self._reviews_title = self._section()
        self._layout.addWidget(self._reviews_title)
        self._reviews = CardGrid(min_width=240)
        self._layout.addWidget(self._reviews)
        self._reviewers = Pool(VerdictCard, self._reviews, self._apply_font)

        self._input = TextCard(self.tr("Input"))
        self._layout.addWidget(self._input)
        self._candidates_title = self._section(self.tr("Candidates"))
        self._layout.addWidget(self._candidates_title)
        self._candidates = CardGrid(min_width=300)
        self._layout.addWidget(self._candidates)
        self._candidate_cards = Pool(TextCard, self._candidates, self._apply_font)
        self._output = TextCard(self.tr("Output"))
        self._layout.addWidget(self._output)
        self._reference = TextCard(self.tr("Reference"))
        self._layout.addWidget(self._reference)
        self._meta = plain_label()
        set_muted(self._meta)
        self._layout.addWidget(self._meta)
        self._layout.addStretch(1)

    def set_text_scale(self, scale: float) -> None:
        """Zoom the case text."""
        self._text_scale = scale
        self._apply_font(self._inner)

    # -- filling (every case) ----------------------------------------------------------------

    def show_case(
        self, detail: CaseDetail | None, position: str = "", empty_text: str = ""
    ) -> None:
        """Show a case, or (detail None) a centred hint: ``empty_text`` or how to open a file."""
        if detail is None:
            self._forget()
            show_if(self._content, False)
            self._empty.setText(
                empty_text
                or self.tr(
                    "No project open.\n\n"
                    "Open a case file or workspace with Ctrl+O, or drop it here."
                )
            )
            self._empty.show()
            return
        show_if(self._empty, False)
        if theme.is_dark() != self._dark:  # the system went light or dark: muted text too
            self._dark = theme.is_dark()
            restore_muted(self)
        self._header(detail, position)
        self._show_verdicts(detail)
        self._show_reviews(detail)
        case = detail.case
        self._input.fill(case.input)
        self._show_outputs(case, detail.scheme)
        show_if(self._reference, case.reference is not None)
        self._reference.fill(case.reference or "")
        meta = " · ".join(f"{k}: {v}" for k, v in case.meta.items())
        self._meta.setText(meta)
        show_if(self._meta, bool(meta))
        show_if(self._content, True)
        self.verticalScrollBar().setValue(0)

    def _forget(self) -> None:
        """Empty every card (no case is shown: none of the last one's text stays behind)."""
        if not self._title.full_text():
            return
        self._title.set_full_text("")
        self._position.set_full_text("")
        for made in (self._kind, self._criterion, self._status):
            made.set_pill("", -1)
        self._judge.clear()
        self._ratings.clear()
        _clear(self._raters.spares(0))
        _clear(self._reviewers.spares(0))
        _clear(self._candidate_cards.spares(0))
        for card in (self._input, self._output, self._reference):
            card.fill("")
        self._meta.clear()

    def _header(self, detail: CaseDetail, position: str) -> None:
        self._title.set_full_text(detail.case.id)
        self._title.setMinimumWidth(min(self._title.sizeHint().width(), 160))
        kind = detail.classification.kind
        self._kind.set_pill(kind.caption, theme.KIND_HUES[kind])
        self._criterion.set_pill(detail.case.criterion, -1)
        show_if(self._criterion, bool(detail.case.criterion))
        status = {
            Status.DECIDED: (self.tr("decided"), 140),
            Status.SKIPPED: (self.tr("skipped"), -1),
        }.get(detail.status)
        self._status.set_pill(*(status or ("", -1)))
        show_if(self._status, status is not None)
        self._position.set_full_text(position)

    def _show_verdicts(self, detail: CaseDetail) -> None:
        case, scheme = detail.case, detail.scheme
        judge = case.judge
        extra = " · ".join(
            x
            for x in (judge.model, f"score {judge.score:g}" if judge.score is not None else "")
            if x
        )
        hue = theme.label_hue(judge.label, scheme)
        self._judge.fill(self.tr("Judge"), extra, judge.label, hue, judge.rationale)
        cards: list[QWidget] = [self._judge]
        if not case.ratings:
            cards.append(self._unrated)
        if len(case.ratings) > MANY_RATERS:
            self._ratings.fill(case, scheme, self.tr("{0} raters").format(len(case.ratings)))
            cards.append(self._ratings)
            self._verdicts.show_cards(cards, min_width=320)
            _clear(self._raters.spares(0))
            return
        self._ratings.clear()
        raters = self._raters.take(len(case.ratings))
        _clear(self._raters.spares(len(raters)))
        for card, rating in zip(raters, case.ratings, strict=True):
            hue = theme.label_hue(rating.label, scheme)
            card.fill(rating.rater, self.tr("rater"), rating.label, hue, rating.comment)
        self._verdicts.show_cards([*cards, *raters], min_width=210)

    def _show_reviews(self, detail: CaseDetail) -> None:
        """The reviewers' decisions a lead merged in, each with its rationale, tags and
        confidence: what the lead settles a conflict from."""
        count = len(detail.reviews)
        show_if(self._reviews_title, count > 0)
        show_if(self._reviews, count > 0)
        _clear(self._reviewers.spares(count))
        if not count:
            return
        if len({r.label for r in detail.reviews}) > 1:
            title = self.tr("Reviewers disagree ({0})").format(count)
        else:
            title = self.tr("Reviewers agree ({0})").format(count)
        self._reviews_title.setText(title.upper())
        cards = self._reviewers.take(count)
        for card, review in zip(cards, detail.reviews, strict=True):
            facts = self.tr("reviewer")
            if review.confidence:
                facts += " · " + self.tr("{0} confidence").format(review.confidence)
            hue = theme.label_hue(review.label, detail.scheme)
            card.fill(review.reviewer, facts, review.label, hue, review.rationale, review.tags)
        self._reviews.show_cards(cards)

    def _show_outputs(self, case: Case, scheme: LabelScheme) -> None:
        outputs = case.outputs or {}
        names = list(outputs)
        show_if(self._candidates_title, bool(names))
        show_if(self._candidates, bool(names))
        _clear(self._candidate_cards.spares(len(names)))
        if names:
            cards = self._candidate_cards.take(len(names))
            for card, name in zip(cards, names, strict=True):
                title = self.tr("Candidate {0}").format(name)
                card.fill(outputs[name], title, _pickers(case, name, scheme))
            self._candidates.show_cards(cards)
        show_if(self._output, case.output is not None)
        self._output.fill(case.output or "")


def _park(widget: QWidget, parent: QWidget) -> None:
    """Give ``widget`` to ``parent``, hidden until a grid shows it in place (hidden
    explicitly: a child never hidden would show with its parent, at 0,0)."""
    widget.setParent(parent)
    widget.hide()


def _clear(cards: Sequence[VerdictCard | TextCard]) -> None:
    for card in cards:
        card.clear()


def _pickers(case: Case, candidate: str, scheme: LabelScheme) -> list[tuple[str, int]]:
    """Chips naming who preferred this candidate (judge and raters)."""
    names = [("judge", case.judge.label)] + [(r.rater, r.label) for r in case.ratings]
    hue = theme.label_hue(candidate, scheme)
    return [(f"✓ {who}", hue) for who, label in names if label.casefold() == candidate.casefold()]
