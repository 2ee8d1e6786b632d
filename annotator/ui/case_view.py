"""The case: who said what (judge and each rater, side by side), then input, output(s), reference.

Every piece of case text is shown with plain-text labels: no HTML is interpreted, nothing fetched.

The view is built once and then only filled in: moving to the next case sets the text of the
cards it has (hiding the ones this case does not need) instead of deleting and creating a few
hundred widgets, and cards and pills paint themselves rather than each carrying a style sheet
(the cards, their grids and pools are in ``case_cards``).
That keeps a next-case action within a frame (docs/benchmarks.md, "Next case").
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QScrollBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from annotator.domain.model import Case, LabelScheme, Status
from annotator.domain.split import Part
from annotator.services.review import CaseDetail
from annotator.ui import theme
from annotator.ui.case_cards import (
    Card,
    CardGrid,
    Pool,
    RatingsCard,
    TextCard,
    VerdictCard,
    clear_cards,
    park,
)
from annotator.ui.plain import piece, safe_tooltip, shown
from annotator.ui.queue_cells import PART_HUE, PART_TEXT
from annotator.ui.run_cards import RunsOf, fill_run_cards, imported_judge_text, no_runs
from annotator.ui.widgets import (
    ElidedLabel,
    PillFlow,
    held_layouts,
    plain_label,
    restore_muted,
    section_title,
    set_muted,
    show_if,
)

MANY_RATERS = 6
"""With more ratings than this, they share one compact card instead of a card each."""


class CaseView(QScrollArea):
    rubricRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        # The case rewraps to the width it is given (cards in fewer columns, text wrapped, pills
        # and names cut with "…"): it never scrolls sideways.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The scroll bar keeps its room while a case fits: shown only for a case that scrolls,
        # it narrowed the case going from one that fits to one that does not (and back), and
        # every text was wrapped again, the case laid out and painted twice (a jump, and the
        # slowest next cases of docs/benchmarks.md).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the keys scroll it (F6 comes here)
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
        # The kind, criterion and status: they wrap under each other on a narrow view.
        self._pills = PillFlow()
        row.addWidget(self._pills, 1)
        self._position = ElidedLabel()  # "8 / 43"
        self._position.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self._position.setSizePolicy(QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Preferred)
        set_muted(self._position)
        row.addWidget(self._position)
        rubric = QPushButton(self.tr("Rubric (F1)"))
        rubric.setFlat(True)
        rubric.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        rubric.clicked.connect(self.rubricRequested)
        row.addWidget(rubric)
        self._layout.addLayout(row)

        # Who said what: the judge, the raters, the reviewers a lead merged in. All of it is
        # in ``_who`` and filled only when the case is not shown blind (``CaseDetail.blind``):
        # one switch hides it under blind-first review (``_show_who``).
        self._who = QWidget()
        who = QVBoxLayout(self._who)
        who.setContentsMargins(0, 0, 0, 0)
        who.setSpacing(12)
        self._layout.addWidget(self._who)
        who.addWidget(self._section(self.tr("Who said what")))
        self._verdicts = CardGrid(min_width=210)
        who.addWidget(self._verdicts)
        self._judge = VerdictCard()
        self._raters = Pool(VerdictCard, self._verdicts, self._apply_font)
        self._runs = Pool(VerdictCard, self._verdicts, self._apply_font)
        """A card per judge run, when the project has more than its imported judge."""
        self.runs_of: RunsOf = no_runs
        """The judge runs' verdicts on a case (the window gives the service's)."""
        self._ratings = RatingsCard()
        self._unrated = Card("verdictCard")
        self._unrated.body.addWidget(plain_label(self.tr("No human ratings")))
        for card in (self._judge, self._ratings, self._unrated):
            park(card, self._verdicts)

        self._reviews_title = self._section()
        who.addWidget(self._reviews_title)
        self._reviews = CardGrid(min_width=240)
        who.addWidget(self._reviews)
        self._reviewers = Pool(VerdictCard, self._reviews, self._apply_font)
        self._blind_note = plain_label(
            self.tr(
                "Blind first: the judge's verdict and the raters' labels are hidden. Pick your "
                "first label (1–9) and reveal them with Ctrl+Space."
            )
        )
        self._blind_note.setObjectName("blindNote")
        set_muted(self._blind_note)
        self._layout.addWidget(self._blind_note)

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
        self._held = [
            layout
            for layout in (
                self._inner.layout(),
                self._layout,
                who,
                self._verdicts.layout(),
                self._reviews.layout(),
                self._candidates.layout(),
            )
            if layout is not None
        ]
        """The layouts a case is laid out in once, after it is filled (``held_layouts``)."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """With the focus here (F6, or a click): Space and Shift+Space page down and up, as
        PageDown and PageUp do (and the arrows, Home and End)."""
        bar = self.verticalScrollBar()
        key = event.key()
        if key == Qt.Key.Key_Space and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            back = event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            step = QScrollBar.SliderAction.SliderPageStepSub
            bar.triggerAction(step if back else QScrollBar.SliderAction.SliderPageStepAdd)
        elif key in (Qt.Key.Key_Home, Qt.Key.Key_End) and not event.modifiers():
            bar.setValue(bar.minimum() if key == Qt.Key.Key_Home else bar.maximum())
        else:
            super().keyPressEvent(event)

    def read(self) -> None:
        """Take the keys, to scroll the case (F6)."""
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)

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
        with held_layouts(self._held):
            show_if(self._empty, False)
            if theme.is_dark() != self._dark:  # the system went light or dark: muted text too
                self._dark = theme.is_dark()
                restore_muted(self)
            self._header(detail, position)
            self._show_who(detail)
            case = detail.case
            self._input.fill(case.input)
            self._show_outputs(case, detail.scheme, blind=detail.blind)
            show_if(self._reference, case.reference is not None)
            self._reference.fill(case.reference or "")
            meta = " · ".join(f"{piece(k)}: {piece(str(v))}" for k, v in case.meta.items())
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
        self._pills.set_pills([])
        self._clear_who()
        clear_cards(self._candidate_cards.spares(0))
        for card in (self._input, self._output, self._reference):
            card.fill("")
        self._meta.clear()

    def _header(self, detail: CaseDetail, position: str) -> None:
        self._title.set_full_text(shown(detail.case.id))
        self._title.setMinimumWidth(min(self._title.sizeHint().width(), 100))
        kind = detail.classification.kind
        # (blind: the kind says who disagrees with whom)
        pills = [] if detail.blind else [(kind.caption, theme.KIND_HUES[kind])]
        if detail.case.criterion:
            pills.append((shown(detail.case.criterion), -1))
        status = {
            Status.DECIDED: (self.tr("decided"), 140),
            Status.SKIPPED: (self.tr("skipped"), -1),
        }.get(detail.status)
        if status is not None:
            pills.append(status)
        if detail.part is not None:  # its part of the held-out split (docs/alignment.md)
            hue = PART_HUE if detail.part is Part.HELDOUT else -1
            pills.append((self.tr(PART_TEXT[detail.part]), hue))
        if detail.stale_rubric is not None:  # decided under an older rubric version
            old, now = detail.stale_rubric, detail.rubric_version
            pills.append((self.tr("decided under v{0}; rubric now v{1}").format(old, now), 30))
        self._pills.set_pills(pills)
        self._position.set_full_text(position)

    def _show_who(self, detail: CaseDetail) -> None:
        """Who said what, or (the case shown blind) nothing of it: its cards emptied, the
        area hidden, and a note on how to reveal it in its place."""
        show_if(self._blind_note, detail.blind)
        if detail.blind:
            self._clear_who()
            show_if(self._who, False)
            return
        self._show_verdicts(detail)
        self._show_reviews(detail)
        show_if(self._who, True)

    def _clear_who(self) -> None:
        """Let go of every verdict, rating and review shown (no text stays behind)."""
        self._judge.clear()
        self._ratings.clear()
        clear_cards(self._raters.spares(0))
        clear_cards(self._reviewers.spares(0))
        clear_cards(self._runs.spares(0))

    def _show_verdicts(self, detail: CaseDetail) -> None:
        case, scheme = detail.case, detail.scheme
        judge = case.judge
        extra = " · ".join(
            x
            for x in (
                piece(judge.model) if judge.model else "",
                f"score {judge.score:g}" if judge.score is not None else "",
            )
            if x
        )
        hue = theme.label_hue(judge.label, scheme)
        self._judge.fill(self.tr("Judge"), extra, judge.label, hue, judge.rationale)
        verdicts = self.runs_of(detail) if detail.other_runs else ()  # (none: nothing to ask)
        runs = fill_run_cards(self._runs, verdicts, scheme)
        imported = next((v.run for v in verdicts if v.imported), None)
        if imported is not None and not detail.blind:  # (the kind's pill is the first)
            self._pills.set_tooltip(0, safe_tooltip(imported_judge_text(imported)))
        cards: list[QWidget] = [*runs] if runs else [self._judge]
        if not case.ratings:
            cards.append(self._unrated)
        if len(case.ratings) > MANY_RATERS:
            self._ratings.fill(case, scheme, self.tr("{0} raters").format(len(case.ratings)))
            cards.append(self._ratings)
            self._verdicts.show_cards(cards, min_width=320)
            clear_cards(self._raters.spares(0))
            return
        self._ratings.clear()
        raters = self._raters.take(len(case.ratings))
        clear_cards(self._raters.spares(len(raters)))
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
        clear_cards(self._reviewers.spares(count))
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

    def _show_outputs(self, case: Case, scheme: LabelScheme, *, blind: bool = False) -> None:
        """The output, or the candidates of a pairwise case (with who preferred each, unless
        the case is shown ``blind``)."""
        outputs = case.outputs or {}
        names = list(outputs)
        show_if(self._candidates_title, bool(names))
        show_if(self._candidates, bool(names))
        clear_cards(self._candidate_cards.spares(len(names)))
        if names:
            cards = self._candidate_cards.take(len(names))
            for card, name in zip(cards, names, strict=True):
                title = self.tr("Candidate {0}").format(piece(name))
                card.fill(outputs[name], title, [] if blind else _pickers(case, name, scheme))
            self._candidates.show_cards(cards)
        show_if(self._output, case.output is not None)
        self._output.fill(case.output or "")


def _pickers(case: Case, candidate: str, scheme: LabelScheme) -> list[tuple[str, int]]:
    """Chips naming who preferred this candidate (judge and raters)."""
    names = [("judge", case.judge.label)] + [(r.rater, r.label) for r in case.ratings]
    hue = theme.label_hue(candidate, scheme)
    return [
        (f"✓ {piece(who)}", hue) for who, label in names if label.casefold() == candidate.casefold()
    ]
