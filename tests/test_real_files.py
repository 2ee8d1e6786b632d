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
from tests.data.real.make import (
    alpaca_eval,
    mt_bench,
    mt_bench_split,
    pandalm,
    pandalm_judge,
    summeval_wide,
)
from tests.helpers import doc_table

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
    table = doc_table("formats.md", "## Real files", HEADER)
    return [Row(file, command, *map(int, counts)) for file, _, command, *counts in table]


ROWS = rows()


def joined(row: Row) -> set[str]:
    """The files a row's command joins to its file (``--judge {dir}/NAME``)."""
    return {word.split("/", 1)[1] for word in row.command.split() if word.startswith("{dir}/")}


def test_every_real_file_has_a_row_and_is_as_its_maker_writes_it() -> None:
    files = {p.name for p in REAL.iterdir() if p.suffix in (".json", ".jsonl")}
    assert (
        files
        == {row.file for row in ROWS}.union(*map(joined, ROWS))
        == {
            "alpaca_eval_annotations.json",
            "mt_bench_human_judgments.jsonl",
            "mt_bench_human.jsonl",
            "mt_bench_gpt4_pair.jsonl",
            "pandalm_testset.json",
            "pandalm_judge.jsonl",
            "summeval_wide.jsonl",
        }
    )
    assert json.loads((REAL / "alpaca_eval_annotations.json").read_text()) == alpaca_eval()
    assert json.loads((REAL / "pandalm_testset.json").read_text()) == pandalm()
    for name, rows in (("mt_bench_human_judgments.jsonl", mt_bench()),
                       ("mt_bench_human.jsonl", mt_bench_split(False)),
                       ("mt_bench_gpt4_pair.jsonl", mt_bench_split(True)),
                       ("pandalm_judge.jsonl", pandalm_judge()),
                       ("summeval_wide.jsonl", summeval_wide())):  # fmt: skip
        lines = (REAL / name).read_text().splitlines()
        assert [json.loads(line) for line in lines] == rows


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_a_real_file_imports_by_its_documented_command(row: Row, tmp_path, capsys) -> None:
    for name in {row.file} | joined(row):
        shutil.copy(REAL / name, tmp_path / name)
    ws = tmp_path / "ws.annotator"
    command = row.command.replace("{file}", shlex.quote(str(tmp_path / row.file)))
    command = command.replace("{dir}", shlex.quote(str(tmp_path)))
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
