"""The summary counts every figure in one pass; each must equal the plain SQL aggregate."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from annotator.domain.disagreement import who_was_right
from annotator.domain.model import LabelScheme, WhoRight
from annotator.services import summary
from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.summary import summarize
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl

HEADER = {
    "criteria": {
        "grade": {"labels": ["fail", "pass"]},
        "score": {"labels": ["1", "2", "3", "4", "5"], "ordinal": True, "threshold": 1},
        "pick": {"labels": ["A", "B", "tie"]},
    }
}


def _reference(ws: Workspace) -> dict[str, Any]:
    """Each figure as its own GROUP BY, criterion by criterion (what summarize once ran)."""
    out: dict[str, Any] = {}
    with ws.engine.connect() as conn:

        def pairs(sql: str, crit: str) -> Counter[tuple[str, str]]:
            return Counter({(a, b): n for a, b, n in conn.execute(text(sql), {"c": crit})})

        for (crit,) in conn.execute(text("SELECT criterion FROM scheme")).all():
            decided = "FROM cases c JOIN decision d ON d.case_id = c.id WHERE c.criterion = :c"
            out[crit] = {
                "kinds": dict(
                    conn.execute(
                        text("SELECT kind, count(*) FROM cases WHERE criterion = :c GROUP BY 1"),
                        {"c": crit},
                    ).all()
                ),
                "decided": conn.execute(
                    text("SELECT count(*) FROM cases WHERE criterion = :c AND status = 2"),
                    {"c": crit},
                ).scalar(),
                "judge_vs_ratings": pairs(
                    "SELECT c.judge_label, r.label, count(*) FROM cases c JOIN rating r "
                    "ON r.case_id = c.id WHERE c.criterion = :c GROUP BY 1, 2",
                    crit,
                ),
                "consensus": pairs(
                    "SELECT judge_label, consensus, count(*) FROM cases WHERE criterion = :c "
                    "AND consensus IS NOT NULL GROUP BY 1, 2",
                    crit,
                ),
                # The judge agrees with the consensus exactly where the kinds say it does.
                "judge_with_consensus": conn.execute(
                    text(
                        "SELECT count(*) FROM cases WHERE criterion = :c AND consensus IS NOT "
                        "NULL AND kind NOT IN ('judge_vs_all', 'judge_vs_majority')"
                    ),
                    {"c": crit},
                ).scalar(),
                # The final label agrees with the consensus where "who was right" says the
                # raters were (the decision's own who_right may be overridden: derived again).
                "final_with_consensus": _final_with_consensus(conn, crit),
                "rater_pairs": pairs(
                    "SELECT a.label, b.label, count(*) FROM rating a JOIN rating b "
                    "ON a.case_id = b.case_id AND a.rater < b.rater JOIN cases c "
                    "ON c.id = a.case_id WHERE c.criterion = :c GROUP BY 1, 2",
                    crit,
                ),
                "judge_vs_final": pairs(
                    f"SELECT c.judge_label, d.label, count(*) {decided} GROUP BY 1, 2", crit
                ),
                "consensus_vs_final": pairs(
                    f"SELECT c.consensus, d.label, count(*) {decided} "
                    "AND c.consensus IS NOT NULL GROUP BY 1, 2",
                    crit,
                ),
                "who_right": dict(
                    conn.execute(
                        text(f"SELECT d.who_right, count(*) {decided} GROUP BY 1"), {"c": crit}
                    ).all()
                ),
            }
    return out


def _final_with_consensus(conn: Any, crit: str) -> int:
    schemes = {
        name: LabelScheme(tuple(json.loads(labels)), bool(ordinal), threshold)
        for name, labels, ordinal, threshold in conn.execute(
            text("SELECT criterion, labels, ordinal, threshold FROM scheme")
        )
    }
    rows = conn.execute(
        text(
            "SELECT c.judge_label, c.consensus, d.label, (SELECT json_group_array(r.label) "
            "FROM rating r WHERE r.case_id = c.id) FROM cases c JOIN decision d "
            "ON d.case_id = c.id WHERE c.criterion = :c AND c.consensus IS NOT NULL"
        ),
        {"c": crit},
    )
    right = (WhoRight.RATERS, WhoRight.BOTH)
    return sum(
        who_was_right(final, judge, json.loads(raters), schemes[crit]) in right
        for judge, _consensus, final, raters in rows
    )


@pytest.mark.parametrize("max_alike", [summary.MAX_ALIKE, 7])
def test_the_one_pass_summary_is_the_plain_aggregates(tmp_path: Path, max_alike: int) -> None:
    rng = random.Random(11)
    rows = []
    for i in range(600):
        crit = rng.choice(list(HEADER["criteria"]))
        labels = HEADER["criteria"][crit]["labels"]
        raters = {f"r{j}": rng.choice(labels) for j in rng.sample(range(6), rng.randint(0, 4))}
        rows.append(case(f"c{i:03d}", judge=rng.choice(labels), raters=raters, criterion=crit))
    ws = Workspace.open(tmp_path / "s.annotator")
    import_file(ws, write_jsonl(tmp_path / "s.jsonl", rows, HEADER))
    review = ReviewService(ws, "rev")
    for row_id in rng.sample(list(queue_ids(ws, QueueFilter(kinds=None))), 250):
        labels = review.case(row_id).scheme.labels
        if rng.random() < 0.2:
            review.skip(row_id)
            continue
        who = rng.choice([None, *WhoRight])
        review.decide(row_id, rng.choice(labels), "because", who_right=who)

    got = summarize(ws, max_alike=max_alike)  # 7: tallied as it goes
    expected = _reference(ws)
    assert {c.criterion for c in got.criteria} == set(expected)
    assert got.cases == 600 and got.decided == sum(e["decided"] for e in expected.values())
    for c in got.criteria:
        e = expected[c.criterion]
        assert c.kinds == e["kinds"] and c.cases == sum(e["kinds"].values())
        assert c.decided == e["decided"] and c.who_right == e["who_right"]
        for name in ("judge_vs_ratings", "rater_pairs", "judge_vs_final", "consensus_vs_final"):
            rate = getattr(c, name)
            assert rate.total == sum(e[name].values()), name
        assert c.judge_vs_consensus.total == sum(e["consensus"].values())
        # agreement as the scale sees it (ordinal scores within the threshold agree)
        scheme = review.ws.project().schemes[c.criterion]
        for name, key in (
            ("judge_vs_ratings", "judge_vs_ratings"),
            ("rater_pairs", "rater_pairs"),
            ("judge_vs_final", "judge_vs_final"),
        ):
            agree = sum(n for (a, b), n in e[key].items() if not scheme.differs(a, b))
            assert getattr(c, name).agree == agree, (c.criterion, name)
        # Against the consensus, agreement is the kinds' (on an ordinal scale: within the
        # threshold of the raters' median, not of the label that names it).
        assert c.judge_vs_consensus.agree == e["judge_with_consensus"], c.criterion
        assert c.consensus_vs_final.agree == e["final_with_consensus"], c.criterion
        assert c.baseline is not None
        figure = c.baseline.judge.within if scheme.ordinal else c.baseline.judge.accuracy
        assert figure is not None and figure.value is not None
        assert figure.value == c.judge_vs_consensus.rate and figure.n == c.judge_vs_consensus.total
    assert sum(c.judge_vs_final.total for c in got.criteria) == got.decided
