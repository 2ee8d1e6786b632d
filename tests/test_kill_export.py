"""A killed export leaves the old file or the whole new one, and its temporary file goes at the
next export; Ctrl+C and SIGTERM clean up at once. (fileio._replacing, console.guarded)"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from annotator import fileio
from annotator.cli import main
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

CASES = 8_000
OLD = "the previous export\n"


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    """A workspace whose export takes a moment, and that export's bytes."""
    folder = tmp_path_factory.mktemp("big")
    rows = [case(f"c{i:05}", judge="pass" if i % 3 else "fail") for i in range(CASES)]
    cases = write_jsonl(folder / "cases.jsonl", rows, PASS_FAIL)
    path = folder / "big.annotator"
    ws = Workspace.open(path)
    import_file(ws, cases)
    export_decisions(ws, folder / "reference.jsonl", include_undecided=True)
    ws.close()
    return path, (folder / "reference.jsonl").read_bytes()


def _temps(out: Path) -> list[Path]:
    return [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def _export(workspace: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "annotator", "export", str(workspace), "-o", str(out), "--all"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _size(out: Path) -> int:
    """The size of the export's temporary file; -1 while there is none."""
    sizes = []
    for p in _temps(out):
        with contextlib.suppress(FileNotFoundError):  # renamed meanwhile
            sizes.append(p.stat().st_size)
    return max(sizes, default=-1)


def _when(ready: Callable[[], bool], proc: subprocess.Popen[bytes], timeout: float = 60) -> bool:
    """Poll until ``ready`` (True) or the process ended (False)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ready():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    raise AssertionError("the export neither started writing nor ended")


def test_a_killed_export_leaves_the_old_file_or_the_new_one(
    big: tuple[Path, bytes], tmp_path: Path
) -> None:
    workspace, new = big
    # Killed when its temporary file appears, a third of the way, two thirds of the way; the
    # first target did not exist, the others hold an old export. (Three at once: quicker.)
    moments = {tmp_path / "a.jsonl": 0.0, tmp_path / "b.jsonl": 1 / 3, tmp_path / "c.jsonl": 2 / 3}
    for out in list(moments)[1:]:
        out.write_text(OLD, encoding="utf-8")
    running = {out: _export(workspace, out) for out in moments}
    left_behind = 0
    end = time.monotonic() + 60
    while running and time.monotonic() < end:
        for out, proc in list(running.items()):
            if _size(out) >= moments[out] * len(new) or proc.poll() is not None:
                proc.kill()
                proc.wait()
                left_behind += bool(_temps(out))
                del running[out]
        time.sleep(0.001)
    assert not running, "an export neither started writing nor ended"
    for out in moments:
        if out.exists():
            assert out.read_bytes() in (OLD.encode(), new), "a half-written file replaced it"
        assert main(["export", str(workspace), "-o", str(out), "--all"]) == 0
        assert out.read_bytes() == new
        assert _temps(out) == []  # the killed one's temporary file is gone too
    assert left_behind >= 1, "no kill landed while an export was writing"


def test_ctrl_c_and_sigterm_clean_up_at_once(big: tuple[Path, bytes], tmp_path: Path) -> None:
    workspace, new = big
    said = {signal.SIGINT: (130, "interrupted"), signal.SIGTERM: (143, "terminated")}
    outs = {sig: tmp_path / f"{sig.name}.jsonl" for sig in said}
    for out in outs.values():
        out.write_text(OLD, encoding="utf-8")
    running = {sig: _export(workspace, out) for sig, out in outs.items()}
    for sig, proc in running.items():
        if _when(lambda out=outs[sig]: _size(out) >= 0, proc):  # type: ignore[misc]
            proc.send_signal(sig)
    for sig, proc in running.items():
        _, err = proc.communicate(timeout=60)
        out = outs[sig]
        assert _temps(out) == []
        if proc.returncode == 0:
            assert out.read_bytes() == new  # it finished first
            continue
        assert (proc.returncode, err.decode()) == (said[sig][0], f"annotator: {said[sig][1]}\n")
        assert out.read_text(encoding="utf-8") == OLD


# -- the rule for stale temporary files -----------------------------------------------------------


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_only_this_targets_temporary_files_of_dead_writers_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    host = fileio._host()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        files = {
            "dead here": fileio.temp_name(out, host, _dead_pid(), "abcd1234"),
            "alive here": fileio.temp_name(out, host, alive.pid, "abcd1234"),
            "mine": fileio.temp_name(out, host, os.getpid(), "abcd1234"),
            "elsewhere, fresh": fileio.temp_name(out, "otherhost", 1, "abcd1234"),
            "elsewhere, old": fileio.temp_name(out, "otherhost", 2, "abcd1234"),
            "earlier version, fresh": ".out.jsonl.k3j_9x0q.tmp",
            "earlier version, old": ".out.jsonl.z3j_9x0q.tmp",
            "another target": fileio.temp_name(
                tmp_path / "other.jsonl", host, _dead_pid(), "x" * 8
            ),
            "not ours": ".out.jsonl.annotator-notes.tmp",
            "the target": "out.jsonl",
        }
        for name in files.values():
            (tmp_path / name).write_text("x", encoding="utf-8")
        two_days_ago = time.time() - 2 * 24 * 3600
        for key in ("elsewhere, old", "earlier version, old"):
            os.utime(tmp_path / files[key], (two_days_ago, two_days_ago))
        removed = fileio.remove_stale_temps(out)
    finally:
        alive.kill()
        alive.wait()
    gone = {key for key, name in files.items() if not (tmp_path / name).exists()}
    assert gone == {"dead here", "elsewhere, old", "earlier version, old"}
    assert sorted(removed) == sorted(tmp_path / files[k] for k in gone)


def test_a_long_name_still_makes_a_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / ("é" * 120 + ".jsonl")  # 246 bytes: the longest names are 255
    with fileio.atomic_write(out) as fh:
        fh.write("ok\n")
        (temp,) = _temps(out) or [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert ".annotator-" in temp.name and len(temp.name.encode()) <= 255
    assert out.read_text(encoding="utf-8") == "ok\n"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]
