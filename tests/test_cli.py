"""The command line: import, export, summary; errors go to stderr with a non-zero status."""

from __future__ import annotations

import json
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
