"""Workspaces written by each released schema still open, with everything in them.

One fixture per released schema lives in tests/data/workspaces/ (made by make_v1.py,
make_v2.py and make_v3.py). When the
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


def judge_run_name(path: Path) -> str:
    """The imported run's name by the judge-run rule: the model all cases name, if one."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        query = "SELECT json_extract(data, '$.judge.model') FROM case_text"
        models = {m for (m,) in conn.execute(query)}
    return str(models.pop()) if len(models) == 1 and models != {None} else "imported judge"


@pytest.fixture
def v2(tmp_path: Path) -> Path:
    copy = tmp_path / "v2.annotator"
    shutil.copyfile(FIXTURES / "v2.annotator", copy)
    return copy


def test_v2_workspace_opens_complete(v2: Path) -> None:
    """A lead's schema-2 workspace: the merged reviews, the lead's own work, all still there."""
    from sqlalchemy import text

    ws = Workspace.open(v2)
    review = ReviewService(ws, "today")
    with ws.engine.connect() as conn:
        merged = conn.execute(
            text(
                "SELECT c.ext_id, r.reviewer, r.label, r.rubric_version, r.blind_label "
                "FROM review r JOIN cases c ON c.id = r.case_id ORDER BY 1, 2"
            )
        ).all()
        versions = conn.execute(text("SELECT DISTINCT rubric_version FROM decision")).all()
        project = conn.execute(
            text("SELECT heldout_fraction, split_seed, blind_first, random_order FROM project")
        ).one()
        runs = conn.execute(text("SELECT name, imported, position FROM judge_run")).all()
    assert [tuple(row) for row in merged] == [
        ("faith-001", "Ana", "fail", None, None),
        ("faith-001", "Ben", "pass", None, None),
        ("faith-002", "Ana", "pass", None, None),
        ("help-008", "Ben", "2", None, None),
    ]
    assert [tuple(v) for v in versions] == [(1,)]  # decided before versions: the first
    assert tuple(project) == (0.5, 0, 0, 0)
    assert [tuple(r) for r in runs] == [(judge_run_name(v2), 1, 0)]  # made by the upgrade
    faith = review.case(review.row_id("faith-001") or 0).decision
    assert faith is not None and faith.label == "fail" and faith.reviewer == "Fixture Lead"
    assert review.case(review.row_id("help-014") or 0).status is Status.SKIPPED
    assert review.draft(review.row_id("help-002") or 0) == {"label": "3", "rationale": "half done"}
    redone = review.redo()
    assert redone is not None and redone.ext_id == "pref-008"
    ws.close()


@pytest.fixture
def v3(tmp_path: Path) -> Path:
    copy = tmp_path / "v3.annotator"
    shutil.copyfile(FIXTURES / "v3.annotator", copy)
    return copy


def test_v3_workspace_opens_complete(v3: Path) -> None:
    """A lead's schema-3 workspace: judge runs (one removed), the split's settings, a pack's
    examples, first labels (merged and the lead's own), rubric versions, and an import whose
    search index was still to be built, which opening for writing finishes."""
    from sqlalchemy import text

    from annotator.services.blind import blind_settings
    from annotator.services.judge_runs import list_runs, removed_runs
    from annotator.services.queue import QueueFilter, queue_ids
    from annotator.services.rubrics import current, stale_count
    from annotator.services.search_index import build_search_index
    from annotator.services.split import split_settings

    ws = Workspace.open(v3)
    review = ReviewService(ws, "today")
    assert ws.case_count() == 55
    assert [(r.name, r.imported, r.cases) for r in list_runs(ws)] == [
        ("imported judge", True, 55),
        ("prompt v2", False, 54),
    ]
    assert [r.name for r in removed_runs(ws)] == ["dropped run"]
    assert (split_settings(ws).fraction, split_settings(ws).seed) == (0.4, 7)
    settings = blind_settings(ws)
    assert (settings.blind_first, settings.random_order) == (True, True)
    assert current(ws, "faithfulness").version == 2
    assert stale_count(ws, "faithfulness") == 1  # faith-001, decided under version 1
    pref = review.case(review.row_id("pref-002") or 0)
    assert pref.first is not None and pref.first.label == "B" and pref.decision is None
    with ws.engine.connect() as conn:
        merged = conn.execute(
            text(
                "SELECT c.ext_id, r.reviewer, r.blind_label, r.rubric_version FROM review r "
                "JOIN cases c ON c.id = r.case_id ORDER BY 1, 2"
            )
        ).all()
        examples = conn.execute(text("SELECT count(*) FROM calibration_example")).scalar()
    assert [tuple(row) for row in merged] == [
        ("faith-001", "Ana", "fail", 1),
        ("faith-001", "Ben", "pass", 1),
        ("faith-002", "Ana", "fail", 1),
    ]
    assert examples == 2
    assert review.draft(review.row_id("help-002") or 0) == {"label": "3", "rationale": "half done"}
    assert len(queue_ids(ws, QueueFilter(kinds=None, text="warfarin"))) >= 2  # late-1 included
    build_search_index(ws)
    with ws.engine.begin() as conn:
        conn.execute(text("INSERT INTO case_search(case_search) VALUES ('integrity-check')"))
        assert conn.execute(text("SELECT search_pending_from FROM project")).scalar() is None
    assert review.row_id("late-1") in queue_ids(ws, QueueFilter(kinds=None, text="warfarin"))
    ws.close()


@pytest.mark.parametrize("version", [1, 2, 3])
def test_the_fixtures_are_of_the_current_schema_or_older(version: int) -> None:
    import sqlite3

    with sqlite3.connect(FIXTURES / f"v{version}.annotator") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version <= SCHEMA_VERSION


@pytest.mark.parametrize("version", [1, 2, 3])
def test_fixtures_upgrade_to_the_schema_of_a_new_workspace(version: int, tmp_path: Path) -> None:
    """Backed up first (when older), then the same tables, columns and indexes as a workspace
    made today."""
    import sqlite3

    old = tmp_path / f"v{version}.annotator"
    shutil.copyfile(FIXTURES / old.name, old)
    Workspace.open(old).close()
    backups = list(tmp_path.glob(f"v{version}.annotator.v{version}.bak"))
    assert len(backups) == (1 if version < SCHEMA_VERSION else 0)
    for backup in backups:
        with sqlite3.connect(backup) as conn:  # the backup is the workspace as it was
            assert conn.execute("PRAGMA user_version").fetchone()[0] == version
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
            triggers = conn.execute(  # (their text too: the search index's WHEN)
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
            ).fetchall()
        return objects, columns, version, triggers

    assert schema(old) == schema(tmp_path / "new.annotator")
    assert schema(old)[2] == SCHEMA_VERSION == 3
    assert [name for name, _sql in schema(old)[3]] == ["case_text_ad", "case_text_au"]
