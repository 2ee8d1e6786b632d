"""Write the bad-input corpus: one small file per bad input (docs/formats.md, "Bad input").

    python -m tests.data.bad.make

Each file is run by tests/test_bad_inputs.py with the command the table in docs/formats.md
gives it. A new bad input: a file here (written by this script, or added by hand), and a row
in that table.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.fuzz import labelled_line, merged_line

HERE = Path(__file__).resolve().parent
DEEP = "[" * 5000 + "]" * 5000
HUGE = "1" + "0" * 400
"""A whole number beyond any float."""


def case(cid: str, **extra: Any) -> dict[str, Any]:
    return {"id": cid, "input": f"question {cid}", "judge": "pass", **extra}


def jsonl(*records: Any) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)


def csv_rows(n: int, broken: dict[int, str]) -> str:
    rows = [broken.get(i, f"c{i},question {i},pass") for i in range(1, n + 1)]
    return "id,input,judge\n" + "\n".join(rows) + "\n"


def header(**project: Any) -> dict[str, Any]:
    return {"project": {"labels": ["pass", "fail"], **project}}


def long_row(qid: int, prompt: str, rater: str, label: str) -> dict[str, Any]:
    """A row of a long file: one rater's label for one case."""
    return {"qid": qid, "prompt": prompt, "verdict": "pass", "rater": rater, "label": label}


PRETTY = json.dumps([case("c1"), case("c2")], indent=2) + "\n"
"""A JSON array as most tools write it: pretty-printed, one key a line."""
SCALE = {"labels": [1, 2, 3], "ordinal": True}
GOOD_CSV = "id,input,judge\nc1,question,pass\n"

PROMPTFOO = json.dumps({"evalId": "eval-1", "results": {"version": 3, "results": [
    {"testIdx": n, "prompt": {"raw": f"Q{n}"}, "response": {"output": "A"},
     "gradingResult": {"pass": n == 0, "componentResults": []}} for n in range(2)]}},
    indent=2)  # fmt: skip
"""promptfoo's results (``--preset promptfoo``)."""
TASKS = [{"id": n, "data": {"text": f"Q{n}"}, "annotations": [{"completed_by": 1, "result": [
          {"from_name": "v", "to_name": "t", "type": "choices", "value": {"choices": ["pass"]}}]}],
          "predictions": [{"model_version": "m", "result": [
          {"from_name": "v", "to_name": "t", "type": "choices", "value": {"choices": ["fail"]}}]}]}
         for n in range(2)]  # fmt: skip
"""Label Studio's export (``--preset label-studio``)."""

CASE_FILES: dict[str, str | bytes] = {
    "preset_truncated.json": PROMPTFOO[: PROMPTFOO.index('"Q1"')],
    "preset_no_list.json": json.dumps({"evalId": "eval-1", "results": {"version": 3}}, indent=2),
    "preset_bad_task.json": json.dumps([{**TASKS[0], "data": "Q0"}, TASKS[1]], indent=2),
    "empty.jsonl": "",
    "blank_lines.jsonl": "\n  \n\n",
    "header_only.jsonl": jsonl(header()),
    "binary.jsonl": b'{"id": "c1"}\n\x00\x01\x02\x00',
    "latin1.csv": "id,input,judge\nc1,café,pass\n".encode("cp1252"),
    "latin1_late.jsonl": jsonl(*(case(f"c{i}") for i in range(300))).encode() + b'{"id": "\xe9"}\n',
    "array_truncated.json": PRETTY[: PRETTY.index('"c2"') + 6],
    "array_never_closed.json": PRETTY.rstrip().removesuffix("]"),
    "array_of_strings.json": json.dumps(["c1", "c2", "c3"]),
    "array_missing_comma.json": "[\n"
    + json.dumps(case("c1"))
    + "\n"
    + json.dumps(case("c2"))
    + "\n]",
    "array_trailing_comma.json": "[" + json.dumps(case("c1")) + ",\n]\n",
    "array_trailing_text.json": PRETTY + "\n]\n",
    "array_bad_item.json": json.dumps(
        [case("c1"), case("c2", judge={"label": "pass", "score": float("nan")}), case("c3")],
        indent=2,
    ),
    "array_as_jsonl.json": PRETTY,
    "long_conflict.jsonl": jsonl(
        long_row(1, "Is it safe?", "ann", "pass"),
        long_row(2, "Is it legal?", "ann", "fail"),
        long_row(1, "Is it safe to drink?", "bob", "fail"),
    ),
    "long_no_rater.jsonl": jsonl(
        long_row(1, "Is it safe?", "ann", "pass"),
        long_row(1, "Is it safe?", "", "fail"),
        long_row(2, "Is it legal?", "ann", "fail"),
    ),
    "header_unknown_key.jsonl": jsonl({"project": {"lables": ["pass", "fail"]}}, case("c1")),
    "header_duplicate_labels.jsonl": jsonl({"project": {"labels": ["pass", "Pass"]}}, case("c1")),
    "header_negative_threshold.jsonl": jsonl({"project": {**SCALE, "threshold": -1}}, case("c1")),
    "header_threshold_not_ordinal.jsonl": jsonl(header(threshold=1), case("c1")),
    "header_malformed.jsonl": jsonl('{"project": {"labels": [}', case("c1")),
    "header_deep.jsonl": jsonl('{"project": {"title": ' + DEEP + "}}", case("c1")),
    "header_threshold_nan.jsonl": jsonl(
        '{"project": {"labels": [1, 2, 3], "ordinal": true, "threshold": NaN}}', case("c1")
    ),
    "header_threshold_1e999.jsonl": jsonl(
        '{"project": {"labels": [1, 2, 3], "ordinal": true, "threshold": 1e999}}',
        {"id": "c1", "input": "question", "judge": 1, "ratings": [3]},
    ),
    "sidecar_nan.csv": "id,input,judge\nc1,question,2\n",
    "sidecar_nan.project.json": '{"project": {"labels": [1, 2, 3], "ordinal": true, '
    '"threshold": NaN}}',
    "sidecar_huge_threshold.csv": "id,input,judge\nc1,question,2\n",
    "sidecar_huge_threshold.project.json": '{"labels": [1, 2, 3], "ordinal": true, '
    f'"threshold": {HUGE}}}',
    "sidecar_deep.csv": GOOD_CSV,
    "sidecar_deep.project.json": '{"project":\n' + DEEP + "}",
    "sidecar_malformed.csv": GOOD_CSV,
    "sidecar_malformed.project.json": '{"project": {"labels": ["pass",]}}',
    "missing_columns.csv": "uid,prompt,verdict\nc1,question,pass\n",
    "column_twice.csv": "id,input,judge,input\nc1,question,pass,again\n",
    "unmatched_quote.csv": csv_rows(100, {3: 'c3,"question 3,pass'}),
    "quote_closed_late.csv": csv_rows(100, {3: 'c3,"question 3,pass', 50: 'c50,q",pass,x'}),
    "duplicate_id.jsonl": jsonl(case("c1"), case("c2"), case("c1", input="other")),
    "all_lines_bad.jsonl": jsonl({"id": "c1"}, "[1, 2]", "{oops"),
    "strict_bad_line.jsonl": jsonl(case("c1"), {"id": "c2", "input": "q"}),
    "encoding.csv": GOOD_CSV,
    "utf16_no_bom.csv": GOOD_CSV.encode("utf-16-le"),
    "lone_surrogate.jsonl": jsonl(case("c1"), '{"id": "c2", "input": "\\ud800", "judge": "x"}'),
    "deep_case.jsonl": jsonl(case("c1"), '{"id": "c2", "input": ' + DEEP + ', "judge": "x"}'),
    "score_too_large.jsonl": jsonl(
        case("c1"), '{"id": "c2", "input": "q", "judge": {"label": "x", "score": ' + HUGE + "}}"
    ),
    "short_row.csv": "id,input,judge\nc1,question,pass\nc2,only two\n",
}

LABELLED = {
    "labelled_who_right.jsonl": jsonl(labelled_line(who_right="martians")),
    "labelled_confidence_number.jsonl": jsonl(labelled_line(confidence=0.9)),
    "labelled_tags_string.jsonl": jsonl(labelled_line(tags="judge missed fact")),
    "labelled_kind.jsonl": jsonl(labelled_line(kind="martians")),
    "labelled_rubric_version.jsonl": jsonl(labelled_line(rubric_version=0)),
    "labelled_rater_labels.jsonl": jsonl(labelled_line(rater_labels="fail")),
    "labelled_label_outside.jsonl": jsonl(labelled_line(), labelled_line(id="c2", label="maybe")),
    "labelled_truncated.jsonl": jsonl(labelled_line()) + json.dumps(labelled_line(id="c2"))[:90],
    "labelled_newer.jsonl": jsonl(labelled_line(format_version=2)),
    "labelled_nan.jsonl": jsonl(
        labelled_line(), json.dumps(labelled_line(id="c2", ordinal=None)).replace("null", "NaN")
    ),
    "labelled_deep.jsonl": jsonl(labelled_line(), '{"id": ' + DEEP + "}"),
    "labelled_bad_utf8.jsonl": jsonl(labelled_line()).encode()
    + jsonl(labelled_line(id="c2", rationale="caf\x00")).encode().replace(b"\\u0000", b"\xe9"),
    "labelled_empty.jsonl": "\n\n",
    "case_file_to_merge.jsonl": jsonl(case("c1")),
    "merged_as_input.jsonl": jsonl(merged_line()),
}

MERGED = {
    "merged_rater_labels.jsonl": jsonl(merged_line(rater_labels="fail")),
    "merged_who_right.jsonl": jsonl(
        merged_line(
            reviews=[{**merged_line()["reviews"][0], "who_right": "martians"}],
            resolution="unanimous",
            label="fail",
        )
    ),
    "merged_resolution.jsonl": jsonl(merged_line(resolution="vote")),
    "merged_reviews_not_list.jsonl": jsonl(merged_line(reviews="Ana")),
    "merged_deep_first_line.jsonl": jsonl('{"format": ' + DEEP + "}", merged_line()),
}


def small_workspace(path: Path) -> Path:
    """A workspace of three cases, made by the app, then compacted to 1 KB pages (a few tens
    of KB) for the damaged variants below."""
    import sqlite3

    from annotator.services.importer import import_file
    from annotator.services.workspace import Workspace

    cases = path.with_suffix(".jsonl")
    cases.write_text(jsonl(header(), case("c1"), case("c2"), case("c3")), encoding="utf-8")
    ws = Workspace.open(path)
    import_file(ws, cases)
    ws.close()
    cases.unlink()
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA page_size = 1024")
    conn.execute("VACUUM")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return path


def workspaces() -> dict[str, bytes]:
    """Workspaces that must be refused unchanged: damaged, inconsistent, newer, foreign."""
    import sqlite3
    import tempfile

    made: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as folder:

        def variant(name: str, sql: str = "") -> None:
            path = small_workspace(Path(folder) / name)
            if sql:
                conn = sqlite3.connect(path, isolation_level=None)
                conn.executescript(sql)
                conn.close()
            made[name] = path.read_bytes()

        variant("ws_version_mismatch.annotator", "PRAGMA user_version = 1;")
        variant("ws_missing_table.annotator", "DROP TABLE tag;")
        variant("ws_newer.annotator", "PRAGMA user_version = 99;")
        variant("ws_truncated.annotator")
        whole = made["ws_truncated.annotator"]
        made["ws_truncated.annotator"] = whole[: len(whole) // 2]
        foreign = Path(folder) / "notes.db"
        conn = sqlite3.connect(foreign)
        conn.executescript("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);")
        conn.close()
        made["ws_foreign.db"] = foreign.read_bytes()
    made["ws_not_sqlite.annotator"] = b"this is a text file named like a workspace\n"
    return made


def main() -> None:
    files = {**CASE_FILES, **LABELLED, **MERGED, **workspaces()}
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files)} files to {HERE}")


if __name__ == "__main__":
    main()
