"""The window builds the search index of imported cases in the background: the status bar says
"Indexing for search: N%", search finds the same cases meanwhile, the index ends complete; a
workspace opened with cases waiting is indexed too; leaving it stops the build between steps."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from annotator.services import search_index as service
from annotator.services.importer import import_file
from annotator.services.search_index import pending
from annotator.services.workspace import Workspace
from annotator.ui import search_indexer
from benchmarks.generate import write_project

pytestmark = pytest.mark.gui


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The window's build stops after its first step until the event is set."""
    release = threading.Event()
    real = service.build_search_index

    def build(ws: Workspace, progress: Any, cancelled: Any, **options: Any) -> bool:
        def hold(done: int, total: int) -> None:
            progress(done, total)
            while done and not release.wait(0.01) and not cancelled():
                pass

        return real(ws, hold, cancelled, **{**options, "rows": 150})

    monkeypatch.setattr(search_indexer, "build_search_index", build)
    return release


def matches(ws: Workspace, needle: str) -> set[str]:
    with ws.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT c.ext_id, t.search FROM cases c JOIN case_text t ON t.case_id = c.id")
        )
        return {ext_id for ext_id, search in rows if needle in search}


def shown_ids(window: Any) -> set[str]:
    model = window.model
    return {model._row(r, model.id_at(r)).ext_id for r in range(model.rowCount())}


def test_window_indexes_after_an_import_and_search_works_meanwhile(
    make_window: Any, qtbot: QtBot, tmp_path: Path, held: threading.Event
) -> None:
    cases = tmp_path / "project.jsonl"
    write_project(cases, 600, seed=4)
    window = make_window(cases, indexed=False)  # imported into its own workspace, then shown
    label = window.indexer.label
    qtbot.waitUntil(lambda: label.isVisible() and label.text().endswith("25%"), timeout=20000)
    assert label.text() == "Indexing for search: 25%"
    window.grab().save(str(tmp_path / "indexing.png"))
    ws = window.ws
    assert 0 < pending(ws).waiting < 600
    window.queue.scope.setCurrentIndex(2)  # all cases
    window.queue.search.setText("the")
    expected = matches(ws, "the")
    assert 0 < len(expected) < 600
    qtbot.waitUntil(lambda: shown_ids(window) == expected, timeout=10000)
    held.set()
    qtbot.waitUntil(lambda: not label.isVisible(), timeout=30000)
    assert pending(ws).waiting == 0
    with ws.engine.begin() as conn:  # complete, and as a full rebuild would have it
        conn.execute(
            text("INSERT INTO case_search(case_search, rank) VALUES ('integrity-check', 1)")
        )
    window.queue.search.setText("")
    window.queue.search.setText("the")
    qtbot.waitUntil(lambda: shown_ids(window) == expected, timeout=10000)


def test_a_workspace_opened_with_cases_waiting_is_indexed_and_leaving_stops_it(
    make_window: Any, qtbot: QtBot, tmp_path: Path, held: threading.Event
) -> None:
    cases = tmp_path / "project.jsonl"
    write_project(cases, 600, seed=4)
    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    import_file(ws, cases)  # as 'annotator import' stopped by Ctrl+C leaves it
    ws.close()
    window = make_window(path, indexed=False)
    label = window.indexer.label
    qtbot.waitUntil(lambda: label.text().endswith("25%"), timeout=20000)
    other = Workspace.open(tmp_path / "other.annotator")
    import_file(other, Path(__file__).resolve().parent.parent / "resources/sample/sample.jsonl")
    assert service.build_search_index(other)
    other.close()
    window.open_path(tmp_path / "other.annotator")  # the build stops between two steps
    assert window.ws.path == tmp_path / "other.annotator"
    assert not label.isVisible() and window.indexer.task is None
    again = Workspace.open(path)
    assert pending(again).waiting == 450  # what was indexed stays; the rest waits
    again.close()


def test_an_import_into_the_open_workspace_is_indexed_after(
    make_window: Any, qtbot: QtBot, tmp_path: Path
) -> None:
    from annotator.ui.import_dialog import ImportChoice

    path = tmp_path / "w.annotator"
    ws = Workspace.open(path)
    import_file(ws, Path(__file__).resolve().parent.parent / "resources/sample/sample.jsonl")
    assert service.build_search_index(ws)
    ws.close()
    window = make_window(path, indexed=False)
    assert not window.indexer.label.isVisible()
    more = tmp_path / "more.jsonl"
    write_project(more, 300, seed=5)
    window.files.run_import(window.ws, ImportChoice(more, None, False, None), switch=False)
    qtbot.waitUntil(lambda: not window.runner.tasks, timeout=20000)
    qtbot.waitUntil(lambda: window.indexer.task is None, timeout=20000)
    assert pending(window.ws) == (0, 354)
