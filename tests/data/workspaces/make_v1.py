"""Make v1.annotator: the sample project with decisions, a skip, history and a draft.

    python tests/data/workspaces/make_v1.py

Kept so that every later schema version can be tested to upgrade a real version-1 workspace
(tests/test_schema.py). Do not regenerate it once a newer schema exists.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

os.environ.setdefault("ANNOTATOR_BASEDIR", tempfile.mkdtemp())

from annotator.domain.model import Confidence, WhoRight  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "resources" / "sample" / "sample.jsonl"


def main() -> None:
    work = Path(tempfile.mkdtemp()) / "v1.annotator"
    ws = Workspace.open(work)
    import_file(ws, SAMPLE)
    review = ReviewService(ws, "Fixture Reviewer")
    review.decide(
        review.row_id("faith-001") or 0,
        "fail",
        "Invented 2 g limit.",
        tags=["judge missed fact"],
        confidence=Confidence.HIGH,
    )
    review.decide(
        review.row_id("pref-008") or 0, "A", "Only A says call 999.", who_right=WhoRight.NEITHER
    )
    review.skip(review.row_id("help-014") or 0)
    review.decide(review.row_id("help-008") or 0, "2", "Misses a red flag.")
    review.undo()  # help-008 is undecided again, and can be redone
    review.save_draft(review.row_id("help-002") or 0, {"label": "3", "rationale": "half done"})
    ws.close()
    with sqlite3.connect(work) as conn:  # one self-contained file, no write-ahead log
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
    target = HERE / "v1.annotator"
    target.write_bytes(work.read_bytes())
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
