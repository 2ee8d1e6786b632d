"""The agreement report of merged cases, and its renderers (JSON, terminal, Markdown, HTML).

Everything is per criterion, because criteria have different scales. The adjudicated truth of a
case is its ``final_label``; cases without one (open conflicts, unreviewed cases) are left out of
the figures against the truth, and the report counts them. Agreement between reviewers and the
human ceiling don't need the truth, so they use every case.

One pass over the cases collects counts (of label pairs and of kinds of case); every figure and
every bootstrap interval is computed from those counts (see ``annotator.domain.agreement``), so
a million cases take seconds.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Literal

from annotator.domain.agreement import (
    DEFAULT_RESAMPLES,
    ConfusionMatrix,
    Figure,
    Interval,
    LabelScore,
    LooUnit,
    accuracy_counts,
    cohen_kappa_counts,
    confusion_matrix_counts,
    fleiss_kappa_counts,
    krippendorff_alpha_counts,
    leave_one_out_from_scores,
    leave_one_out_scores,
    percent_agreement_counts,
    precision_recall_counts,
)
from annotator.domain.bootstrap import bootstrap_intervals
from annotator.domain.merge import MergedCase, Resolution, Scale

REPORT_FORMAT = "annotator.agreement"
REPORT_VERSION = 1
LEVEL = 0.95


# --- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    """How the cases stand after the merge."""

    cases: int = 0
    unanimous: int = 0
    """Settled: every reviewer who saw the case chose the same label."""
    lead: int = 0
    """Settled by the lead."""
    conflicts: int = 0
    """Reviewers disagree and the lead has not decided: no truth yet."""
    unreviewed: int = 0
    """No reviewer saw the case and the lead has not decided: no truth."""

    @property
    def settled(self) -> int:
        return self.unanimous + self.lead

    @property
    def unresolved(self) -> int:
        """Cases left out of the figures against the truth."""
        return self.conflicts + self.unreviewed

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.cases + other.cases,
            self.unanimous + other.unanimous,
            self.lead + other.lead,
            self.conflicts + other.conflicts,
            self.unreviewed + other.unreviewed,
        )


@dataclass(frozen=True)
class PairKappa:
    """Cohen's kappa of two reviewers over the cases both reviewed (``kappa.n``)."""

    first: str
    second: str
    kappa: Figure


@dataclass(frozen=True)
class ReviewerAgreement:
    """How far the reviewers agree with each other (their own labels, before the lead)."""

    reviewers: tuple[str, ...]
    percent: Figure
    pairs: tuple[PairKappa, ...]
    fleiss: Figure
    alpha_nominal: Figure
    alpha_ordinal: Figure | None
    """None on a nominal scale."""
    alpha_interval: Interval
    """For :attr:`alpha`, the headline alpha."""

    @property
    def alpha(self) -> Figure:
        """The headline alpha: ordinal on an ordinal scale, else nominal."""
        return self.alpha_ordinal if self.alpha_ordinal is not None else self.alpha_nominal


@dataclass(frozen=True)
class JudgeVsTruth:
    """The LLM judge against the adjudicated truth."""

    accuracy: Figure
    accuracy_interval: Interval
    kappa: Figure
    kappa_interval: Interval
    confusion: ConfusionMatrix
    """Truth in rows, the judge in columns, labels in scale order."""
    per_label: tuple[LabelScore, ...]
    wrong: int
    """Settled cases where the judge's label is not the final label."""
    no_label: int
    """Settled cases without a judge label, left out."""


@dataclass(frozen=True)
class RaterVsTruth:
    """One original human rater against the adjudicated truth (``n`` is in the figures)."""

    rater: str
    accuracy: Figure
    kappa: Figure


@dataclass(frozen=True)
class HumanCeiling:
    """Leave-one-out agreement of the original raters, and the judge's against the same
    references (``annotator.domain.agreement.leave_one_out_counts``)."""

    humans: Figure
    humans_interval: Interval
    judge: Figure
    judge_interval: Interval


@dataclass(frozen=True)
class TagCount:
    """A tag, and on how many cases the judge got wrong someone attached it."""

    tag: str
    cases: int


@dataclass(frozen=True)
class OverruledCase:
    """A case where the final label went against someone, and what settled it."""

    case_id: str
    label: str
    """Their label."""
    final_label: str
    settled_by: Literal["lead", "unanimous"]
    rationales: tuple[tuple[str, str], ...]
    """``(who, rationale)``: the lead's, or every reviewer's when they were unanimous."""


@dataclass(frozen=True)
class Overruled:
    """One person's overruled cases."""

    person: str
    role: Literal["rater", "reviewer"]
    settled: int
    """Settled cases this person labelled."""
    cases: tuple[OverruledCase, ...]
    """Sorted by case id."""


@dataclass(frozen=True)
class CriterionReport:
    criterion: str
    scale: Scale
    counts: Counts
    reviewers: ReviewerAgreement
    judge: JudgeVsTruth
    raters: tuple[RaterVsTruth, ...]
    ceiling: HumanCeiling
    judge_wrong_tags: tuple[TagCount, ...]
    """Most frequent first, then by tag."""
    overruled: tuple[Overruled, ...]
    """Raters first, then reviewers, each by name."""


@dataclass(frozen=True)
class AgreementReport:
    counts: Counts
    criteria: tuple[CriterionReport, ...]
    """By criterion name."""
    seed: int
    resamples: int
    level: float = LEVEL


@dataclass
class _Tally:
    """Everything one pass over a criterion's cases collects."""

    scale: Scale
    in_scale: frozenset[str] = frozenset()
    counts: Counter[str] = field(default_factory=Counter)
    judge: Counter[tuple[str, str]] = field(default_factory=Counter)
    judge_missing: int = 0
    raters: defaultdict[str, Counter[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    units: Counter[tuple[str, ...]] = field(default_factory=Counter)
    pairs: defaultdict[tuple[str, str], Counter[tuple[str, str]]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    reviewers: set[str] = field(default_factory=set)
    loo: Counter[LooUnit] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    reviewer_settled: Counter[str] = field(default_factory=Counter)
    overruled: defaultdict[tuple[str, str], list[OverruledCase]] = field(
        default_factory=lambda: defaultdict(list)
    )


def build_report(
    cases: Iterable[MergedCase], *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES
) -> AgreementReport:
    """The agreement report of merged cases, per criterion; the same seed gives the same
    intervals. Raises ValueError if one criterion comes with two different scales."""
    tallies: dict[str, _Tally] = {}
    for case in cases:
        tally = tallies.get(case.criterion)
        if tally is None:
            tally = tallies[case.criterion] = _Tally(case.scale, frozenset(case.scale.labels))
        elif tally.scale is not case.scale and tally.scale != case.scale:
            raise ValueError(
                f"criterion {case.criterion!r} has two scales: {tally.scale.labels} and "
                f"{case.scale.labels} (case {case.id!r})"
            )
        _count(tally, case)
    criteria = tuple(_criterion(name, tallies[name], seed, resamples) for name in sorted(tallies))
    total = Counts()
    for c in criteria:
        total = total + c.counts
    return AgreementReport(total, criteria, seed, resamples)


def _count(t: _Tally, case: MergedCase) -> None:
    """Add one case to its criterion's tally (the hot loop: a million cases go through it)."""
    reviews = case.reviews
    resolution = case.resolution
    judge = case.judge_label or None
    t.counts["cases"] += 1
    final: str | None
    if resolution is Resolution.LEAD:
        assert case.lead is not None
        t.counts["lead"] += 1
        final = case.lead.label
    elif resolution is Resolution.UNANIMOUS:
        t.counts["unanimous"] += 1
        final = reviews[0].label
    else:
        t.counts["conflicts" if reviews else "unreviewed"] += 1
        final = None

    # Between reviewers (no truth needed).
    in_scale = t.in_scale
    t.units[tuple(sorted([r.label for r in reviews if r.label in in_scale]))] += 1
    for r in reviews:
        t.reviewers.add(r.reviewer)
    if len(reviews) > 1:
        for a, b in combinations(reviews, 2):
            if a.reviewer > b.reviewer:
                a, b = b, a
            t.pairs[(a.reviewer, b.reviewer)][(a.label, b.label)] += 1
    # The human ceiling (no truth needed).
    raters = case.rater_labels
    if len(raters) > 1:
        t.loo[(judge, tuple(sorted([label for _, label in raters])))] += 1

    if final is None:
        return
    if judge is None:
        t.judge_missing += 1
    else:
        t.judge[(final, judge)] += 1
        if judge != final:
            tags = {tag for r in reviews for tag in r.tags}
            if case.lead is not None:
                tags.update(case.lead.tags)
            t.tags.update(tags)
    for rater, label in raters:
        t.raters[rater][(final, label)] += 1
        if label != final:
            t.overruled[("rater", rater)].append(_overruled_case(case, label, final))
    for r in reviews:
        t.reviewer_settled[r.reviewer] += 1
        if r.label != final:
            t.overruled[("reviewer", r.reviewer)].append(_overruled_case(case, r.label, final))


def _overruled_case(case: MergedCase, label: str, final: str) -> OverruledCase:
    if case.lead is not None:
        return OverruledCase(
            case.id, label, final, "lead", ((case.lead.reviewer, case.lead.rationale),)
        )
    return OverruledCase(
        case.id, label, final, "unanimous", tuple((r.reviewer, r.rationale) for r in case.reviews)
    )


def _criterion(name: str, t: _Tally, seed: int, resamples: int) -> CriterionReport:
    labels = t.scale.labels
    counts = Counts(
        t.counts["cases"],
        t.counts["unanimous"],
        t.counts["lead"],
        t.counts["conflicts"],
        t.counts["unreviewed"],
    )

    def intervals(
        data: Mapping[Any, int], *statistics: Callable[[Mapping[Any, int]], Figure]
    ) -> tuple[Interval, ...]:
        return bootstrap_intervals(data, statistics, resamples=resamples, seed=seed, level=LEVEL)

    # Reviewers.
    pairable = {k: c for k, c in t.units.items() if len(k) >= 2}
    alpha_level: Literal["nominal", "ordinal"] = "ordinal" if t.scale.ordinal else "nominal"
    reviewers = ReviewerAgreement(
        reviewers=tuple(sorted(t.reviewers)),
        percent=percent_agreement_counts(t.units),
        pairs=tuple(
            PairKappa(a, b, cohen_kappa_counts(t.pairs[(a, b)], labels)) for a, b in sorted(t.pairs)
        ),
        fleiss=fleiss_kappa_counts(t.units, labels),
        alpha_nominal=krippendorff_alpha_counts(t.units, labels, "nominal"),
        alpha_ordinal=(
            krippendorff_alpha_counts(t.units, labels, "ordinal") if t.scale.ordinal else None
        ),
        alpha_interval=intervals(
            pairable, lambda c: krippendorff_alpha_counts(c, labels, alpha_level)
        )[0],
    )

    # The judge against the truth.
    accuracy_interval, kappa_interval = intervals(
        t.judge, accuracy_counts, lambda c: cohen_kappa_counts(c, labels)
    )
    judge = JudgeVsTruth(
        accuracy=accuracy_counts(t.judge),
        accuracy_interval=accuracy_interval,
        kappa=cohen_kappa_counts(t.judge, labels),
        kappa_interval=kappa_interval,
        confusion=confusion_matrix_counts(t.judge, labels),
        per_label=precision_recall_counts(t.judge, labels),
        wrong=sum(c for (truth, said), c in t.judge.items() if truth != said),
        no_label=t.judge_missing,
    )
    raters = tuple(
        RaterVsTruth(r, accuracy_counts(t.raters[r]), cohen_kappa_counts(t.raters[r], labels))
        for r in sorted(t.raters)
    )
    scores = leave_one_out_scores(t.loo)
    loo = leave_one_out_from_scores(scores)
    humans_interval, judge_interval = intervals(
        scores,
        lambda c: leave_one_out_from_scores(c).humans,
        lambda c: leave_one_out_from_scores(c).judge,
    )
    ceiling = HumanCeiling(loo.humans, humans_interval, loo.judge, judge_interval)
    tags = tuple(
        TagCount(tag, n) for tag, n in sorted(t.tags.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    settled: list[tuple[Literal["rater", "reviewer"], str, int]] = [
        ("rater", r, t.raters[r].total()) for r in sorted(t.raters)
    ]
    settled += [("reviewer", r, t.reviewer_settled[r]) for r in sorted(t.reviewer_settled)]
    overruled = tuple(
        Overruled(
            person,
            role,
            n,
            tuple(sorted(t.overruled.get((role, person), ()), key=lambda o: o.case_id)),
        )
        for role, person, n in settled
    )
    return CriterionReport(
        name, t.scale, counts, reviewers, judge, raters, ceiling, tags, overruled
    )


# --- JSON ----------------------------------------------------------------------------------------


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


def _with_interval(f: Figure, i: Interval) -> dict[str, Any]:
    out = _figure_json(f)
    assert out is not None
    out["interval"] = _interval_json(i)
    return out


def _criterion_json(c: CriterionReport, overruled_limit: int | None) -> dict[str, Any]:
    r, j, h = c.reviewers, c.judge, c.ceiling
    return {
        "criterion": c.criterion,
        "labels": list(c.scale.labels),
        "ordinal": c.scale.ordinal,
        "counts": _counts_json(c.counts),
        "reviewers": {
            "names": list(r.reviewers),
            "percent_agreement": _figure_json(r.percent),
            "cohen_kappa_pairs": [
                {"first": p.first, "second": p.second, "kappa": _figure_json(p.kappa)}
                for p in r.pairs
            ],
            "fleiss_kappa": _figure_json(r.fleiss),
            "alpha_nominal": _figure_json(r.alpha_nominal),
            "alpha_ordinal": _figure_json(r.alpha_ordinal),
            "alpha_interval": _interval_json(r.alpha_interval),
        },
        "judge": {
            "accuracy": _with_interval(j.accuracy, j.accuracy_interval),
            "kappa": _with_interval(j.kappa, j.kappa_interval),
            "wrong": j.wrong,
            "no_label": j.no_label,
            "confusion": {
                "rows": "truth",
                "columns": "judge",
                "labels": list(j.confusion.labels),
                "counts": [list(row) for row in j.confusion.counts],
            },
            "per_label": [
                {
                    "label": s.label,
                    "support": s.support,
                    "precision": _figure_json(s.precision),
                    "recall": _figure_json(s.recall),
                }
                for s in j.per_label
            ],
        },
        "raters": [
            {"rater": x.rater, "accuracy": _figure_json(x.accuracy), "kappa": _figure_json(x.kappa)}
            for x in c.raters
        ],
        "human_ceiling": {
            "humans": _with_interval(h.humans, h.humans_interval),
            "judge": _with_interval(h.judge, h.judge_interval),
        },
        "judge_wrong_tags": [{"tag": t.tag, "cases": t.cases} for t in c.judge_wrong_tags],
        "overruled": [
            {
                "person": o.person,
                "role": o.role,
                "settled": o.settled,
                "overruled": len(o.cases),
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


def report_to_json_text(report: AgreementReport, *, overruled_limit: int | None = None) -> str:
    """The JSON document as text (for ``--json`` and for files)."""
    data = report_to_json(report, overruled_limit=overruled_limit)
    return json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


# --- formatting figures --------------------------------------------------------------------------

Style = Literal["rate", "coefficient"]
"""A rate (accuracy, percent agreement…) prints as a percentage; a coefficient (kappa, alpha)
with three decimals."""


def _number(value: float, style: Style) -> str:
    return f"{value:.1%}" if style == "rate" else f"{value:.3f}"


def format_figure(f: Figure | None, style: Style = "coefficient") -> str:
    """A figure as text: its value, or "undefined (reason)". Never "nan"."""
    if f is None:
        return "—"
    if f.value is None:
        return f"undefined ({f.reason})"
    return _number(f.value, style)


def format_interval(i: Interval, style: Style = "coefficient") -> str:
    if i.low is None or i.high is None:
        return f"no interval ({i.reason})"
    return f"[{_number(i.low, style)}, {_number(i.high, style)}]"


def _n(f: Figure | None) -> str:
    return "" if f is None else str(f.n)


def _plain(text: str) -> str:
    """User text on one line (a rationale may span several)."""
    return " ".join(text.split())


def _crit_name(c: CriterionReport) -> str:
    return c.criterion or "(default criterion)"


@dataclass(frozen=True)
class Marked:
    """A table cell that comes with a footnote: why a figure is undefined, or a caveat."""

    text: str
    footnote: str
    undefined: bool = False


Cell = str | Marked


def _fig(f: Figure, style: Style = "coefficient") -> Cell:
    if f.value is None:
        return Marked("—", f"undefined: {f.reason}", undefined=True)
    if f.note:
        return Marked(_number(f.value, style), f.note)
    return _number(f.value, style)


def _ci(i: Interval, style: Style) -> Cell:
    if i.low is None or i.high is None:
        return Marked("—", f"no interval: {i.reason}", undefined=True)
    text = format_interval(i, style)
    if i.undefined_resamples:
        return Marked(
            text,
            f"the figure was undefined on {i.undefined_resamples} of {i.resamples} resamples, "
            "which are left out",
        )
    return text


@dataclass(frozen=True)
class Section:
    """A titled table, shared by the text, Markdown and HTML renderers and the window."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...] = ()
    """Right-align these columns."""


def _count_rows(c: Counts) -> tuple[tuple[Cell, ...], ...]:
    return (
        ("cases", str(c.cases)),
        ("settled, unanimous", str(c.unanimous)),
        ("settled by the lead", str(c.lead)),
        ("open conflicts", str(c.conflicts)),
        ("not reviewed", str(c.unreviewed)),
    )


def sections(c: CriterionReport) -> list[Section]:
    """The tables of one criterion, in reading order (user text still raw)."""
    r, j, h = c.reviewers, c.judge, c.ceiling
    out = [Section("Cases", ("", "count"), _count_rows(c.counts), (False, True))]
    headline: tuple[tuple[str, Figure, Interval, Style], ...] = (
        ("judge accuracy", j.accuracy, j.accuracy_interval, "rate"),
        ("judge kappa", j.kappa, j.kappa_interval, "coefficient"),
        (
            f"reviewer alpha ({'ordinal' if c.scale.ordinal else 'nominal'})",
            r.alpha,
            r.alpha_interval,
            "coefficient",
        ),
        ("human ceiling (leave-one-out)", h.humans, h.humans_interval, "rate"),
        ("judge vs the same references", h.judge, h.judge_interval, "rate"),
    )
    out.append(
        Section(
            "Headline figures",
            ("figure", "value", f"{LEVEL:.0%} CI", "n"),
            tuple((name, _fig(f, s), _ci(i, s), _n(f)) for name, f, i, s in headline),
            (False, True, False, True),
        )
    )
    between: list[tuple[Cell, ...]] = [
        ("percent agreement", _fig(r.percent, "rate"), _n(r.percent)),
        ("Fleiss' kappa", _fig(r.fleiss), _n(r.fleiss)),
        ("Krippendorff's alpha, nominal", _fig(r.alpha_nominal), _n(r.alpha_nominal)),
    ]
    if r.alpha_ordinal is not None:
        between.append(
            ("Krippendorff's alpha, ordinal", _fig(r.alpha_ordinal), _n(r.alpha_ordinal))
        )
    for p in r.pairs:
        between.append((f"Cohen's kappa, {p.first} / {p.second}", _fig(p.kappa), _n(p.kappa)))
    out.append(
        Section(
            "Between reviewers",
            ("figure", "value", "n"),
            tuple(between),
            (False, True, True),
        )
    )
    versus: list[tuple[Cell, ...]] = [
        ("judge", _fig(j.accuracy, "rate"), _fig(j.kappa), _n(j.accuracy)),
    ]
    for x in c.raters:
        versus.append(
            (
                f"rater {x.rater}",
                _fig(x.accuracy, "rate"),
                _fig(x.kappa),
                _n(x.accuracy),
            )
        )
    out.append(
        Section(
            "Against the adjudicated truth",
            ("who", "accuracy", "Cohen's kappa", "n"),
            tuple(versus),
            (False, True, True, True),
        )
    )
    out.append(
        Section(
            "Judge per label",
            ("label", "precision", "recall", "truly this label"),
            tuple(
                (
                    s.label,
                    _fig(s.precision, "rate"),
                    _fig(s.recall, "rate"),
                    str(s.support),
                )
                for s in j.per_label
            ),
            (False, True, True, True),
        )
    )
    out.append(
        Section(
            "Tags on cases the judge got wrong",
            ("tag", "cases"),
            tuple((t.tag, str(t.cases)) for t in c.judge_wrong_tags),
            (False, True),
        )
    )
    return out


def criterion_notes(c: CriterionReport) -> list[str]:
    """Plain sentences that go with a criterion's tables."""
    notes = []
    if c.counts.unresolved:
        notes.append(
            f"{c.counts.unresolved} of {c.counts.cases} case(s) have no final label yet "
            f"({c.counts.conflicts} open conflict(s), {c.counts.unreviewed} not reviewed) and are "
            "left out of the figures against the truth."
        )
    if c.judge.no_label:
        notes.append(f"{c.judge.no_label} settled case(s) have no judge label and are left out.")
    notes.append(f"The judge was wrong on {c.judge.wrong} settled case(s).")
    return notes


def _overruled_lines(o: Overruled, limit: int | None) -> tuple[str, list[OverruledCase], int]:
    shown = o.cases if limit is None else o.cases[:limit]
    head = f"{o.role} {o.person}: overruled on {len(o.cases)} of {o.settled} settled case(s)"
    return head, list(shown), len(o.cases) - len(shown)


def _rationale_text(x: OverruledCase) -> str:
    parts = [
        f"{by}: {_plain(why)}" if why.strip() else f"{by}: (no rationale)"
        for by, why in x.rationales
    ]
    prefix = "lead " if x.settled_by == "lead" else ""
    return prefix + "; ".join(parts)


# --- plain text ----------------------------------------------------------------------------------


def render_text(report: AgreementReport, *, overruled_limit: int | None = 20) -> str:
    """The report for a terminal: aligned plain-text tables."""
    lines = [
        "Agreement report",
        f"  {report.counts.cases} cases: {report.counts.unanimous} settled unanimously, "
        f"{report.counts.lead} by the lead, {report.counts.conflicts} open conflicts, "
        f"{report.counts.unreviewed} not reviewed",
        f"  intervals: {LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, "
        f"seed {report.seed}",
    ]
    for c in report.criteria:
        lines += [
            "",
            f"== {_crit_name(c)} ==  labels: {', '.join(c.scale.labels)}"
            f"{' (ordinal)' if c.scale.ordinal else ''}",
        ]
        for s in sections(c):
            lines += ["", s.title]
            lines += _text_table(s) if s.rows else ["  (none)"]
        lines += ["", "Confusion matrix (rows: truth, columns: judge)"]
        lines += _text_table(_confusion_section(c.judge.confusion))
        lines += [""] + [f"  {n}" for n in criterion_notes(c)]
        lines += ["", "Overruled"]
        for o in c.overruled:
            head, shown, more = _overruled_lines(o, overruled_limit)
            lines.append(f"  {head}")
            for x in shown:
                lines.append(
                    f"    {x.case_id}: {x.label} -> {x.final_label} ({_rationale_text(x)})"
                )
            if more:
                lines.append(f"    … and {more} more")
        if not c.overruled:
            lines.append("  (nobody)")
    return "\n".join(_plain_line(x) for x in lines) + "\n"


def _plain_line(line: str) -> str:
    """Drop control characters a case id or rationale might carry into the terminal."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", line).rstrip()


def _confusion_section(m: ConfusionMatrix) -> Section:
    return Section(
        "",
        ("truth \\ judge", *m.labels),
        tuple((t, *(str(x) for x in row)) for t, row in zip(m.labels, m.counts, strict=True)),
        (False, *(True for _ in m.labels)),
    )


def _footnoted(
    s: Section, mark: Callable[[str, int], str]
) -> tuple[list[tuple[str, ...]], list[tuple[int, str]]]:
    """Rows as plain strings, a marked cell followed by its footnote number; and the footnotes
    (the same footnote text keeps one number)."""
    numbers: dict[str, int] = {}
    rows = []
    for row in s.rows:
        cells = []
        for cell in row:
            if isinstance(cell, Marked):
                k = numbers.setdefault(cell.footnote, len(numbers) + 1)
                cells.append(mark(cell.text, k))
            else:
                cells.append(cell)
        rows.append(tuple(cells))
    return rows, [(k, text) for text, k in numbers.items()]


def _text_table(s: Section) -> list[str]:
    body, notes = _footnoted(s, lambda text, k: f"{text} [{k}]")
    rows = [tuple(_plain(x) for x in s.headers)] + [tuple(_plain(x) for x in r) for r in body]
    widths = [max(len(r[i]) for r in rows) for i in range(len(s.headers))]
    right = s.numeric or tuple(False for _ in s.headers)
    out = []
    for k, row in enumerate(rows):
        cells = [
            cell.rjust(w) if right[i] and k else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  " + "  ".join(cells))
        if k == 0:
            out.append("  " + "  ".join("-" * w for w in widths))
    out += [f"  [{k}] {_plain(text)}" for k, text in notes]
    return out


# --- Markdown ------------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def _md(text: str) -> str:
    """User text safe inside a Markdown table cell: one line, Markdown punctuation escaped, and
    HTML escaped (Markdown viewers render raw HTML)."""
    return html.escape(_MD_SPECIAL.sub(r"\\\1", _plain(text)), quote=False)


def render_markdown(report: AgreementReport, *, overruled_limit: int | None = 50) -> str:
    """The report as a Markdown document, to share."""
    c0 = report.counts
    out = [
        "# Agreement report",
        "",
        f"{c0.cases} cases: {c0.unanimous} settled unanimously, {c0.lead} by the lead, "
        f"{c0.conflicts} open conflicts, {c0.unreviewed} not reviewed. Intervals: "
        f"{LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, seed {report.seed}.",
    ]
    for c in report.criteria:
        scale = ", ".join(_md(x) for x in c.scale.labels)
        out += [
            "",
            f"## {_md(_crit_name(c))}",
            "",
            f"Labels: {scale}{' (ordinal)' if c.scale.ordinal else ''}",
        ]
        for s in sections(c):
            out += ["", f"### {s.title}", ""]
            out += _md_table(s) if s.rows else ["(none)"]
        out += ["", "### Confusion matrix", "", "Rows: truth; columns: the judge.", ""]
        out += _md_table(_confusion_section(c.judge.confusion))
        out += [""] + [f"- {n}" for n in criterion_notes(c)]
        out += ["", "### Overruled", ""]
        for o in c.overruled:
            head, shown, more = _overruled_lines(o, overruled_limit)
            out.append(f"- **{_md(head)}**")
            for x in shown:
                out.append(
                    f"  - case {_md(x.case_id)}: {_md(x.label)} → "
                    f"{_md(x.final_label)} — {_md(_rationale_text(x))}"
                )
            if more:
                out.append(f"  - … and {more} more")
        if not c.overruled:
            out.append("(nobody)")
    return "\n".join(out) + "\n"


def _md_table(s: Section) -> list[str]:
    right = s.numeric or tuple(False for _ in s.headers)
    body, notes = _footnoted(s, lambda text, k: f"{text} ({k})")
    out = [
        "| " + " | ".join(_md(h) for h in s.headers) + " |",
        "|" + "|".join("---:" if r else "---" for r in right) + "|",
        *("| " + " | ".join(_md(x) for x in row) + " |" for row in body),
    ]
    if notes:
        out += [""] + [f"({k}) {_md(text)}  " for k, text in notes]
    return out


# --- HTML ----------------------------------------------------------------------------------------

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330;
       margin: 2em auto; max-width: 70em; padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #d8dce4; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: .4em 0 1em; }
th, td { padding: .3em .7em; border: 1px solid #d8dce4; text-align: left; vertical-align: top; }
th { background: #f1f3f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.undef { color: #8a5a00; }
small.foot { display: block; color: #6b6f78; font-size: .85em; max-width: 28em; }
.note { color: #4a4f5a; }
table.heat td { text-align: center; min-width: 4.5em; font-variant-numeric: tabular-nums; }
table.heat td small { display: block; opacity: .8; }
table.heat th.corner { font-weight: 400; color: #4a4f5a; }
.rationale { color: #39404d; }
code { background: #f1f3f7; padding: 0 .25em; border-radius: 3px; }
"""


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def render_html(report: AgreementReport, *, overruled_limit: int | None = 200) -> str:
    """The report as a standalone HTML page: inline CSS, no scripts, no external resources;
    every piece of user text escaped. The confusion matrix is a heat map."""
    c0 = report.counts
    body = [
        "<h1>Agreement report</h1>",
        f"<p>{c0.cases} cases: {c0.unanimous} settled unanimously, {c0.lead} by the lead, "
        f"{c0.conflicts} open conflicts, {c0.unreviewed} not reviewed. Intervals: "
        f"{LEVEL:.0%} percentile bootstrap, {report.resamples} resamples, seed "
        f"{report.seed}.</p>",
    ]
    for c in report.criteria:
        scale = ", ".join(_h(x) for x in c.scale.labels)
        body += [
            f"<h2>{_h(_crit_name(c))}</h2>",
            f"<p>Labels: {scale}{' (ordinal)' if c.scale.ordinal else ''}</p>",
        ]
        for s in sections(c):
            body.append(f"<h3>{_h(s.title)}</h3>")
            body.append(_html_table(s) if s.rows else "<p>(none)</p>")
        body += [
            "<h3>Confusion matrix</h3>",
            '<p class="note">Rows: the adjudicated truth; columns: the judge. Shading: the '
            "share of each truth row (green on the diagonal, red off it).</p>",
            _heat_map(c.judge.confusion),
        ]
        body.append(
            '<ul class="note">' + "".join(f"<li>{_h(n)}</li>" for n in criterion_notes(c)) + "</ul>"
        )
        body.append("<h3>Overruled</h3>")
        if not c.overruled:
            body.append("<p>(nobody)</p>")
        for o in c.overruled:
            head, shown, more = _overruled_lines(o, overruled_limit)
            body.append(f"<h4>{_h(head)}</h4>")
            if not shown:
                continue
            rows = "".join(
                f"<tr><td><code>{_h(x.case_id)}</code></td><td>{_h(x.label)}</td>"
                f"<td>{_h(x.final_label)}</td><td>{_h(x.settled_by)}</td>"
                f'<td class="rationale">{_rationales_html(x)}</td></tr>'
                for x in shown
            )
            body.append(
                "<table><tr><th>case</th><th>their label</th><th>final label</th>"
                f"<th>settled</th><th>rationale</th></tr>{rows}</table>"
            )
            if more:
                body.append(f'<p class="note">… and {more} more</p>')
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>Agreement report</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _rationales_html(x: OverruledCase) -> str:
    return "<br>".join(
        f"<b>{_h(by)}</b>: {_h(why) if why.strip() else '<i>no rationale</i>'}"
        for by, why in x.rationales
    )


def _cell_html(cell: Cell, numeric: bool) -> str:
    if isinstance(cell, Marked):
        klass = "undef" if cell.undefined else ("num" if numeric else "")
        return (
            f'<td class="{klass}">{_h(cell.text)} <small class="foot">{_h(cell.footnote)}</small>'
            "</td>"
        )
    return f'<td class="num">{_h(cell)}</td>' if numeric else f"<td>{_h(cell)}</td>"


def _html_table(s: Section) -> str:
    right = s.numeric or tuple(False for _ in s.headers)
    head = "".join(f"<th>{_h(x)}</th>" for x in s.headers)
    rows = "".join(
        "<tr>" + "".join(_cell_html(x, r) for x, r in zip(row, right, strict=True)) + "</tr>"
        for row in s.rows
    )
    return f"<table><tr>{head}</tr>{rows}</table>"


def _heat_map(m: ConfusionMatrix) -> str:
    head = '<th class="corner">truth \\ judge</th>' + "".join(f"<th>{_h(x)}</th>" for x in m.labels)
    rows = []
    for i, (label, row) in enumerate(zip(m.labels, m.counts, strict=True)):
        total = sum(row)
        cells = []
        for k, count in enumerate(row):
            share = count / total if total else 0.0
            cells.append(
                f'<td style="{_heat_style(share, i == k)}" '
                f'title="truth {_h(label)}, judge {_h(m.labels[k])}: {count}">'
                f"{count}<small>{share:.0%}</small></td>"
            )
        rows.append(f"<tr><th>{_h(label)}</th>{''.join(cells)}</tr>")
    return f'<table class="heat"><tr>{head}</tr>{"".join(rows)}</table>'


def _heat_style(share: float, diagonal: bool) -> str:
    """Green for agreement, red for confusion; stronger for a larger share of the row."""
    base = (46, 139, 87) if diagonal else (200, 55, 45)
    strength = 0.08 + 0.85 * share if share else 0.0
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    ink = "#ffffff" if strength > 0.55 else "#1d2330"
    return f"background:rgb({r},{g},{b});color:{ink}"
