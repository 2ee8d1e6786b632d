"""The search index built after an import, in steps: search finds exactly the same cases with
the index at 0 %, part-built and complete; a kill at any moment loses nothing and the next build
finishes it; deleting or replacing cases while rows wait keeps the index consistent; workspaces
from before open with nothing waiting."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.search_index import build_search_index, pending
from annotator.services.workspace import Workspace
from annotator.storage import search_index
from benchmarks.generate import write_project

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "workspaces"
INTEGRITY_CHECK = "INSERT INTO case_search(case_search, rank) VALUES ('integrity-check'"
NEEDLES = ["the", "THE", "tion", "ab", "e", "zzqx", "patient", "%", "_", "it's", "ü", "ß"]


def complete_and_consistent(ws: Workspace) -> None:
    """The index holds exactly the case text (rank 1: checked against ``case_text`` too, as
    a full rebuild would have it)."""
    with ws.engine.begin() as conn:
        conn.execute(text(f"{INTEGRITY_CHECK}, 1)"))


def consistent_so_far(ws: Workspace) -> None:
    """The part built is sound (rank 0: the rows waiting are not in it, rightly)."""
    with ws.engine.begin() as conn:
        conn.execute(text(f"{INTEGRITY_CHECK}, 0)"))


def substring_matches(ws: Workspace, needle: str) -> list[int]:
    """The cases whose folded search text holds the needle, by plain Python."""
    folded = needle.casefold()
    with ws.engine.connect() as conn:
        rows = conn.execute(text("SELECT case_id, search FROM case_text ORDER BY case_id"))
        return [int(i) for i, s in rows if folded in s]


def searched(ws: Workspace, needle: str) -> list[int]:
    return list(queue_ids(ws, QueueFilter(kinds=None, text=needle)))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "project.jsonl"
    write_project(path, 600, seed=3)
    return path


def test_search_is_the_same_at_0_part_and_complete(project: Path, tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, project)
    assert pending(ws).waiting == pending(ws).cases == 600
    at_zero = {n: searched(ws, n) for n in NEEDLES}
    for needle in NEEDLES:  # what a reader of the text would find (no decision: no rationale)
        assert sorted(at_zero[needle]) == substring_matches(ws, needle), needle
    assert any(at_zero[n] for n in NEEDLES) and not at_zero["zzqx"]
    while pending(ws).waiting > 200:  # part-built: the same at every step
        assert search_index.index_step(ws.engine, rows=97)
        consistent_so_far(ws)
        assert {n: searched(ws, n) for n in NEEDLES} == at_zero
    assert build_search_index(ws)
    assert pending(ws).waiting == 0
    complete_and_consistent(ws)
    assert {n: searched(ws, n) for n in NEEDLES} == at_zero
    ws.close()


def test_progress_counts_the_cases_and_cancel_stops_between_steps(
    project: Path, tmp_path: Path
) -> None:
    ws = Workspace.open(tmp_path / "w.annotator")
    import_file(ws, project)
    seen: list[tuple[int, int]] = []
    assert not build_search_index(ws, lambda d, t: seen.append((d, t)), lambda: len(seen) > 2,
                                  rows=100)  # fmt: skip
    assert seen == [(0, 600), (100, 600), (200, 600)]
    assert pending(ws).waiting == 400
    seen.clear()
    assert build_search_index(ws, lambda d, t: seen.append((d, t)), rows=250)
    assert seen == [(0, 400), (250, 400), (400, 400)]
    complete_and_consistent(ws)
    ws.close()


def test_replacing_and_deleting_cases_while_rows_wait(project: Path, tmp_path: Path) -> None:
    """Re-imported with --replace (the cases deleted, some indexed, some not, and added
    again), and cases deleted: the index stays sound, and complete once built."""
    ws = Workspace.open(tmp_path / "w.annotator")
    cases = tmp_path / "cases.jsonl"
    shutil.copyfile(project, cases)
    import_file(ws, cases)
    search_index.index_step(ws.engine, rows=250)  # part-built
    lines = project.read_text(encoding="utf-8").splitlines(keepends=True)
    cases.write_text("".join(lines[:-5]).replace("the ", "teh "), encoding="utf-8")
    import_file(ws, cases, replace=True)
    consistent_so_far(ws)
    assert sorted(searched(ws, "teh ")) == substring_matches(ws, "teh ")
    search_index.index_step(ws.engine, rows=100)
    rng = random.Random(5)
    with ws.engine.begin() as conn:
        ids = [i for (i,) in conn.execute(text("SELECT id FROM cases"))]
        for row_id in rng.sample(ids, 50):  # indexed and waiting alike
            conn.execute(text("DELETE FROM cases WHERE id = :i"), {"i": row_id})
    consistent_so_far(ws)
    assert build_search_index(ws)
    complete_and_consistent(ws)
    for needle in NEEDLES:
        assert sorted(searched(ws, needle)) == substring_matches(ws, needle), needle
    ws.close()


@pytest.mark.parametrize("version", [1, 2])
def test_a_workspace_from_before_opens_with_nothing_waiting(version: int, tmp_path: Path) -> None:
    old = tmp_path / f"v{version}.annotator"
    shutil.copyfile(FIXTURES / old.name, old)
    ws = Workspace.open(old)
    assert pending(ws).waiting == 0 and pending(ws).cases > 0
    complete_and_consistent(ws)
    assert build_search_index(ws)  # nothing to do
    ws.close()


_KILLED_BUILD = """
import os, sys
from annotator.services.search_index import build_search_index
from annotator.services.workspace import Workspace
ws = Workspace.open(sys.argv[1])
def progress(done, total):
    if done >= 300:
        print("half", flush=True)
        sys.stdin.readline()  # killed here, between steps, or in the next one
build_search_index(ws, progress, rows=50)
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("inside_a_step", [False, True])
def test_a_build_killed_loses_nothing_and_finishes_next_time(
    project: Path, tmp_path: Path, inside_a_step: bool
) -> None:
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    import_file(ws, project)
    ws.close()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_BUILD, str(path)], cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdin is not None
    assert proc.stdout.readline() == "half\n"
    if inside_a_step:  # let it go on into the next steps, then kill it mid-way
        proc.stdin.write("\n")
        proc.stdin.flush()
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    ws = Workspace.open(path)
    assert ws.case_count() == 600
    consistent_so_far(ws)
    assert 0 < pending(ws).waiting <= 300
    assert sorted(searched(ws, "the")) == substring_matches(ws, "the")
    assert build_search_index(ws)
    complete_and_consistent(ws)
    ws.close()
