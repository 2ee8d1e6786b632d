"""The agreement report as JSON: keys in a fixed order, an undefined figure as ``null`` with
its reason (never NaN)."""

from __future__ import annotations

import json
from typing import Any

from annotator.domain.agreement import Figure, Interval, LabelScore
from annotator.domain.anchoring import Anchoring, Rate, ReviewerAnchoring
from annotator.domain.merge import Scale
from annotator.services.agreement.anchoring_tables import anchoring_notes
from annotator.services.agreement.judge import FROM_FILES, NO_MODEL, NO_RUN_YET, MeasuredJudge
from annotator.services.agreement.report import (
    AgreementReport,
    ChanceCorrected,
    Counts,
    CriterionBaseline,
    CriterionReport,
    HumanCeiling,
    JudgeVsTruth,
    RaterPairs,
    Reliability,
    Rule,
    ScoreAgreement,
)
from annotator.services.agreement.rubric_gaps import gaps_json
from annotator.untrusted import json_safe

REPORT_FORMAT = "annotator.agreement"
REPORT_VERSION = 1


def report_to_json(
    report: AgreementReport, *, overruled_limit: int | None = None
) -> dict[str, Any]:
    """The report as JSON-ready data, keys in a fixed order; an undefined figure has
    ``"value": null`` and its ``"reason"``. ``overruled_limit`` keeps the first cases of each
    person's overruled list (``"overruled"`` still gives the full count): with a million
    cases the full lists run to hundreds of megabytes."""
    return {
        "format": REPORT_FORMAT,
        "format_version": REPORT_VERSION,
        "seed": report.seed,
        "resamples": report.resamples,
        "level": report.level,
        "counts": _counts_json(report.counts),
        "criteria": [_criterion_json(c, overruled_limit) for c in report.criteria],
        "baseline": (
            [criterion_baseline_json(b) for b in report.baseline.criteria]
            if report.baseline is not None
            else None
        ),
        "anchoring": anchoring_json(report.anchoring),
        "rubric_gaps": gaps_json(report),
        "measured_judge": measured_judge_json(report.measured_judge),
        "measured_judge_why": None if report.measured_judge is not None else FROM_FILES,
    }


def measured_judge_json(j: MeasuredJudge | None) -> dict[str, Any] | None:
    """Which judge the "judge" figures are of: the imported run's name and model (each null
    with its ``*_why`` when there is none), and every run added later, which they leave out
    (the sentence names the first few)."""
    if j is None:
        return None
    return {
        "run": j.name,
        "run_why": None if j.name is not None else NO_RUN_YET,
        "model": j.model or None,
        "model_why": None if j.model else NO_MODEL,
        "runs_left_out": list(j.others),
    }


def _counts_json(c: Counts) -> dict[str, int]:
    return {
        "cases": c.cases,
        "settled": c.settled,
        "unanimous": c.unanimous,
        "lead": c.lead,
        "conflicts": c.conflicts,
        "unreviewed": c.unreviewed,
    }


def _figure_json(f: Figure | None) -> dict[str, Any] | None:
    if f is None:
        return None
    return {"value": f.value, "n": f.n, "reason": f.reason, "note": f.note}


def _interval_json(i: Interval) -> dict[str, Any]:
    return {
        "low": i.low,
        "high": i.high,
        "level": i.level,
        "resamples": i.resamples,
        "seed": i.seed,
        "undefined_resamples": i.undefined_resamples,
        "reason": i.reason,
    }


def figure_with_interval(f: Figure, i: Interval) -> dict[str, Any]:
    out = _figure_json(f)
    assert out is not None
    out["interval"] = _interval_json(i)
    return out


NOT_ORDERED = "the scale is not ordered (nominal): the figure needs an order"
"""Why a figure of an ordered scale has no value on a nominal one."""


def _ordered(f: Figure | None, i: Interval | None = None) -> dict[str, Any]:
    """A figure of an ordered scale: ``value`` null and why on a nominal scale, never a bare
    null."""
    if f is None:
        out: dict[str, Any] = {"value": None, "n": 0, "reason": NOT_ORDERED, "note": None}
        return out
    return figure_with_interval(f, i) if i is not None else _with_figure(f)


def _with_figure(f: Figure) -> dict[str, Any]:
    out = _figure_json(f)
    assert out is not None
    return out


def _chance_json(c: ChanceCorrected | None) -> dict[str, Any]:
    """Weighted kappa (two sides only) and Gwet's AC1 and AC2."""
    if c is None:
        return {}
    return {
        "kappa_linear": _ordered(c.kappa_linear, c.kappa_linear_interval),
        "kappa_quadratic": _ordered(c.kappa_quadratic, c.kappa_quadratic_interval),
        "gwet_ac1": figure_with_interval(c.ac1, c.ac1_interval),
        "gwet_ac2": _ordered(c.ac2, c.ac2_interval),
    }


def _scores_json(s: ScoreAgreement | None) -> dict[str, Any]:
    """The judge's score against the raters' mean."""
    if s is None:
        none = _ordered(None)
        return {k: none for k in ("spearman", "kendall_tau_b", "pearson", "mean_absolute_error")}
    return {
        "spearman": figure_with_interval(s.spearman, s.spearman_interval),
        "kendall_tau_b": figure_with_interval(s.kendall, s.kendall_interval),
        "pearson": figure_with_interval(s.pearson, s.pearson_interval),
        "mean_absolute_error": figure_with_interval(s.mae, s.mae_interval),
    }


def _criterion_json(c: CriterionReport, overruled_limit: int | None) -> dict[str, Any]:
    r, j, h = c.reviewers, c.judge, c.ceiling
    return {
        "criterion": c.criterion,
        "labels": list(c.scale.labels),
        "ordinal": c.scale.ordinal,
        "threshold": j.threshold,
        "threshold_why": _threshold_why(c),
        "counts": _counts_json(c.counts),
        "reviewers": {
            "names": list(r.reviewers),
            "percent_agreement": _figure_json(r.percent),
            "cohen_kappa_pairs": [
                {
                    "first": p.first,
                    "second": p.second,
                    "kappa": _figure_json(p.kappa),
                    "kappa_linear": _ordered(p.kappa_linear),
                    "kappa_quadratic": _ordered(p.kappa_quadratic),
                }
                for p in r.pairs
            ],
            **_reliability_json(r.reliability),
        },
        "judge": {
            "accuracy": figure_with_interval(j.accuracy, j.accuracy_interval),
            **_within_json(j.within, j.within_interval),
            "kappa": figure_with_interval(j.kappa, j.kappa_interval),
            "macro_f1": figure_with_interval(j.macro_f1, j.macro_f1_interval),
            **_chance_json(j.chance),
            "wrong": j.wrong,
            "wrong_exact": j.wrong_exact,
            "no_label": j.no_label,
            "confusion": {
                "rows": "truth",
                "columns": "judge",
                "labels": list(j.confusion.labels),
                "counts": [list(row) for row in j.confusion.counts],
                "right": _right_cells(j),
            },
            "per_label": _per_label_json(j.per_label),
        },
        "raters": [
            {
                "rater": x.rater,
                "accuracy": _figure_json(x.accuracy),
                **_within_json(x.within),
                "kappa": _figure_json(x.kappa),
                "kappa_linear": _ordered(x.kappa_linear),
                "kappa_quadratic": _ordered(x.kappa_quadratic),
            }
            for x in c.raters
        ],
        "human_ceiling": _ceiling_json(h),
        "before": criterion_baseline_json(c.before),
        "judge_wrong_tags": [{"tag": t.tag, "cases": t.cases} for t in c.judge_wrong_tags],
        "overruled": [
            {
                "person": o.person,
                "role": o.role,
                "settled": o.settled,
                "overruled": len(o.cases),
                "overruled_exact": o.exact,
                "cases": [
                    {
                        "id": x.case_id,
                        "label": x.label,
                        "final_label": x.final_label,
                        "settled_by": x.settled_by,
                        "rationales": [{"by": by, "rationale": why} for by, why in x.rationales],
                    }
                    for x in (o.cases if overruled_limit is None else o.cases[:overruled_limit])
                ],
            }
            for o in c.overruled
        ],
    }


NO_THRESHOLD = (
    "right means the same label here (a nominal scale, or an ordered one whose threshold is "
    "not known): agreement within the threshold is exact agreement (accuracy)"
)


def _threshold_why(c: CriterionReport) -> str | None:
    """Why the judge was judged by exact match: no threshold."""
    if c.judge.threshold is not None:
        return None
    if not c.scale.ordinal:
        return "a nominal scale has no threshold: right means the same label"
    return (
        "the files do not say the ordered scale's threshold (written before they carried "
        "it): right means the same label"
    )


def _within_json(f: Figure | None, i: Interval | None = None) -> dict[str, Any]:
    """Agreement within the threshold of the final label (the judge, or a rater, right by
    the threshold), and why there is none."""
    if f is None:
        return {"within_threshold": None, "within_threshold_why": NO_THRESHOLD}
    value = figure_with_interval(f, i) if i is not None else _with_figure(f)
    return {"within_threshold": value, "within_threshold_why": None}


def _right_cells(j: JudgeVsTruth) -> list[list[bool]]:
    """For each cell of the judge's confusion matrix, whether the judge counts as right
    there: on the diagonal, and off it within the threshold."""
    labels = j.confusion.labels
    rule = Rule.of(Scale(labels, True), j.threshold)
    return [[not rule.wrong(truth, said) for said in labels] for truth in labels]


def criterion_baseline_json(b: CriterionBaseline) -> dict[str, Any]:
    """One criterion's baseline before any review (the summary's ``baseline`` too)."""
    c, j, r = b.counts, b.judge, b.raters
    return {
        "criterion": b.criterion,
        "labels": list(b.scale.labels),
        "ordinal": b.scale.ordinal,
        "threshold": b.threshold,
        "counts": {
            "cases": c.cases,
            "unrated": c.unrated,
            "one_rating": c.one_rating,
            "no_consensus": c.no_consensus,
            "no_judge": c.no_judge,
            "ratings_outside_scale": c.outside,
        },
        "judge_vs_consensus": {
            "accuracy": figure_with_interval(j.accuracy, j.accuracy_interval),
            "kappa": figure_with_interval(j.kappa, j.kappa_interval),
            "macro_f1": figure_with_interval(j.macro_f1, j.macro_f1_interval),
            "within_threshold": (
                figure_with_interval(j.within, j.within_interval)
                if j.within is not None and j.within_interval is not None
                else None
            ),
            "within_threshold_why": (
                None
                if j.within is not None
                else "a nominal scale has no threshold: agreement is exact agreement (accuracy)"
            ),
            **_chance_json(j.chance),
            "judge_score_vs_raters_mean": _scores_json(j.scores),
            "confusion": {
                "rows": "consensus",
                "columns": "judge",
                "labels": list(j.confusion.labels),
                "counts": [list(row) for row in j.confusion.counts],
            },
            "per_label": _per_label_json(j.per_label),
        },
        "raters": {
            **_reliability_json(r.reliability),
            "human_ceiling": _ceiling_json(r.ceiling),
            "alpaca_eval_human_agreement": _ceiling_json(r.alpaca_eval),
            "cohen_kappa_pairs": _rater_pairs_json(r.pairs),
        },
    }


def _rater_pairs_json(p: RaterPairs) -> dict[str, Any]:
    """Each listed pair of raters' kappas with intervals, and how many pairs are not listed."""
    return {
        "pairs": [
            {
                "first": x.first,
                "second": x.second,
                "shared_cases": x.kappa.n,
                "kappa": figure_with_interval(x.kappa, x.kappa_interval),
                "kappa_linear": _ordered(x.kappa_linear, x.kappa_linear_interval),
                "kappa_quadratic": _ordered(x.kappa_quadratic, x.kappa_quadratic_interval),
            }
            for x in p.pairs
        ],
        "total": p.total,
        "listed": len(p.pairs),
        "not_listed": p.not_listed,
        "not_listed_why": (
            f"only the {len(p.pairs)} pairs with the most cases in common are listed"
            if p.not_listed
            else "every pair is listed"
        ),
        "cases_not_counted": p.not_kept,
    }


def _reliability_json(r: Reliability) -> dict[str, Any]:
    return {
        "fleiss_kappa": figure_with_interval(r.fleiss, r.fleiss_interval),
        "alpha_nominal": _figure_json(r.alpha_nominal),
        "alpha_ordinal": _figure_json(r.alpha_ordinal),
        "alpha_ordinal_why": None if r.alpha_ordinal is not None else NOT_ORDERED,
        "alpha_interval": _interval_json(r.alpha_interval),
        "alpha_interval_level": _ordered(r.alpha_interval_level, r.alpha_interval_level_interval),
        **(
            {"percent_agreement": figure_with_interval(r.percent, r.percent_interval)}
            if r.percent is not None and r.percent_interval is not None
            else {}
        ),
        **(
            {
                "gwet_ac1": figure_with_interval(r.chance.ac1, r.chance.ac1_interval),
                "gwet_ac2": _ordered(r.chance.ac2, r.chance.ac2_interval),
            }
            if r.chance is not None
            else {}
        ),
    }


def _ceiling_json(h: HumanCeiling) -> dict[str, Any]:
    return {
        "humans": figure_with_interval(h.humans, h.humans_interval),
        "judge": figure_with_interval(h.judge, h.judge_interval),
    }


def _per_label_json(scores: tuple[LabelScore, ...]) -> list[dict[str, Any]]:
    return [
        {
            "label": s.label,
            "support": s.support,
            "precision": _figure_json(s.precision),
            "recall": _figure_json(s.recall),
            "f1": _figure_json(s.f1),
        }
        for s in scores
    ]


def report_to_json_text(report: AgreementReport, *, overruled_limit: int | None = None) -> str:
    """The JSON document as text (for ``--json`` and for files), U+2028, U+2029 and U+0085
    escaped (``untrusted.json_safe``: a line of it is never cut by ``str.splitlines()``)."""
    data = report_to_json(report, overruled_limit=overruled_limit)
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)) + "\n"


# -- anchoring -----------------------------------------------------------------------------------


def _anchoring_rate(rate: Rate) -> dict[str, Any]:
    return {
        **(_figure_json(rate.figure) or {}),
        "count": rate.count,
        "interval": _interval_json(rate.interval),
    }


def _anchoring_person(r: ReviewerAnchoring) -> dict[str, Any]:
    who = {"reviewer": r.reviewer} if r.reviewer else {}
    return {
        **who,
        "decisions": r.decisions,
        "settled": r.settled,
        "changed": _anchoring_rate(r.changed),
        "to_judge": _anchoring_rate(r.to_judge),
        "to_consensus": _anchoring_rate(r.to_consensus),
        "elsewhere": _anchoring_rate(r.elsewhere),
        "to_judge_and_consensus": r.to_judge_and_consensus,
        "first_right": _anchoring_rate(r.first_right),
        "final_right": _anchoring_rate(r.final_right),
    }


def anchoring_json(a: Anchoring | None) -> dict[str, Any]:
    """``{"reviewers": [...], "overall": {...}}`` (each reviewer's figures by name, and
    everyone's); with no blind-first decisions (or from files) no reviewers, ``overall``
    null and ``overall_why`` saying why."""
    if a is None or not a.any or a.overall is None:
        return {"reviewers": [], "overall": None, "overall_why": anchoring_notes(a)[0]}
    return {
        "reviewers": [_anchoring_person(r) for r in a.reviewers],
        "overall": _anchoring_person(a.overall),
        "own_truth": a.own_truth,
    }
