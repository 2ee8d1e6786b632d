"""The hostile sample (tests/data/hostile/) through every step but the window: imported as JSON
Lines and as CSV, decided, exported as JSON Lines and CSV, merged and reported, checked byte
for byte; every JSON output read with ``str.splitlines()``; the CSV safe for spreadsheets; the
HTML report inert; the terminal shown escapes, never sent them. (The window: test_hostile_gui.)"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from annotator.cli import main
from annotator.domain.serialize import case_hash
from annotator.formats.labelled import FIELDS, csv_writer, scan_labelled, unguard
from annotator.formats.labelled.sheet import FORMULA_START, record_of
from annotator.services.exporter import export_decisions
from annotator.services.merge import export_merged, merge_into_workspace, merge_to_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from annotator.settings import Settings
from tests.data.hostile import make

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
SMOKE_HOSTILE = Path(__file__).resolve().parent.parent / "packaging" / "smoke_hostile.py"
CONTROLS = ("\x1b", "\x07", "\u202e", "\u202c", "\u2067", "\u2069", "\u200f", "\u202d")
"""Characters that act on a terminal or on the text around them."""
SEPARATORS = ("\u2028", "\u2029", "\x85")
REVIEWER_FILES = [HOSTILE / "reviews" / "ana.jsonl", HOSTILE / "reviews" / "ben.csv"]

csv.field_size_limit(1 << 26)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The case files, a reviewer's workspace decided (ana's: every case), and its exports."""
    tmp = tmp_path_factory.mktemp("hostile")
    files = make.write_case_files(tmp / "files")
    ws_path = make.reviewer_workspace(files["jsonl"], tmp, "ana")
    out = {"files": files, "ws": ws_path, "tmp": tmp}
    ws = Workspace.open(ws_path)
    try:
        for name, fmt, everything in (
            ("all.jsonl", "jsonl", True),
            ("all.csv", "csv", True),
            ("decided.jsonl", "jsonl", False),
            ("decided.csv", "csv", False),
        ):
            export_decisions(ws, tmp / name, fmt, include_undecided=everything)
            out[name] = tmp / name
        export_decisions(ws, tmp / "raw.csv", "csv", include_undecided=True, formula_guard=False)
        out["raw.csv"] = tmp / "raw.csv"
    finally:
        ws.close()
    return out


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _json_lines(path: Path) -> list[dict[str, Any]]:
    """The lines of a JSON Lines file, split as a consumer would: ``str.splitlines()``."""
    text = path.read_text(encoding="utf-8")
    assert not any(s in text for s in SEPARATORS)
    lines = text.splitlines()
    assert len(lines) == text.count("\n")  # no record cut in two
    return [json.loads(line) for line in lines]


def test_the_hostile_sample_is_what_make_writes(tmp_path: Path) -> None:
    made = make.write_case_files(tmp_path)
    for name in ("cases.jsonl", "cases.csv", "cases.project.json"):
        assert (HOSTILE / name).read_bytes() == (tmp_path / name).read_bytes(), name
    text = (HOSTILE / "cases.jsonl").read_text(encoding="utf-8")
    assert "\u2028" in text and max(map(len, text.split("\n"))) > 200_000  # raw, as written
    assert made["jsonl"].name == "cases.jsonl"


def test_json_lines_and_csv_store_every_field_exactly(sample: dict[str, Any]) -> None:
    """Both files import all fifteen cases, to the same content hashes, and every stored field
    is the text of the file, byte for byte."""
    stored = {}
    for kind in ("jsonl", "csv"):
        ws = Workspace.open(sample["tmp"] / f"import-{kind}.annotator")
        try:
            main(["import", str(sample["files"][kind]), "-w", str(ws.path), "--json"])
            review = ReviewService(ws, "x")
            stored[kind] = {}
            for n, source in enumerate(make.CASES):
                row = review.row_id(source["id"])
                assert row is not None, (kind, n)
                detail = review.case(row)
                stored[kind][source["id"]] = case_hash(detail.case)
                c = detail.case
                assert c.input == source["input"]
                assert c.output == source.get("output")
                assert c.outputs == source.get("outputs")
                assert c.reference == source["reference"]
                assert (c.judge.label, c.judge.rationale, c.judge.model) == (
                    source["judge"]["label"],
                    source["judge"]["rationale"],
                    source["judge"]["model"],
                )
                assert [(r.rater, r.label, r.comment or None) for r in c.ratings] == [
                    (r["rater"], r["label"], r.get("comment")) for r in source["ratings"]
                ]
                assert c.meta == source["meta"]
            project = ws.project()
            assert project.title == make.TITLE
            assert set(project.schemes) == {"", make.CRITERION_A, make.CRITERION_B}
            assert list(project.schemes[make.CRITERION_A].labels) == make.LABELS_A
        finally:
            ws.close()
    assert stored["jsonl"] == stored["csv"]


def test_the_labelled_file_keeps_every_byte_and_every_line(sample: dict[str, Any]) -> None:
    records = _json_lines(sample["all.jsonl"])
    assert [r["id"] for r in records] == [c["id"] for c in make.CASES]
    for n, record in enumerate(records):
        wanted = make.decision("ana", n)
        assert record["rationale"] == wanted["rationale"].strip()
        assert record["label"] == wanted["label"]
        assert record["tags"] == wanted["tags"]
        assert record["reviewer"] == make.REVIEWERS["ana"]
        assert record["project_title"] == make.TITLE
        assert record["rater_labels"] == {r["rater"]: r["label"] for r in make.CASES[n]["ratings"]}
    raw = sample["all.jsonl"].read_bytes()
    assert b"\\u2028" in raw and b"\\u0085" in raw  # escaped, where the raw ones were


def test_csv_cells_never_start_a_formula(sample: dict[str, Any]) -> None:
    """With the guard (the default), no cell begins with = + - @ tab or CR; the cells that did
    begin so have one ``'`` more, and nothing else changed."""
    guarded, raw = _rows(sample["all.csv"]), _rows(sample["raw.csv"])
    assert guarded[0] == list(FIELDS) and len(guarded) == len(raw) == 16
    starts = {cell[0] for row in raw for cell in row if cell and cell[0] in FORMULA_START}
    assert starts >= {"=", "+", "-", "@", "\t"}  # the sample has them, in ids, titles, tags
    for row_g, row_r in zip(guarded, raw, strict=True):
        for g, r in zip(row_g, row_r, strict=True):
            assert not g or g[0] not in FORMULA_START
            assert g == ("'" + r if r and r.lstrip("'")[:1] in FORMULA_START else r)
            assert unguard(g) == r


def test_csv_reads_back_as_the_json_lines_and_writes_the_same_bytes(
    sample: dict[str, Any],
) -> None:
    """Read back (guards removed, tags split, JSON cells parsed), every record of the CSV is
    the JSON Lines record, exactly; and written again, the same bytes."""
    for csv_name, jsonl_name in (("all.csv", "all.jsonl"), ("decided.csv", "decided.jsonl")):
        rows = _rows(sample[csv_name])
        records = [record_of(dict(zip(rows[0], row, strict=True))) for row in rows[1:]]
        assert records == _json_lines(sample[jsonl_name])
        again = io.StringIO(newline="")
        write = csv_writer(again)
        for record in records:
            write(record)
        assert again.getvalue().encode("utf-8") == sample[csv_name].read_bytes()


def test_no_formula_guard_writes_raw_cells(sample: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "raw.csv"
    args = ["export", str(sample["ws"]), "-o", str(out), "--all", "--basedir", str(tmp_path)]
    assert main([*args, "--no-formula-guard"]) == 0
    assert out.read_bytes() == sample["raw.csv"].read_bytes()
    assert main(args) == 0
    assert out.read_bytes() == sample["all.csv"].read_bytes()


def test_a_labelled_csv_merges_as_its_json_lines(sample: dict[str, Any], tmp_path: Path) -> None:
    """The merge reads a labelled file exported as CSV as the JSON Lines it stands for: the
    merged file is the same to the byte, and every review in it is the decision as made."""
    a = scan_labelled(sample["decided.jsonl"])
    b = scan_labelled(sample["decided.csv"])
    assert (a.error, b.error) == (None, None)
    assert (a.ids, a.reviews, a.case_info) == (b.ids, b.reviews, b.case_info)
    ben = make.write_reviewer_files(sample["files"]["jsonl"], tmp_path / "reviews")["ben"]
    ws = Workspace.open(make.reviewer_workspace(sample["files"]["jsonl"], tmp_path, "ben"))
    try:
        export_decisions(ws, tmp_path / "ben.jsonl", "jsonl")
    finally:
        ws.close()
    merge_to_file([sample["decided.jsonl"], ben], tmp_path / "m-csv.jsonl")
    merge_to_file([sample["decided.jsonl"], tmp_path / "ben.jsonl"], tmp_path / "m-jsonl.jsonl")
    assert (tmp_path / "m-csv.jsonl").read_bytes() == (tmp_path / "m-jsonl.jsonl").read_bytes()
    merged = _json_lines(tmp_path / "m-csv.jsonl")
    assert len(merged) == 15
    by_id = {c["id"]: n for n, c in enumerate(make.CASES)}
    for line in merged:
        n = by_id[line["id"]]
        for review in line["reviews"]:
            who = "ana" if review["reviewer"] == make.REVIEWERS["ana"] else "ben"
            assert review["rationale"] == make.decision(who, n)["rationale"].strip()
        assert line["project_title"] == make.TITLE
    assert {line["resolution"] for line in merged} == {"unanimous", "conflict"}


@pytest.fixture(scope="module")
def lead(sample: dict[str, Any]) -> dict[str, Any]:
    """The lead's workspace: the cases imported as CSV, both reviewers' files merged in (ana's
    JSON Lines, ben's CSV from the sample), a conflict settled by the lead; its reports."""
    tmp = sample["tmp"] / "lead"
    tmp.mkdir()
    ws = Workspace.open(tmp / "lead.annotator")
    try:
        main(["import", str(sample["files"]["csv"]), "-w", str(ws.path), "--json"])
        # Merged before the lead decides (make.clock): a decision taken before the merge would
        # be the lead's own review, settling nothing.
        merge_into_workspace(ws, REVIEWER_FILES, clock=lambda: "2026-01-01T00:00:00Z")
        review = ReviewService(ws, "lead \u202edaeL\u202c <b>&</b>", clock=make.clock)
        row = review.row_id(make.case_id(0))
        assert row is not None
        review.decide(row, make.DEFAULT_LABELS[0], f"=lead settles {make.EVERYTHING}")
        export_merged(ws, tmp / "merged.jsonl")
    finally:
        ws.close()
    return {"ws": tmp / "lead.annotator", "merged": tmp / "merged.jsonl", "tmp": tmp}


def test_the_merged_file_of_a_lead_keeps_every_line(lead: dict[str, Any]) -> None:
    merged = _json_lines(lead["merged"])
    settled = next(c for c in merged if c["id"] == make.case_id(0))
    assert settled["resolution"] == "lead"
    assert settled["lead"]["rationale"] == f"=lead settles {make.EVERYTHING}"
    assert settled["lead"]["reviewer"] == "lead \u202edaeL\u202c <b>&</b>"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_reports_escape_everything(
    lead: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    md, page = lead["tmp"] / "r.md", lead["tmp"] / "r.html"
    base = ["--basedir", str(lead["tmp"]), "--resamples", "50"]
    code = main(
        ["agreement", str(lead["ws"]), "--json", "--markdown", str(md), "--html", str(page), *base]
    )
    assert code == 0
    printed = capsys.readouterr()
    text = printed.out
    assert text.splitlines() == text.split("\n")[:-1]  # one line a line
    report = json.loads(text)
    people = {o["person"] for c in report["criteria"] for o in c["overruled"]}
    assert make.REVIEWERS["ana"] in people or make.REVIEWERS["ben"] in people  # values intact
    assert not any(ch in text for ch in CONTROLS)  # printed as \\uXXXX: the same JSON
    html_text = page.read_text(encoding="utf-8")
    parsed = _Tags()
    parsed.feed(html_text)
    allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p",
               "table", "tr", "th", "td", "small", "ul", "li", "b", "i", "bdi", "br",
               "code"}  # fmt: skip
    assert parsed.tags <= allowed, parsed.tags - allowed
    assert parsed.attributes <= {"lang", "charset", "http-equiv", "content", "name", "class",
                                 "style", "title"}  # fmt: skip  # no src, no href
    for raw in ("<script", "<img", "<a ", "<style>*", *CONTROLS, *SEPARATORS):
        assert raw not in html_text, raw
    assert "&lt;script&gt;" in html_text and "⟨RLO⟩" in html_text
    markdown = md.read_text(encoding="utf-8")
    assert "<" not in markdown.replace("<br>", "")  # every tag escaped
    for raw in (*CONTROLS, *SEPARATORS):
        assert raw not in markdown
    assert main(["agreement", str(lead["ws"]), *base]) == 0  # the text tables
    shown = capsys.readouterr()
    assert not any(ch in shown.out + shown.err for ch in CONTROLS)


def test_the_terminal_gets_escapes_shown_not_sent(
    sample: dict[str, Any], lead: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--basedir", str(lead["tmp"])]
    for args in (
        ["summary", str(sample["files"]["jsonl"])],
        ["summary", str(lead["ws"]), "--json"],
        ["merge", str(HOSTILE / "reviews" / "ana.jsonl"), "-o", str(lead["tmp"] / "m.jsonl")],
        ["import", str(sample["files"]["csv"]), "-w", str(lead["tmp"] / "again.annotator")],
    ):
        assert main([*args, *base]) == 0, args
        printed = capsys.readouterr()
        assert not any(ch in printed.out + printed.err for ch in CONTROLS), args
    # An error quoting an id from the file: the escape is shown, not obeyed.
    bad = lead["tmp"] / "bad.jsonl"
    lines = [{"project": {"labels": ["pass", "fail"]}}]
    lines += [{"id": "c1", "input": "q", "judge": "\x1b]0;pwned\x07"}]
    bad.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    main(["import", str(bad), "-w", str(lead["tmp"] / "bad.annotator"), *base])
    printed = capsys.readouterr()
    assert "\x1b" not in printed.err and "\\u001b]0;pwned" in printed.err


def test_every_json_output_is_whole_lines(
    sample: dict[str, Any], lead: dict[str, Any], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """Every file and every JSON print annotator makes, read with ``str.splitlines()``: the
    labelled file, the merged files (merged from files, and a lead's), the agreement report,
    the import and summary counts, and the settings (the reviewer's name)."""
    merge_to_file(REVIEWER_FILES, tmp_path / "m.jsonl")
    for path in (
        sample["all.jsonl"],
        sample["decided.jsonl"],
        tmp_path / "m.jsonl",
        lead["merged"],
    ):
        assert _json_lines(path)
    base = ["--basedir", str(tmp_path)]
    for args in (
        ["import", str(sample["files"]["jsonl"]), "-w", str(tmp_path / "w.annotator"), "--json"],
        ["summary", str(tmp_path / "w.annotator"), "--json"],
        ["agreement", str(tmp_path / "m.jsonl"), "--json", "--resamples", "20"],
    ):
        assert main([*args, *base]) == 0
        out = capsys.readouterr().out
        assert out.splitlines() == out.split("\n")[:-1], args
        json.loads(out)
    settings = Settings(reviewer=make.REVIEWERS["ana"] + "\u2028\u2029\x85")
    assert settings.save() is None
    saved = Settings.file().read_text(encoding="utf-8")
    assert saved.splitlines() == saved.split("\n") and not any(s in saved for s in SEPARATORS)
    assert Settings.load().reviewer == settings.reviewer


def test_the_frozen_apps_hostile_check_passes_on_the_source(tmp_path: Path) -> None:
    """packaging/smoke_test.py runs this check on the frozen command line; here, on the
    source's, so that the check itself is known to pass (and to check what it says)."""
    spec = importlib.util.spec_from_file_location("smoke_hostile", SMOKE_HOSTILE)
    assert spec is not None and spec.loader is not None
    smoke = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(smoke)
    assert "15 hostile cases" in smoke.check_hostile([sys.executable, "-m", "annotator"], tmp_path)
