"""The names of the figures, and one sentence each on what a figure says and when to read it:
the Agreement page's tooltips (docs/agreement.md says the same at length).

A table's row is named by one of these names, sometimes with a detail after a comma or in
parentheses (``agreement within the threshold (±1)``, ``Cohen's kappa, a / b``):
:func:`explain` finds the sentence by the longest name the row's name starts with.
"""

from __future__ import annotations

EXACT = "exact agreement (accuracy)"
WITHIN = "agreement within the threshold"
KAPPA = "Cohen's kappa"
KAPPA_LINEAR = "Cohen's kappa, linear-weighted"
KAPPA_QUADRATIC = "Cohen's kappa, quadratic-weighted"
AC1 = "Gwet's AC1"
AC2 = "Gwet's AC2 (ordinal weights)"
MACRO_F1 = "macro F1"
SPEARMAN = "Spearman's rho, judge vs raters' mean"
KENDALL = "Kendall's tau-b, judge vs raters' mean"
PEARSON = "Pearson's r, judge vs raters' mean"
MAE = "mean absolute error, judge vs raters' mean"
PERCENT = "percent agreement"
FLEISS = "Fleiss' kappa"
ALPHA_NOMINAL = "Krippendorff's alpha, nominal"
ALPHA_ORDINAL = "Krippendorff's alpha, ordinal"
ALPHA_INTERVAL = "Krippendorff's alpha, interval"
ANCHOR_CHANGED = "changed after the reveal"
ANCHOR_TO_JUDGE = "of the changes: to the judge's label"
ANCHOR_TO_CONSENSUS = "of the changes: to the raters' consensus"
ANCHOR_ELSEWHERE = "of the changes: elsewhere"
ANCHOR_FIRST_RIGHT = "first label right"
ANCHOR_FINAL_RIGHT = "final label right"

HELP: dict[str, str] = {
    "accuracy": "The share of cases where the two labels are the same label (exact match).",
    EXACT: (
        "The share of cases where the judge gave exactly the reference label (the consensus "
        "label, or the final label): a step off counts as a miss, even within the threshold."
    ),
    WITHIN: (
        "The share of cases where the judge is within the criterion's threshold of the "
        "raters' median (before review) or of the final label (after): what the kinds, the "
        'summary and "who was right" count as the judge being right; exact agreement beside.'
    ),
    KAPPA: (
        "Agreement beyond chance, every different label a full miss; it falls toward 0 when "
        "one label dominates even if agreement is high (read Gwet's AC1 then)."
    ),
    KAPPA_LINEAR: (
        "Kappa where a miss costs its distance on the scale: read it for a judge on a Likert "
        "scale, where 4 against 5 is nearly right."
    ),
    KAPPA_QUADRATIC: (
        "Kappa where a miss costs its squared distance on the scale, so near misses barely "
        "count: the usual figure for a judge on a Likert scale."
    ),
    AC1: (
        "Gwet's chance-corrected agreement, which stays meaningful when one label dominates "
        "(where kappa collapses although agreement is high)."
    ),
    AC2: (
        "Gwet's AC with ordinal weights: near misses count as partial agreement, and it stays "
        "meaningful when one label dominates."
    ),
    MACRO_F1: "The mean over the labels that occur of each label's F1 (precision and recall).",
    SPEARMAN: (
        "The rank correlation of the judge's score with the raters' mean score, case by case: "
        "does the judge order the cases as the raters do? Read it with weighted kappa."
    ),
    KENDALL: (
        "Kendall's tau-b of the judge's score and the raters' mean: the share of pairs of "
        "cases the judge orders as the raters do, minus those it orders the other way."
    ),
    PEARSON: (
        "The linear correlation of the judge's score with the raters' mean; high when the "
        "judge tracks the raters even with a constant offset."
    ),
    MAE: (
        "The mean distance, in the scale's points, between the judge's score and the raters' "
        "mean: how far off the judge is on a typical case."
    ),
    PERCENT: "The share of pairs of people who chose the same label on a case, over the cases.",
    FLEISS: "Agreement among many raters beyond chance, every different label a full miss.",
    ALPHA_NOMINAL: (
        "Krippendorff's alpha with every different label a full miss; missing ratings are allowed."
    ),
    ALPHA_ORDINAL: (
        "Krippendorff's alpha using the labels' order and how often each is used: the "
        "raters' agreement on an ordered scale."
    ),
    ALPHA_INTERVAL: (
        "Krippendorff's alpha with squared differences of the labels' numbers: for a scale "
        "whose steps are equal (a Likert scale)."
    ),
    "human ceiling": (
        "How often one rater agrees with the mode of the others, each left out in turn: the "
        "best a judge can be expected to do."
    ),
    "judge vs the same references": (
        "The judge scored as the human ceiling scores a rater: comparable with the ceiling."
    ),
    ANCHOR_CHANGED: (
        "The share of blind-first decisions whose final label is not the first label the "
        "reviewer committed before the judge and the raters were shown."
    ),
    ANCHOR_TO_JUDGE: (
        "Of the labels changed after the reveal, the share whose final label is the judge's "
        "(also where the raters' consensus is the same label)."
    ),
    ANCHOR_TO_CONSENSUS: (
        "Of the labels changed after the reveal, the share whose final label is the raters' "
        "consensus where the judge said otherwise."
    ),
    ANCHOR_ELSEWHERE: (
        "Of the labels changed after the reveal, the share whose final label is neither the "
        "judge's nor the raters' consensus."
    ),
    ANCHOR_FIRST_RIGHT: (
        "On settled cases, the share of first labels (before the reveal) that are the final "
        "label (the lead's decision, or the reviewers' unanimous label)."
    ),
    ANCHOR_FINAL_RIGHT: (
        "On settled cases, the share of the reviewer's own final labels that are the case's "
        "final label."
    ),
    "AlpacaEval human agreement": (
        "AlpacaEval's leave-one-out agreement, computed as AlpacaEval computes it."
    ),
}


def explain(name: str) -> str | None:
    """The sentence for a row's figure name, or None; a name of the judge's figures
    ("judge agreement within the threshold (±1)") by the figure's own name."""
    best = max((k for k in HELP if name.startswith(k)), key=len, default=None)
    if best is None and name.startswith("judge "):
        return explain(name.removeprefix("judge "))
    return HELP[best] if best is not None else None
