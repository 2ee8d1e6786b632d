"""The judge runs' verdicts in the case view: a card per run, the current run first, each named
after its run (``services.judge_runs.case_verdicts``; with only the imported judge, the case view
shows its one judge card as before)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication

from annotator.domain.model import LabelScheme
from annotator.services.judge_runs import IMPORTED_NAME, RunVerdict
from annotator.services.review import CaseDetail
from annotator.ui import theme
from annotator.ui.case_cards import Pool, VerdictCard, clear_cards
from annotator.ui.plain import piece, safe_tooltip

NAME_WIDTH = 150
"""A run's name keeps up to this width in its card before it is elided."""
RunsOf = Callable[[CaseDetail], Sequence[RunVerdict]]
"""What the case view asks for a case's runs (the window gives it the service's)."""


def no_runs(_detail: CaseDetail) -> Sequence[RunVerdict]:
    return ()


def _tr(text: str) -> str:
    return QCoreApplication.translate("RunCards", text)


def imported_judge_text(name: str) -> str:
    """Which judge the queue's Judge column, the kinds and "Who was right: Judge" are about,
    once there are other runs: the imported one, named."""
    return _tr(
        "The imported judge (run '{0}'): the queue's Judge column, the case's kind and "
        "'Who was right: Judge' are about this judge, not the newest run. File › Judge runs… "
        "lists the runs."
    ).format(name)


def run_detail(run: RunVerdict) -> str:
    """The card's second line: which run this is (the imported judge: the queue's judge, the
    one the kinds are about), its model, its score."""
    if run.imported:  # (named after the imported judge already: not said twice)
        said = run.run == IMPORTED_NAME
        parts = (
            [_tr("the queue's judge")]
            if said
            else [_tr("imported judge"), _tr("the queue's judge")]
        )
    else:
        parts = [_tr("current run") if run.current else _tr("earlier run")]
    model = run.verdict.model if run.verdict is not None and run.verdict.model else run.model
    if model and model != run.run:
        parts.append(piece(model))
    if run.verdict is not None and run.verdict.score is not None:
        parts.append(_tr("score {0}").format(f"{run.verdict.score:g}"))
    return " · ".join(parts)


def fill_run_cards(
    pool: Pool[VerdictCard], runs: Sequence[RunVerdict], scheme: LabelScheme
) -> list[VerdictCard]:
    """A card per run, in the order given (the current first); the spare cards emptied."""
    cards = pool.take(len(runs))
    clear_cards(pool.spares(len(cards)))
    for card, run in zip(cards, runs, strict=True):
        if run.verdict is None:
            text = _tr("This run has no verdict on this case.")
            card.fill(run.run, run_detail(run), "–", -1, text)
        else:
            hue = theme.label_hue(run.verdict.label, scheme)
            card.fill(run.run, run_detail(run), run.verdict.label, hue, run.verdict.rationale)
        card.setToolTip(safe_tooltip(imported_judge_text(run.run)) if run.imported else "")
        # The run's name in full before its detail gives way (up to a point: the label pill).
        card.name.setMinimumWidth(min(card.name.sizeHint().width(), NAME_WIDTH))
    return cards
