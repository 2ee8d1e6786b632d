"""Adding a judge run (``annotator judge-run add``): its wall time, peak RSS and how long it
holds the workspace's write lock, the longest a window's decision would wait meanwhile.

The lock is watched from outside, as a window would meet it: :class:`LockWatch` tries
``BEGIN IMMEDIATE`` on a connection of its own every few milliseconds while the command runs,
and keeps the longest stretch it was refused. ``python -m benchmarks.judge_runs WS RUN CASES
RUNS [REPO]`` runs this step alone (WS: a workspace of CASES imported cases, copied fresh for
each run; RUN: the judge's verdicts on them, ``generate.ensure_joined``'s judge file; REPO:
another checkout's annotator, to compare).
"""

from __future__ import annotations

import shutil
import sqlite3
import sys
import threading
import time
from pathlib import Path

from benchmarks.measure import REPO, Figure, run_process

POLL = 0.005
"""Seconds between the watcher's tries."""


class LockWatch:
    """The longest stretch, in seconds, that a workspace's write lock could not be taken."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> LockWatch:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        db = sqlite3.connect(self.path, timeout=0, isolation_level=None)
        refused_since: float | None = None
        try:
            while not self._stop.is_set():
                try:
                    db.execute("BEGIN IMMEDIATE")
                    db.execute("ROLLBACK")
                    refused_since = None
                except sqlite3.OperationalError:  # (locked, or busy)
                    now = time.perf_counter()
                    refused_since = now if refused_since is None else refused_since
                    self.longest = max(self.longest, now - refused_since)
                time.sleep(POLL)
        finally:
            db.close()


def measure(
    ws: Path, run_file: Path, work: Path, cases: int, runs: int, repo: Path = REPO
) -> list[Figure]:
    """``annotator judge-run add`` of ``run_file`` into a fresh copy of ``ws``, ``runs`` times
    (``repo``: the annotator run, another checkout to compare)."""
    label = f"{cases:,} cases"
    took = Figure("judge run", f"add a judge run, {label}", "s")
    rss = Figure("judge run", f"add a judge run peak RSS, {label}", "MB", target=300)
    locked = Figure("judge run", f"add a judge run, write lock held, {label}", "s")
    for n in range(runs):
        copy = work / f"judge-run-{cases}.annotator"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        for suffix in ("", "-wal"):
            if Path(f"{ws}{suffix}").exists():
                shutil.copyfile(f"{ws}{suffix}", f"{copy}{suffix}")
        with LockWatch(copy) as watch:
            done = run_process(
                ["-m", "annotator", "judge-run", "add", str(copy), str(run_file), "--name",
                 "run 2"], cwd=repo,
            )  # fmt: skip
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        print(
            f"add a judge run, {label}, run {n + 1}: {done.seconds:.1f} s, peak RSS "
            f"{done.peak_rss_mb:.0f} MB, write lock held {watch.longest:.2f} s",
            flush=True,
        )
        took.values.append(done.seconds)
        rss.values.append(done.peak_rss_mb)
        locked.values.append(watch.longest)
    return [took, rss, locked]


def main(argv: list[str]) -> int:
    ws, run_file, cases, runs = Path(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3])
    repo = Path(argv[4]) if len(argv) > 4 else REPO
    for figure in measure(ws, run_file, ws.parent, cases, runs, repo):
        print(f"{figure.name}: median {figure.show(figure.median)} of {figure.values}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
