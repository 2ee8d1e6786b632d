"""The case: who said what (judge and each rater, side by side), then input, output(s), reference.

Every piece of case text is shown with plain-text labels: no HTML is interpreted, nothing fetched.
"""

from __future__ import annotations

from collections import Counter

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent, QTextOption
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
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
    FlowLayout,
    WrappingText,
    clear_layout,
    pill,
    plain_label,
    section_title,
)


class Card(QFrame):
    """A framed block with an optional coloured edge."""

    def __init__(self, name: str, accent_hue: int | None = None) -> None:
        super().__init__()
        self.setObjectName(name)
        self.setStyleSheet(theme.card_style(name, accent_hue))
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(14, 10, 14, 12)
        self.body.setSpacing(6)


class CardGrid(QWidget):
    """Cards side by side, in as many columns as fit (at least ``min_width`` each)."""

    def __init__(self, cards: list[QWidget], min_width: int) -> None:
        super().__init__()
        self._cards = cards
        self._min = min_width
        self._columns = 0
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(10)
        # An explicit minimum keeps the grid from demanding the width of all cards in one row.
        self.setMinimumWidth(min_width)
        self._place(len(cards))

    def _place(self, columns: int) -> None:
        if columns == self._columns:
            return
        self._columns = columns
        for card in self._cards:
            self._grid.removeWidget(card)
        for i, card in enumerate(self._cards):
            self._grid.addWidget(card, i // columns, i % columns)
        for column in range(len(self._cards)):
            self._grid.setColumnStretch(column, 1 if column < columns else 0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        fit = (event.size().width() + 10) // (self._min + 10)
        self._place(max(1, min(len(self._cards), fit)))
        super().resizeEvent(event)


def verdict_card(who: str, detail: str, label: str, scheme: LabelScheme, text: str) -> Card:
    hue = theme.label_hue(label, scheme)
    card = Card("verdictCard", hue)
    top = QHBoxLayout()
    name = ElidedLabel(who)
    font = name.font()
    font.setBold(True)
    name.setFont(font)
    name.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    name.setMinimumWidth(min(name.sizeHint().width(), 80))
    top.addWidget(name)
    if detail:
        sub = ElidedLabel(detail)
        sub.setStyleSheet(f"color: {theme.muted_color().name()};")
        top.addWidget(sub, 1)
    else:
        top.addStretch(1)
    top.addWidget(pill(label, hue, big=True))
    card.body.addLayout(top)
    if len(text) > LONG_COMMENT:
        # Keep "who said what" readable at a glance: a long rationale scrolls in its own box.
        box = long_text_view(text)
        box.setObjectName("commentText")
        box.setMinimumHeight(0)
        box.setMaximumHeight(180)
        card.body.addWidget(box)
    elif text:
        card.body.addWidget(WrappingText(text))
    card.body.addStretch(1)
    return card


MANY_RATERS = 6
"""With more ratings than this, they share one compact card instead of a card each."""


def ratings_card(case: Case, scheme: LabelScheme) -> Card:
    """Many ratings at a glance: how many gave each label, then a list to scroll through."""
    card = Card("verdictCard")
    head = QHBoxLayout()
    title = plain_label(f"{len(case.ratings)} raters", selectable=False, wrap=False)
    font = title.font()
    font.setBold(True)
    title.setFont(font)
    head.addWidget(title)
    head.addStretch(1)
    counts = Counter(r.label for r in case.ratings)
    for label in sorted(counts, key=lambda x: (-counts[x], x)):
        head.addWidget(pill(f"{label} ×{counts[label]}", theme.label_hue(label, scheme)))
    card.body.addLayout(head)
    lines = "\n".join(
        f"{r.rater}: {r.label}" + (f" — {r.comment}" if r.comment else "") for r in case.ratings
    )
    box = long_text_view(lines)
    box.setObjectName("ratingsList")
    box.setMinimumHeight(0)
    box.setMaximumHeight(200)
    card.body.addWidget(box)
    return card


def text_card(title: str, text: str, extra: QWidget | None = None) -> Card:
    """A titled block of case text; ``extra`` goes on its own line under the title."""
    card = Card("textCard")
    card.body.addWidget(section_title(title))
    if extra is not None:
        card.body.addWidget(extra)
    if len(text) > LONG_TEXT:
        card.body.addWidget(long_text_view(text))
    else:
        body = WrappingText(text)
        body.setObjectName("caseText")
        card.body.addWidget(body)
    return card


LONG_COMMENT = 600
"""A judge rationale or rater comment longer than this scrolls in a box of its own."""
LONG_TEXT = 12_000
"""Above this many characters, text goes in a scrolling editor: labels lay out slowly."""


def long_text_view(text: str) -> QPlainTextEdit:
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


class CaseView(QScrollArea):
    rubricRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._inner = QWidget()
        self._inner.setObjectName("caseInner")
        self._layout = QVBoxLayout(self._inner)
        self._layout.setContentsMargins(18, 14, 18, 18)
        self._layout.setSpacing(12)
        self.setWidget(self._inner)
        self._base_point_size = self._inner.font().pointSizeF()
        self.show_case(None)

    def set_text_scale(self, scale: float) -> None:
        """Zoom the case text; call show_case again to lay it out at the new size."""
        font = self._inner.font()
        font.setPointSizeF(self._base_point_size * scale)
        self._inner.setFont(font)

    def show_case(
        self, detail: CaseDetail | None, position: str = "", empty_text: str = ""
    ) -> None:
        """Show a case, or (detail None) a centred hint: ``empty_text`` or how to open a file."""
        clear_layout(self._layout)
        if detail is None:
            hint = empty_text or self.tr(
                "No project open.\n\nOpen a case file or workspace with Ctrl+O, or drop it here."
            )
            empty = plain_label(hint)
            empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
            empty.setStyleSheet(f"color: {theme.muted_color().name()}; font-size: 15px;")
            self._layout.addStretch(1)
            self._layout.addWidget(empty)
            self._layout.addStretch(2)
            return
        self._layout.addLayout(self._header(detail, position))
        self._layout.addWidget(section_title(self.tr("Who said what")))
        self._layout.addWidget(self._verdicts(detail))
        if detail.reviews:
            self._reviews(detail)
        case = detail.case
        self._layout.addWidget(text_card(self.tr("Input"), case.input))
        self._outputs(case, detail.scheme)
        if case.reference is not None:
            self._layout.addWidget(text_card(self.tr("Reference"), case.reference))
        if case.meta:
            meta = " · ".join(f"{k}: {v}" for k, v in case.meta.items())
            line = plain_label(meta)
            line.setStyleSheet(f"color: {theme.muted_color().name()};")
            self._layout.addWidget(line)
        self._layout.addStretch(1)
        self.verticalScrollBar().setValue(0)

    def _header(self, detail: CaseDetail, position: str) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(8)
        title = ElidedLabel(detail.case.id)  # ids can be long (UUIDs, paths)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.45)
        font.setBold(True)
        title.setFont(font)
        title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        title.setMinimumWidth(min(title.sizeHint().width(), 160))
        row.addWidget(title)
        kind = detail.classification.kind
        row.addWidget(pill(kind.caption, theme.KIND_HUES[kind]))
        if detail.case.criterion:
            row.addWidget(pill(detail.case.criterion, -1))
        if detail.status == Status.DECIDED:
            row.addWidget(pill(self.tr("decided"), 140))
        elif detail.status == Status.SKIPPED:
            row.addWidget(pill(self.tr("skipped"), -1))
        info = ElidedLabel(position)  # takes the spare width, elides only when there is none
        info.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        info.setStyleSheet(f"color: {theme.muted_color().name()};")
        row.addWidget(info, 1)
        rubric = QPushButton(self.tr("Rubric (F1)"))
        rubric.setFlat(True)
        rubric.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rubric.clicked.connect(self.rubricRequested)
        row.addWidget(rubric)
        return row

    def _verdicts(self, detail: CaseDetail) -> CardGrid:
        cards: list[QWidget] = []
        case, scheme = detail.case, detail.scheme
        judge = case.judge
        extra = " · ".join(
            x
            for x in (judge.model, f"score {judge.score:g}" if judge.score is not None else "")
            if x
        )
        cards.append(verdict_card(self.tr("Judge"), extra, judge.label, scheme, judge.rationale))
        if not case.ratings:
            none = Card("verdictCard")
            none.body.addWidget(plain_label(self.tr("No human ratings")))
            cards.append(none)
        if len(case.ratings) > MANY_RATERS:
            cards.append(ratings_card(case, scheme))
            return CardGrid(cards, min_width=320)
        for rating in case.ratings:
            cards.append(
                verdict_card(rating.rater, self.tr("rater"), rating.label, scheme, rating.comment)
            )
        return CardGrid(cards, min_width=210)

    def _reviews(self, detail: CaseDetail) -> None:
        """The reviewers' decisions a lead merged in, each with its rationale, tags and
        confidence: what the lead settles a conflict from."""
        labels = {r.label for r in detail.reviews}
        count = len(detail.reviews)
        if len(labels) > 1:
            title = self.tr("Reviewers disagree ({0})").format(count)
        else:
            title = self.tr("Reviewers agree ({0})").format(count)
        self._layout.addWidget(section_title(title))
        cards: list[QWidget] = []
        for review in detail.reviews:
            facts = self.tr("reviewer")
            if review.confidence:
                facts += " · " + self.tr("{0} confidence").format(review.confidence)
            card = verdict_card(
                review.reviewer, facts, review.label, detail.scheme, review.rationale
            )
            if review.tags:
                tags = QWidget()
                flow = FlowLayout(tags, spacing=4)
                flow.setContentsMargins(0, 0, 0, 0)
                for tag in review.tags:
                    flow.addWidget(pill(tag, -1))
                card.body.insertWidget(card.body.count() - 1, tags)  # above the stretch
            cards.append(card)
        self._layout.addWidget(CardGrid(cards, min_width=240))

    def _outputs(self, case: Case, scheme: LabelScheme) -> None:
        if case.outputs:
            self._layout.addWidget(section_title(self.tr("Candidates")))
            candidates: list[QWidget] = [
                text_card(self.tr("Candidate {0}").format(name), text, _pickers(case, name, scheme))
                for name, text in case.outputs.items()
            ]
            self._layout.addWidget(CardGrid(candidates, min_width=300))
        if case.output is not None:
            self._layout.addWidget(text_card(self.tr("Output"), case.output))


def _pickers(case: Case, candidate: str, scheme: LabelScheme) -> QWidget | None:
    """Chips naming who preferred this candidate (judge and raters)."""
    names = [("judge", case.judge.label)] + [(r.rater, r.label) for r in case.ratings]
    chosen = [who for who, label in names if label.casefold() == candidate.casefold()]
    if not chosen:
        return None
    box = QWidget()
    lay = FlowLayout(box, spacing=4)  # wraps on narrow cards
    hue = theme.label_hue(candidate, scheme)
    for who in chosen:
        lay.addWidget(pill(f"✓ {who}", hue))
    return box
