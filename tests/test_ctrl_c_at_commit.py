"""A Ctrl+C (or SIGTERM) that comes while an import commits its cases (the one step that
cannot stop): the cases are imported, so the command says so. Its report is printed, then the
Ctrl+C stops the search index that follows, with the line that says the cases are imported and
the index is finished next time; the exit status is still that of a stop (130, 143). Before,
it said only "annotator: interrupted", of cases that were in the workspace."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from annotator import console
from annotator.cli import main
from annotator.services import exporter, importer
from annotator.services.importer import import_file
from annotator.services.merge import workspace as merge_workspace
from annotator.services.merge import writing as merge_writing
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, reviewer_file, write_jsonl

pytestmark = pytest.mark.skipif(os.name != "posix", reason="signals sent to this process")


def _signal_at_commit(
    monkeypatch: pytest.MonkeyPatch, signum: int, job: Any = importer
) -> list[int]:
    """Send ``signum`` to this process just after the ``job``'s last chance to stop; the list
    returned gets the signal when it is sent."""
    real = job.last_chance
    sent: list[int] = []

    def last_chance(cancelled: Callable[[], bool] | None, stop: Any) -> None:
        real(cancelled, stop)
        sent.append(signum)
        os.kill(os.getpid(), signum)

    monkeypatch.setattr(job, "last_chance", last_chance)
    return sent


def _cases(tmp_path: Path) -> Path:
    rows = [case(f"c{i}", judge="pass", raters={"a": "fail"}) for i in range(30)]
    return write_jsonl(tmp_path / "cases.jsonl", rows, PASS_FAIL)


@pytest.mark.parametrize(
    ("signum", "status", "how"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
    ids=["ctrl-c", "sigterm"],
)
def test_a_stop_during_the_commit_reports_the_cases_imported(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signum: int,
    status: int,
    how: str,
) -> None:
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    _signal_at_commit(monkeypatch, signum)
    ws_path = tmp_path / "w.annotator"
    assert main(["import", str(_cases(tmp_path)), "--workspace", str(ws_path)]) == status
    out, err = capsys.readouterr()
    assert "cases added" in out and "30" in out  # the report
    assert f"annotator: {how} while indexing for search: the cases are imported" in err
    assert f"annotator: {how}\n" not in err
    ws = Workspace.open(ws_path)
    try:
        assert ws.case_count() == 30
    finally:
        ws.close()
    # Ctrl+C and SIGTERM are taken as before once the command is over.
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before


def test_a_ctrl_c_before_the_commit_still_imports_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importer.last_chance

    def last_chance(cancelled: Callable[[], bool] | None, stop: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # (raised here, before the last chance)
        real(cancelled, stop)

    monkeypatch.setattr(importer, "last_chance", last_chance)
    ws_path = tmp_path / "w.annotator"
    assert main(["import", str(_cases(tmp_path)), "--workspace", str(ws_path)]) == 130
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == "annotator: interrupted" and "cases added" not in out
    assert not ws_path.exists()  # (made for the import: removed)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_refused_commit_says_its_error_and_lets_ctrl_c_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop held during a commit that then fails: the failure is what is said, and Ctrl+C
    is taken as before."""
    held = console.HeldStop()
    assert held() is False
    assert held.close() is False
    os.kill(os.getpid(), signal.SIGINT)  # held, not raised
    held.forget()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    held.release()  # (forgotten: nothing raised)


def test_a_ctrl_c_during_a_merges_commit_comes_too_late_to_stop_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'merge --into': the reviewers' decisions are stored, the report says so, and the
    command ends as done (nothing was left to stop)."""
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 4)], PASS_FAIL)
    lead = tmp_path / "lead.annotator"
    ws = Workspace.open(lead)
    import_file(ws, pack)
    ws.close()
    files = [
        reviewer_file(pack, tmp_path / who, who, {"c1": "pass", "c2": "fail"})
        for who in ("ann", "bo")
    ]
    _signal_at_commit(monkeypatch, signal.SIGINT, merge_workspace)
    assert main(["merge", *map(str, files), "--into", str(lead)]) == 0
    out, err = capsys.readouterr()
    assert "2 cases: 2 unanimous" in out and "interrupted" not in err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    ws = Workspace.open(lead)
    try:
        with ws.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM review").scalar() == 4
    finally:
        ws.close()


def _decided(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A pack of three cases; two reviewers' workspaces of it with two decided, and their files."""
    pack = write_jsonl(tmp_path / "pack.jsonl", [case(f"c{i}") for i in range(1, 4)], PASS_FAIL)
    files = [
        reviewer_file(pack, tmp_path / who, who, {"c1": "pass", "c2": "fail"})
        for who in ("ann", "bo")
    ]
    return tmp_path / "ann" / "ann.annotator", files


@pytest.mark.parametrize(
    ("options", "said"),
    [([], "Wrote 2 decisions to {0}"), (["--rescue"], "Rescued 2 cases into {0}")],
    ids=["export", "rescue"],
)
def test_a_ctrl_c_while_an_export_renames_its_file_in_ends_as_done(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    said: str,
) -> None:
    """The file is written, and only synced and renamed into place (which cannot stop): the
    command says it wrote it and ends as done, where it said "interrupted" of a whole file."""
    ws, _files = _decided(tmp_path)
    out_file = tmp_path / "out.jsonl"
    sent = _signal_at_commit(monkeypatch, signal.SIGINT, exporter)
    assert main(["export", str(ws), "-o", str(out_file), *options]) == 0
    assert sent == [signal.SIGINT]
    out, err = capsys.readouterr()
    assert said.format(out_file) in out and "interrupted" not in err
    assert len(out_file.read_text(encoding="utf-8").splitlines()) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_before_an_exports_last_chance_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    ws, _files = _decided(tmp_path)
    out_file = tmp_path / "out.jsonl"
    real = exporter.last_chance

    def last_chance(cancelled: Callable[[], bool] | None, stop: Any) -> None:
        os.kill(os.getpid(), signal.SIGINT)  # (raised here, before the last chance)
        real(cancelled, stop)

    monkeypatch.setattr(exporter, "last_chance", last_chance)
    assert main(["export", str(ws), "-o", str(out_file)]) == 130
    _out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == "annotator: interrupted"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ann", "bo", "pack.jsonl"]


def test_a_ctrl_c_while_a_merge_renames_its_file_in_ends_as_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _ws, files = _decided(tmp_path)
    merged = tmp_path / "merged.jsonl"
    _signal_at_commit(monkeypatch, signal.SIGINT, merge_writing)
    assert main(["merge", *map(str, files), "-o", str(merged)]) == 0
    out, err = capsys.readouterr()
    assert "2 cases: 2 unanimous" in out and "interrupted" not in err
    assert len(merged.read_text(encoding="utf-8").splitlines()) == 2
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_ctrl_c_after_the_command_has_ended_leaves_its_status(tmp_path: Path) -> None:
    """The program (not a call in this process): once the command has ended and said so, a
    Ctrl+C during the interpreter's teardown has nothing to stop, and the status stays 0, where
    it turned a finished export into 130 or a death by SIGINT after its report."""
    code = (
        "import os, signal, sys, time\n"
        "from annotator.cli import main\n"
        f"sys.argv = ['annotator', 'summary', {str(_cases(tmp_path))!r}]\n"
        "status = main()\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "time.sleep(0.2)  # (the teardown, where the signal lands)\n"
        "raise SystemExit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert done.returncode == 0, done.stderr
    assert "cases: 30" in done.stdout and "Traceback" not in done.stderr
