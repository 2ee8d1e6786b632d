"""Between two judge runs, on the Alignment page: which two (the last two at first), McNemar's
exact p-value on their paired held-out cases, and the cases each *fixed* (wrong before, right
now) and *broken* (right before, wrong now), as buttons that open exactly those cases in the
queue (a click, or Tab to one and Enter/Space).

The page hands it the runs' names and a ``lookup(before, after)`` that gives the figures the
report holds (each run against the one before it); another pair is asked for with
``comparisonNeeded`` and shown when :meth:`set_comparison` brings it (the window computes it
off the GUI thread). Run names are plain text.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QPushButton, QWidget

from annotator.domain.alignment import Comparison
from annotator.ui import theme
from annotator.ui.case_cards import Card
from annotator.ui.plain import piece
from annotator.ui.widgets import plain_label, section_title
from annotator.untrusted import one_line


def p_text(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


LINK = """
QPushButton#changedCases {{ text-align: left; padding: 4px 10px; border-radius: 6px;
  border: 1px solid {border}; font-weight: 600; }}
QPushButton#changedCases[which="fixed"]:enabled {{ color: {fixed}; }}
QPushButton#changedCases[which="broken"]:enabled {{ color: {broken}; }}
QPushButton#changedCases:focus {{ border: 2px solid palette(highlight); }}
QPushButton#changedCases:hover {{ background-color: palette(alternate-base); }}
"""


class CompareBox(Card):
    casesRequested = Signal(int, int, str)
    """``(before, after, "fixed" | "broken")``: the runs' indexes; open those cases."""
    comparisonNeeded = Signal(int, int)
    """``(before, after)``: a pair the report does not hold; :meth:`set_comparison` shows it."""

    def __init__(
        self,
        names: list[str],
        lookup: Callable[[int, int], Comparison | None],
        parent: QWidget | None = None,
        *,
        threshold: float | None = None,
    ) -> None:
        """``threshold``: an ordered scale's, within which a run counts as right."""
        super().__init__("compareBox")
        if parent is not None:
            self.setParent(parent)
        self._lookup = lookup
        self._threshold = threshold
        self.body.addWidget(section_title(self.tr("Between two runs (held-out cases)")))
        pick = QGridLayout()
        pick.setHorizontalSpacing(8)
        self.before = QComboBox()
        self.after = QComboBox()
        for combo, label, tip in (
            (self.before, self.tr("Before:"), self.tr("The earlier run")),
            (self.after, self.tr("After:"), self.tr("The run it is compared with")),
        ):
            for i, name in enumerate(names):
                combo.addItem(f"{i + 1}. {piece(one_line(name, 40))}", i)
            # As wide as the box gives, not as the longest name asks.
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(12)
            combo.setToolTip(tip)
            combo.setAccessibleName(tip)
            row = pick.rowCount()
            pick.addWidget(plain_label(label, selectable=False, wrap=False), row, 0)
            pick.addWidget(combo, row, 1)
        pick.setColumnStretch(1, 1)
        self.body.addLayout(pick)
        if len(names) >= 2:  # the last two, the newest after
            self.before.setCurrentIndex(len(names) - 2)
            self.after.setCurrentIndex(len(names) - 1)

        mouse = Qt.TextInteractionFlag.TextSelectableByMouse  # (Tab goes to the runs and counts)
        self.p_value = plain_label("", selectable=False)
        self.p_value.setTextInteractionFlags(mouse)
        font = self.p_value.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.p_value.setFont(font)
        self.body.addWidget(self.p_value)
        self.detail = plain_label("", selectable=False)
        self.detail.setTextInteractionFlags(mouse)
        self.detail.setStyleSheet(f"color: {theme.muted_color().name()};")
        self.body.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.fixed = QPushButton()
        self.broken = QPushButton()
        for button, which, tip in (
            (self.fixed, "fixed", self.tr("Wrong before, right now: open them in the queue")),
            (self.broken, "broken", self.tr("Right before, wrong now: open them in the queue")),
        ):
            button.setObjectName("changedCases")
            button.setProperty("which", which)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.setAutoDefault(True)  # Enter opens it when it has the focus
            button.setToolTip(tip)
            button.clicked.connect(lambda _c=False, w=which: self._open(w))
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.body.addLayout(buttons)
        how = plain_label(
            self.tr(
                "Fixed: wrong before, right now. Broken: right before, wrong now. Click one, or "
                "Tab to it and press Enter, to review exactly those cases in the queue. "
                "McNemar's test reads only the cases that changed: many fixed and few broken "
                "is a real improvement; a handful either way may be chance."
            )
        )
        how.setStyleSheet(f"color: {theme.muted_color().name()};")
        self.body.addWidget(how)
        self.body.addStretch(1)
        dark = theme.is_dark()
        self.setStyleSheet(
            LINK.format(
                border=theme.border_color().name(),
                fixed="#7ee2a8" if dark else "#1a7f37",
                broken="#ff9b8f" if dark else "#b3261e",
            )
        )
        self.before.currentIndexChanged.connect(lambda _i: self.refresh())
        self.after.currentIndexChanged.connect(lambda _i: self.refresh())
        self.between: Comparison | None = None
        self.refresh()

    def pair(self) -> tuple[int, int]:
        return int(self.before.currentData()), int(self.after.currentData())

    def refresh(self) -> None:
        before, after = self.pair()
        if before == after:
            self.between = None
            self.p_value.setText(self.tr("Choose two different runs."))
            self.detail.setText("")
            for button in (self.fixed, self.broken):
                button.setText("")
                button.hide()
            return
        b = self._lookup(before, after)
        self.between = b
        if b is None:
            self.p_value.setText(self.tr("Comparing…"))
            self.detail.setText("")
            for button in (self.fixed, self.broken):
                button.hide()
            self.comparisonNeeded.emit(before, after)
            return
        self._show(b)

    def set_comparison(self, before: int, after: int, b: Comparison) -> None:
        """The comparison asked for with ``comparisonNeeded`` (shown if still chosen)."""
        if self.pair() == (before, after):
            self.between = b
            self._show(b)

    def _show(self, b: Comparison) -> None:
        self.p_value.setText(self.tr("McNemar's exact p = {0}").format(p_text(b.p_value)))
        if not b.fixed and not b.broken:
            why = self.tr("no case changed between the two runs, so there is nothing to test")
        elif b.p_value < 0.05:
            why = self.tr("the change is unlikely to be chance (p < 0.05)")
        else:
            why = self.tr("the change could well be chance (p ≥ 0.05): judge more cases")
        right = (
            self.tr(" Right: within ±{0:g} of the final label.").format(self._threshold)
            if self._threshold is not None
            else ""
        )
        self.detail.setText(
            self.tr("On {0} held-out cases both runs judged: {1}.").format(f"{b.n:,}", why) + right
        )
        for button, count, text in (
            (self.fixed, b.fixed, self.tr("Fixed: {0} ›")),
            (self.broken, b.broken, self.tr("Broken: {0} ›")),
        ):
            button.setText(text.format(f"{count:,}"))
            button.setEnabled(count > 0)
            button.show()

    def _open(self, which: str) -> None:
        before, after = self.pair()
        self.casesRequested.emit(before, after, which)
