"""Counts and agreement figures for a workspace, counted in one pass over its cases.

Per criterion (each has its own label set):
- how often the judge agrees with each rating, and with the raters' consensus (with Cohen's kappa,
  over cases where a consensus exists);
- how often two raters of the same case agree;
- once cases are decided: how often the judge, and the raters' consensus, match the final label;
- the baseline before any review (``services.agreement.baseline``): the judge against the raters'
  consensus and the raters among themselves, with bootstrap intervals.

"The raters' consensus" is the disagreement kinds' (``domain.disagreement``): agreeing with it on
an ordinal scale means being within the threshold of the raters' median, so a case the queue
lists as judge vs majority never counts as the judge agreeing with the consensus. Likewise the
judge against the final label counts it right within the threshold, as "who was right" does
(docs/agreement.md, "When is the judge right?"); on an ordinal scale each of these rates has its
exact-match form beside it (``*_exact``: the same label).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.domain.anchoring import Anchoring
from annotator.domain.baseline import AGREES, BaselineTally, consensus_pairs, within_consensus
from annotator.domain.disagreement import consensus, differs_from_consensus
from annotator.domain.model import Kind, LabelScheme, WhoRight
from annotator.services.agreement.baseline import build_baseline, with_scales
from annotator.services.agreement.baseline_tables import JUDGE, RATERS, baseline_sections
from annotator.services.agreement.judge import MeasuredJudge, judge_sentence
from annotator.services.agreement.report import LEVEL, CriterionBaseline
from annotator.services.agreement.tables import plain
from annotator.services.agreement.text import anchoring_lines, shown_name, text_table
from annotator.services.agreement.to_json import (
    anchoring_json,
    criterion_baseline_json,
    measured_judge_json,
)
from annotator.services.agreement.workspace import add_judge_scores, workspace_anchoring
from annotator.services.judge_runs import measured_judge
from annotator.services.workspace import Workspace
from annotator.storage import cases
from annotator.storage import project as stored_project
from annotator.storage.db import driver_connection, name_of, translated

Pairs = Counter[tuple[str, str]]


@dataclass
class Rate:
    agree: int = 0
    total: int = 0

    @property
    def rate(self) -> float | None:
        return self.agree / self.total if self.total else None


@dataclass
class CriterionSummary:
    criterion: str
    labels: list[str]
    ordinal: bool
    threshold: float
    cases: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    decided: int = 0
    judge_vs_ratings: Rate = field(default_factory=Rate)
    judge_vs_ratings_exact: Rate = field(default_factory=Rate)
    judge_vs_consensus: Rate = field(default_factory=Rate)
    """Within the threshold of the raters' median on an ordinal scale (the kinds' rule)."""
    judge_vs_consensus_exact: Rate = field(default_factory=Rate)
    """The judge's label the consensus label (the agreement report's exact agreement)."""
    judge_consensus_kappa: float | None = None
    """Cohen's kappa of the judge against the consensus label (ordinal scales too: exact
    match, beside the weighted forms in the baseline)."""
    judge_consensus_kappa_why: str | None = None
    """Why :attr:`judge_consensus_kappa` is None."""
    rater_pairs: Rate = field(default_factory=Rate)
    rater_pairs_exact: Rate = field(default_factory=Rate)
    judge_vs_final: Rate = field(default_factory=Rate)
    """The judge right, as "who was right" says: within the threshold on an ordinal scale."""
    judge_vs_final_exact: Rate = field(default_factory=Rate)
    """The judge's label the final label (the agreement report's exact agreement)."""
    consensus_vs_final: Rate = field(default_factory=Rate)
    who_right: dict[str, int] = field(default_factory=dict)
    baseline: CriterionBaseline | None = None
    """Before any review, with intervals (in JSON as ``services.agreement``'s report has it)."""


@dataclass
class Summary:
    title: str
    fingerprint: str
    cases: int
    decided: int
    kinds: dict[str, int]
    criteria: list[CriterionSummary]
    seed: int = 0
    resamples: int = DEFAULT_RESAMPLES
    """Of the baseline's bootstrap intervals."""
    anchoring: Anchoring | None = None
    """The blind-first decisions: how far the reveal moved the reviewers."""
    measured_judge: MeasuredJudge | None = None
    """Which judge the "judge" figures are of: the verdicts imported with the cases, not the
    runs added later (``services.judge_runs.measured_judge``), as the agreement report says."""

    def to_json(self) -> dict[str, Any]:
        def fix(obj: Any) -> Any:
            if isinstance(obj, dict):
                if set(obj) == {"agree", "total"}:
                    if obj["total"]:
                        return {**obj, "rate": obj["agree"] / obj["total"]}
                    return {**obj, "rate": None, "rate_why": "no case to count"}
                return {k: fix(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [fix(v) for v in obj]
            return obj

        bare = replace(
            self,
            criteria=[replace(c, baseline=None) for c in self.criteria],
            anchoring=None,
            measured_judge=None,
        )
        out = dict(fix(asdict(bare)))
        out["anchoring"] = anchoring_json(self.anchoring)
        out["measured_judge"] = measured_judge_json(self.measured_judge)
        for c, data in zip(self.criteria, out["criteria"], strict=True):
            data["baseline"] = criterion_baseline_json(c.baseline) if c.baseline else None
        return out


def summarize(
    ws: Workspace,
    *,
    max_alike: int | None = None,
    seed: int = 0,
    resamples: int = DEFAULT_RESAMPLES,
) -> Summary:
    """Every figure in one pass over the cases, their ratings and decisions, each read in case
    order: cases alike (criterion, kind, labels, decision) are counted together, and each
    distinct one is tallied once (a million cases: seconds; a query per figure and criterion
    took several times as long). ``max_alike``: how many distinct cases are kept before they
    are tallied (default :data:`MAX_ALIKE`); ``seed`` and ``resamples``: the baseline's
    bootstrap intervals."""
    limit = MAX_ALIKE if max_alike is None else max_alike
    schemes = ws.project().schemes
    tallies = {crit: _Tally(frozenset(scheme.labels)) for crit, scheme in schemes.items()}
    alike: Counter[tuple[Any, ...]] = Counter()
    with ws.engine.connect() as conn, translated(name_of(ws.engine)):
        record = stored_project.project(conn)
        title, fingerprint = (record.title, record.fingerprint) if record else ("", "")
        for row in cases.summary_rows(driver_connection(conn)):
            alike[row] += 1
            if len(alike) >= limit:  # many raters per case: few cases alike
                _tally(tallies, alike)
        _tally(tallies, alike)
        baselines = {crit: t.baseline for crit, t in tallies.items()}
        add_judge_scores(driver_connection(conn), schemes, baselines)
    baseline = build_baseline(
        with_scales(schemes, {crit: t.baseline for crit, t in tallies.items()}),
        seed=seed,
        resamples=resamples,
    )
    criteria = [
        tallies[crit].summary(crit, schemes[crit], baseline.of(crit)) for crit in sorted(schemes)
    ]
    kinds: Counter[str] = Counter()
    for c in criteria:
        kinds.update(c.kinds)
    return Summary(
        title=title,
        fingerprint=fingerprint,
        cases=sum(c.cases for c in criteria),
        decided=sum(c.decided for c in criteria),
        kinds={k.value: kinds.get(k.value, 0) for k in Kind},
        criteria=criteria,
        seed=seed,
        resamples=resamples,
        anchoring=workspace_anchoring(ws, seed=seed, resamples=resamples),
        measured_judge=measured_judge(ws),
    )


MAX_ALIKE = 100_000
"""Distinct kinds of case kept before they are tallied (bounds the memory of the pass)."""


def _tally(tallies: dict[str, _Tally], alike: Counter[tuple[Any, ...]]) -> None:
    for (crit, *case), count in alike.items():
        if crit in tallies:
            tallies[crit].add(*case, count=count)
    alike.clear()


class _Tally:
    """The counts of one criterion, as its cases go by."""

    def __init__(self, on_scale: frozenset[str]) -> None:
        self.on_scale = on_scale
        self.kinds: Counter[str] = Counter()
        self.decided = 0
        self.judge_vs_ratings: Pairs = Counter()
        self.baseline = BaselineTally()
        self.rater_pairs: Pairs = Counter()
        self.judge_vs_final: Pairs = Counter()
        self.final_and_ratings: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.who_right: Counter[str | None] = Counter()

    def add(
        self,
        kind: str,
        is_decided: bool,
        judge: str,
        consensus: str | None,
        labels: Sequence[str],
        decision: tuple[str, str | None] | None,
        raters: Sequence[str],
        *,
        count: int,
    ) -> None:
        """``count`` cases alike: their kind, judge, consensus, rating labels in rater order,
        final label and who was right (None: not decided), and the raters' names."""
        self.kinds[kind] += count
        self.decided += is_decided * count
        for i, label in enumerate(labels):
            self.judge_vs_ratings[judge, label] += count
            for other in labels[i + 1 :]:
                self.rater_pairs[label, other] += count
        self.baseline.add(judge, labels, count, self.on_scale)
        self.baseline.add_raters(zip(raters, labels, strict=True), count, self.on_scale)
        if decision is not None:
            final, who = decision
            self.judge_vs_final[judge, final] += count
            if consensus is not None:
                self.final_and_ratings[final, tuple(sorted(labels))] += count
            self.who_right[who] += count

    def summary(
        self, crit: str, scheme: LabelScheme, baseline: CriterionBaseline | None
    ) -> CriterionSummary:
        out = CriterionSummary(crit, list(scheme.labels), scheme.ordinal, scheme.threshold)
        out.kinds = dict(self.kinds)
        out.cases = sum(self.kinds.values())
        out.decided = self.decided
        out.judge_vs_ratings = _rate(scheme, self.judge_vs_ratings)
        out.judge_vs_ratings_exact = _exact(self.judge_vs_ratings)
        hits = within_consensus(self.baseline, scheme)  # the baseline's own count
        out.judge_vs_consensus = Rate(hits[AGREES], hits.total())
        out.judge_vs_consensus_exact = _exact(consensus_pairs(self.baseline, scheme))
        if baseline is not None:
            # The baseline's kappa; None when undefined (one label only), never a made-up 1.0.
            out.judge_consensus_kappa = baseline.judge.kappa.value
            out.judge_consensus_kappa_why = baseline.judge.kappa.reason
        else:
            out.judge_consensus_kappa_why = "no baseline was computed"
        out.rater_pairs = _rate(scheme, self.rater_pairs)
        out.rater_pairs_exact = _exact(self.rater_pairs)
        out.judge_vs_final = _rate(scheme, self.judge_vs_final)
        out.judge_vs_final_exact = _exact(self.judge_vs_final)
        out.consensus_vs_final = _consensus_vs_final(scheme, self.final_and_ratings)
        out.who_right = dict(self.who_right)  # type: ignore[arg-type]
        out.baseline = baseline
        return out


def _consensus_vs_final(scheme: LabelScheme, finals: Counter[tuple[str, tuple[str, ...]]]) -> Rate:
    """How often the final label agrees with the raters' consensus, as "who was right" sees
    it (within the threshold of the median on an ordinal scale)."""
    rate = Rate()
    for (final, labels), n in finals.items():
        agreed = consensus(labels, scheme)
        if agreed is not None:
            rate.total += n
            rate.agree += n * (not differs_from_consensus(final, agreed, scheme))
    return rate


def _rate(scheme: LabelScheme, pairs: Pairs) -> Rate:
    agree = sum(n for (a, b), n in pairs.items() if not scheme.differs(a, b))
    return Rate(agree, sum(pairs.values()))


def _exact(pairs: Pairs) -> Rate:
    """How often the two labels are the same label."""
    return Rate(sum(n for (a, b), n in pairs.items() if a == b), sum(pairs.values()))


def format_summary(summary: Summary) -> str:
    """A plain-text report for the terminal."""

    def pct(rate: Rate) -> str:
        return (
            f"{rate.rate:6.1%} ({rate.agree}/{rate.total})" if rate.rate is not None else "     –"
        )

    lines = [
        f"{summary.title}",
        f"  cases: {summary.cases}   decided: {summary.decided}   "
        f"project: {summary.fingerprint[:19]}",
        *(
            [f"  {judge_sentence(summary.measured_judge, name=shown_name)}"]
            if summary.measured_judge is not None
            else []
        ),
        "  disagreements by kind:",
    ]
    for kind in Kind:
        lines.append(f"    {kind.caption:<22}{summary.kinds.get(kind.value, 0):>8}")

    def exact(rate: Rate) -> str:
        shown = f"{rate.rate:.1%} ({rate.agree}/{rate.total})" if rate.rate is not None else "–"
        return f"   exact {shown}"

    for c in summary.criteria:
        scale = "ordinal" if c.ordinal else "nominal"
        extra = f", threshold {c.threshold:g}" if c.ordinal else ""
        within = f"   within ±{c.threshold:g}" if c.ordinal else ""
        lines += [
            "",
            f"  criterion '{c.criterion or '(default)'}' — "
            f"{json.dumps(c.labels)} ({scale}{extra}), "
            f"{c.cases} cases, {c.decided} decided",
            f"    judge vs each rating        {pct(c.judge_vs_ratings)}"
            + (within + exact(c.judge_vs_ratings_exact) if c.ordinal else ""),
            f"    judge vs raters' consensus  {pct(c.judge_vs_consensus)}"
            + (f"{within} of the median{exact(c.judge_vs_consensus_exact)}" if c.ordinal else "")
            + (
                f"   kappa {c.judge_consensus_kappa:.3f}"
                if c.judge_consensus_kappa is not None
                else f"   kappa undefined ({c.judge_consensus_kappa_why or 'no cases'})"
            )
            + (" (exact label)" if c.ordinal else "")
            + _paradox(c.baseline),
            f"    rater vs rater              {pct(c.rater_pairs)}"
            + (within + exact(c.rater_pairs_exact) if c.ordinal else ""),
        ]
        if c.decided:
            right = sum(n for k, n in c.who_right.items() if k in _JUDGE_RIGHT)
            wrong = sum(n for k, n in c.who_right.items() if k in _JUDGE_WRONG)
            lines += [
                f"    judge vs final label        {pct(c.judge_vs_final)}"
                + (within + exact(c.judge_vs_final_exact) if c.ordinal else ""),
                f"    consensus vs final label    {pct(c.consensus_vs_final)}"
                + (f"{within} of the median" if c.ordinal else ""),
                "    who was right: "
                + ", ".join(f"{k} {v}" for k, v in sorted(c.who_right.items(), key=str))
                + f"; judge right {right}, judge wrong {wrong} (raters or neither)",
            ]
        if c.baseline is not None:
            lines += _baseline_lines(c.baseline, summary)
    lines += [f"  {x}" if x else x for x in anchoring_lines(summary.anchoring)[1:]]
    return "\n".join(lines)


_JUDGE_RIGHT = frozenset({WhoRight.JUDGE.value, WhoRight.BOTH.value})
_JUDGE_WRONG = frozenset({WhoRight.RATERS.value, WhoRight.NEITHER.value})


def _paradox(b: CriterionBaseline | None) -> str:
    """A pointer to Gwet's AC where kappa collapses though agreement is high."""
    if b is None or not (b.judge.kappa.note or "").startswith("kappa paradox"):
        return ""
    ac1 = b.judge.chance.ac1.value if b.judge.chance is not None else None
    return "" if ac1 is None else f"   kappa paradox: read Gwet's AC1 {ac1:.3f}"


def _baseline_lines(b: CriterionBaseline, summary: Summary) -> list[str]:
    """The baseline's two tables (the judge against the consensus, among the raters), as the
    agreement report prints them."""
    lines = [
        "",
        f"    before any review ({LEVEL:.0%} bootstrap intervals, {summary.resamples} "
        f"resamples, seed {summary.seed}; 'annotator agreement' shows every table):",
    ]
    for s in baseline_sections(b):
        if s.title in (JUDGE, RATERS):
            lines += ["", f"    {s.title}", *(f"  {x}".rstrip() for x in text_table(s))]
    return [*lines, *_rater_pair_lines(b)]


def _rater_pair_lines(b: CriterionBaseline) -> list[str]:
    """The rater pairs in one line: how many, and their kappas' mean and lowest (the
    agreement report and --json list them)."""
    p = b.raters.pairs
    kappas = [x for x in p.pairs if x.kappa.value is not None]
    if not p.total:
        return []
    head = f"    rater pairs: {p.total}"
    if p.not_listed:
        head += f" ({len(p.pairs)} with the most cases in common counted)"
    if not kappas:
        return ["", head + "; Cohen's kappa undefined for every pair"]
    low = min(kappas, key=lambda x: (x.kappa.value, x.first, x.second))
    mean = sum(x.kappa.value or 0.0 for x in kappas) / len(kappas)
    undefined = len(p.pairs) - len(kappas)
    return [
        "",
        head + f"; Cohen's kappa mean {mean:.3f}, lowest {low.kappa.value:.3f} "
        f"({plain(low.first)} / {plain(low.second)})"
        + (f"; undefined for {undefined}" if undefined else "")
        + "; 'annotator agreement' lists them",
    ]
