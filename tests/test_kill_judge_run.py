"""Adding a judge run killed half-way (SIGKILL: no handler runs) leaves its temporary folder
(``annotator-run-<pid>-...``, the staged verdicts) behind; the next run added removes it, and
only folders of processes that have ended: never one a running process uses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.services.importer import import_file
from annotator.services.judge_runs import list_runs
from annotator.services.workspace import Workspace
from annotator.storage.judge_runs import STAGE_PREFIX

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

ROOT = Path(__file__).resolve().parent.parent
CASES = 30_000


def _project(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace of CASES cases, and a judge-run file with a verdict on each."""
    cases = tmp_path / "cases.jsonl"
    run = tmp_path / "run.jsonl"
    with cases.open("w", encoding="utf-8") as fh, run.open("w", encoding="utf-8") as rh:
        fh.write(json.dumps({"project": {"title": "Big", "labels": ["fail", "pass"]}}) + "\n")
        for i in range(CASES):
            record = {
                "id": f"c{i:06d}",
                "input": f"question {i}",
                "output": f"answer {i}",
                "judge": {"label": "pass"},
                "ratings": [{"rater": "a", "label": "fail"}],
            }
            fh.write(json.dumps(record) + "\n")
            verdict = {"id": f"c{i:06d}", "label": "fail", "rationale": "because " * 30}
            rh.write(json.dumps(verdict) + "\n")
    ws = Workspace.open(tmp_path / "ws.annotator")
    import_file(ws, cases)
    ws.close()
    return tmp_path / "ws.annotator", run


def _add(base: Path, temp: Path, ws: Path, run: Path, name: str) -> subprocess.Popen[bytes]:
    """``annotator judge-run add`` in a process of its own, its temporary folder ``temp``."""
    return subprocess.Popen(
        [sys.executable, "-m", "annotator", "-q", "judge-run", "add", str(ws), str(run)]
        + ["--name", name],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "ANNOTATOR_BASEDIR": str(base), "TMPDIR": str(temp)},
    )


def _kill_when_staging(proc: subprocess.Popen[bytes], temp: Path, timeout: float = 120) -> Path:
    """SIGKILL ``proc`` once its stage holds some verdicts; the folder it leaves."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the run was added before it could be killed: {proc.stderr!r}")
        for stage in temp.glob(f"{STAGE_PREFIX}{proc.pid}-*/verdicts.db"):
            if stage.stat().st_size > 64 * 1024:
                proc.send_signal(signal.SIGKILL)
                proc.wait(30)
                return stage.parent
        time.sleep(0.01)
    proc.kill()
    pytest.fail("the run was never staged")


def test_the_next_run_added_removes_what_a_killed_one_left_and_nothing_else(
    tmp_path: Path,
) -> None:
    base, temp = tmp_path / "base", tmp_path / "temp"
    temp.mkdir()
    ws, run = _project(tmp_path)

    left = _kill_when_staging(_add(base, temp, ws, run, "killed"), temp)
    assert left.is_dir() and (left / "verdicts.db").exists()

    # Beside it, folders that are not the next add's to remove: a running process's (another
    # command adding a run meanwhile: here, one that sleeps), this very process's, another
    # app's, and a file of the same name.
    running = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        keep = [
            temp / f"{STAGE_PREFIX}{running.pid}-abcd1234",
            temp / f"{STAGE_PREFIX}{os.getpid()}-abcd1234",
            temp / "annotator-runner-1-abcd1234",
        ]
        for folder in keep:
            folder.mkdir()
            (folder / "verdicts.db").write_bytes(b"in use")
        also = temp / f"{STAGE_PREFIX}{left.name.split('-')[2]}-file"
        also.write_bytes(b"not a folder")

        again = _add(base, temp, ws, run, "again")
        _, err = again.communicate(timeout=600)
        assert again.returncode == 0, err.decode()
        assert sorted(temp.iterdir()) == sorted([*keep, also])
        assert all((folder / "verdicts.db").read_bytes() == b"in use" for folder in keep)
    finally:
        running.kill()
        running.wait()

    opened = Workspace.open(ws)
    added = {r.name: r for r in list_runs(opened) if not r.imported}
    opened.close()
    assert list(added) == ["again"]  # nothing of the killed one
