"""The baseline before any review as tables and sentences, shared by the text, Markdown and
HTML renderers, the summary and the window (as ``tables`` does for the report's figures
against the final labels)."""

from __future__ import annotations

from annotator.services.agreement import glossary as g
from annotator.services.agreement.report import LEVEL, CriterionBaseline
from annotator.services.agreement.tables import (
    Cell,
    Marked,
    Section,
    chance_rows,
    confusion_section,
    figure_cell,
    figure_row,
    interval_cell,
    reliability_rows,
)

BEFORE_TITLE = "Before any review: the judge against the original raters"
AFTER_TITLE = "After review: against the final labels"
NO_DECISIONS = "no decisions yet: nothing to compare with final labels"
CASES = "Cases before review"
JUDGE = "The judge against the raters' consensus"
PER_LABEL = "The judge per label, against the raters' consensus"
RATERS = "Among the original raters"
RATER_PAIRS = "Rater pairs"

ORDINAL_ACCURACY = (
    "on an ordered scale the consensus is the raters' median, named by the rater label nearest "
    "to it (the lower on a tie); accuracy, kappa and F1 count exact matches with that label"
)
WITHIN = (
    "the judge within the threshold of the raters' median: the summary's \"judge vs raters' "
    'consensus"; outside it, a case is judge vs majority or judge vs all raters'
)

SCORES = (
    "the judge's raw score where the case has one, else its label's number (its position "
    "where the labels are words), against the mean of the raters' labels' numbers, on every "
    "case with a judge label and a rating"
)


def baseline_sections(b: CriterionBaseline) -> list[Section]:
    """The baseline's tables of one criterion, in reading order."""
    return [_cases(b), _judge(b), _per_label(b), _raters(b), rater_pairs_section(b)]


def baseline_confusion(b: CriterionBaseline) -> Section:
    """The judge's confusion matrix against the consensus: consensus in rows."""
    return confusion_section(b.judge.confusion, "consensus \\ judge")


def _cases(b: CriterionBaseline) -> Section:
    c = b.counts
    rows: list[tuple[Cell, ...]] = [
        ("cases", str(c.cases)),
        ("not rated", str(c.unrated)),
        ("rated once", str(c.one_rating)),
        (
            "raters without a consensus",
            str(c.no_consensus) if c.no_consensus is not None else "not known",
        ),
        ("no judge label", str(c.no_judge)),
    ]
    if c.outside:
        rows.append(("ratings outside the scale, left out", str(c.outside)))
    return Section(CASES, ("", "count"), tuple(rows), (False, True))


_HEADERS = ("figure", "value", f"{LEVEL:.0%} CI", "n")
_NUMERIC = (False, True, False, True)


def _judge(b: CriterionBaseline) -> Section:
    j = b.judge
    ordinal = b.scale.ordinal
    rows = []
    if j.within is not None:  # the judge agreeing as the kinds say first, exact beside
        within = f"{g.WITHIN} (±{b.threshold:g})" if b.threshold is not None else g.WITHIN
        rows.append(figure_row(Marked(within, WITHIN), j.within, j.within_interval, "rate"))
    rows.append(
        figure_row(
            Marked(g.EXACT, ORDINAL_ACCURACY) if ordinal else "accuracy",
            j.accuracy,
            j.accuracy_interval,
            "rate",
        )
    )
    rows.append(figure_row(g.KAPPA, j.kappa, j.kappa_interval, "coefficient"))
    rows += chance_rows(j.chance)
    rows.append(figure_row(g.MACRO_F1, j.macro_f1, j.macro_f1_interval, "coefficient"))
    if j.scores is not None:
        s = j.scores
        rows += [
            figure_row(g.SPEARMAN, s.spearman, s.spearman_interval, "coefficient"),
            figure_row(g.KENDALL, s.kendall, s.kendall_interval, "coefficient"),
            figure_row(g.PEARSON, s.pearson, s.pearson_interval, "coefficient"),
            figure_row(Marked(g.MAE, SCORES), s.mae, s.mae_interval, "coefficient"),
        ]
    return Section(JUDGE, _HEADERS, tuple(rows), _NUMERIC)


def _per_label(b: CriterionBaseline) -> Section:
    return Section(
        PER_LABEL,
        ("label", "precision", "recall", "F1", "consensus is this label"),
        tuple(
            (
                s.label,
                figure_cell(s.precision, "rate"),
                figure_cell(s.recall, "rate"),
                figure_cell(s.f1),
                str(s.support),
            )
            for s in b.judge.per_label
        ),
        (False, True, True, True, True),
    )


def _raters(b: CriterionBaseline) -> Section:
    r = b.raters
    rel, h, a = r.reliability, r.ceiling, r.alpaca_eval
    return Section(
        RATERS,
        _HEADERS,
        (
            *reliability_rows(rel),
            figure_row("human ceiling (leave-one-out)", h.humans, h.humans_interval, "rate"),
            figure_row("judge vs the same references", h.judge, h.judge_interval, "rate"),
            figure_row("AlpacaEval human agreement, raters", a.humans, a.humans_interval, "rate"),
            figure_row("AlpacaEval human agreement, judge", a.judge, a.judge_interval, "rate"),
        ),
        _NUMERIC,
    )


def rater_pairs_section(b: CriterionBaseline) -> Section:
    """Cohen's kappa of each pair of raters with its interval (weighted too on an ordered
    scale), ``n`` the cases both rated; the pairs not listed in a last row."""
    p = b.raters.pairs
    ci = f"{LEVEL:.0%} CI"
    headers: tuple[str, ...] = ("rater", "rater", "n", "kappa", ci)
    if b.scale.ordinal:
        headers += ("linear", ci, "quadratic", ci)
    rows: list[tuple[Cell, ...]] = []
    for x in p.pairs:
        row: tuple[Cell, ...] = (
            x.first, x.second, str(x.kappa.n), figure_cell(x.kappa),
            interval_cell(x.kappa_interval, "coefficient"),
        )  # fmt: skip
        for f, i in ((x.kappa_linear, x.kappa_linear_interval),
                     (x.kappa_quadratic, x.kappa_quadratic_interval)):  # fmt: skip
            if f is not None and i is not None:
                row += (figure_cell(f), interval_cell(i, "coefficient"))
        rows.append(row)
    if not p.pairs:
        rows.append(("no two raters", "") + ("",) * (len(headers) - 2))
    if p.not_listed:
        rows.append(
            (Marked(f"{p.not_listed} more pairs", RATER_PAIRS_LEFT.format(len(p.pairs))),)
            + ("",) * (len(headers) - 1)
        )
    return Section(
        RATER_PAIRS,
        headers,
        tuple(rows),
        (False, False, True) + (True, False) * (len(headers) // 2 - 1),
    )


RATER_PAIRS_LEFT = "only the {0} pairs with the most cases in common are listed"


def baseline_notes(b: CriterionBaseline) -> list[str]:
    """Plain sentences that go with a criterion's baseline tables."""
    c, j = b.counts, b.judge
    notes = []
    if c.no_consensus is None:
        notes.append(
            "The scale is ordered and its threshold is not in the files, so the raters' "
            "consensus is not known: give the workspace for the judge against it."
        )
    else:
        left = c.unrated + c.no_consensus + c.no_judge
        notes.append(
            f"The judge is compared with the raters' consensus on {j.accuracy.n} of {c.cases} "
            f"case(s); left out: {c.unrated} not rated, {c.no_consensus} whose raters have no "
            f"consensus, {c.no_judge} without a judge label."
            if left
            else f"The judge is compared with the raters' consensus on all {c.cases} case(s)."
        )
    notes.append(
        "Among the raters, the figures count the cases rated two or more times; "
        "AlpacaEval human agreement is computed as AlpacaEval computes it (docs/agreement.md)."
    )
    return notes
