"""The labelled file as CSV (formats/labelled/sheet.py): the formula guard and its exact undoing,
tags in one cell, and the file read back by the merge, or refused saying why."""

from __future__ import annotations

import io
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from annotator.domain.model import Status
from annotator.formats.labelled import FIELDS, csv_writer, guard, labelled_record, scan_labelled
from annotator.formats.labelled.sheet import FORMULA_START, tags_cell, tags_of, unguard

cells = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("'=+-@\t\r;[]\"\n "))


@given(cells)
def test_the_guard_is_undone_exactly_and_leaves_no_formula(cell: str) -> None:
    assert unguard(guard(cell)) == cell
    assert not guard(cell)[:1] or guard(cell)[0] not in FORMULA_START


def test_the_guard_is_the_usual_rule() -> None:
    for start in "=+-@\t\r":
        assert guard(f"{start}1+1") == f"'{start}1+1"
    assert guard("'=1") == "''=1"  # so that reading it back gives "'=1"
    assert guard("pass") == "pass" and guard("'quoted'") == "'quoted'" and guard("") == ""
    assert unguard("'pass") == "'pass"  # an apostrophe that guards nothing stays


@given(st.lists(cells))
def test_tags_read_back_as_they_were(tags: list[str]) -> None:
    assert tags_of(unguard(guard(tags_cell(tags)))) == tags


def test_tags_stay_readable_unless_they_cannot() -> None:
    assert tags_cell(["judge missed fact", "rubric"]) == "judge missed fact; rubric"
    assert tags_cell(["a; b"]) == '["a; b"]'
    assert tags_cell(["[x]"]) == '["[x]"]'


def _record(n: int, **fields: object) -> dict[str, object]:
    record = labelled_record(
        case_id=f"c{n}", case_hash=f"sha256:{n:064x}", criterion="", status=Status.DECIDED,
        label="pass", rationale="why", who_right="judge", who_right_overridden=False,
        tags=["t"], confidence=None, reviewer="ana", decided_at="2026-01-01T00:00:00Z",
        judge_label="pass", rater_labels={"r": "fail"}, kind="judge_vs_all",
        labels=["fail", "pass"], ordinal=False, project="sha256:p", project_title="P",
        app_version="1",
    )  # fmt: skip
    record.update(fields)
    return record


def _csv(tmp_path: Path, records: list[dict[str, object]], name: str = "a.csv") -> Path:
    out = io.StringIO(newline="")
    write = csv_writer(out)
    for record in records:
        write(record)
    path = tmp_path / name
    path.write_bytes(out.getvalue().encode("utf-8"))
    return path


def test_a_spreadsheet_saved_copy_reads_too(tmp_path: Path) -> None:
    """Saved again by a spreadsheet: a byte order mark, TRUE/FALSE, columns as they were."""
    path = _csv(tmp_path, [_record(1), _record(2)])
    text = path.read_bytes().decode("utf-8").replace(",False,", ",FALSE,")
    assert ",FALSE," in text
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    scan = scan_labelled(path)
    assert scan.error is None and scan.ids == ["c1", "c2"]
    assert list(scan.lines) == [2, 3]


def test_line_numbers_are_where_rows_start(tmp_path: Path) -> None:
    path = _csv(tmp_path, [_record(1, rationale="two\nlines"), _record(2, label="maybe")])
    scan = scan_labelled(path)
    assert scan.error is not None and scan.error.startswith("a.csv, line 4:")
    assert "label 'maybe' is not one of the labels" in scan.error


def test_a_broken_csv_is_refused_naming_the_line(tmp_path: Path) -> None:
    good = _csv(tmp_path, [_record(1), _record(2)])
    lines = good.read_bytes().decode("utf-8").split("\r\n")
    short = tmp_path / "short.csv"
    short.write_bytes(("\r\n".join([*lines[:2], ",".join(lines[2].split(",")[:5])])).encode())
    assert scan_labelled(short).error == (
        f"short.csv, line 3: the row has 5 cells; the header has {len(FIELDS)}"
    )
    latin = tmp_path / "latin.csv"
    latin.write_bytes(good.read_bytes().replace(b"why", b"caf\xe9", 1))
    assert (scan_labelled(latin).error or "").startswith("latin.csv, line ")
    assert "not valid UTF-8" in (scan_labelled(latin).error or "")
    twice = tmp_path / "twice.csv"
    twice.write_text(",".join([*FIELDS, "id"]) + "\r\n")
    assert scan_labelled(twice).error == "twice.csv, line 1: the column 'id' is named twice"
    empty = tmp_path / "empty.csv"
    empty.write_text(",".join(FIELDS) + "\r\n")
    assert scan_labelled(empty).error == "empty.csv: is empty: it holds no decisions"


def test_a_cell_that_is_not_its_field_is_refused_as_in_json_lines(tmp_path: Path) -> None:
    path = _csv(tmp_path, [_record(1)])
    text = path.read_bytes().decode("utf-8")
    path.write_bytes(text.replace('"[""fail"", ""pass""]"', "fail pass").encode("utf-8"))
    assert scan_labelled(path).error == "a.csv, line 2: 'labels' must be a list of strings"
