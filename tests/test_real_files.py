"""Files in the shapes public datasets publish (tests/data/real/) import by the one command
docs/formats.md ("Real files") gives each, with the cases, ratings, disagreements and skipped
lines the table says. The table is read from the docs, so that they cannot drift apart."""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from annotator.cli import main
from tests.data.real.make import alpaca_eval, mt_bench

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / "tests" / "data" / "real"
HEADER = "| file | shape | command | cases | ratings | disagreements | skipped |"


@dataclass(frozen=True)
class Row:
    file: str
    command: str
    cases: int
    ratings: int
    disagreements: int
    skipped: int


def rows() -> list[Row]:
    doc = (REPO / "docs" / "formats.md").read_text(encoding="utf-8")
    table = doc.split("\n## Real files\n", 1)[1].split(HEADER + "\n", 1)[1]
    found = []
    for line in table.splitlines()[1:]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split(" | ")]
        file, _, command, *counts = cells
        found.append(Row(file, command, *map(int, counts)))
    return found


ROWS = rows()


def test_every_real_file_has_a_row_and_is_as_its_maker_writes_it() -> None:
    files = {p.name for p in REAL.iterdir() if p.suffix in (".json", ".jsonl")}
    assert (
        files
        == {row.file for row in ROWS}
        == {
            "alpaca_eval_annotations.json",
            "mt_bench_human_judgments.jsonl",
        }
    )
    assert json.loads((REAL / "alpaca_eval_annotations.json").read_text()) == alpaca_eval()
    lines = (REAL / "mt_bench_human_judgments.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == mt_bench()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_a_real_file_imports_by_its_documented_command(row: Row, tmp_path, capsys) -> None:
    source = shutil.copy(REAL / row.file, tmp_path / row.file)
    ws = tmp_path / "ws.annotator"
    command = row.command.replace("{file}", shlex.quote(str(source)))
    base = ["--basedir", str(tmp_path / "base")]
    status = main([*shlex.split(command), "--workspace", str(ws), "--json", *base])
    out, err = capsys.readouterr()
    assert status == 0, err
    counts = json.loads(out)
    assert counts["added"] == row.cases
    assert counts["disagreements"] == row.disagreements
    assert counts["skipped_lines"] == row.skipped
    assert len(err.strip().splitlines()) == row.skipped  # one line each, on stderr
    assert main(["summary", str(ws), "--json", *base]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["cases"] == row.cases
    assert sum(c["judge_vs_ratings"]["total"] for c in summary["criteria"]) == row.ratings
