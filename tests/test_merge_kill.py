"""A merge that dies leaves nothing behind: no worker process, no temporary file, no half file.

``annotator merge`` reads large inputs in worker processes (services/merge/worker.py). Killed
(SIGKILL, SIGTERM) while they read, its workers and the multiprocessing resource tracker end
with it, its temporary folder is removed by the next merge, and no merged file is written;
interrupted (Ctrl+C), it stops its workers and removes its folder itself.

The workers are made to be reading for sure when the merge is killed: one of the inputs is a
named pipe that nobody writes, whose reading blocks. The process table is read from /proc.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

import annotator
from annotator.services.merge import WORKERS_VARIABLE, tempfolder
from tests.helpers import PASS_FAIL, REVIEW_PLAN, case, reviewer_file, write_jsonl

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not hasattr(os, "mkfifo"),
    reason="reads the process table in /proc and blocks a reader on a named pipe",
)

ROOT = Path(annotator.__file__).resolve().parent.parent
PATIENCE = 60.0
"""How long to wait for the workers to start on a loaded machine (seconds)."""
ENDING = 10.0
"""How long the processes may take to end once the merge is gone (seconds)."""


# -- the process table ------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int] | None:
    """State and parent pid of ``pid``, or None when there is no such process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    fields = text.rpartition(b")")[2].split()
    return fields[0].decode(), int(fields[1])


def running(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def descendants(pid: int) -> set[int]:
    """Every running process below ``pid``."""
    parents: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat is not None and stat[0] not in ("Z", "X"):
                parents.setdefault(stat[1], []).append(int(name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.05)


# -- a merge to kill ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reviewer_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("reviewers")
    pack = write_jsonl(folder / "pack.jsonl", [case(f"c{i}") for i in range(1, 7)], PASS_FAIL)
    made = []
    for who, plan in REVIEW_PLAN.items():
        made.append(reviewer_file(pack, folder / who, who, plan).rename(folder / f"{who}.jsonl"))
    return made


class Merge:
    """``python -m annotator merge`` in a session of its own, with a private temporary
    folder and two worker processes, over the reviewers' files and a named pipe."""

    def __init__(self, files: list[Path], tmp_path: Path) -> None:
        self.temp = tmp_path / "temp"
        self.temp.mkdir(exist_ok=True)
        self.out = tmp_path / "merged.jsonl"
        self.pipe = tmp_path / "blocked.jsonl"
        os.mkfifo(self.pipe)
        inputs = [files[0], self.pipe, *files[1:]]  # the pipe's worker blocks; the other reads on
        self.process = self.start([*map(str, inputs)], self.out, workers=2)

    def env(self, workers: int) -> dict[str, str]:
        return {**os.environ, "TMPDIR": str(self.temp), WORKERS_VARIABLE: str(workers)}

    def start(self, inputs: list[str], out: Path, workers: int) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "annotator", "merge", *inputs, "-o", str(out)],
            cwd=ROOT,
            env=self.env(workers),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )

    def folders(self) -> list[Path]:
        return [p for p in self.temp.iterdir() if p.name.startswith(tempfolder.PREFIX)]

    def workers_reading(self) -> set[int]:
        """Wait until both workers have started and read what they can (the files after the
        pipe are scanned and waiting in the temporary folder); the merge's processes then."""

        def ready() -> bool:
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                pytest.fail(f"the merge ended first ({self.process.returncode}): {err.decode()}")
            workers = [p for p in descendants(self.process.pid) if "multiprocessing" in cmdline(p)]
            scans = [f for folder in self.folders() for f in folder.glob("scan-*.pickle")]
            return len(workers) >= 2 and len(scans) >= 2

        wait_for(ready, PATIENCE, "the workers to read")
        processes = descendants(self.process.pid)
        assert any("--multiprocessing-fork" in cmdline(p) for p in processes)
        return processes

    def ended(self, processes: set[int]) -> str:
        """Wait for the merge and ``processes`` to end; what the merge said on stderr."""
        _, err = self.process.communicate(timeout=ENDING)
        wait_for(lambda: not any(map(running, processes)), ENDING, "the workers to end")
        assert not self.out.exists()  # nothing written, not even in part
        assert not list(self.out.parent.glob(f".{self.out.name}.*"))
        return err.decode(errors="replace")

    def merge_again(self, files: list[Path], tmp_path: Path) -> Path:
        """The next merge, in one process, with the same temporary folder."""
        out = tmp_path / "next.jsonl"
        again = self.start([*map(str, files)], out, workers=1)
        _, err = again.communicate(timeout=PATIENCE)
        assert again.returncode == 0, err.decode()
        return out

    def close(self) -> None:
        if self.process.poll() is None:  # (a failed test: end what it started)
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.communicate()


@pytest.fixture
def merge(reviewer_files: list[Path], tmp_path: Path) -> Iterator[Merge]:
    started = Merge(reviewer_files, tmp_path)
    yield started
    started.close()


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_killed_merge_leaves_no_process_and_no_temporary_file(
    how: signal.Signals, merge: Merge, reviewer_files: list[Path], tmp_path: Path
):
    processes = merge.workers_reading()
    os.kill(merge.process.pid, how)  # the merge alone, not its workers
    merge.ended(processes)
    merge.merge_again(reviewer_files, tmp_path)
    assert not merge.folders()  # the next merge removed the folder of the killed one
    assert not list(merge.temp.iterdir())


def test_an_interrupted_merge_stops_its_workers_and_cleans_up(merge: Merge):
    """Ctrl+C in a terminal: SIGINT to the merge and its workers (the process group)."""
    processes = merge.workers_reading()
    os.killpg(merge.process.pid, signal.SIGINT)
    err = merge.ended(processes)
    assert merge.process.returncode != 0
    assert not merge.folders() and not list(merge.temp.iterdir())  # without another merge
    assert "SpawnProcess" not in err  # the workers left Ctrl+C to the merge: no traceback


# -- the pieces ---------------------------------------------------------------------------------

HOLDER = """
import multiprocessing, os, sys, time
from annotator.services.merge import worker

def child(parent):
    worker.started(parent, kernel=False)  # the watch alone, without PR_SET_PDEATHSIG
    print("watching", flush=True)
    time.sleep(120)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
    process.start()
    print(process.pid, flush=True)
    time.sleep(120)
"""


def read_line(stream: IO[bytes], timeout: float = PATIENCE) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        pytest.fail(f"waited {timeout:.0f} s for a line")
    return stream.readline().strip()


def test_a_worker_ends_when_its_parent_dies_by_the_watch_alone(tmp_path: Path):
    """The watch that also works where the kernel does not help (macOS, Windows)."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    holder = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path},  # (this annotator, from the script's folder)
        stdout=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        assert holder.stdout is not None
        child = int(read_line(holder.stdout))
        assert read_line(holder.stdout) == b"watching"
        processes = descendants(holder.pid)  # the child and the resource tracker
        assert child in processes
        holder.kill()
        holder.wait()
        wait_for(lambda: not any(map(running, processes)), ENDING, "the child to end")
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
            holder.wait()


def test_the_folders_of_dead_merges_are_removed_and_no_other(tmp_path: Path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no process has now (reused within this test: unlikely)
    names = {
        "dead": f"annotator-merge-{gone.pid}-abc123",
        "mine": f"annotator-merge-{os.getpid()}-def456",
        "parent's": f"annotator-merge-{os.getppid()}-ghi789",
        "before pids": "annotator-merge-k2j4h5g6",
        "another app": f"other-{gone.pid}-abc",
    }
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "scan-1.pickle").write_bytes(b"x" * 100)
    (tmp_path / f"annotator-merge-{gone.pid}-file").write_bytes(b"not a folder")
    assert tempfolder.sweep(tmp_path) == [tmp_path / names["dead"]]
    left = {p.name for p in tmp_path.iterdir()}
    assert left == set(names.values()) - {names["dead"]} | {f"annotator-merge-{gone.pid}-file"}
    assert tempfolder.owner_pid(names["mine"]) == os.getpid()
    assert tempfolder.owner_pid(names["before pids"]) is None
    assert tempfolder.alive(os.getpid()) and not tempfolder.alive(gone.pid)
