"""The agreement report names the judge its "judge" figures are of, as the Agreement page does:
a lead imports the sample, adds a second judge run, merges the reviewers' files, settles a
case, and shares `annotator agreement` as text, Markdown, HTML and JSON; each says that the
figures are the imported judge's (its run renamed to markup, Markdown and a bidi override:
shown, never obeyed) and that the run added later is not in them. A report read from
reviewers' files names no run, and says nothing false."""

from __future__ import annotations

import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from annotator.cli import main
from annotator.services.agreement import build_report, report_to_json
from annotator.services.agreement.judge import (
    FROM_FILES,
    NO_MODEL,
    NO_RUN_YET,
    OTHERS_NAMED,
    MeasuredJudge,
    judge_sentence,
)
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.conftest import REPO, SAMPLE

RUN2 = REPO / "resources" / "sample" / "judge-run-2.jsonl"
REVIEWS = sorted((REPO / "resources" / "sample" / "reviews").glob("*.jsonl"))
HOSTILE = "<b>x</b> *y* \u202e"
"""The imported run renamed: HTML, Markdown emphasis and a right-to-left override."""
LATER = "prompt <i>v2</i>"
ALIGNMENT = (
    "are not in these figures: the alignment report compares them (View › Alignment of judge "
    "runs…, annotator alignment)."
)


@pytest.fixture
def lead(tmp_path: Path) -> Path:
    """The lead's workspace: the sample imported, a judge run added, the imported run
    renamed, the reviewers' files merged in and one conflict settled."""
    ws_path = tmp_path / "lead.annotator"
    base = ["--basedir", str(tmp_path), "--quiet"]
    assert main(["import", str(SAMPLE), "-w", str(ws_path), "--yes", *base]) == 0
    assert main(["judge-run", "add", str(ws_path), str(RUN2), "--name", LATER, *base]) == 0
    assert main(["judge-run", "rename", str(ws_path), "imported judge", HOSTILE, *base]) == 0
    assert main(["merge", *map(str, REVIEWS), "--into", str(ws_path), *base]) == 0
    ws = Workspace.open(ws_path)
    try:
        review = ReviewService(ws, "lead")
        row = review.row_id("faith-006")  # (the reviewers chose pass and fail)
        assert row is not None
        review.decide(row, "fail", "settled by the lead")
    finally:
        ws.close()
    return ws_path


def _agreement(args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["agreement", *args, "--resamples", "0", "--basedir", str(tmp_path)]) == 0
    return capsys.readouterr().out


def test_the_report_names_the_judge_in_every_format(
    lead: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    md, page = tmp_path / "r.md", tmp_path / "r.html"
    text = _agreement([str(lead), "--markdown", str(md), "--html", str(page)], tmp_path, capsys)
    assert "by the lead" in text  # (decisions: the figures after review are there too)

    said = [x.strip() for x in text.splitlines() if x.strip().startswith("Judge: ")]
    assert said == [
        "Judge: run '<b>x</b> *y* ⟨RLO⟩', the verdicts imported with the cases. Runs added "
        f"later ('prompt <i>v2</i>') {ALIGNMENT}"
    ]
    assert "\u202e" not in text

    markdown = md.read_text(encoding="utf-8")
    said = [x for x in markdown.splitlines() if x.startswith("Judge: ")]
    assert said == [
        "Judge: run '&lt;b&gt;x&lt;/b&gt; \\*y\\* ⟨RLO⟩', the verdicts imported with the "
        f"cases. Runs added later ('prompt &lt;i&gt;v2&lt;/i&gt;') {ALIGNMENT}"
    ]
    assert "\u202e" not in markdown and "<b>" not in markdown and "<i>" not in markdown

    html_page = page.read_text(encoding="utf-8")
    assert (
        "<p>Judge: run &#x27;<bdi>&lt;b&gt;x&lt;/b&gt; *y* ⟨RLO⟩</bdi>&#x27;, the verdicts "
        "imported with the cases. Runs added later (&#x27;<bdi>prompt &lt;i&gt;v2&lt;/i&gt;"
        f"</bdi>&#x27;) {ALIGNMENT}</p>"
    ) in html_page
    paragraphs = _Paragraphs()
    paragraphs.feed(html_page)
    assert (
        "Judge: run '<b>x</b> *y* ⟨RLO⟩', the verdicts imported with the cases. Runs added "
        f"later ('prompt <i>v2</i>') {ALIGNMENT}"
    ) in paragraphs.text  # (the markup is text, read back)
    assert "\u202e" not in html_page

    data = json.loads(_agreement([str(lead), "--json"], tmp_path, capsys))
    assert data["measured_judge"] == {
        "run": HOSTILE,
        "run_why": None,
        "model": None,
        "model_why": NO_MODEL,  # (the sample's cases name none)
        "runs_left_out": [LATER],
    }
    assert data["measured_judge_why"] is None
    assert data["counts"]["lead"] == 1 and data["criteria"]  # (the other fields as they were)


class _Paragraphs(HTMLParser):
    """The text of each ``<p>`` of a page, entities read."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self._in = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "p":
            self._in = True
            self.text.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = self._in and tag != "p"

    def handle_data(self, data: str) -> None:
        if self._in:
            self.text[-1] += data


def test_one_judge_is_named_without_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Right after import: the imported verdicts, no run name (its default one is not said)
    and no runs left out."""
    ws_path = tmp_path / "one.annotator"
    base = ["--basedir", str(tmp_path), "--quiet"]
    assert main(["import", str(SAMPLE), "-w", str(ws_path), "--yes", *base]) == 0
    text = _agreement([str(ws_path)], tmp_path, capsys)
    assert "  Judge: the verdicts imported with the cases.\n" in text
    data = json.loads(_agreement([str(ws_path), "--json"], tmp_path, capsys))
    assert data["measured_judge"] == {
        "run": "imported judge",  # (its default name: the sample's cases name no model)
        "run_why": None,
        "model": None,
        "model_why": NO_MODEL,
        "runs_left_out": [],
    }
    assert data["measured_judge_why"] is None


def test_a_report_from_files_names_no_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reviewers' files carry the imported judge's verdicts and no runs: the report says
    so, and names none."""
    md = tmp_path / "files.md"
    text = _agreement([*map(str, REVIEWS), "--markdown", str(md)], tmp_path, capsys)
    assert f"  {FROM_FILES}\n" in text and "run '" not in text
    assert FROM_FILES in md.read_text(encoding="utf-8").splitlines()
    data = json.loads(_agreement([*map(str, REVIEWS), "--json"], tmp_path, capsys))
    assert data["measured_judge"] is None and data["measured_judge_why"] == FROM_FILES


def test_the_sentence_says_the_model_once_and_counts_the_runs_it_does_not_name() -> None:
    named = MeasuredJudge("gpt-4 baseline", "gpt-4", ())
    assert judge_sentence(named) == (
        "Judge: run 'gpt-4 baseline' (model gpt-4), the verdicts imported with the cases."
    )
    by_model = MeasuredJudge("gpt-4", "gpt-4", ())  # (a run named after its model)
    assert judge_sentence(by_model) == "Judge: run 'gpt-4', the verdicts imported with the cases."
    default = MeasuredJudge("imported judge", "", ("a", "b", "c", "d", "e"), own_name=False)
    assert judge_sentence(default) == (
        "Judge: the verdicts imported with the cases. Runs added later ('a', 'b', 'c' and 2 "
        f"more) {ALIGNMENT}"
    )
    assert OTHERS_NAMED == 3
    long = MeasuredJudge("x" * 500 + "\nsecond line", "m", ("y" * 500,))
    said = judge_sentence(long, name=lambda s: f"[{s}]")  # (each name through the escape)
    assert "\n" not in said and "[" + "x" * 59 + "…]" in said and "[" + "y" * 39 + "…]" in said
    assert judge_sentence(None) == FROM_FILES


def test_the_json_says_why_a_run_or_model_is_not_known() -> None:
    """A workspace made before judge runs, read-only, has no row for its imported judge."""
    report = replace(build_report([]), measured_judge=MeasuredJudge(None, "", (), own_name=False))
    assert report_to_json(report)["measured_judge"] == {
        "run": None,
        "run_why": NO_RUN_YET,
        "model": None,
        "model_why": NO_MODEL,
        "runs_left_out": [],
    }
    assert judge_sentence(report.measured_judge) == ("Judge: the verdicts imported with the cases.")


def test_the_summary_names_the_judge_too(
    lead: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'annotator summary' (and the window's File › Summary) shows the same baseline judge
    figures: it says which judge they are of, as the agreement report does."""
    assert main(["summary", str(lead), "--basedir", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    said = [x.strip() for x in text.splitlines() if x.strip().startswith("Judge: ")]
    assert said == [
        "Judge: run '<b>x</b> *y* ⟨RLO⟩', the verdicts imported with the cases. Runs added "
        f"later ('prompt <i>v2</i>') {ALIGNMENT}"
    ]
    assert "\u202e" not in text
    assert main(["summary", str(lead), "--json", "--basedir", str(tmp_path)]) == 0
    judge = json.loads(capsys.readouterr().out)["measured_judge"]
    assert judge["run"] == HOSTILE and judge["runs_left_out"] == [LATER]
