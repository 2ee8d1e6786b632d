"""Ctrl+C while 'annotator import' builds the search index (after its commit): one line, exit
status 130, the cases stay imported, and the index is finished the next time."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.services.search_index import build_search_index, pending
from annotator.services.workspace import Workspace
from tests.helpers import PASS_FAIL, case, write_jsonl
from tests.test_cli_progress import Terminal, _lines

pytestmark = pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")

CASES = 20_000


def test_ctrl_c_while_indexing_keeps_the_cases(tmp_path: Path) -> None:
    rows = [
        case(f"c{i:05}", input=f"question {i} about a topic", judge="pass" if i % 3 else "fail")
        for i in range(CASES)
    ]
    cases = write_jsonl(tmp_path / "cases.jsonl", rows, PASS_FAIL)
    made = tmp_path / "w.annotator"
    terminal = Terminal(["import", str(cases), "-w", str(made)], tmp_path)
    assert terminal.read_until(b"indexing for search"), terminal.said
    terminal.proc.send_signal(signal.SIGINT)
    status, out = terminal.finish()
    if status == 0:
        pytest.skip("the index was complete before the signal came")  # (a very fast machine)
    assert status == 130
    assert out.startswith(b"Imported")  # the report came at the commit
    said = [line for line in _lines(terminal.said) if line]
    assert len(said) == 1 and said[0].startswith("annotator: interrupted while indexing"), said
    ws = Workspace.open(made)
    assert ws.case_count() == CASES
    assert 0 < pending(ws).waiting <= CASES
    assert build_search_index(ws)
    with ws.engine.begin() as conn:
        conn.execute(
            text("INSERT INTO case_search(case_search, rank) VALUES ('integrity-check', 1)")
        )
    ws.close()
