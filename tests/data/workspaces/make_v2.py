"""Make v2.annotator: a lead's sample project with reviewers' files merged in (schema 2).

    python tests/data/workspaces/make_v2.py

Schema 2 added the reviewers' decisions a lead merges (``review``, ``merge_source``) and each
case's review state. This fixture has them, beside the lead's own decision, a skip, undo history
and a draft, so that every later schema version can be tested to upgrade a real version-2
workspace (tests/test_schema.py). Do not regenerate it once a newer schema exists.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

os.environ.setdefault("ANNOTATOR_BASEDIR", tempfile.mkdtemp())

from annotator.domain.model import Confidence  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.merge.workspace import merge_into_workspace  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "resources" / "sample" / "sample.jsonl"


def _reviewer_file(folder: Path, name: str, decisions: list[tuple[str, str, str]]) -> Path:
    """A reviewer's labelled file: their own workspace of the sample, decided and exported."""
    ws = Workspace.open(folder / f"{name}.annotator")
    import_file(ws, SAMPLE)
    review = ReviewService(ws, name)
    for ext_id, label, rationale in decisions:
        review.decide(review.row_id(ext_id) or 0, label, rationale)
    out = folder / f"{name}.labelled.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    ana = _reviewer_file(
        folder,
        "Ana",
        [("faith-001", "fail", "Invented limit."), ("faith-002", "pass", "Supported.")],
    )
    ben = _reviewer_file(
        folder,
        "Ben",
        [("faith-001", "pass", "Close enough."), ("help-008", "2", "Misses a red flag.")],
    )
    work = folder / "v2.annotator"
    ws = Workspace.open(work)
    import_file(ws, SAMPLE)
    merge_into_workspace(ws, [ana, ben])
    lead = ReviewService(ws, "Fixture Lead")
    lead.decide(
        lead.row_id("faith-001") or 0,
        "fail",
        "The source gives no limit.",
        tags=["judge missed fact"],
        confidence=Confidence.HIGH,
    )
    lead.skip(lead.row_id("help-014") or 0)
    lead.decide(lead.row_id("pref-008") or 0, "A", "Only A says call 999.")
    lead.undo()  # pref-008 is undecided again, and can be redone
    lead.save_draft(lead.row_id("help-002") or 0, {"label": "3", "rationale": "half done"})
    ws.close()
    with sqlite3.connect(work) as conn:  # one self-contained file, no write-ahead log
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
    target = HERE / "v2.annotator"
    target.write_bytes(work.read_bytes())
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
