"""The ordinal figures of a freshly imported workspace, wherever figures are shown: each equals
its reference (scikit-learn, scipy.stats, krippendorff, irrCAC) to 1e-9 on the workspace's
cases; the summary and the agreement report (text, JSON, Markdown, HTML) show them; no figure
in the JSON is a bare null; and the kappa paradox is explained where it occurs."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
import pandas as pd
import pytest
from irrCAC.raw import CAC
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from annotator.cli import main
from annotator.services.agreement import render_html, render_markdown, render_text
from annotator.services.agreement.to_json import report_to_json
from annotator.services.agreement.workspace import workspace_baseline, workspace_report
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace
from tests.helpers import case, write_jsonl
from tests.test_agreement_stats import _quiet, assert_matches
from tests.test_baseline_report import _cases

LIKERT = ["1", "2", "3", "4", "5"]
HEADER = {
    "criteria": {
        "relevance": {"labels": LIKERT, "ordinal": True, "threshold": 1},
        "fluency": {"labels": LIKERT, "ordinal": True, "threshold": 1},
        "grade": {"labels": ["fail", "pass"]},
    }
}
RATERS = ("r0", "r1", "r2")


def _workspace(tmp_path: Path, n: int = 300, seed: int = 5) -> Workspace:
    """Relevance spread over the scale; fluency almost always 5 (the kappa paradox)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        q = rng.randint(1, 5)
        raters = {r: str(min(5, max(1, q + rng.choice([-1, 0, 0, 1])))) for r in RATERS}
        judge = str(min(5, max(1, q + rng.choice([-1, 0, 1, 2]))))
        rows.append(case(f"r{i}", judge=judge, raters=raters, criterion="relevance"))
        top = rng.random() < 0.9
        raters = {r: "5" if top or rng.random() < 0.5 else "4" for r in RATERS}
        rows.append(case(f"f{i}", judge="5", raters=raters, criterion="fluency"))
        raters = {r: rng.choice(["fail", "pass"]) for r in RATERS[: rng.randint(1, 3)]}
        rows.append(case(f"g{i}", judge=rng.choice(["fail", "pass"]), raters=raters,
                         criterion="grade"))  # fmt: skip
    ws = Workspace.open(tmp_path / "o.annotator")
    import_file(ws, write_jsonl(tmp_path / "o.jsonl", rows, HEADER))
    return ws


def _gwet(rows: list[list[str | None]], labels: list[str], weights: str) -> float:
    frame = pd.DataFrame(rows, dtype=object)
    cac = CAC(frame, weights=weights, categories=labels, digits=15)
    return float(_quiet(cac.gwet)["est"]["coefficient_value"])


def test_every_ordinal_figure_equals_its_reference(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    baseline = workspace_baseline(ws, resamples=50)
    for name in ("relevance", "fluency"):
        b = baseline.of(name)
        assert b is not None
        cases = _cases(ws, name)
        agreed = [c for c in cases if c["consensus"] is not None]
        truth = [c["consensus"] for c in agreed]
        said = [c["judge"] for c in agreed]
        j = b.judge
        assert j.chance is not None and j.scores is not None
        for weights, figure in (
            ("linear", j.chance.kappa_linear),
            ("quadratic", j.chance.kappa_quadratic),
        ):
            assert figure is not None
            reference = _quiet(cohen_kappa_score, truth, said, labels=LIKERT, weights=weights)
            assert_matches(figure, reference)
        pairs: list[list[str | None]] = [[t, s] for t, s in zip(truth, said, strict=True)]
        assert_matches(j.chance.ac1, _gwet(pairs, LIKERT, "identity"))
        assert j.chance.ac2 is not None
        assert_matches(j.chance.ac2, _gwet(pairs, LIKERT, "ordinal"))
        # The judge's score against the raters' mean, on every rated case with a judge label.
        x = [float(c["judge"]) for c in cases]
        y = [float(np.mean([float(v) for v in c["ratings"].values()])) for c in cases]
        assert_matches(j.scores.spearman, _quiet(stats.spearmanr, x, y)[0])
        assert_matches(j.scores.kendall, _quiet(stats.kendalltau, x, y)[0])
        assert_matches(j.scores.pearson, _quiet(stats.pearsonr, x, y)[0])
        assert_matches(j.scores.mae, float(np.mean(np.abs(np.array(x) - np.array(y)))))
        # Among the raters: Gwet's AC1 and AC2, the interval alpha.
        rows: list[list[str | None]] = [[c["ratings"].get(r) for r in RATERS] for c in cases]
        rel = b.raters.reliability
        assert rel.chance is not None and rel.chance.ac2 is not None
        assert_matches(rel.chance.ac1, _gwet(rows, LIKERT, "identity"))
        assert_matches(rel.chance.ac2, _gwet(rows, LIKERT, "ordinal"))
        matrix = np.array([[float(v) if v else np.nan for v in row] for row in rows]).T
        assert rel.alpha_interval_level is not None
        expected = krippendorff.alpha(
            reliability_data=matrix, level_of_measurement="interval", value_domain=[1, 2, 3, 4, 5]
        )
        assert_matches(rel.alpha_interval_level, expected)
        assert rel.alpha_interval_level_interval is not None
        assert rel.alpha_interval_level_interval.defined
    grade = baseline.of("grade")
    assert grade is not None and grade.judge.scores is None
    assert grade.judge.chance is not None and grade.judge.chance.kappa_linear is None


def test_the_kappa_paradox_is_explained(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    fluency = workspace_baseline(ws, resamples=20).of("fluency")
    assert fluency is not None
    j = fluency.judge
    assert j.accuracy.value is not None and j.accuracy.value > 0.8
    assert j.kappa.value is not None and abs(j.kappa.value) < 0.2
    assert j.kappa.note is not None and j.kappa.note.startswith("kappa paradox")
    assert "'5'" in j.kappa.note and "AC1" in j.kappa.note
    assert j.chance is not None and j.chance.ac1.value is not None and j.chance.ac1.value > 0.7
    text = render_text(workspace_report(ws, resamples=20))
    assert "kappa paradox: " in text and "Gwet's AC1" in text
    line = next(x for x in format_summary(summarize(ws, resamples=20)).splitlines()
                if "judge vs raters' consensus" in x and "kappa paradox" in x)  # fmt: skip
    assert "read Gwet's AC1" in line


def _bare_nulls(data: Any, path: str = "") -> list[str]:
    """Paths of nulls with nothing saying why: a figure's null value without a reason, or
    a null key without a sibling ``KEY_why``."""
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{path}.{key}"
            if value is None:
                if key == "value" and data.get("reason"):
                    continue
                if key in ("reason", "note", "low", "high") or data.get(f"{key}_why"):
                    continue
                if key.endswith("_why"):
                    continue
                out.append(here)
            else:
                out += _bare_nulls(value, here)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _bare_nulls(value, f"{path}[{i}]")
    return out


def test_json_has_no_bare_null(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=60)
    service = ReviewService(ws, "lead")
    for i in range(10):
        for prefix, label in (("r", "3"), ("f", "5"), ("g", "pass")):
            service.decide(service.row_id(f"{prefix}{i}") or 0, label, "checked")
    report = report_to_json(workspace_report(ws, resamples=20))
    assert _bare_nulls(report) == []
    summary = summarize(ws, resamples=20).to_json()
    assert _bare_nulls({k: v for k, v in summary.items()}) == []
    fluency = next(c for c in summary["criteria"] if c["criterion"] == "fluency")
    judge = fluency["baseline"]["judge_vs_consensus"]
    for key in ("kappa_linear", "kappa_quadratic", "gwet_ac1", "gwet_ac2"):
        assert judge[key]["value"] is not None and judge[key]["interval"]["low"] is not None
    for key in ("spearman", "kendall_tau_b", "pearson", "mean_absolute_error"):
        assert judge["judge_score_vs_raters_mean"][key]["n"] == 60
    raters = fluency["baseline"]["raters"]
    assert raters["alpha_interval_level"]["value"] is not None
    grade = next(c for c in summary["criteria"] if c["criterion"] == "grade")
    assert grade["baseline"]["raters"]["alpha_ordinal_why"]
    assert grade["baseline"]["judge_vs_consensus"]["kappa_linear"]["reason"]


def test_the_summary_gives_kappa_on_ordinal_criteria_too(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=80)
    summary = summarize(ws, resamples=20)
    relevance = next(c for c in summary.criteria if c.criterion == "relevance")
    assert relevance.ordinal and relevance.judge_consensus_kappa is not None
    assert relevance.baseline is not None
    assert relevance.judge_consensus_kappa == relevance.baseline.judge.kappa.value
    text = format_summary(summary)
    for name in (
        "exact agreement (accuracy)",
        "agreement within the threshold (±1)",
        "Cohen's kappa, quadratic-weighted",
        "Gwet's AC2 (ordinal weights)",
        "Spearman's rho, judge vs raters' mean",
        "Krippendorff's alpha, interval",
    ):
        assert name in text


def test_a_single_label_says_why(tmp_path: Path) -> None:
    rows = [
        case(f"c{i}", judge="3", raters={"a": "3", "b": "3"}, criterion="relevance")
        for i in range(5)
    ]
    ws = Workspace.open(tmp_path / "s.annotator")
    import_file(ws, write_jsonl(tmp_path / "s.jsonl", rows, HEADER))
    summary = summarize(ws, resamples=20)
    relevance = next(c for c in summary.criteria if c.criterion == "relevance")
    assert relevance.judge_consensus_kappa is None
    assert "one label" in (relevance.judge_consensus_kappa_why or "")
    assert "kappa undefined (only one label" in format_summary(summary)
    b = relevance.baseline
    assert b is not None and b.judge.chance is not None and b.judge.scores is not None
    assert "one label" in (b.judge.chance.kappa_quadratic.reason or "")  # type: ignore[union-attr]
    assert "same on every case" in (b.judge.scores.spearman.reason or "")


@pytest.mark.parametrize("flag", ["--json", "--markdown", "--html", None])
def test_the_agreement_command_shows_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str | None
) -> None:
    ws = _workspace(tmp_path, n=40)
    ws.close()
    args = ["agreement", str(tmp_path / "o.annotator"), "--resamples", "20"]
    written = tmp_path / "report.out"
    capsys.readouterr()
    assert main(args + ([flag] if flag == "--json" else [flag, str(written)] if flag else [])) == 0
    out = capsys.readouterr().out
    if flag in ("--markdown", "--html"):
        out = written.read_text(encoding="utf-8")
    if flag == "--json":
        data = json.loads(out)
        relevance = next(b for b in data["baseline"] if b["criterion"] == "relevance")
        assert relevance["judge_vs_consensus"]["gwet_ac2"]["value"] is not None
    else:
        assert "kappa, linear-weighted" in out and "tau-b, judge vs raters" in out


def test_renderers_share_the_rows(tmp_path: Path) -> None:
    ws = _workspace(tmp_path, n=40)
    report = workspace_report(ws, resamples=20)
    for rendered in (render_markdown(report), render_html(report)):
        assert "Gwet&#x27;s AC1" in rendered or "Gwet's AC1" in rendered


def test_the_judges_raw_score_is_used_where_the_case_has_one(tmp_path: Path) -> None:
    """A judge's 4.5 beside its label 4 counts as 4.5 against the raters' mean; a case
    without a score counts its label's number. The summary and the report agree."""
    rng = random.Random(11)
    rows, x, y = [], [], []
    for i in range(60):
        raters = {r: rng.choice(LIKERT) for r in RATERS}
        label = rng.choice(LIKERT)
        row = case(f"c{i}", judge=label, raters=raters, criterion="relevance")
        score = float(label)
        if i % 3 == 0:
            score = float(label) + rng.choice([-0.5, 0.25, 0.5])
            row["judge"]["score"] = score
        rows.append(row)
        x.append(score)
        y.append(float(np.mean([float(v) for v in raters.values()])))
    ws = Workspace.open(tmp_path / "raw.annotator")
    import_file(ws, write_jsonl(tmp_path / "raw.jsonl", rows, HEADER))
    b = workspace_baseline(ws, resamples=20).of("relevance")
    assert b is not None and b.judge.scores is not None
    s = b.judge.scores
    assert_matches(s.spearman, _quiet(stats.spearmanr, x, y)[0])
    assert_matches(s.kendall, _quiet(stats.kendalltau, x, y)[0])
    assert_matches(s.pearson, _quiet(stats.pearsonr, x, y)[0])
    assert_matches(s.mae, float(np.mean(np.abs(np.array(x) - np.array(y)))))
    summary = summarize(ws, resamples=20)
    same = next(c for c in summary.criteria if c.criterion == "relevance").baseline
    assert same is not None and same.judge.scores is not None
    assert same.judge.scores.spearman == s.spearman


def test_a_reviewer_pairs_and_a_raters_kappa_explain_the_paradox(tmp_path: Path) -> None:
    """Against the final labels, a rater who says 5 nearly always and agrees 90% of the time
    has a kappa near 0: the note says why."""
    ws = _workspace(tmp_path, n=60)
    service = ReviewService(ws, "lead")
    for i in range(60):
        row = service.row_id(f"f{i}") or 0
        service.decide(row, "5" if i % 10 else "4", "checked")
    report = workspace_report(ws, resamples=10)
    fluency = next(c for c in report.criteria if c.criterion == "fluency")
    notes = [x.kappa.note for x in fluency.raters]
    assert any(n and n.startswith("kappa paradox") for n in notes), notes
