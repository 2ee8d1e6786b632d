"""Counts and agreement figures for a workspace, computed with SQL aggregates.

Per criterion (each has its own label set):
- how often the judge agrees with each rating, and with the raters' consensus (with Cohen's kappa
  on nominal scales, over cases where a consensus exists);
- how often two raters of the same case agree;
- once cases are decided: how often the judge, and the raters' consensus, match the final label.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, text

from annotator.domain.agreement import cohen_kappa_counts
from annotator.domain.model import Kind, LabelScheme
from annotator.services.workspace import Workspace

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
    judge_vs_consensus: Rate = field(default_factory=Rate)
    judge_consensus_kappa: float | None = None
    rater_pairs: Rate = field(default_factory=Rate)
    judge_vs_final: Rate = field(default_factory=Rate)
    consensus_vs_final: Rate = field(default_factory=Rate)
    who_right: dict[str, int] = field(default_factory=dict)


@dataclass
class Summary:
    title: str
    fingerprint: str
    cases: int
    decided: int
    kinds: dict[str, int]
    criteria: list[CriterionSummary]

    def to_json(self) -> dict[str, Any]:
        def fix(obj: Any) -> Any:
            if isinstance(obj, dict):
                if set(obj) == {"agree", "total"}:
                    rate = obj["agree"] / obj["total"] if obj["total"] else None
                    return {**obj, "rate": rate}
                return {k: fix(v) for k, v in obj.items()}
            if isinstance(obj, list):
                return [fix(v) for v in obj]
            return obj

        return dict(fix(asdict(self)))


def summarize(ws: Workspace) -> Summary:
    schemes = ws.project().schemes
    with ws.engine.connect() as conn:
        title, fingerprint = conn.execute(text("SELECT title, fingerprint FROM project")).one()
        criteria = [_criterion(conn, crit, schemes[crit]) for crit in sorted(schemes)]
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
    )


def _criterion(conn: Connection, crit: str, scheme: LabelScheme) -> CriterionSummary:
    out = CriterionSummary(crit, list(scheme.labels), scheme.ordinal, scheme.threshold)
    p = {"c": crit}
    for kind, n in conn.execute(
        text("SELECT kind, count(*) FROM cases WHERE criterion = :c GROUP BY kind"), p
    ):
        out.kinds[kind] = n
    out.cases = sum(out.kinds.values())
    out.decided = int(
        conn.execute(
            text("SELECT count(*) FROM cases WHERE criterion = :c AND status = 2"), p
        ).scalar()
        or 0
    )
    out.judge_vs_ratings = _rate(
        scheme,
        _pairs(
            conn,
            "SELECT c.judge_label, r.label, count(*) FROM cases c "
            "JOIN rating r ON r.case_id = c.id "
            "WHERE c.criterion = :c GROUP BY 1, 2",
            p,
        ),
    )
    consensus = _pairs(
        conn,
        "SELECT judge_label, consensus, count(*) FROM cases WHERE criterion = :c "
        "AND consensus IS NOT NULL GROUP BY 1, 2",
        p,
    )
    out.judge_vs_consensus = _rate(scheme, consensus)
    if not scheme.ordinal:
        # None when undefined (one label only): never a made-up 1.0.
        out.judge_consensus_kappa = cohen_kappa_counts(consensus).value
    out.rater_pairs = _rate(
        scheme,
        _pairs(
            conn,
            "SELECT a.label, b.label, count(*) FROM rating a "
            "JOIN rating b ON a.case_id = b.case_id "
            "AND a.rater < b.rater JOIN cases c ON c.id = a.case_id WHERE c.criterion = :c "
            "GROUP BY 1, 2",
            p,
        ),
    )
    decided_from = "FROM cases c JOIN decision d ON d.case_id = c.id WHERE c.criterion = :c"
    out.judge_vs_final = _rate(
        scheme,
        _pairs(conn, f"SELECT c.judge_label, d.label, count(*) {decided_from} GROUP BY 1, 2", p),
    )
    out.consensus_vs_final = _rate(
        scheme,
        _pairs(
            conn,
            f"SELECT c.consensus, d.label, count(*) {decided_from} AND c.consensus IS NOT NULL "
            "GROUP BY 1, 2",
            p,
        ),
    )
    out.who_right = {
        w: n
        for w, n in conn.execute(text(f"SELECT d.who_right, count(*) {decided_from} GROUP BY 1"), p)
    }
    return out


def _pairs(conn: Connection, sql: str, params: dict[str, Any]) -> Pairs:
    return Counter({(a, b): n for a, b, n in conn.execute(text(sql), params)})


def _rate(scheme: LabelScheme, pairs: Pairs) -> Rate:
    agree = sum(n for (a, b), n in pairs.items() if not scheme.differs(a, b))
    return Rate(agree, sum(pairs.values()))


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
        "  disagreements by kind:",
    ]
    for kind in Kind:
        lines.append(f"    {kind.caption:<22}{summary.kinds.get(kind.value, 0):>8}")
    for c in summary.criteria:
        scale = "ordinal" if c.ordinal else "nominal"
        extra = f", threshold {c.threshold:g}" if c.ordinal else ""
        lines += [
            "",
            f"  criterion '{c.criterion or '(default)'}' — "
            f"{json.dumps(c.labels)} ({scale}{extra}), "
            f"{c.cases} cases, {c.decided} decided",
            f"    judge vs each rating        {pct(c.judge_vs_ratings)}",
            f"    judge vs raters' consensus  {pct(c.judge_vs_consensus)}"
            + (
                f"   kappa {c.judge_consensus_kappa:.3f}"
                if c.judge_consensus_kappa is not None
                else ""
            ),
            f"    rater vs rater              {pct(c.rater_pairs)}",
        ]
        if c.decided:
            lines += [
                f"    judge vs final label        {pct(c.judge_vs_final)}",
                f"    consensus vs final label    {pct(c.consensus_vs_final)}",
                "    who was right: "
                + ", ".join(f"{k} {v}" for k, v in sorted(c.who_right.items())),
            ]
    return "\n".join(lines)
