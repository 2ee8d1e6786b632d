"""The import dialog's preview: how the first records read as cases, their problems, and the
fields nothing reads. Everything from the file is plain text, its controls shown as marks."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QGroupBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from annotator.domain.model import DEFAULT_CRITERION, Case
from annotator.formats.errors import LineProblem
from annotator.formats.reader import ParsedCase
from annotator.ui.plain import piece, shown
from annotator.ui.widgets import plain_label
from annotator.untrusted import one_line

PREVIEW_CHARS = 300
WARNING_STYLE = "color: #b3261e;"


def _clip(text: str, limit: int = PREVIEW_CHARS) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def named_label(name: str, text: str = "", style: str = "") -> QLabel:
    """A word-wrapped plain-text label (``widgets.plain_label``), named for tests and styled."""
    label = plain_label(text)
    label.setObjectName(name)
    label.setStyleSheet(style)
    return label


class CasePreview(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Preview of the first case"))
        box = QVBoxLayout(self)
        self.summary = named_label("summaryLabel")
        self.text = QPlainTextEdit()
        self.text.setObjectName("previewText")
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        self.text.setMinimumHeight(140)
        self._problems = named_label("problemsLabel", style=WARNING_STYLE)
        self._ignored = named_label("ignoredLabel")
        for w in (self.summary, self.text, self._problems, self._ignored):
            box.addWidget(w)
        self.setMinimumWidth(360)

    def clear(self) -> None:
        self.summary.clear()
        self.text.clear()
        self._problems.hide()

    def show_items(
        self, items: list[ParsedCase | LineProblem], path: Path, note: str, strict: bool
    ) -> bool:
        """Show the first case of ``items`` and their problems; whether a case was read."""
        cases = [item.case for item in items if isinstance(item, ParsedCase)]
        problems = [item for item in items if isinstance(item, LineProblem)]
        counts = self.tr("{0} of {1} sample records can be read.").format(len(cases), len(items))
        self.summary.setText(counts + note)
        self.text.setPlainText(
            self.describe(cases[0])
            if cases
            else self.tr("No case could be read with these choices. Check the fields above.")
        )
        notes = [p.describe(path) for p in problems]
        if problems and strict:
            notes.append(self.tr("With “Refuse the whole file” on, this file would be refused."))
        self._problems.setText("\n".join(notes))
        self._problems.setVisible(bool(notes))
        return bool(cases)

    def add_to_summary(self, text: str) -> None:
        """A line from the files (how they met) under the summary, its controls as marks."""
        self.summary.setText(f"{self.summary.text()}\n{shown(text)}")

    def show_ignored(self, fields: list[str]) -> None:
        """The fields that look rated and that nothing reads (none: hidden)."""
        names = ", ".join(shown(one_line(f, 60)) for f in fields)
        self._ignored.setText(
            self.tr("Not imported (nothing above reads them): {0}.").format(names)
        )
        self._ignored.setVisible(bool(fields))

    def describe(self, case: Case) -> str:
        # Each piece from the file isolated, its controls as marks (plain.piece).
        lines = [self.tr("Case id: {0}").format(piece(case.id))]
        if case.criterion != DEFAULT_CRITERION:
            lines.append(self.tr("Criterion: {0}").format(piece(case.criterion)))
        lines.append(self.tr("Input: {0}").format(piece(_clip(case.input))))
        if case.output is not None:
            lines.append(self.tr("Output: {0}").format(piece(_clip(case.output))))
        for name, text in (case.outputs or {}).items():
            lines.append(self.tr("Candidate {0}: {1}").format(piece(name), piece(_clip(text))))
        lines.append(self.tr("Judge label: {0}").format(piece(case.judge.label)))
        if case.judge.rationale:
            rationale = piece(_clip(case.judge.rationale))
            lines.append(self.tr("Judge rationale: {0}").format(rationale))
        ratings = ", ".join(f"{piece(r.rater)}: {piece(r.label)}" for r in case.ratings)
        ratings = ratings or self.tr("(none)")
        lines.append(self.tr("Ratings: {0}").format(ratings))
        return "\n".join(lines)
