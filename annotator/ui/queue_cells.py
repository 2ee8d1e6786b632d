"""What a cell of the queue shows, for each role the view asks (``queue_model.QueueModel``).

The model answers every role of a cell in one call (``multiData``), so these run for each role
of each cell painted: they stay plain functions of the row, with the roles as ints.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont

from annotator.domain.model import Kind, Status
from annotator.domain.split import Part
from annotator.services.queue import QueueRow
from annotator.ui import theme
from annotator.ui.plain import piece, safe_tooltip, shown

DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
TOOLTIP = int(Qt.ItemDataRole.ToolTipRole.value)
FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
FONT = int(Qt.ItemDataRole.FontRole.value)
USER = int(Qt.ItemDataRole.UserRole.value)
ANSWERED = frozenset((DISPLAY, TOOLTIP, FOREGROUND, FONT, USER))
"""The roles ``QueueModel.data`` answers."""
STATUS_MARK = {Status.UNDECIDED: "", Status.SKIPPED: "↷ skip", Status.DECIDED: "✓"}
DRAFT_MARK = "✎"
"""Beside the status of a case with typed text not saved yet (a draft)."""
DRAFT_TIP = "✎ typed, not saved yet (a draft)"
STALE_MARK = "v{0}↻"
"""Beside the status of a decision taken under an older rubric version (``QueueRow.rubric``)."""
STALE_TIP = "↻ decided under rubric v{0}; the rubric is now v{1}"
PART_TEXT = {Part.EXAMPLES: "examples", Part.HELDOUT: "held-out"}
"""The Split column (and the case view's pill): a decided case's part of the held-out split."""
PART_HUE = 200
"""The held-out part's colour (a hue; the examples part is grey)."""
SHORT_KIND = {
    Kind.JUDGE_VS_ALL: "vs all",
    Kind.JUDGE_VS_MAJORITY: "vs majority",
    Kind.RATERS_SPLIT: "raters split",
    Kind.AGREEMENT: "agreement",
    Kind.UNRATED: "no ratings",
}


def cell(item: QueueRow, column: str, role: int) -> Any:
    """A cell's value for ``role`` (``None``: the view's default)."""
    if role == DISPLAY:
        return display(item, column)
    if role == USER:
        return item.id
    if role == TOOLTIP:
        # Each piece from the file isolated, so an override in one cannot reverse the next.
        return safe_tooltip(
            f"{piece(item.ext_id)} — {item.kind.caption}"
            + (f" · {piece(item.criterion)}" if item.criterion else "")
            + f"\njudge: {piece(item.judge_label)}\n"
            + "\n".join(f"{piece(rater)}: {piece(label)}" for rater, label in item.ratings)
            + (f"\nfinal: {piece(item.final_label)}" if item.final_label else "")
            + ("\n" + DRAFT_TIP if item.draft else "")
            + ("\n" + STALE_TIP.format(*item.rubric) if item.rubric else "")
        )
    if role == FOREGROUND and column == "kind":
        return QBrush(theme.pill_colors(theme.KIND_HUES[item.kind])[1])
    if role == FOREGROUND and column == "status":
        return QBrush(QColor("#2e9d57") if item.status == Status.DECIDED else theme.muted_color())
    if role == FOREGROUND and column == "split" and item.part is not None:
        if item.part is Part.EXAMPLES:
            return QBrush(theme.muted_color())
        return QBrush(theme.pill_colors(PART_HUE)[1])
    if role == FONT and column == "final" and item.final_label:
        font = QFont()
        font.setBold(True)
        return font
    return None


def blind_tooltip(item: QueueRow) -> str:
    """A line's tooltip under blind-first review: its id, criterion and decision, nothing of
    what the judge or the raters said."""
    return safe_tooltip(
        piece(item.ext_id)
        + (f" · {piece(item.criterion)}" if item.criterion else "")
        + (f"\nfinal: {piece(item.final_label)}" if item.final_label else "")
        + ("\n" + DRAFT_TIP if item.draft else "")
    )


def display(item: QueueRow, column: str) -> str:
    """What a cell shows: text from the file with its control characters as marks
    (``plain.shown``), pieces joined isolated (``plain.piece``)."""
    if column == "id":
        return shown(item.ext_id)
    if column == "kind":
        return SHORT_KIND[item.kind]
    if column == "criterion":
        return shown(item.criterion) or "—"
    if column == "judge":
        return shown(item.judge_label)
    if column == "raters":
        # Compact: the labels only; the tooltip names the raters.
        return "  ".join(piece(label) for _rater, label in item.ratings) or "—"
    if column == "final":
        return shown(item.final_label or "")
    if column == "split":
        return PART_TEXT[item.part] if item.part is not None else ""
    mark = STATUS_MARK[item.status]
    if item.rubric:
        mark = f"{mark} {STALE_MARK.format(item.rubric[0])}"
    return f"{mark} {DRAFT_MARK}".strip() if item.draft else mark
