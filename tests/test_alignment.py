"""The alignment report of a workspace (services/alignment): every run's figures against the
final labels on the project's held-out split and on all decided cases, the human ceiling, the
runs compared (fixed, broken, McNemar), the queue of those cases, the calibration warning, and
``annotator alignment`` (docs/alignment.md, "The alignment figures")."""

from __future__ import annotations

import json
import math
import random
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    f1_score,
    precision_recall_fscore_support,
)
from sqlalchemy import text
from statsmodels.stats.contingency_tables import mcnemar

from annotator.cli import main
from annotator.domain.model import LabelScheme
from annotator.domain.queue import QueueFilter
from annotator.domain.split import Part, part_of
from annotator.services.alignment import (
    CEILING_NAME,
    Scope,
    alignment_report,
    changed_cases,
    compare_runs,
    judge_runs,
    render_html,
    render_markdown,
    render_text,
    report_to_json,
)
from annotator.services.importer import import_file
from annotator.services.judge_runs import add_run, remove_run
from annotator.services.merge import load_merged, merge_into_workspace
from annotator.services.queue import queue_ids, queue_rows
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from annotator.storage import alignment as stored
from annotator.storage import project as stored_project
from annotator.storage.db import driver_connection, writing
from tests.conftest import SAMPLE
from tests.helpers import DOCS, PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

RESAMPLES = 60


def _sample_lines() -> list[dict[str, object]]:
    return [json.loads(x) for x in SAMPLE.read_text(encoding="utf-8").splitlines()[1:]]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    """The sample, every case decided: the judge's label on two cases in three, another label
    on the third (so the judge is wrong on some)."""
    ws = Workspace.open(tmp_path / "s.annotator")
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "expert")
    for i, line in enumerate(_sample_lines()):
        row = review.row_id(str(line["id"])) or 0
        labels = review.case(row).scheme.labels
        judge = str(line["judge"]["label"])  # type: ignore[index]
        label = judge if i % 3 else labels[(labels.index(judge) + 1 + i) % len(labels)]
        review.decide(row, label, f"line {i}")
    return ws


def _run_file(folder: Path, name: str, seed: int, keep: float = 0.6) -> Path:
    """A judge run: each case's final label with chance ``keep``, else a random label (and a
    few cases left without a verdict)."""
    rng = random.Random(seed)
    path = folder / f"{name}.jsonl"
    ws_lines = _sample_lines()
    out = []
    for line in ws_lines:
        if rng.random() < 0.1:
            continue
        labels = _SCALES[str(line["criterion"])].labels
        out.append({"id": line["id"], "verdict": rng.choice(labels), "judge_model": name})
    path.write_text("\n".join(json.dumps(x) for x in out) + "\n", encoding="utf-8")
    return path


_SCALES = {
    "faithfulness": LabelScheme(("fail", "pass")),
    "helpfulness": LabelScheme(("1", "2", "3", "4", "5"), True, 1.0),
    "preference": LabelScheme(("A", "B", "tie")),
}


def _truth(ws: Workspace) -> dict[str, tuple[str, str]]:
    """The Agreement page's truth: ``(criterion, final label)`` by case id."""
    return {
        c.id: (c.criterion, c.final_label) for c in load_merged(ws) if c.final_label is not None
    }


def _labels(ws: Workspace, run_id: int | None) -> dict[str, str]:
    with ws.engine.connect() as conn:
        if run_id is None:
            rows = conn.execute(text("SELECT ext_id, judge_label FROM cases"))
        else:
            rows = conn.execute(
                text(
                    "SELECT c.ext_id, v.label FROM judge_verdict v JOIN cases c "
                    "ON c.id = v.case_id WHERE v.run_id = :r"
                ),
                {"r": run_id},
            )
        return {str(a): str(b) for a, b in rows}


def _split(ws: Workspace) -> tuple[float, int]:
    with ws.engine.connect() as conn:
        return stored_project.split_settings(conn)


def _set_split(ws: Workspace, fraction: float, seed: int) -> None:
    """As ``annotator split WS --fraction F --seed N`` sets it."""
    with writing(ws.engine) as conn:
        stored_project.set_split_settings(conn, fraction, seed)


def test_every_runs_figures_on_the_projects_split(ws: Workspace, tmp_path: Path) -> None:
    add_run(ws, _run_file(tmp_path, "second", 1), "second")
    add_run(ws, _run_file(tmp_path, "third", 2), "third")
    _set_split(ws, 0.4, 7)
    report = alignment_report(ws, resamples=RESAMPLES)
    assert [r.name for r in report.runs][1:] == ["second", "third"]
    assert report.runs[0].imported and (report.fraction, report.split_seed) == (0.4, 7)
    truth = _truth(ws)
    held = {i for i in truth if part_of(7, i, 0.4) is Part.HELDOUT}
    assert (report.decided, report.heldout) == (len(truth), len(held))
    assert [c.criterion for c in report.criteria] == sorted({c for c, _ in truth.values()})
    for c in report.criteria:
        scale = list(c.scale.labels)
        for scope, ids in ((Scope.HELDOUT, held), (Scope.DECIDED, set(truth))):
            mine = sorted(i for i in ids if truth[i][0] == c.criterion)
            assert (c.heldout_cases if scope is Scope.HELDOUT else c.decided_cases) == len(mine)
            for r in c.runs:
                labels = _labels(ws, None if r.run.imported else r.run.id)
                scored = [i for i in mine if i in labels]
                y_true = [truth[i][1] for i in scored]
                y_pred = [labels[i] for i in scored]
                f = r.figures(scope)
                assert f.n == len(scored)
                assert f.accuracy.value == pytest.approx(accuracy_score(y_true, y_pred), abs=1e-9)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    kappa = cohen_kappa_score(y_true, y_pred, labels=scale)
                assert (
                    (f.kappa.value is None)
                    if math.isnan(kappa)
                    else (f.kappa.value == pytest.approx(kappa, abs=1e-9))
                )
                macro = f1_score(y_true, y_pred, average="macro", zero_division=0)
                assert f.macro_f1.value == pytest.approx(macro, abs=1e-9)
                p, rec, f1, _ = precision_recall_fscore_support(
                    y_true, y_pred, labels=scale, average=None, zero_division=0
                )
                assert [x.precision.value for x in f.per_label] == pytest.approx(list(p))
                assert [x.recall.value for x in f.per_label] == pytest.approx(list(rec))
                assert [x.f1.value for x in f.per_label] == pytest.approx(list(f1))
                assert f.accuracy.interval.resamples == RESAMPLES
                assert (f.right is not None) == c.scale.ordinal
        assert c.ceiling_heldout.figure.n <= c.heldout_cases  # cases with two raters or more
    assert CEILING_NAME == "human ceiling on these cases (leave-one-out)"


def test_the_split_follows_the_project_settings(ws: Workspace) -> None:
    before = alignment_report(ws, resamples=0)
    assert (before.fraction, before.split_seed) == _split(ws) == (0.5, 0)
    _set_split(ws, 0.8, 3)
    after = alignment_report(ws, resamples=0)
    truth = _truth(ws)
    assert after.heldout == sum(part_of(3, i, 0.8) is Part.HELDOUT for i in truth)
    assert after.heldout != before.heldout


def _right(criterion: str, truth: str, label: str) -> bool:
    scheme = _SCALES[criterion]
    return truth == label or (scheme.ordinal and not scheme.differs(truth, label))


def test_fixed_and_broken_cases_and_their_queue(ws: Workspace, tmp_path: Path) -> None:
    add_run(ws, _run_file(tmp_path, "second", 5), "second")
    report = alignment_report(ws, resamples=0)
    imported, second = report.runs
    truth = _truth(ws)
    first, now = _labels(ws, None), _labels(ws, second.id)
    fraction, seed = _split(ws)
    for c in report.criteria:
        for scope in Scope:
            ids = [
                i
                for i in sorted(truth, key=_position(ws))
                if truth[i][0] == c.criterion
                and i in now
                and (scope is Scope.DECIDED or part_of(seed, i, fraction) is Part.HELDOUT)
            ]
            was = {i: _right(c.criterion, truth[i][1], first[i]) for i in ids}
            became = {i: _right(c.criterion, truth[i][1], now[i]) for i in ids}
            fixed = tuple(i for i in ids if not was[i] and became[i])
            broken = tuple(i for i in ids if was[i] and not became[i])
            got = compare_runs(ws, imported, second, c.criterion, scope=scope)
            assert (got.fixed_ids, got.broken_ids) == (fixed, broken)
            assert changed_cases(ws, imported, second, c.criterion, "fixed", scope=scope) == fixed
            pair = c.pairs[0].comparison(scope)
            assert (pair.fixed, pair.broken, pair.n) == (len(fixed), len(broken), len(ids))
            table = np.array([[pair.both_right, pair.broken], [pair.fixed, pair.both_wrong]])
            assert pair.p_value == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-9)
            if fixed:  # the queue of exactly those cases
                rows = queue_rows(ws, list(queue_ids(ws, QueueFilter(kinds=None, cases=fixed))))
                assert sorted(r.ext_id for r in rows.values()) == sorted(fixed)


def _position(ws: Workspace) -> object:
    with ws.engine.connect() as conn:
        order = dict(conn.execute(text("SELECT ext_id, id FROM cases")).all())
    return lambda i: order[i]


def test_runs_without_the_imported_row_and_removed_runs(ws: Workspace, tmp_path: Path) -> None:
    with writing(ws.engine) as conn:  # as a workspace from before judge runs: no row yet
        conn.exec_driver_sql("DELETE FROM judge_run")
    (only,) = judge_runs(ws)  # the imported judge all the same
    assert only.imported and only.id is None and only.name == "imported judge"
    add_run(ws, _run_file(tmp_path, "second", 1), "second")
    add_run(ws, _run_file(tmp_path, "third", 2), "third")
    runs = judge_runs(ws)
    assert [r.name for r in runs] == ["imported judge", "second", "third"]
    assert runs[0].id is not None  # made by the judge-run service
    # a Run from before the row existed still names the imported judge
    assert compare_runs(ws, only, runs[1], "faithfulness") == compare_runs(
        ws, runs[0], runs[1], "faithfulness"
    )
    remove_run(ws, "second")
    report = alignment_report(ws, resamples=0)
    assert [r.name for r in report.runs] == ["imported judge", "third"]
    assert [(p.before.name, p.after.name) for p in report.criteria[0].pairs] == [
        ("imported judge", "third")
    ]


def test_a_warning_when_held_out_cases_were_calibration_examples(
    ws: Workspace, tmp_path: Path
) -> None:
    add_run(ws, _run_file(tmp_path, "second", 1), "second")
    assert alignment_report(ws, resamples=0).warning is None
    fraction, seed = _split(ws)
    truth = _truth(ws)
    held = sorted(i for i in truth if part_of(seed, i, fraction) is Part.HELDOUT)
    examples = held[:5] + sorted(set(truth) - set(held))[:3]  # 5 held out, 3 not
    with writing(ws.engine) as conn:
        pack = conn.execute(
            text(
                "INSERT INTO calibration_pack (path, written_at, seed, fraction) "
                "VALUES ('pack', '2026-01-01', 9, 0.5) RETURNING id"
            )  # fmt: skip
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO calibration_example (pack_id, case_id) "
                "SELECT :p, id FROM cases WHERE ext_id = :e"
            ),
            [{"p": pack, "e": e} for e in examples],
        )
    report = alignment_report(ws, resamples=0)
    assert report.warning is not None
    assert (report.warning.cases, report.warning.packs) == (5, 1)
    assert "5 held-out cases were given as examples" in report.warning.text
    second = _labels(ws, report.runs[1].id)
    for c in report.criteria:
        mine = [e for e in held[:5] if truth[e][0] == c.criterion]
        imported, run = c.runs
        assert imported.examples_scored == len(mine)
        assert run.examples_scored == sum(e in second for e in mine)


def test_the_truth_is_the_agreement_pages_in_a_leads_workspace(tmp_path: Path) -> None:
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    files = [reviewer_file(pack, tmp_path / who, who, plan) for who, plan in REVIEW_PLAN.items()]
    lead = Workspace.open(tmp_path / "lead.annotator")
    import_file(lead, pack)
    own = ReviewService(lead, "lee", clock=lambda: "2026-01-01T09:00:00Z")
    for cid, label in (("c2", "fail"), ("c4", "fail"), ("c5", "pass")):
        own.decide(own.row_id(cid) or 0, label, f"lee on {cid}")  # the lead's own review
    merge_into_workspace(lead, files, clock=lambda: "2026-01-02T09:00:00Z")
    later = ReviewService(lead, "lee", clock=lambda: "2026-01-03T09:00:00Z")
    later.decide(later.row_id("c3") or 0, "pass", "settled")  # settles c3's conflict
    expected = {c.id: c.final_label for c in load_merged(lead)}
    with lead.engine.connect() as conn:
        got = {row[1]: row[3] for row in stored.decided_rows(conn, driver_connection(conn), [])}
    assert got == expected
    assert None in got.values() and got["c3"] == "pass"
    report = alignment_report(lead, resamples=0)
    assert report.decided == sum(v is not None for v in expected.values())
    assert report.open_cases == sum(v is None for v in expected.values())


# -- the command line ----------------------------------------------------------------------------


def test_the_command_prints_and_writes_every_format(
    ws: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add_run(ws, _run_file(tmp_path, "run", 1), '<b>v2 & "co"</b>')
    assert ws.path is not None
    path = ws.path
    ws.close()
    md, page = tmp_path / "out.md", tmp_path / "out.html"
    code = main(
        [
            "alignment",
            str(path),
            "--json",
            "--markdown",
            str(md),
            "--html",
            str(page),
            "--resamples",
            "40",
            "--seed",
            "3",
        ]  # fmt: skip
    )
    assert code == 0
    out = capsys.readouterr()
    doc = json.loads(out.out)
    assert doc["format"] == "annotator.alignment" and doc["bootstrap"]["seed"] == 3
    assert [r["name"] for r in doc["runs"]] == ["imported judge", '<b>v2 & "co"</b>']
    crit = doc["criteria"][0]
    run = crit["heldout"]["runs"][1]
    assert set(run) >= {"run", "accuracy", "kappa", "macro_f1", "per_label", "examples_scored"}
    assert run["accuracy"]["interval"]["resamples"] == 40
    assert crit["heldout"]["comparisons"][0]["mcnemar_p"] <= 1.0
    assert f"wrote {md}" in out.err and f"wrote {page}" in out.err
    html = page.read_text(encoding="utf-8")
    assert "<b>v2" not in html and "&lt;b&gt;v2 &amp; &quot;co&quot;&lt;/b&gt;" in html
    for remote in ("http:", "https:", "src=", "<script", "url(", "@import"):
        assert remote not in html
    assert "<svg" in html and "human ceiling on these cases" in html
    markdown = md.read_text(encoding="utf-8")
    assert "# Alignment report" in markdown and "<b>v2" not in markdown
    main(["alignment", str(path)])
    text_out = capsys.readouterr().out
    assert "held-out cases" in text_out and "McNemar p" in text_out


def test_the_files_are_written_atomically_and_never_over_the_workspace(
    ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ws.path is not None
    path = ws.path
    ws.close()
    page = tmp_path / "out.html"
    page.write_text("old", encoding="utf-8")

    def broken(_report: object) -> str:
        raise RuntimeError("renderer failed")

    monkeypatch.setattr("annotator.cli.alignment.render_html", broken)
    assert main(["alignment", str(path), "--html", str(page), "--resamples", "0"]) != 0
    assert page.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.html"]
    before = path.read_bytes()
    assert main(["alignment", str(path), "--markdown", str(path), "--resamples", "0"]) == 1
    assert path.read_bytes() == before


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def test_the_json_shape_is_documented(ws: Workspace, tmp_path: Path) -> None:
    add_run(ws, _run_file(tmp_path, "second", 1), "second")
    text_ = (DOCS / "alignment.md").read_text(encoding="utf-8")
    section = text_.split("\n### JSON\n", 1)[1].split("\n### ", 1)[0]
    keys = _keys(report_to_json(alignment_report(ws, resamples=0)))
    assert {"mcnemar_p", "examples_scored", "human_ceiling", "per_label"} <= keys
    for key in keys:
        assert f"`{key}`" in section or f'"{key}"' in section, key


def test_a_workspace_without_decisions(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "new.annotator")
    import_file(ws, SAMPLE)
    report = alignment_report(ws)
    assert (report.decided, report.heldout, report.criteria, report.warning) == (0, 0, (), None)
    assert [r.name for r in report.runs] == ["imported judge"]
    assert "no decided case yet" in render_text(report)
    assert report_to_json(report)["criteria"] == []
    assert "<h1>Alignment report</h1>" in render_html(report)
    assert render_markdown(report).startswith("# Alignment report")


def test_run_names_cannot_reach_the_terminal_or_reorder_a_line(
    ws: Workspace, tmp_path: Path
) -> None:
    add_run(ws, _run_file(tmp_path, "run", 1), "v2 \u202eevil")  # (controls: refused)
    report = alignment_report(ws, resamples=0)
    page = render_html(report)
    assert "\u202e" not in page and "⟨RLO⟩" in page
    assert "\u202e" not in render_markdown(report)
    assert "\u202e" not in render_text(report) and "⟨RLO⟩" in render_text(report)
