"""An import killed half-way (SIGKILL: no handler runs) loses nothing and leaves nothing large:
the workspace made for it holds no case, the next import reuses it, and its write-ahead log is
truncated when it is next opened."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from annotator.services.workspace import Workspace, default_workspace_for
from annotator.storage.db import WAL_LEFT_BYTES

pytestmark = pytest.mark.skipif(os.name != "posix", reason="SIGKILL")

ROOT = Path(__file__).resolve().parent.parent
CASES = 40_000


def big_case_file(path: Path) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"project": {"title": "Big", "labels": ["fail", "pass"]}}) + "\n")
        for i in range(CASES):
            record = {
                "id": f"c{i:06d}",
                "input": f"question {i} " * 20,
                "output": f"answer {i} " * 20,
                "judge": {"label": "pass" if i % 3 else "fail", "rationale": "because " * 10},
                "ratings": [{"rater": "a", "label": "fail"}, {"rater": "b", "label": "pass"}],
            }
            fh.write(json.dumps(record) + "\n")
    return path


def run_import(base: Path, cases: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "annotator", "--basedir", str(base), "import", str(cases), *extra],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "ANNOTATOR_BASEDIR": str(base)},
    )


def written(target: Path) -> int:
    """Bytes in the workspace's files: the database, its write-ahead log, its journal."""
    sizes = (Path(f"{target}{suffix}") for suffix in ("", "-wal", "-journal"))
    return sum(p.stat().st_size for p in sizes if p.exists())


def kill_when_writing(proc: subprocess.Popen[bytes], target: Path, timeout: float = 120) -> None:
    """SIGKILL ``proc`` once the workspace's files hold a few MB of the import's rows (in the
    database file itself, where a first import writes them: ``db.filling``; or in its log)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the import ended before it could be killed: {proc.stderr!r}")
        if written(target) > 4 * 1024 * 1024:
            proc.send_signal(signal.SIGKILL)
            proc.wait(30)
            return
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the import never started writing")


@pytest.mark.parametrize("named", [True, False], ids=["given-workspace", "default-workspace"])
def test_a_killed_import_leaves_an_empty_workspace_the_next_import_reuses(
    tmp_path: Path, named: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path / "base"
    monkeypatch.setenv("ANNOTATOR_BASEDIR", str(base))
    cases = big_case_file(tmp_path / "cases.jsonl")
    target = tmp_path / "ws.annotator" if named else default_workspace_for(cases)
    extra = ("-w", str(target)) if named else ()
    wal = Path(f"{target}-wal")

    kill_when_writing(run_import(base, cases, *extra), target)

    if target.exists():  # what is left is an empty workspace, and nothing large
        assert Path(f"{target}-journal").exists()  # (killed filling it: db.filling)
        ws = Workspace.open(target)  # (the journal a first import leaves is rolled back)
        assert ws.case_count() == 0 and ws.never_imported()
        ws.close()
        assert not wal.exists() or wal.stat().st_size <= WAL_LEFT_BYTES
        assert not Path(f"{target}-journal").exists()
        assert target.stat().st_size < 2 * 1024 * 1024
    again = run_import(base, cases, *extra)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err.decode()
    assert [p.name for p in target.parent.glob("*.annotator")] == [target.name]
    ws = Workspace.open(target)
    assert ws.case_count() == CASES
    ws.close()
    assert not wal.exists() or wal.stat().st_size <= WAL_LEFT_BYTES


def test_ctrl_c_while_the_workspace_is_made_leaves_none(tmp_path, monkeypatch):
    """A Ctrl+C inside ``Workspace.open`` (the new file half made: its schema being written)
    leaves no workspace behind; one that was there before is left alone."""
    from annotator.services import import_target

    made = tmp_path / "new.annotator"
    real_open = Workspace.open

    def interrupted(path, **kw):
        real_open(path, **kw).close()  # the file exists, as it would when the signal came
        raise KeyboardInterrupt

    monkeypatch.setattr(import_target.Workspace, "open", interrupted)
    cases = tmp_path / "cases.jsonl"
    cases.write_text("", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        import_target.ImportTarget.open(cases, made)
    assert list(tmp_path.iterdir()) == [cases]

    real_open(made).close()  # one there before is not the import's to remove
    with pytest.raises(KeyboardInterrupt):
        import_target.ImportTarget.open(cases, made)
    assert made.exists()


def test_ctrl_c_while_the_command_starts_is_the_clean_stop():
    """SIGINT while ``annotator.cli`` is still importing its modules: one line and status 130,
    not a traceback (the import of a module raises KeyboardInterrupt, as the signal would)."""
    code = (
        "import builtins, sys\n"
        "real = builtins.__import__\n"
        "def imp(name, *a, **k):\n"
        "    if name == 'annotator.services.importer':\n"
        "        raise KeyboardInterrupt\n"
        "    return real(name, *a, **k)\n"
        "builtins.__import__ = imp\n"
        "from annotator.cli import main\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 130
    assert done.stderr == "annotator: interrupted\n"
