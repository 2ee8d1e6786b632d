"""The Agreement page's view before any review, for one criterion: the judge against the
original raters' consensus, and how far the raters agree among themselves.

Headline cards, then the tables the text report prints (``services.agreement``'s
``baseline_tables``): the same figures, names and footnotes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from annotator.domain.agreement import Figure, Interval
from annotator.services.agreement import (
    CriterionBaseline,
    Style,
    baseline_confusion,
    baseline_notes,
    baseline_sections,
    format_figure,
)
from annotator.services.agreement import glossary as g
from annotator.services.agreement.baseline_tables import (
    CASES,
    JUDGE,
    PER_LABEL,
    RATER_PAIRS,
    RATERS,
)
from annotator.services.agreement.glossary import explain
from annotator.ui.figure_tables import figure_card, judge_kappa, note_label, section_table
from annotator.ui.widgets import section_title


class BaselineView(QWidget):
    """One criterion's baseline: four headline cards, the judge's tables beside its confusion
    matrix against the consensus, the raters' agreement, and the notes."""

    def __init__(self, b: CriterionBaseline, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.baseline = b
        body = QVBoxLayout(self)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(12)
        body.addLayout(self._cards(b))
        tables = {s.title: s for s in baseline_sections(b)}
        middle = QHBoxLayout()
        middle.setSpacing(16)
        left = QVBoxLayout()
        for title in (JUDGE, PER_LABEL, RATERS, RATER_PAIRS):
            left.addWidget(section_title(self.tr(title)))
            left.addWidget(section_table(tables[title]))
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(section_title(self.tr("Where the judge differs from the raters")))
        right.addWidget(section_table(baseline_confusion(b)))
        how = self.tr("Rows: the raters' consensus. Columns: the judge.")
        if b.judge.within is not None:  # the cells are labels; agreeing is from the median
            how += self.tr(
                " Exact labels: agreeing within the threshold is measured from the raters' "
                "median, which the row's label only names."
            )
        right.addWidget(note_label(how))
        right.addWidget(section_title(self.tr(CASES)))
        right.addWidget(section_table(tables[CASES]))
        right.addStretch(1)
        middle.addLayout(left, 3)
        middle.addLayout(right, 2)
        body.addLayout(middle)
        for note in baseline_notes(b):
            body.addWidget(note_label(note))

    def _cards(self, b: CriterionBaseline) -> QHBoxLayout:
        j, rel, a, h = b.judge, b.raters.reliability, b.raters.alpaca_eval, b.raters.ceiling
        level = self.tr("ordinal") if b.scale.ordinal else self.tr("nominal")
        agrees: tuple[str, Figure, Interval, Style, str, str | None] = (
            self.tr("Judge accuracy"),
            j.accuracy,
            j.accuracy_interval,
            "rate",
            self.tr("against the raters' consensus"),
            explain(g.EXACT),
        )
        if j.within is not None and j.within_interval is not None:
            # The judge agreeing as the kinds and the summary say; exact agreement beside.
            within = f" (±{b.threshold:g})" if b.threshold is not None else ""
            agrees = (
                self.tr("Judge agrees") + within,
                j.within,
                j.within_interval,
                "rate",
                self.tr("exact agreement {0}; agrees: within the threshold of the raters' "
                        "median").format(format_figure(j.accuracy, "rate")),
                explain(g.WITHIN),
            )  # fmt: skip
        kappa_name, kappa, kappa_interval, kappa_hint, kappa_tip = judge_kappa(j)
        if j.scores is not None:
            kappa_hint += self.tr("; Spearman vs the raters' mean {0}").format(
                format_figure(j.scores.spearman)
            )
        else:
            kappa_hint += self.tr("; macro F1 {0}").format(format_figure(j.macro_f1))
        cards: tuple[tuple[str, Figure, Interval, Style, str, str | None], ...] = (
            agrees,
            (self.tr(kappa_name), kappa, kappa_interval, "coefficient", kappa_hint, kappa_tip),
            (
                self.tr("Raters' alpha"),
                rel.alpha,
                rel.alpha_interval,
                "coefficient",
                self.tr("Krippendorff's, {0}; Fleiss' kappa {1}").format(
                    level, format_figure(rel.fleiss)
                ),
                explain(g.ALPHA_ORDINAL if b.scale.ordinal else g.ALPHA_NOMINAL),
            ),
            (
                self.tr("AlpacaEval agreement"),
                a.judge,
                a.judge_interval,
                "rate",
                self.tr("the judge's; the raters': {0}; human ceiling: {1}").format(
                    format_figure(a.humans, "rate"), format_figure(h.humans, "rate")
                ),
                explain("AlpacaEval human agreement"),
            ),
        )
        row = QHBoxLayout()
        for name, figure, interval, style, hint, tip in cards:
            row.addWidget(figure_card(name, figure, interval, style, hint, tip), 1)
        return row
