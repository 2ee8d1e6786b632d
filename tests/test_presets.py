"""Presets (formats/presets): each tool's export, written from its documentation
(tests/data/presets/), imports by the one command docs/formats.md ("Presets") gives it, with
the cases, ratings, disagreements and skipped records the table says; the file is recognised
from its start and nothing else is; a broken file is named by its line; a --map still wins."""

from __future__ import annotations

import contextlib
import json
import random
import re
import shlex
import shutil
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.cli import main
from annotator.formats import jsondoc, presets
from annotator.formats.errors import FileRefused, LineProblem
from annotator.formats.mapping import FieldMapping
from annotator.formats.normalize import Invalid, normalize
from annotator.formats.reader import CaseReader, ParsedCase, sample_records
from tests.data.presets import make
from tests.helpers import doc_table

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "presets"
HEADER = "| file | preset | command | cases | ratings | disagreements | skipped |"


@dataclass(frozen=True)
class Row:
    file: str
    preset: str
    command: str
    cases: int
    ratings: int
    disagreements: int
    skipped: int


def rows() -> list[Row]:
    table = doc_table("formats.md", "## Presets", HEADER)
    return [Row(file, preset, command, *map(int, n)) for file, preset, command, *n in table]


ROWS = rows()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(argv)
    out, err = capsys.readouterr()
    return status, out, err


def test_every_fixture_has_a_row_every_preset_a_fixture_and_the_maker_wrote_them() -> None:
    files = {p.name for p in DATA.iterdir() if p.suffix in (".json", ".jsonl", ".eval")}
    assert files == {row.file for row in ROWS}
    assert {row.preset for row in ROWS} == set(presets.names())

    def loaded(name: str) -> Any:
        return json.loads((DATA / name).read_text(encoding="utf-8"))

    assert loaded("label_studio_export.json") == make.label_studio()
    assert loaded("alpaca_eval_annotations.json") == make.alpaca_eval()
    lines = (DATA / "mt_bench_human_judgments.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == make.mt_bench()
    assert loaded("promptfoo_results.json") == make.promptfoo()
    assert loaded("inspect_log.json") == make.inspect_log()
    with zipfile.ZipFile(DATA / "inspect_log.eval") as archive:
        samples = [n for n in archive.namelist() if n.startswith("samples/")]
        assert [json.loads(archive.read(n)) for n in samples] == make.inspect_samples()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_a_tools_export_imports_by_its_documented_command(row: Row, tmp_path, capsys) -> None:
    source = shutil.copy(DATA / row.file, tmp_path / row.file)
    ws = tmp_path / "ws.annotator"
    command = row.command.replace("{file}", shlex.quote(str(source)))
    base = ["--basedir", str(tmp_path / "base")]
    status, out, err = run([*shlex.split(command), "--workspace", str(ws), "--json", *base], capsys)
    assert status == 0, err
    counts = json.loads(out)
    assert counts["added"] == row.cases
    assert counts["disagreements"] == row.disagreements
    assert counts["skipped_lines"] == row.skipped
    assert len(err.strip().splitlines()) == row.skipped  # one line each, on stderr
    status, out, _ = run(["summary", str(ws), "--json", *base], capsys)
    summary = json.loads(out)
    assert summary["cases"] == row.cases
    assert sum(c["judge_vs_ratings"]["total"] for c in summary["criteria"]) == row.ratings


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_each_fixture_is_recognised_as_its_tools(row: Row) -> None:
    found = presets.detect(DATA / row.file)
    assert found is not None and found.name == row.preset
    assert found.question.startswith("Looks like ") and found.name in found.question
    assert found.doc_url.startswith("https://") and found.description


def _cases(path: Path, preset: str, mapping: FieldMapping | None = None) -> list[Any]:
    return list(CaseReader(path, mapping, preset=presets.preset(preset)))


def _case(items: list[Any], case_id: str) -> Any:
    return next(i.case for i in items if isinstance(i, ParsedCase) and i.case.id == case_id)


def test_label_studio_annotations_are_ratings_and_the_prediction_the_judge() -> None:
    items = _cases(DATA / "label_studio_export.json", "label-studio")
    case = _case(items, "3")
    assert case.input == "Can I change my e-mail?" and case.output == "Yes, in Settings."
    assert (case.judge.label, case.judge.model, case.judge.score) == (
        "pass",
        "gpt-4o-judge-v2",
        0.9,
    )
    assert case.judge.rationale == "Matches the help page."
    assert [(r.rater, r.label, r.comment) for r in case.ratings] == [
        ("user 1", "pass", ""),
        ("user 2", "fail", "Needs re-verification."),
    ]  # the cancelled annotation of user 3 is left out
    assert [r.rater for r in _case(items, "4").ratings] == ["ana@example.org"]
    problem = next(i for i in items if isinstance(i, LineProblem))
    assert problem.message == "item [4]: missing judge label"


def test_alpaca_eval_pairs_group_people_and_spell_a_tie() -> None:
    items = _cases(DATA / "alpaca_eval_annotations.json", "alpaca-eval")
    cases = [i.case for i in items if isinstance(i, ParsedCase)]
    tie = next(c for c in cases if c.input == "What is the capital of Australia?")
    assert tie.id.startswith("ae-") and len(tie.id) == 15
    assert tie.judge.label == "tie" and tie.judge.model == "weighted_alpaca_eval_gpt4_turbo"
    assert sorted(r.label for r in tie.ratings) == ["1", "2", "tie", "tie"]
    assert tie.outputs == {"1": "Canberra.", "2": "Canberra, since 1913."}
    weighted = next(c for c in cases if c.input == "Write a haiku about autumn.")
    assert weighted.judge.label == "2"  # 1.9999: its nearer side
    assert [r.rater for r in weighted.ratings] == ["human 0", "human 1", "human 2", "human 3"]
    french = next(c for c in cases if c.input.startswith("Translate"))
    assert french.input == "Translate the sentence into French.\n\nThe cat sleeps on the sofa."
    assert french.meta["generator_2"] == "alpaca-7b"


@pytest.mark.parametrize(
    ("value", "label"),
    [(1, "1"), (2, "2"), (1.5, "tie"), (0, "tie"), (1.0000021, "1"), (1.62, "2"), ("2", "2"),
     ("tie", "tie"), (None, None)],
)  # fmt: skip
def test_alpaca_eval_preferences(value: Any, label: str | None) -> None:
    from annotator.formats.presets.alpaca_eval import label_of

    assert label_of(value) == label


def test_mt_bench_ties_are_one_label_and_the_id_combines_four_fields() -> None:
    items = _cases(DATA / "mt_bench_human_judgments.jsonl", "mt-bench")
    case = _case(items, "81|alpaca-13b|gpt-3.5-turbo|2")
    assert case.judge.label == "tie" and case.judge.model == "gpt4_pair"
    assert {r.rater: r.label for r in case.ratings} == {"author_0": "model_b", "expert_3": "tie"}
    assert case.input.startswith("Compose an engaging") and "Rewrite your previous" in case.input
    assert set(case.outputs or {}) == {"model_a", "model_b"}


def test_promptfoo_the_model_graded_assertion_judges_and_the_viewers_rating_rates() -> None:
    items = _cases(DATA / "promptfoo_results.json", "promptfoo")
    case = _case(items, "2|0|openai:gpt-4o-mini")
    assert case.input == "Answer briefly: Who wrote Hamlet?"
    assert (case.judge.label, case.judge.model) == ("pass", "promptfoo llm-rubric")
    assert [(r.rater, r.label, r.comment) for r in case.ratings] == [
        ("human", "fail", "The date is wrong.")
    ]
    assert _case(items, "4|0|openai:gpt-4o-mini").judge.model == "openai:gpt-4o"
    no_rubric = _case(items, "3|0|openai:gpt-4o-mini")  # the overall result judges
    assert (no_rubric.judge.label, no_rubric.ratings) == ("pass", ())
    problem = next(i for i in items if isinstance(i, LineProblem))
    assert problem.message == "results.results[5]: missing judge label"


def test_inspect_logs_json_and_eval_give_the_same_cases() -> None:
    from_json = [i.case for i in _cases(DATA / "inspect_log.json", "inspect")
                 if isinstance(i, ParsedCase)]  # fmt: skip
    from_zip = [i.case for i in _cases(DATA / "inspect_log.eval", "inspect")
                if isinstance(i, ParsedCase)]  # fmt: skip
    assert sorted(from_json, key=lambda c: c.id) == sorted(from_zip, key=lambda c: c.id)
    by_id = {c.id: c for c in from_json}
    assert set(by_id) == {"1", "2", "3", "four", "1|epoch 2"}
    assert by_id["2"].judge.label == "incorrect" and by_id["2"].judge.model == "model_graded_fact"
    assert [(r.rater, r.label) for r in by_id["2"].ratings] == [("expert", "correct")]
    assert by_id["3"].reference == "helium\nneon" and by_id["3"].output == "Helium and argon."


# ---- detection


@pytest.mark.parametrize(
    "text",
    [
        '{"id": "c1", "input": "Q", "judge": "pass", "ratings": {"a": "pass"}}\n',
        '[{"id": "c1", "input": "Q", "judge": "pass", "data": {"x": 1}, "annotations": []}]',
        "id,input,judge\nc1,Q,pass\n",
        '{"format": "annotator.decisions", "format_version": 1, "id": "c1"}\n',
        '{"version": 2, "eval": "x"}',
        "",
    ],
    ids=["jsonl", "array with data and annotations", "csv", "labelled", "half inspect", "empty"],
)
def test_files_of_no_tool_are_not_recognised(text: str, tmp_path) -> None:
    path = tmp_path / "cases.json"
    path.write_text(text, encoding="utf-8")
    assert presets.detect(path) is None


def test_detection_of_files_that_are_not_there_or_not_text(tmp_path) -> None:
    assert presets.detect(tmp_path / "missing.json") is None
    assert presets.detect(tmp_path) is None  # a folder
    (tmp_path / "bytes.bin").write_bytes(b"\x00\x01\x02" * 100)
    assert presets.detect(tmp_path / "bytes.bin") is None
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert presets.detect(tmp_path / "other.zip") is None
    (tmp_path / "broken.eval").write_bytes(b"PK\x03\x04 not really a zip")
    assert presets.detect(tmp_path / "broken.eval") is None


def test_detection_reads_the_start_only(tmp_path) -> None:
    """A Label Studio export whose first task is long is still recognised by its start."""
    tasks = make.label_studio()
    tasks[0]["data"]["prompt"] = "x" * 200_000
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    found = presets.detect(path)
    assert found is not None and found.name == "label-studio"


def test_the_real_files_are_recognised_too() -> None:
    real = REPO / "tests" / "data" / "real"
    assert getattr(presets.detect(real / "alpaca_eval_annotations.json"), "name", None) == (
        "alpaca-eval"
    )
    assert getattr(presets.detect(real / "mt_bench_human_judgments.jsonl"), "name", None) == (
        "mt-bench"
    )


def test_preset_names_and_unknown_ones(capsys, tmp_path) -> None:
    assert presets.preset("Label_Studio").name == "label-studio"
    assert presets.preset("alpacaeval").name == "alpaca-eval"
    with pytest.raises(ValueError, match="unknown preset 'nope'; the presets are: label-studio"):
        presets.preset("nope")
    path = shutil.copy(DATA / "label_studio_export.json", tmp_path / "e.json")
    base = ["--basedir", str(tmp_path / "b")]
    status, _, err = run(["import", str(path), "--preset", "nope", *base], capsys)
    assert status == 1
    assert "unknown preset 'nope'" in err and "Traceback" not in err


def test_a_tools_export_without_its_preset_is_refused_with_the_line_that_imports_it(
    tmp_path, capsys
) -> None:
    path = shutil.copy(DATA / "label_studio_export.json", tmp_path / "export.json")
    base = ["--basedir", str(tmp_path / "b")]
    status, _, err = run(["import", str(path), *base], capsys)
    assert status == 1
    line = (
        f"it looks like a Label Studio JSON export: annotator import {path} --preset label-studio"
    )
    assert line in err
    argv = shlex.split(err.split("; it looks like ", 1)[1].split(": ", 1)[1].split(";")[0])
    assert argv[:2] == ["annotator", "import"]
    status, _, err = run([*argv[1:], *base], capsys)
    assert status == 0, err


# ---- malformed files


def test_a_truncated_promptfoo_file_is_refused_naming_the_line(tmp_path) -> None:
    text = (DATA / "promptfoo_results.json").read_text(encoding="utf-8")
    cut = text[: text.index('"testIdx": 3')]
    path = tmp_path / "results.json"
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(FileRefused) as refused:
        _cases(path, "promptfoo")
    assert "results.results[3] is cut short: the file ends inside it" in str(refused.value)
    start = cut.rindex("{", 0, cut.index('"5b1c0e7a-0003"'))  # where results.results[3] opens
    assert refused.value.line == cut[:start].count("\n") + 1


def test_a_promptfoo_file_cut_between_records_names_the_array(tmp_path) -> None:
    export = make.promptfoo()
    text = json.dumps(export, indent=2)
    end = text.index('\n    ],\n    "stats"')
    path = tmp_path / "results.json"
    path.write_text(text[:end], encoding="utf-8")
    with pytest.raises(FileRefused, match=r"is never closed after results\.results\[5\]"):
        _cases(path, "promptfoo")


def test_a_file_without_the_presets_list_is_refused(tmp_path) -> None:
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"evalId": "x", "results": {"version": 3}}, indent=2))
    with pytest.raises(FileRefused, match="no list 'results.results' in the file"):
        _cases(path, "promptfoo")


def test_a_record_the_preset_cannot_read_is_skipped_by_its_index_and_line(tmp_path) -> None:
    tasks = make.label_studio()
    tasks[1]["data"] = "just a string"
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    items = _cases(path, "label-studio")
    problems = [i for i in items if isinstance(i, LineProblem)]
    assert problems[0].message == "item [1]: a Label Studio task: 'data' is not an object (str)"
    text = path.read_text(encoding="utf-8")
    second = text.index('"just a string"')
    assert problems[0].line == text[: text.rindex('\n  {\n    "id": 2', 0, second)].count("\n") + 2


def test_an_invalid_record_inside_an_object_is_named_by_its_path_index_and_line(tmp_path) -> None:
    text = json.dumps(make.inspect_log(), indent=2)
    at = text.index('"epoch": 1', text.index('"id": 2'))
    path = tmp_path / "log.json"
    path.write_text(text[:at] + '"epoch": NaN' + text[at + len('"epoch": 1') :], encoding="utf-8")
    items = _cases(path, "inspect")
    problem = next(i for i in items if isinstance(i, LineProblem) and "NaN" in i.message)
    assert problem.message.startswith("samples[1]: invalid JSON: NaN is not allowed")
    assert len([i for i in items if isinstance(i, ParsedCase)]) == 4


def test_a_bad_sample_of_an_eval_archive_is_skipped_by_its_member(tmp_path) -> None:
    path = tmp_path / "run.eval"
    shutil.copy(DATA / "inspect_log.eval", path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("samples/9_epoch_1.json", "{not json")
    items = _cases(path, "inspect")
    problems = [i for i in items if isinstance(i, LineProblem)]
    described = [p.describe(path) for p in problems]
    assert any(
        re.match(r"run\.eval, sample \d+: samples/9_epoch_1\.json: invalid JSON", d)
        for d in described
    ), described


def test_a_json_array_of_the_records_themselves_reads_with_the_same_preset(tmp_path) -> None:
    path = tmp_path / "records.json"
    path.write_text(json.dumps(make.promptfoo()["results"]["results"], indent=2))
    items = _cases(path, "promptfoo")
    assert len([i for i in items if isinstance(i, ParsedCase)]) == 5


def test_the_list_inside_is_streamed_in_small_pieces(tmp_path, monkeypatch) -> None:
    """A buffer far smaller than one record: the same records at the same lines."""
    whole = _cases(DATA / "promptfoo_results.json", "promptfoo")
    monkeypatch.setattr(jsondoc, "CHUNK", 7)
    pieces = _cases(DATA / "promptfoo_results.json", "promptfoo")
    assert [(getattr(i, "line", None), getattr(i, "case", i)) for i in pieces] == [
        (getattr(i, "line", None), getattr(i, "case", i)) for i in whole
    ]


# ---- a preset and a mapping


def test_a_map_replaces_the_presets_mapping_of_that_field(tmp_path, capsys) -> None:
    path = shutil.copy(DATA / "label_studio_export.json", tmp_path / "export.json")
    items = _cases(path, "label-studio", FieldMapping.parse(["id=data.uid"]))
    ids = [i.case.id for i in items if isinstance(i, ParsedCase)]
    assert ids == ["q-101", "q-102", "q-103", "q-104"]
    base = ["--basedir", str(tmp_path / "b")]
    argv = ["import", str(path), "--preset", "label-studio", "--map", "judge=data.uid", *base]
    status, _, err = run(argv, capsys)  # the judge's label from elsewhere: every judge.* pair
    assert status == 0, err
    preset = presets.preset("label-studio")
    merged = preset.mapping_with(FieldMapping.parse(["judge=x", "ratings.alice=y"]))
    assert ("judge", "x") in merged.pairs and ("ratings.alice", "y") in merged.pairs
    assert not [o for o, _ in merged.pairs if o.startswith("judge.") or o == "ratings"]


def test_a_judge_rater_alone_names_another_judge_of_a_long_preset(tmp_path, capsys) -> None:
    path = shutil.copy(DATA / "mt_bench_human_judgments.jsonl", tmp_path / "mt.jsonl")
    argv = ["import", str(path), "--preset", "mt-bench", "--judge-rater", "expert_3", "--json",
            "--basedir", str(tmp_path / "b")]  # fmt: skip
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert json.loads(out)["added"] == 3  # the cases expert_3 judged


def test_summary_reads_a_case_file_with_a_preset(tmp_path, capsys) -> None:
    path = shutil.copy(DATA / "promptfoo_results.json", tmp_path / "results.json")
    status, out, err = run(["summary", str(path), "--preset", "promptfoo", "--json",
                            "--basedir", str(tmp_path / "b")], capsys)  # fmt: skip
    assert status == 0, err
    assert json.loads(out)["cases"] == 5


def test_sample_records_show_what_the_preset_works_out(tmp_path) -> None:
    """What the import dialog previews: the records with their ``preset`` fields."""
    records = sample_records(DATA / "inspect_log.eval", preset=presets.preset("inspect"), limit=2)
    assert [r["preset"]["id"] for r in records] == ["1", "1|epoch 2"]
    assert records[0]["preset"]["judge"]["label"] == "correct"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_the_source_with_decisions_reads_back_as_the_same_cases(row: Row, tmp_path, capsys) -> None:
    """``export --with-source`` of a preset's import, read again with the preset: the same
    cases, to their hashes (an .eval archive comes back as its samples, one a line)."""
    source = shutil.copy(DATA / row.file, tmp_path / row.file)
    back = tmp_path / ("back.jsonl" if source.suffix in (".jsonl", ".eval") else "back.json")
    base = ["--basedir", str(tmp_path / "b")]
    hashes = []
    for n, path in enumerate((source, back)):
        ws = tmp_path / f"ws{n}.annotator"
        status, _, err = run(["import", str(path), "--preset", row.preset, "-w", str(ws), *base],
                             capsys)  # fmt: skip
        assert status == 0, err
        out = tmp_path / f"labelled{n}.jsonl"
        status, _, err = run(["export", str(ws), "-o", str(out), "--all", *base], capsys)
        assert status == 0, err
        lines = out.read_text(encoding="utf-8").splitlines()
        hashes.append(sorted((json.loads(x)["id"], json.loads(x)["case_hash"]) for x in lines))
        if n == 0:
            argv = ["export", str(ws), "-o", str(back), "--with-source", "--all", *base]
            status, _, err = run(argv, capsys)
            assert status == 0, err
    assert hashes[0] == hashes[1] and len(hashes[0]) == row.cases


def test_mt_bench_in_parquet_as_hugging_face_publishes_it(tmp_path, capsys) -> None:
    pa = pytest.importorskip("pyarrow", exc_type=ImportError)
    import pyarrow.parquet as pq

    path = tmp_path / "human-00000-of-00001.parquet"
    pq.write_table(pa.Table.from_pylist(make.mt_bench()), path)
    found = presets.detect(path)  # by its columns
    assert found is not None and found.name == "mt-bench"
    argv = ["import", str(path), "--preset", "mt-bench", "--json", "--basedir", str(tmp_path)]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    counts = json.loads(out)
    assert (counts["added"], counts["disagreements"], counts["skipped_lines"]) == (4, 3, 1)


def test_records_inside_an_object_are_streamed_not_loaded(tmp_path) -> None:
    """promptfoo's results of 2,000 records with 10 KB outputs (20 MB): reading them holds a
    fraction of the file."""
    export = make.promptfoo()
    first = export["results"]["results"][0]
    records = []
    for n in range(2000):
        record = {**first, "testIdx": n, "response": {"output": f"{n} " + "x" * 10_000}}
        records.append(record)
    export["results"]["results"] = records
    path = tmp_path / "results.json"
    path.write_text(json.dumps(export, indent=2), encoding="utf-8")
    del export, records
    reader = CaseReader(path, preset=presets.preset("promptfoo"))
    tracemalloc.start()
    try:
        count = sum(1 for item in reader if isinstance(item, ParsedCase))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 2000
    assert path.stat().st_size > 20 << 20
    assert peak < 5 << 20, peak


def test_label_studio_data_fields_are_guessed_as_the_dialog_guesses_them(tmp_path) -> None:
    tasks = make.label_studio()[:2]
    tasks[0]["data"] = {"instruction": "Translate.", "input": "Le chat.", "output": "The cat."}
    tasks[1]["data"] = {"text": "Is this spam?", "source": "mail"}
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, indent=2), encoding="utf-8")
    cases = [i.case for i in _cases(path, "label-studio") if isinstance(i, ParsedCase)]
    assert (cases[0].input, cases[0].output) == ("Translate.\n\nLe chat.", "The cat.")
    assert (cases[1].input, cases[1].output) == ("Is this spam?", None)


def test_an_export_that_is_one_object_is_recognised_before_its_records_fields(tmp_path) -> None:
    """promptfoo's tests may carry AlpacaEval's fields as vars: the file is still promptfoo's."""
    export = make.promptfoo()
    pair = {"instruction": "Say hi.", "output_1": "hi", "output_2": "hey", "preference": 1}
    for record in export["results"]["results"]:
        record["vars"] = pair
    path = tmp_path / "results.json"
    path.write_text(json.dumps(export, indent=2), encoding="utf-8")
    found = presets.detect(path)
    assert found is not None and found.name == "promptfoo"


def test_an_inspect_sample_with_one_score_of_an_older_log(tmp_path) -> None:
    log = make.inspect_log()
    for sample in log["samples"]:
        scores = sample.pop("scores")
        sample["score"] = scores.get("model_graded_fact")
    path = tmp_path / "log.json"
    path.write_text(json.dumps(log, indent=2), encoding="utf-8")
    cases = [i.case for i in _cases(path, "inspect") if isinstance(i, ParsedCase)]
    assert [c.judge.label for c in cases] == [
        "correct",
        "incorrect",
        "partial",
        "correct",
        "correct",
    ]
    assert all(c.judge.model == "score" and not c.ratings for c in cases)


_NAMES = [
    "id", "data", "annotations", "predictions", "completed_by", "result", "was_cancelled",
    "from_name", "type", "value", "choices", "rating", "text", "model_version", "score", "email",
    "instruction", "input", "output_1", "output_2", "preference", "annotator",
    "annotator_index", "raw_completion", "generator_1", "question_id", "model_a", "model_b",
    "turn", "winner", "judge", "conversation_a", "role", "content", "testIdx", "promptIdx",
    "provider", "prompt", "raw", "response", "output", "error", "gradingResult",
    "componentResults", "pass", "reason", "comment", "assertion", "epoch", "scores",
    "explanation", "completion", "message", "target", "metadata",
]  # fmt: skip
_WORDS = ["C", "P", "tie", "1.5", "model_a", "choices", "rating", "textarea", "human",
          "llm-rubric", "user", "assistant", "", " "]  # fmt: skip
_KEYS = st.sampled_from(_NAMES)
_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=4)
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(_WORDS),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_KEYS, inner, max_size=4),
    max_leaves=25,
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUES, max_size=10))
def test_a_preset_reads_any_record_or_says_why_not(record: dict[str, Any]) -> None:
    """Whatever a record holds, a preset's transform, its mapping and the case built from it
    either work or raise Invalid (the record is skipped, saying why): never another error."""
    for preset in presets.PRESETS:
        with contextlib.suppress(Invalid):
            normalize(preset.mapping.apply(preset.transform(record)))


def _read_or_refused(path: Path, preset: str) -> None:
    """Reading ``path`` with ``preset`` gives records and problems, or refuses the file."""
    with contextlib.suppress(FileRefused):
        for item in CaseReader(path, preset=presets.preset(preset)):
            assert isinstance(item, ParsedCase | LineProblem)


@pytest.mark.parametrize(("name", "preset"), [("promptfoo_results.json", "promptfoo"),
                                              ("inspect_log.json", "inspect")])  # fmt: skip
def test_an_object_cut_anywhere_is_refused_or_read(name: str, preset: str, tmp_path) -> None:
    text = (DATA / name).read_text(encoding="utf-8")
    path = tmp_path / name
    for cut in range(1, len(text), 13):
        path.write_text(text[:cut], encoding="utf-8")
        _read_or_refused(path, preset)


def test_a_damaged_eval_archive_is_refused_or_read(tmp_path) -> None:
    """Cut short, or bytes changed (a bad deflate stream, CRC, or header): never a traceback."""
    data = (DATA / "inspect_log.eval").read_bytes()
    path = tmp_path / "run.eval"
    chance = random.Random(7)
    for n in range(400):
        damaged = bytearray(data[: chance.randrange(1, len(data))] if n % 2 else data)
        for _ in range(0 if n % 2 else 3):
            damaged[chance.randrange(len(damaged))] = chance.randrange(256)
        path.write_bytes(bytes(damaged))
        presets.detect(path)
        _read_or_refused(path, "inspect")


def test_promptfoos_records_one_a_line_are_recognised_and_read(tmp_path) -> None:
    records = make.promptfoo()["results"]["results"]
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    found = presets.detect(path)
    assert found is not None and found.name == "promptfoo"
    assert len([i for i in _cases(path, "promptfoo") if isinstance(i, ParsedCase)]) == 5


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.file)
def test_each_export_without_its_preset_names_it(row: Row, tmp_path, capsys) -> None:
    path = shutil.copy(DATA / row.file, tmp_path / row.file)
    status, _, err = run(["import", str(path), "--basedir", str(tmp_path / "b")], capsys)
    assert status == 1
    assert f"; it looks like {presets.preset(row.preset).title}: " in err
    assert f"annotator import {path} --preset {row.preset}" in err
    assert not list(tmp_path.glob("b/**/*.annotator"))  # no workspace left behind


def test_mt_benchs_two_splits_join_with_the_preset(tmp_path, capsys) -> None:
    """The dataset's ``human`` split read with the preset, GPT-4's ``gpt4_pair`` split joined
    as the judge's file (its rows replace the preset's judge rows)."""
    real = REPO / "tests" / "data" / "real"
    human = shutil.copy(real / "mt_bench_human.jsonl", tmp_path / "human.jsonl")
    gpt4 = shutil.copy(real / "mt_bench_gpt4_pair.jsonl", tmp_path / "gpt4_pair.jsonl")
    ws, base = tmp_path / "ws.annotator", ["--basedir", str(tmp_path / "b")]
    on = "id=question_id+model_a+model_b+turn"
    argv = ["import", str(human), "--preset", "mt-bench", "--judge", str(gpt4), "--on", on,
            "-w", str(ws), "--json", *base]  # fmt: skip
    status, out, err = run(argv, capsys)
    assert status == 0, err
    counts = json.loads(out)
    assert (counts["added"], counts["disagreements"], counts["skipped_lines"]) == (5, 3, 1)
    status, out, _ = run(["summary", str(ws), "--json", *base], capsys)
    assert sum(c["judge_vs_ratings"]["total"] for c in json.loads(out)["criteria"]) == 10
