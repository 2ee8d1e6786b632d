"""Issue 13, item 6: the guesser knows the names real exports use, and a file refused for a
missing id, input or judge label is answered with its fields and a ready-to-run ``--map`` line."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.formats.mapping import guess_mapping, map_line

ALPACA_EVAL = [
    {"idx": i, "instruction": f"Say {i}.", "input": "" if i % 2 else "Some context",
     "output_1": "One.", "output_2": "Two.", "generator_1": "gpt4", "generator_2": "llama",
     "annotator": "alpaca_eval_gpt4", "preference": 1 + i % 2}
    for i in range(4)
]  # fmt: skip
MT_BENCH = [
    {"question_id": 81 + i, "model_a": "gpt-4", "model_b": "vicuna-13b", "prompt": f"Q{i}",
     "response_a": "A.", "response_b": "B.", "gpt4_result": "model_a" if i % 2 else "tie",
     "reason": "A is clearer."}
    for i in range(3)
]  # fmt: skip
RATERS_CSV = (
    "question_id,question,response,verdict,human_1,human_2,human_3\n"
    "1,Q1,R1,pass,pass,pass,fail\n"
    "2,Q2,R2,fail,fail,pass,fail\n"
    "3,Q3,R3,pass,pass,pass,pass\n"
)


def _write(folder: Path, name: str) -> Path:
    path = folder / name
    if name.endswith(".json"):
        path.write_text(json.dumps(ALPACA_EVAL, indent=2), encoding="utf-8")
    elif name.endswith(".jsonl"):
        path.write_text("".join(json.dumps(r) + "\n" for r in MT_BENCH), encoding="utf-8")
    else:
        path.write_text(RATERS_CSV, encoding="utf-8")
    return path


EXPECTED = {
    "alpaca_eval.json": (
        "--map input=instruction+input --map id=idx --map judge.label=preference "
        "--map outputs.output_1=output_1 --map outputs.output_2=output_2 "
        "--map meta.generator_1=generator_1 --map meta.generator_2=generator_2",
        4,
    ),
    "mt_bench.jsonl": (
        "--map id=question_id --map input=prompt --map judge.label=gpt4_result "
        "--map judge.rationale=reason --map outputs.response_a=response_a "
        "--map outputs.response_b=response_b --map meta.model_a=model_a --map meta.model_b=model_b",
        3,
    ),
    "human raters.csv": (
        "--map id=question_id --map input=question --map output=response "
        "--map judge.label=verdict --map ratings.human_1=human_1 --map ratings.human_2=human_2 "
        "--map ratings.human_3=human_3",
        3,
    ),
}


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_export_is_refused_with_the_line_that_imports_it(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, name)
    base = str(tmp_path / "base")
    status, _, err = _run(["import", str(path), "--basedir", base], capsys)
    assert status == 1
    maps, count = EXPECTED[name]
    line = f"annotator import {shlex.quote(str(path))} {maps}"
    assert f"the guessed mapping: {line}" in err
    assert "fields found:" in err or "columns found:" in err
    argv = shlex.split(err.split("the guessed mapping: ", 1)[1].strip())
    assert argv[:2] == ["annotator", "import"]
    status, out, err = _run([*argv[1:], "--basedir", base], capsys)
    if "ratings." not in maps:  # a judge's verdicts alone: an import asks first (--yes)
        assert status == 1 and "no case has a rating" in err, err
        status, out, err = _run([*argv[1:], "--basedir", base, "--yes"], capsys)
    assert status == 0, err
    assert re.search(rf"cases added\s+{count}\b", out), out
    assert re.search(r"lines skipped\s+0\b", out), out


def test_the_refusal_of_a_file_with_no_id_names_its_fields_and_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "no id.jsonl"
    path.write_text('{"prompt": "Q", "verdict": "pass", "annotator1": "fail"}\n', encoding="utf-8")
    status, _, err = _run(["import", str(path), "--basedir", str(tmp_path / "b")], capsys)
    assert status == 1
    assert "missing id; fields found: prompt, verdict, annotator1; the guessed mapping: " in err
    assert (
        f"annotator import {shlex.quote(str(path))} --map input=prompt "
        "--map judge.label=verdict --map ratings.annotator1=annotator1"
    ) in err


def test_a_given_mapping_is_kept_in_the_proposed_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("qid,instruction,winner\n1,Q,A\n", encoding="utf-8")
    argv = ["import", str(path), "--map", "id=qid", "--basedir", str(tmp_path / "b")]
    status, _, err = _run(argv, capsys)
    assert status == 1
    assert "(after --map): input, judge.label; columns found: qid, instruction, winner" in err
    assert "--map id=qid --map input=instruction --map judge.label=winner" in err


def test_names_are_quoted_for_the_shell() -> None:
    mapping = guess_mapping(["Example ID", "prompt", "judge's verdict", "gpt-4_result"])
    assert mapping.as_dict() == {"id": "Example ID", "input": "prompt",
                                 "judge.label": "gpt-4_result"}  # fmt: skip
    line = map_line("my file.csv", mapping)
    assert line == (
        "annotator import 'my file.csv' --map 'id=Example ID' --map input=prompt "
        "--map judge.label=gpt-4_result"
    )
    assert shlex.split(line)[2:5] == ["my file.csv", "--map", "id=Example ID"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (["idx", "instruction", "verdict"], {"id": "idx", "input": "instruction"}),
        (["question_id", "prompt", "winner"], {"id": "question_id", "judge.label": "winner"}),
        (["id", "input", "preference", "explanation"],
         {"judge.label": "preference", "judge.rationale": "explanation"}),
        (["id", "input", "verdict", "annotator_1", "annotator_2"],
         {"ratings.annotator_1": "annotator_1", "ratings.annotator_2": "annotator_2"}),
        (["id", "input", "verdict", "response1", "response2"],
         {"outputs.response1": "response1", "outputs.response2": "response2"}),
        (["id", "input", "verdict", "human_labels", "human_1"], {"ratings": "human_labels"}),
    ],
)  # fmt: skip
def test_the_guesser_knows_real_names(fields: list[str], expected: dict[str, str]) -> None:
    guessed = guess_mapping(fields).as_dict()
    assert expected.items() <= guessed.items(), guessed


def test_a_lone_annotator_field_is_not_taken_for_a_rater() -> None:
    guessed = guess_mapping(["id", "input", "verdict", "annotator", "human"]).as_dict()
    assert not any(ours.startswith("ratings") for ours in guessed)
