"""Workspaces written by each released schema still open, with everything in them.

One fixture per released schema lives in tests/data/workspaces/ (made by make_v1.py). When the
schema changes, add a migration in annotator/storage/db.py (MIGRATIONS) and keep these tests:
they then prove that an old workspace is backed up, upgraded and still complete.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotator.domain.model import Confidence, Status, WhoRight
from annotator.services.review import ReviewService
from annotator.services.summary import summarize
from annotator.services.workspace import Workspace
from annotator.storage.db import SCHEMA_VERSION

FIXTURES = Path(__file__).resolve().parent / "data" / "workspaces"


@pytest.fixture
def v1(tmp_path: Path) -> Path:
    copy = tmp_path / "v1.annotator"
    shutil.copyfile(FIXTURES / "v1.annotator", copy)  # never open the fixture itself
    return copy


def test_v1_workspace_opens_complete(v1: Path) -> None:
    ws = Workspace.open(v1)
    review = ReviewService(ws, "today")
    assert ws.case_count() == 54
    assert set(ws.project().schemes) == {"faithfulness", "preference", "helpfulness"}

    faith = review.case(review.row_id("faith-001") or 0)
    assert faith.status is Status.DECIDED and faith.decision is not None
    assert (faith.decision.label, faith.decision.tags, faith.decision.confidence) == (
        "fail",
        ("judge missed fact",),
        Confidence.HIGH,
    )
    pref = review.case(review.row_id("pref-008") or 0).decision
    assert pref is not None and pref.who_right is WhoRight.NEITHER and pref.who_right_overridden
    assert review.case(review.row_id("help-014") or 0).status is Status.SKIPPED
    assert review.draft(review.row_id("help-002") or 0) == {"label": "3", "rationale": "half done"}

    redone = review.redo()  # the undone decision on help-008 can still be redone
    assert redone is not None and redone.ext_id == "help-008"
    assert summarize(ws).decided == 3
    ws.close()


def test_v1_search_index_is_intact(v1: Path) -> None:
    from sqlalchemy import text

    from annotator.services.queue import QueueFilter, queue_ids

    ws = Workspace.open(v1)
    with ws.engine.begin() as conn:
        conn.execute(text("INSERT INTO case_search(case_search) VALUES ('integrity-check')"))
    assert len(queue_ids(ws, QueueFilter(kinds=None, text="paracetamol"))) >= 1
    ws.close()


def test_the_fixture_is_of_the_current_schema_or_older() -> None:
    import sqlite3

    with sqlite3.connect(FIXTURES / "v1.annotator") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1 <= SCHEMA_VERSION


def test_v1_upgrades_to_the_schema_of_a_new_workspace(v1: Path, tmp_path: Path) -> None:
    """Backed up first, then the same tables, columns and indexes as a workspace made today."""
    import sqlite3

    Workspace.open(v1).close()
    assert list(tmp_path.glob("v1.annotator.v1.bak"))
    Workspace.open(tmp_path / "new.annotator").close()

    def schema(path: Path) -> tuple[object, ...]:
        with sqlite3.connect(path) as conn:
            objects = conn.execute(
                "SELECT type, name, tbl_name FROM sqlite_master "
                "WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            ).fetchall()
            columns = {
                name: conn.execute(f"PRAGMA table_info({name})").fetchall()
                for kind, name, _ in objects
                if kind == "table"
            }
            version = conn.execute("PRAGMA user_version").fetchone()[0]
        return objects, columns, version

    assert schema(v1) == schema(tmp_path / "new.annotator")
    assert schema(v1)[2] == SCHEMA_VERSION == 2
