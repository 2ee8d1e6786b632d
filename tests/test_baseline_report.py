"""The baseline before any review, from a freshly imported workspace: every figure equals
scikit-learn, statsmodels, krippendorff or AlpacaEval's definition to 1e-9; the summary, the
agreement report and the command line give the same figures; "consensus" means what the
disagreement kinds mean by it; and with decisions the two views stand side by side."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, f1_score
from sklearn.metrics import precision_recall_fscore_support as prfs
from sqlalchemy import text
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotator.cli import main
from annotator.domain.merge import Scale
from annotator.services.agreement import build_report, render_text, report_to_json
from annotator.services.agreement.baseline import NO_THRESHOLD
from annotator.services.agreement.workspace import workspace_baseline, workspace_report
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.summary import summarize
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl
from tests.test_agreement_report import case as merged_case
from tests.test_agreement_stats import _brute_loo, _quiet, assert_matches
from tests.test_baseline_stats import SPELLINGS, _plain_alpaca

HEADER = {
    "criteria": {
        "grade": {"labels": ["fail", "pass"]},
        "score": {"labels": ["1", "2", "3", "4", "5"], "ordinal": True, "threshold": 1},
        "pick": {"labels": ["A", "B", "tie"]},
    }
}
RATERS = [f"r{i}" for i in range(6)]


def _workspace(tmp_path: Path, n: int = 400, seed: int = 3) -> Workspace:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        crit = rng.choice(list(HEADER["criteria"]))
        labels = HEADER["criteria"][crit]["labels"]
        size = rng.choice([0, 1, 2, 3, 3, 3, 4])
        raters = {r: rng.choice(labels) for r in rng.sample(RATERS, size)}
        rows.append(case(f"c{i:04d}", judge=rng.choice(labels), raters=raters, criterion=crit))
    ws = Workspace.open(tmp_path / "b.annotator")
    import_file(ws, write_jsonl(tmp_path / "b.jsonl", rows, HEADER))
    return ws


def _cases(ws: Workspace, crit: str) -> list[dict[str, Any]]:
    """Each case of a criterion as stored: judge, consensus, kind and ratings by rater."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.judge_label, c.consensus, c.kind, (SELECT json_group_object(r.rater, "
                "r.label) FROM rating r WHERE r.case_id = c.id) FROM cases c "
                "WHERE c.criterion = :c ORDER BY c.id"
            ),
            {"c": crit},
        ).all()
    return [
        {"judge": j, "consensus": c, "kind": k, "ratings": json.loads(r or "{}")}
        for j, c, k, r in rows
    ]


def test_every_baseline_figure_equals_its_reference(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    baseline = workspace_baseline(ws, resamples=50)
    for name, spec in HEADER["criteria"].items():
        b = baseline.of(name)
        assert b is not None
        labels = spec["labels"]
        cases = _cases(ws, name)
        with_consensus = [c for c in cases if c["consensus"] is not None]
        truth = [c["consensus"] for c in with_consensus]
        said = [c["judge"] for c in with_consensus]
        j = b.judge
        assert_matches(j.accuracy, accuracy_score(truth, said))
        assert_matches(j.kappa, _quiet(cohen_kappa_score, truth, said, labels=labels))
        assert_matches(j.macro_f1, _quiet(f1_score, truth, said, average="macro"))
        p, r, f, support = _quiet(prfs, truth, said, labels=labels, zero_division=np.nan)
        for k, score in enumerate(j.per_label):
            assert_matches(score.precision, p[k])
            assert_matches(score.recall, r[k])
            assert_matches(score.f1, f[k])
            assert score.support == support[k]
        assert j.accuracy.n == len(with_consensus)
        # "Agrees with the consensus" means what the kinds mean.
        agree = sum(c["kind"] not in ("judge_vs_all", "judge_vs_majority") for c in with_consensus)
        within = j.within if spec.get("ordinal") else j.accuracy
        assert within is not None and within.value == pytest.approx(agree / len(with_consensus))

        units = [sorted(c["ratings"].values()) for c in cases]
        sizes = Counter(len(u) for u in units if len(u) >= 2)
        size = max(sizes, key=lambda m: (sizes[m], m))
        table = np.array([[u.count(x) for x in labels] for u in units if len(u) == size])
        rel = b.raters.reliability
        assert_matches(rel.fleiss, _quiet(sm_fleiss_kappa, table, method="fleiss"))
        index = {x: float(i) for i, x in enumerate(labels)}
        matrix = np.array(
            [[index.get(c["ratings"].get(r, ""), np.nan) for c in cases] for r in RATERS]
        )
        for level, figure in (("nominal", rel.alpha_nominal), ("ordinal", rel.alpha_ordinal)):
            if figure is None:
                assert not spec.get("ordinal")
                continue
            expected = krippendorff.alpha(
                reliability_data=matrix,
                level_of_measurement=level,
                value_domain=list(range(len(labels))),
            )
            assert_matches(figure, expected)
        loo_units = [(c["judge"], list(c["ratings"].values())) for c in cases]
        humans, judge = _brute_loo(loo_units)
        assert_matches(b.raters.ceiling.humans, humans)
        assert_matches(b.raters.ceiling.judge, judge)
        if name == "pick":
            value = SPELLINGS["words"][1]
            humans, judge = _plain_alpaca(tuple(labels), value, loo_units)
            assert_matches(b.raters.alpaca_eval.humans, humans)
            assert_matches(b.raters.alpaca_eval.judge, judge)
        counts = b.counts
        assert counts.cases == len(cases)
        assert counts.unrated == sum(not c["ratings"] for c in cases)
        assert counts.no_consensus == sum(
            bool(c["ratings"]) and c["consensus"] is None for c in cases
        )


def test_summary_and_agreement_report_give_the_same_baseline(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=250, seed=9)
    from_summary = summarize(ws, resamples=100, seed=4)
    report = workspace_report(ws, resamples=100, seed=4)
    assert report.baseline is not None and report.criteria == ()
    for c in from_summary.criteria:
        assert c.baseline == report.baseline.of(c.criterion)
    # Counted in batches (a bounded memory) or all at once: the same figures.
    assert workspace_baseline(ws, resamples=100, seed=4, max_alike=5) == report.baseline
    data = from_summary.to_json()["criteria"]
    assert [c["baseline"] for c in data] == report_to_json(report)["baseline"]


def test_consensus_means_what_the_kinds_mean(tmp_path: Path) -> None:
    """Ratings 2 and 3 on a 1-5 scale with threshold 1: the consensus is the median 2.5, named
    "2". A judge saying 1 is within the threshold of "2" but not of 2.5: the case is judge vs
    majority, so the judge does not agree with the consensus, in the summary or the baseline."""
    header = {"criteria": {"score": HEADER["criteria"]["score"]}}
    rows = [case("x", judge="1", raters={"a": "2", "b": "3"}, criterion="score")]
    ws = Workspace.open(tmp_path / "o.annotator")
    import_file(ws, write_jsonl(tmp_path / "o.jsonl", rows, header))
    (c,) = summarize(ws, resamples=10).criteria
    assert c.kinds == {"judge_vs_majority": 1}
    assert (c.judge_vs_consensus.agree, c.judge_vs_consensus.total) == (0, 1)
    assert c.baseline is not None and c.baseline.judge.within is not None
    assert c.baseline.judge.within.value == 0.0
    assert c.baseline.judge.confusion.counts[1][0] == 1  # consensus "2", judge "1"


def test_side_by_side_once_there_are_decisions(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=120, seed=5)
    review = ReviewService(ws, "rev")
    decided = 0
    for row_id in range(1, 121, 3):
        detail = review.case(row_id)
        if detail.case.criterion == "grade":
            review.decide(row_id, "pass", "because")
            decided += 1
    report = workspace_report(ws, resamples=50)
    (grade,) = report.criteria
    assert grade.counts.settled == decided
    assert grade.judge.accuracy.n == decided
    before = grade.before
    assert before.counts.cases == decided  # the very cases settled
    assert report.baseline is not None
    everyone = report.baseline.of("grade")
    assert everyone is not None and everyone.counts.cases > decided
    out = render_text(report)
    assert "Before any review" in out and "After review" in out
    assert "Before and after review, on the settled cases" in out


def test_ordinal_criteria_from_files_say_why_there_is_no_consensus() -> None:
    five = Scale(("1", "2", "3", "4", "5"), ordinal=True)
    cases = [
        merged_case(f"c{i}", "3", {"r1": "3", "r2": str(1 + i % 5)}, [("ana", "3", "", ())],
                    criterion="score", scale=five)
        for i in range(6)
    ] + [
        merged_case(f"p{i}", "pass", {"r1": "pass", "r2": "fail"}, [("ana", "pass", "", ())])
        for i in range(4)
    ]  # fmt: skip
    report = build_report(cases, resamples=20)
    assert report.baseline is not None
    score, quality = report.baseline.of("score"), report.baseline.of("quality")
    assert score is not None and quality is not None
    assert score.judge.accuracy.value is None and score.judge.accuracy.reason == NO_THRESHOLD
    assert score.raters.reliability.alpha.value is not None  # no threshold needed
    assert quality.judge.accuracy.defined or quality.judge.accuracy.reason
    # Given the threshold (a workspace knows it), the consensus is known.
    known = build_report(cases, resamples=20, thresholds={"score": 1.0}).baseline
    assert known is not None and known.of("score").judge.accuracy.defined  # type: ignore[union-attr]


def test_cli_agreement_on_a_fresh_workspace_prints_the_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = _workspace(tmp_path, n=80)
    ws.close()
    path = tmp_path / "b.annotator"
    assert main(["agreement", str(path), "--resamples", "50", "--basedir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for words in ("Before any review", "The judge against the raters' consensus", "macro F1",
                  "Fleiss' kappa", "Krippendorff's alpha, ordinal", "human ceiling",
                  "AlpacaEval human agreement, raters", "AlpacaEval human agreement, judge",
                  "no decisions yet"):  # fmt: skip
        assert words in out, words
    assert "After review" not in out
    assert main(["agreement", str(path), "--json", "--resamples", "50",
                 "--basedir", str(tmp_path)]) == 0  # fmt: skip
    data = json.loads(capsys.readouterr().out)
    assert data["criteria"] == [] and len(data["baseline"]) == 3
    grade = next(b for b in data["baseline"] if b["criterion"] == "grade")
    assert grade["judge_vs_consensus"]["accuracy"]["interval"]["low"] is not None
    assert main(["summary", str(path), "--json", "--basedir", str(tmp_path)]) == 0
    summary = json.loads(capsys.readouterr().out)
    baseline = {c["criterion"]: c["baseline"] for c in summary["criteria"]}
    assert baseline["grade"]["judge_vs_consensus"]["kappa"]["value"] == pytest.approx(
        grade["judge_vs_consensus"]["kappa"]["value"], abs=0
    )
    assert "alpaca_eval_human_agreement" in baseline["pick"]["raters"]
    assert main(["summary", str(path), "--basedir", str(tmp_path)]) == 0
    assert "AlpacaEval human agreement, judge" in capsys.readouterr().out


def test_agreement_help_prints_one_percent_sign(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["agreement", "--help"])
    out = capsys.readouterr().out
    assert "95%" in out and "95%%" not in out


def test_no_resamples_means_no_intervals(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=40)
    b = workspace_baseline(ws, resamples=0).of("grade")
    assert b is not None and b.judge.accuracy.defined
    assert b.judge.accuracy_interval.reason and not b.judge.accuracy_interval.defined
