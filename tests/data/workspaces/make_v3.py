"""Make v3.annotator: a lead's sample project with everything schema 3 added.

    python tests/data/workspaces/make_v3.py

Schema 3 added the judge loop and blind-first review with rubric versions: judge runs and their
verdicts, the held-out split's settings, a calibration pack's examples, first labels committed
before a reveal, rubric versions and the version each decision and merged review was taken
under, and the search index built after an import. This fixture has each of them, beside
everything make_v2.py puts in a schema-2 workspace, so that every later schema version can be
tested to upgrade a real version-3 workspace (tests/test_schema.py). Do not regenerate it once
a newer schema exists.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

os.environ.setdefault("ANNOTATOR_BASEDIR", tempfile.mkdtemp())

from annotator.services.blind import set_blind  # noqa: E402
from annotator.services.calibration import write_pack  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.judge_runs import add_run, remove_run  # noqa: E402
from annotator.services.merge.workspace import merge_into_workspace  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.rubrics import edit  # noqa: E402
from annotator.services.search_index import build_search_index  # noqa: E402
from annotator.services.split import SplitSettings, set_split_settings  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLE = HERE.parents[2] / "resources" / "sample"


def _reviewer_file(folder: Path, name: str, decisions: list[tuple[str, str, str, str]]) -> Path:
    """A reviewer's labelled file from a blind-first review: first label, then the decision."""
    ws = Workspace.open(folder / f"{name}.annotator")
    import_file(ws, SAMPLE / "sample.jsonl")
    build_search_index(ws)
    set_blind(ws, blind_first=True)
    review = ReviewService(ws, name)
    for ext_id, first, label, rationale in decisions:
        row = review.row_id(ext_id) or 0
        review.reveal(row, first)
        review.decide(row, label, rationale)
    out = folder / f"{name}.labelled.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    ana = _reviewer_file(
        folder,
        "Ana",
        [
            ("faith-001", "fail", "fail", "Invented limit."),
            ("faith-002", "fail", "pass", "Supported after all."),
        ],
    )
    ben = _reviewer_file(folder, "Ben", [("faith-001", "pass", "pass", "Close enough.")])
    work = folder / "v3.annotator"
    ws = Workspace.open(work)
    import_file(ws, SAMPLE / "sample.jsonl")
    build_search_index(ws)
    set_split_settings(ws, SplitSettings(fraction=0.4, seed=7))
    merge_into_workspace(ws, [ana, ben])
    lead = ReviewService(ws, "Fixture Lead")
    lead.decide(lead.row_id("faith-001") or 0, "fail", "The source gives no limit.")
    lead.decide(lead.row_id("help-008") or 0, "2", "Misses a red flag.")
    edit(
        ws,
        "faithfulness",
        note="Say what an invented number is.",
        author="Fixture Lead",
        rubric="fail: any claim, number or dose the source does not state.",
    )
    lead.decide(lead.row_id("faith-003") or 0, "fail", "Changes the driving condition.")
    lead.skip(lead.row_id("help-014") or 0)
    lead.save_draft(lead.row_id("help-002") or 0, {"label": "3", "rationale": "half done"})
    add_run(ws, SAMPLE / "judge-run-2.jsonl", "prompt v2")
    add_run(ws, SAMPLE / "judge-run-2.jsonl", "dropped run")
    remove_run(ws, "dropped run")
    write_pack(ws, folder / "pack", k=2)
    set_blind(ws, blind_first=True, random_order=True)
    lead.reveal(lead.row_id("pref-002") or 0, "B")  # revealed, not decided yet
    late = folder / "late.jsonl"  # imported last: its search index is still to be built
    late.write_text(
        '{"id": "late-1", "input": "Is ibuprofen safe with warfarin?", "output": "Yes.", '
        '"criterion": "faithfulness", "judge": {"label": "pass"}, "ratings": ["fail"]}\n',
        encoding="utf-8",
    )
    import_file(ws, late)
    ws.close()
    with sqlite3.connect(work) as conn:  # one self-contained file, no write-ahead log
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
    target = HERE / "v3.annotator"
    target.write_bytes(work.read_bytes())
    print(f"wrote {target} ({target.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
