"""The command line: import, export, summary; errors go to stderr with a non-zero status."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from annotator.cli import main
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import SAMPLE
from tests.helpers import PASS_FAIL, case, write_jsonl


def test_import_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "s.annotator"
    assert main(["import", str(SAMPLE), "--workspace", str(ws)]) == 0
    out = capsys.readouterr().out
    assert "cases added            54" in out
    assert "Judge vs all raters" in out and "Raters split" in out
    assert main(["import", str(SAMPLE), "-w", str(ws), "--json"]) == 0
    counts = json.loads(capsys.readouterr().out)
    assert counts["cases"] == 54 and counts["added"] == 0 and counts["already_present"] == 54
    assert counts["disagreements"] == sum(
        counts["kinds"][k] for k in ("judge_vs_all", "judge_vs_majority", "raters_split")
    )


def test_import_default_workspace_goes_to_data_dir(
    tmp_path: Path, isolated_dirs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL)
    assert main(["import", str(path)]) == 0
    created = list((isolated_dirs / "data" / "workspaces").glob("c-*.annotator"))
    assert len(created) == 1


def test_import_with_map(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_jsonl(
        tmp_path / "f.jsonl", [{"qid": "1", "prompt": "p", "verdict": "pass", "humans": ["fail"]}]
    )
    code = main(
        [
            "import",
            str(path),
            "-w",
            str(tmp_path / "w.annotator"),
            "--json",
            "--map",
            "id=qid",
            "--map",
            "input=prompt",
            "--map",
            "judge.label=verdict",
            "--map",
            "ratings=humans",
        ]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["kinds"]["judge_vs_all"] == 1


def test_import_error_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert main(["import", str(empty), "-w", str(tmp_path / "w.annotator")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("annotator: error: empty.jsonl")
    assert main(["import", str(tmp_path / "missing.jsonl")]) == 1
    assert main(["import", str(SAMPLE), "--map", "nonsense=x"]) == 1
    assert "nonsense" in capsys.readouterr().err


def test_export_and_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws_path = tmp_path / "s.annotator"
    main(["import", str(SAMPLE), "-w", str(ws_path)])
    ws = Workspace.open(ws_path)
    review = ReviewService(ws, "cli tester")
    review.decide(review.row_id("faith-001") or 0, "fail", "Unsupported claim.")
    ws.close()
    capsys.readouterr()

    out = tmp_path / "d.jsonl"
    assert main(["export", str(ws_path), "-o", str(out)]) == 0
    assert "Wrote 1 decisions" in capsys.readouterr().out
    assert pd.read_json(out, lines=True)["id"].tolist() == ["faith-001"]
    assert main(["export", str(ws_path), "-o", str(tmp_path / "d.csv")]) == 0
    assert pd.read_csv(tmp_path / "d.csv")["label"].tolist() == ["fail"]
    capsys.readouterr()

    assert main(["summary", str(ws_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["cases"] == 54 and summary["decided"] == 1
    faith = next(c for c in summary["criteria"] if c["criterion"] == "faithfulness")
    assert faith["judge_vs_final"]["total"] == 1
    assert 0 <= faith["judge_vs_ratings"]["rate"] <= 1

    assert main(["summary", str(SAMPLE)]) == 0  # a case file, read without saving
    text = capsys.readouterr().out
    assert "judge vs raters' consensus" in text and "kappa" in text


def test_export_refuses_non_workspace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(SAMPLE), "-o", str(tmp_path / "x.jsonl")]) == 1
    assert "is not a workspace" in capsys.readouterr().err


def test_console_script_runs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "summary", str(SAMPLE), "--json"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["cases"] == 54
    bad = subprocess.run(
        [sys.executable, "-m", "annotator", "export", str(tmp_path / "nope"), "-o", "x"],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1 and "does not exist" in bad.stderr


def test_basedir_before_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "portable"
    path = write_jsonl(tmp_path / "c.jsonl", [case("a")], PASS_FAIL)
    assert main(["--basedir", str(base), "import", str(path)]) == 0
    assert list((base / "data" / "workspaces").glob("c-*.annotator"))


def test_refused_import_leaves_no_workspace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dup = write_jsonl(tmp_path / "dup.jsonl", [case("a"), case("a")], PASS_FAIL)
    target = tmp_path / "new.annotator"
    assert main(["import", str(dup), "-w", str(target)]) == 1
    assert "duplicate id 'a'" in capsys.readouterr().err
    assert not target.exists() and not list(tmp_path.glob("new.annotator*"))
    assert main(["import", str(tmp_path), "-w", str(target)]) == 1  # a folder
    assert "is not a file" in capsys.readouterr().err


def test_import_threshold_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ws = tmp_path / "w.annotator"
    assert main(["import", str(SAMPLE), "-w", str(ws), "--threshold", "0", "--json"]) == 0
    strict = json.loads(capsys.readouterr().out)
    loose = tmp_path / "l.annotator"
    assert main(["import", str(SAMPLE), "-w", str(loose), "--threshold", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["disagreements"] < strict["disagreements"]


def test_bad_thresholds_and_missing_folders_are_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "w.annotator"
    for bad in ("nan", "inf", "-1"):
        assert main(["import", str(SAMPLE), "-w", str(ws), "--threshold", bad]) == 1
        assert "threshold must be a number of 0 or more" in capsys.readouterr().err
    assert not ws.exists()
    assert main(["import", str(SAMPLE), "-w", str(ws)]) == 0
    capsys.readouterr()
    out = tmp_path / "no" / "such" / "folder" / "d.jsonl"
    assert main(["export", str(ws), "-o", str(out)]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


def test_summary_of_a_workspace_refuses_reading_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "w.annotator"
    main(["import", str(SAMPLE), "-w", str(ws)])
    capsys.readouterr()
    assert main(["summary", str(ws), "--threshold", "0"]) == 1
    assert "--threshold apply to reading a case file" in capsys.readouterr().err


def test_a_txt_file_of_json_lines_is_read_as_json_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_jsonl(tmp_path / "cases.txt", [case("a")], PASS_FAIL)
    assert main(["summary", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cases"] == 1


def test_exporting_a_workspace_with_no_decision_says_the_file_is_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from annotator.cli import main
    from tests.helpers import PASS_FAIL, case, write_jsonl

    cases = write_jsonl(tmp_path / "c.jsonl", [case("c1"), case("c2")], PASS_FAIL)
    ws, out = tmp_path / "w.annotator", tmp_path / "out.jsonl"
    base = ["--basedir", str(tmp_path / "base")]
    assert main(["import", str(cases), "-w", str(ws), *base]) == 0
    capsys.readouterr()
    assert main(["export", str(ws), "-o", str(out), *base]) == 0
    said = capsys.readouterr()
    assert said.out.startswith("Wrote 0 decisions")
    assert "has no decision yet, so out.jsonl is empty; --all writes every case" in said.err
    assert out.read_bytes() == b""
    assert main(["export", str(ws), "-o", str(out), "--all", *base]) == 0
    assert "no decision" not in capsys.readouterr().err


# -- label values, --yes, --replace, a --map naming no field (tests/test_label_values.py) -------

PANDALM_ARGS = [
    "--map", "id=idx", "--map", "input=instruction+input", "--map", "judge.label=pandalm_result",
    "--map", "ratings.annotator1=annotator1", "--map", "ratings.annotator2=annotator2",
    "--map", "ratings.annotator3=annotator3",
]  # fmt: skip


def _pandalm(tmp_path: Path) -> Path:
    from tests.test_label_values import pandalm

    return pandalm(tmp_path / "pandalm.json")


def test_label_values_that_do_not_match_import_nothing_and_say_how_to_map_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ws = _pandalm(tmp_path), tmp_path / "new.annotator"
    assert main(["import", str(path), "-w", str(ws), *PANDALM_ARGS]) == 1
    err = capsys.readouterr().err
    assert "pandalm.json: nothing was imported:" in err
    assert "the judge uses labels no rater uses: 'Tie' x29, 'garbage' x3" in err
    assert "the raters use labels the judge never uses: '0' x115" in err
    assert "value    becomes  judge  ratings  ratings.annotator1" in err
    assert "to import as it is, add --yes" in err
    assert not ws.exists()  # the workspace made for it is gone
    command = next(line for line in err.splitlines() if line.startswith("  annotator import"))
    assert command.endswith("--labels judge:garbage= --labels ratings:0=Tie")
    # The suggestion, run as it is:
    assert main([*shlex.split(command)[1:], "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["skipped_lines"]) == (117, 0)
    assert report["no_verdict"] == {
        "cases": 3,
        "values": {"garbage": 3},
        "first_ids": ["5", "50", "77"],
    }
    assert report["warnings"] == []


def test_yes_imports_and_prints_the_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ws = _pandalm(tmp_path), tmp_path / "w.annotator"
    assert main(["import", str(path), "-w", str(ws), *PANDALM_ARGS, "--yes"]) == 0
    out, err = capsys.readouterr()
    assert "cases added           120" in out
    assert "annotator: warning: the judge uses labels no rater uses" in err
    other = tmp_path / "other.annotator"
    args = ["import", str(path), "-w", str(other), *PANDALM_ARGS[:6], "--labels", "judge:garbage="]
    assert main(args) == 1  # every case unrated: fields left out
    err = capsys.readouterr().err
    assert "no case has a rating" in err and "annotator1, annotator2, annotator3" in err


def test_a_refused_import_leaves_the_workspace_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = tmp_path / "w.annotator"
    assert main(["import", str(SAMPLE), "-w", str(ws)]) == 0
    before = _workspace_counts(ws)
    assert main(["import", str(_pandalm(tmp_path)), "-w", str(ws), *PANDALM_ARGS]) == 1
    assert ws.exists() and _workspace_counts(ws) == before


def _workspace_counts(path: Path) -> tuple[int, str]:
    ws = Workspace.open(path)
    try:
        return ws.case_count(), ws.project().fingerprint
    finally:
        ws.close()


def test_replace_with_and_without_decisions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ws = _pandalm(tmp_path), tmp_path / "w.annotator"
    first = ["import", str(path), "-w", str(ws), *PANDALM_ARGS, "--yes"]
    assert main(first) == 0
    again = [*first, "--labels", "judge:garbage=", "--labels", "ratings:0=Tie"]
    assert main(again) == 1
    err = capsys.readouterr().err
    assert "before with another mapping (120 cases); to replace them with this import, add " \
        "--replace" in err  # fmt: skip
    assert main([*again, "--replace"]) == 0
    assert "replaced the 120 cases of its earlier import" in capsys.readouterr().out
    opened = Workspace.open(ws)
    try:
        review = ReviewService(opened, "ana")
        review.decide(review.row_id("1") or 0, "1", "One is right.")
    finally:
        opened.close()
    assert main([*first, "--replace"]) == 1
    err = capsys.readouterr().err
    assert "cannot be replaced: reviewers have worked on them (1 decided or skipped)" in err
    assert f"annotator export {ws} -o decisions.jsonl --all" in err
    assert "--workspace NEW.annotator" in err
    assert _workspace_counts(ws)[0] == 117


def test_a_map_naming_no_field_is_refused_before_anything_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    csv = tmp_path / "study.csv"
    csv.write_text("id,input,judge,relevance_61102,relevance_57e2b\n1,q,3,3,4\n2,r,4,4,4\n")
    ws = tmp_path / "w.annotator"
    args = ["import", str(csv), "-w", str(ws), "--map", "ratings.61102=relevence_61102"]
    assert main([*args, "--map", "criterion=fluency"]) == 1
    err = capsys.readouterr().err
    assert "relevence_61102: no such column; did you mean relevance_61102" in err
    assert "fluency: no such column (--map criterion=fluency)" in err
    assert not ws.exists()
    path = _pandalm(tmp_path)
    mapping = [a.replace("instruction+", "instrution+") for a in PANDALM_ARGS]
    assert main(["import", str(path), "-w", str(ws), *mapping]) == 1
    err = capsys.readouterr().err
    assert "instrution: no such field in the first 100 records; did you mean instruction?" in err
    assert not ws.exists()


def test_an_unconfirmed_import_with_json_says_so_on_stdout_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, ws = _pandalm(tmp_path), tmp_path / "w.annotator"
    assert main(["import", str(path), "-w", str(ws), *PANDALM_ARGS, "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["imported"] is False and len(out["warnings"]) == 2
    assert out["labels"]["counts"][""]["ratings"]["0"] == 115
    assert out["suggested_command"].endswith("--labels judge:garbage= --labels ratings:0=Tie")
    assert main(["summary", str(SAMPLE), "--labels", "ratings:0=tie"]) == 0
    capsys.readouterr()
    assert main(["import", str(SAMPLE), "-w", str(ws)]) == 0
    assert main(["summary", str(ws), "--labels", "ratings:0=tie"]) == 1
    assert "--labels apply to reading a case file" in capsys.readouterr().err
