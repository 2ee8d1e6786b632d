"""The labelled file: every field, pandas can read it, CSV too, and writes are atomic."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from annotator import __version__
from annotator.domain.model import Status
from annotator.fileio import atomic_write, atomic_write_bytes, writing_behind
from annotator.formats.labelled import (
    DECISIONS_FORMAT,
    DECISIONS_VERSION,
    LineText,
    jsonl_writer,
    labelled_record,
)
from annotator.formats.labelled.record import pairs_text
from annotator.services.exporter import export_decisions, rater_text
from annotator.services.importer import import_file
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl


@pytest.fixture
def decided(tmp_path: Path) -> Workspace:
    ws = Workspace.open(tmp_path / "w.annotator")
    rows = [case("a"), case("b", judge="fail", raters={"alice": "pass"}), case("c")]
    import_file(ws, write_jsonl(tmp_path / "c.jsonl", rows, PASS_FAIL))
    review = ReviewService(ws, "Dr Ada")
    review.decide(review.row_id("a") or 0, "fail", "Missed the dosage.", tags=["judge missed fact"])
    review.decide(review.row_id("b") or 0, "fail", "Judge right.", who_right=None)
    yield ws
    ws.close()


def test_jsonl_lines_stand_on_their_own(decided: Workspace, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "decisions.jsonl"
    assert export_decisions(decided, out) == 2
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    first = lines[0]
    assert first["format"] == DECISIONS_FORMAT and first["format_version"] == DECISIONS_VERSION
    assert first["id"] == "a"
    assert first["case_hash"].startswith("sha256:") and len(first["case_hash"]) == 71
    assert first["label"] == "fail" and first["rationale"] == "Missed the dosage."
    assert first["who_right"] == "raters" and first["who_right_overridden"] is False
    assert first["tags"] == ["judge missed fact"]
    assert first["reviewer"] == "Dr Ada"
    assert first["decided_at"].endswith("Z")
    assert first["project"] == decided.project().fingerprint
    assert first["app_version"] == __version__
    assert first["judge_label"] == "pass"
    assert first["rater_labels"] == {"alice": "fail", "bob": "fail"}
    assert first["kind"] == "judge_vs_all"
    assert lines[1]["who_right"] == "judge"


def test_pandas_reads_it_without_preprocessing(decided: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "d.jsonl"
    export_decisions(decided, out)
    frame = pd.read_json(out, lines=True)
    assert list(frame["id"]) == ["a", "b"]
    assert list(frame["label"]) == ["fail", "fail"]
    assert frame.loc[0, "rater_labels"] == {"alice": "fail", "bob": "fail"}


def test_pandas_keeps_ids_as_written_when_asked(tmp_path: Path) -> None:
    ws = Workspace.open(None)
    header = {"labels": [1, 2, 3], "ordinal": True}
    import_file(
        ws, write_jsonl(tmp_path / "z.jsonl", [case("0007", judge="1", raters={"r": "3"})], header)
    )
    ReviewService(ws, "r").decide(1, "2", "middle")
    out = tmp_path / "z-decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    frame = pd.read_json(out, lines=True, dtype={"id": str, "label": str, "judge_label": str})
    assert (frame.loc[0, "id"], frame.loc[0, "label"], frame.loc[0, "judge_label"]) == (
        "0007",
        "2",
        "1",
    )


def test_include_undecided(decided: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    assert export_decisions(decided, out, include_undecided=True) == 3
    last = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    assert (last["id"], last["status"], last["label"]) == ("c", "undecided", None)


def test_csv_export(decided: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "d.csv"
    export_decisions(decided, out, "csv")
    frame = pd.read_csv(out)
    assert list(frame["id"]) == ["a", "b"]
    assert frame.loc[0, "tags"] == "judge missed fact"
    assert json.loads(frame.loc[0, "rater_labels"]) == {"alice": "fail", "bob": "fail"}


def test_interrupted_write_leaves_old_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.jsonl"
    target.write_text("old content\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write("partial")
        raise RuntimeError("disk pulled")
    assert target.read_text(encoding="utf-8") == "old content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.jsonl"]


def test_bytes_written_behind_the_caller_fail_in_the_caller(tmp_path: Path) -> None:
    """A merge writes its file from a thread (writing_behind): all the bytes, in order, and
    a write that fails (a full disk) fails the whole write, leaving the old file."""
    target = tmp_path / "merged.jsonl"
    with atomic_write_bytes(target) as fh, writing_behind(fh, depth=2) as write:
        for i in range(100):
            write(b"%d\n" % i)
    assert target.read_bytes() == b"".join(b"%d\n" % i for i in range(100))

    class FullDisk(io.BytesIO):
        def write(self, data: Any) -> int:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"), writing_behind(FullDisk()) as write:
        for _ in range(50):  # the failure shows at a later write, or at the end
            write(b"x")
    with (
        pytest.raises(OSError, match="No space left"),
        atomic_write_bytes(target),
        writing_behind(FullDisk()) as write,
    ):
        write(b"partial")
    assert target.read_bytes().startswith(b"0\n1\n")  # the old file, whole
    assert [p.name for p in tmp_path.iterdir()] == ["merged.jsonl"]


def test_hash_matches_between_jsonl_and_csv(tmp_path: Path) -> None:
    """The same case from JSON Lines and from CSV has the same content hash."""
    jsonl = write_jsonl(tmp_path / "x.jsonl", [case("a", raters={"alice": "fail"})])
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(
        "id,input,output,judge.label,judge.rationale,rating.alice\n"
        "a,question a,answer a,pass,judge says pass,fail\n",
        encoding="utf-8",
    )
    hashes = []
    for source in (jsonl, csv_path):
        ws = Workspace.open(None)
        import_file(ws, source)
        ReviewService(ws, "r").decide(1, "fail", "x")
        export_decisions(ws, tmp_path / "o.jsonl")
        hashes.append(json.loads((tmp_path / "o.jsonl").read_text(encoding="utf-8"))["case_hash"])
        ws.close()
    assert hashes[0] == hashes[1]


def test_export_never_overwrites_a_workspace_or_case_file(
    decided: Workspace, tmp_path: Path
) -> None:
    assert decided.path is not None
    with pytest.raises(ValueError, match="is a workspace"):
        export_decisions(decided, decided.path)
    with pytest.raises(ValueError, match="case file imported"):
        export_decisions(decided, tmp_path / "c.jsonl")
    with pytest.raises(IsADirectoryError, match="is a folder"):
        export_decisions(decided, tmp_path)
    assert ReviewService(decided).progress().all_decided == 2  # the workspace is intact


def test_export_gets_normal_file_permissions(decided: Workspace, tmp_path: Path) -> None:
    import os
    import stat

    out = tmp_path / "shared.jsonl"
    export_decisions(decided, out)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~mask
    out.chmod(0o640)
    export_decisions(decided, out)  # replacing a file keeps its mode
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_the_format_goes_by_what_was_asked_else_by_the_name() -> None:
    """One rule, for the command line and the window's save dialog."""
    from annotator.services.exporter import export_format

    assert export_format(Path("d.csv")) == "csv"
    assert export_format(Path("d.CSV")) == "csv"
    assert export_format(Path("d.jsonl")) == "jsonl"
    assert export_format(Path("decisions")) == "jsonl"
    assert export_format(Path("d.jsonl"), "csv") == "csv"
    assert export_format(Path("d.csv"), "jsonl") == "jsonl"


def _record_fields(n: int) -> dict[str, Any]:
    """Lines of every shape: decided or not, odd text, missing and present optional fields."""
    odd = [
        "plain",
        'quote " and \\ back',
        "new\nline\ttab",
        "é ü 中文 🙂",
        "sep\u2028\u2029\x85",
        "",
    ]
    decided = n % 3 != 0
    text = odd[n % len(odd)]
    return {
        "case_id": f"case-{text}-{n}",
        "case_hash": f"sha256:{n:064x}",
        "criterion": ["accuracy", "helpful ness", "中文"][n % 3],
        "status": [Status.DECIDED, Status.SKIPPED, Status.UNDECIDED][0 if decided else n % 2 + 1],
        "label": text if decided else None,
        "rationale": f"why {text}" if decided else None,
        "who_right": ["judge", "raters", "neither"][n % 3] if decided else None,
        "who_right_overridden": [True, False, None][n % 3],
        "tags": [[], ["a"], [text, "rubric ambiguous"]][n % 3] if decided else [],
        "confidence": ["high", None, "low"][n % 3],
        "reviewer": "Dr Ada" if decided else None,
        "decided_at": "2025-03-01T09:00:00Z" if decided else None,
        "judge_label": text or "pass",
        "rater_labels": [{}, {"alice": "pass"}, {"é": text, "bob": "1"}][n % 3],
        "kind": "judge_vs_all",
        "labels": [["pass", "fail"], ["1", "2", "3", "4", "5"], ["A", "B", "tie"]][n % 3],
        "ordinal": n % 2 == 0,
        "threshold": [None, 3.0, 2.5, 0.0][n % 4],
        "rubric_version": [None, 1, 12][n % 3],
        "rubric_hash": ["sha256:ab", None][n % 2],
        "split": ["", "examples", "heldout"][n % 3],
        "blind_label": [None, text][n % 2],
        "revealed_at": [None, "2025-03-01T08:00:00Z"][n % 2],
    }


def test_line_text_writes_what_the_record_writer_writes() -> None:
    """The export's quick lines (``LineText``) are byte for byte the JSON Lines writer's."""
    project = {"project": "sha256:feed", "project_title": 'Tëst \u2028 "run"', "app_version": "9"}
    quick = LineText(**project)
    for n in range(72):
        fields = _record_fields(n)
        out = io.StringIO()
        jsonl_writer(out)(labelled_record(**fields, **project))
        scale = fields.pop("labels"), fields.pop("ordinal"), fields.pop("threshold")
        assert quick.line(fields, *scale) == out.getvalue(), fields


def test_rater_labels_from_sqlite_are_written_as_json_dumps_writes_them() -> None:
    """The export's quick way from SQLite's rater-label object to the line's text gives
    ``pairs_text`` of the object read, for names and labels of every kind of character and
    for values that are not strings."""
    odd = ["alice", "", "a:b", 'q"uote', "back\\slash", "tab\t", "\x01", "é 中文 🙂",
           "\u2028\u2029\x85", "a\",\"b", "x\":\"y", " , : "]  # fmt: skip
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE r (k TEXT, v)")
    for n in range(len(odd) * 3):
        db.execute("DELETE FROM r")
        for i in range(n % 4):
            db.execute(
                "INSERT INTO r VALUES (?, ?)", (odd[(n + i) % len(odd)] + str(i), odd[n % len(odd)])
            )
        if n % 5 == 4:
            db.execute("INSERT INTO r VALUES ('number', 3)")
        (raw,) = db.execute("SELECT '' || json_group_object(k, v) FROM r").fetchone()
        assert rater_text(raw) == pairs_text(json.loads(raw)), raw
    assert rater_text("{}") == pairs_text({}) == "{}"
