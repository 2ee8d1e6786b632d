"""Getting a workspace into the state a benchmark needs: a share of its cases decided.

A lead's workspace at a million cases has decisions in it; the export benchmark writes them, and
opening, filtering and searching should be measured with them there. Deciding a hundred
thousand cases through ``ReviewService.decide`` (one durable transaction each) would take
minutes of the suite's budget, so they are written here in one transaction, with the same rows
``decide`` writes (decision, status, history, tags). The cases decided are the first of the
queue, as a reviewer who works through it leaves them; ``tests/test_benchmarks.py`` checks that
the review service reads them back.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

TAG = "rubric ambiguous"
DECIDED_AT = "2025-03-01T09:00:00Z"


def rationale(n: int) -> str:
    """The rationale of the ``n``-th decision; ``note 00042`` finds exactly one."""
    return f"Checked the answer against the reference; the raters are right (note {n:06d})."


def decide_share(workspace: Path, share: float, reviewer: str = "bench") -> int:
    """Decide the first ``share`` of the cases in queue order (most severe first), unless that
    many are decided already. Returns how many cases are decided."""
    db = sqlite3.connect(workspace, isolation_level=None)
    try:
        db.execute("PRAGMA synchronous = FULL")
        total = db.execute("SELECT count(*) FROM cases").fetchone()[0]
        wanted = int(total * share)
        done = db.execute("SELECT count(*) FROM cases WHERE status = 2").fetchone()[0]
        if done >= wanted:
            return int(done)
        rows = db.execute(
            "SELECT c.id, c.judge_label, c.consensus, s.labels FROM cases c "
            "JOIN scheme s ON s.criterion = c.criterion WHERE c.status != 2 "
            "ORDER BY c.severity DESC, c.position LIMIT ?",
            (wanted - done,),
        ).fetchall()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR IGNORE INTO tag (name, created_at) VALUES (?, ?)", (TAG, DECIDED_AT))
        decisions = []
        history = []
        for n, (row_id, judge, consensus, labels) in enumerate(rows, start=done):
            scale = json.loads(labels)
            label = consensus if consensus in scale else judge
            who = "judge" if label == judge else "raters"
            tags = [TAG] if n % 7 == 0 else []
            decision = {
                "label": label,
                "rationale": rationale(n),
                "who_right": who,
                "who_right_overridden": False,
                "tags": tags,
                "confidence": "high",
                "reviewer": reviewer,
                "decided_at": DECIDED_AT,
            }
            decisions.append(
                (row_id, label, decision["rationale"], who, json.dumps(tags), reviewer)
            )
            before = json.dumps({"status": 0, "decision": None})
            after = json.dumps({"status": 2, "decision": decision})
            history.append((row_id, before, after))
        db.executemany(
            "INSERT INTO decision (case_id, label, rationale, who_right, who_right_overridden, "
            f"tags, confidence, reviewer, decided_at) VALUES (?, ?, ?, ?, 0, ?, 'high', ?, "
            f"'{DECIDED_AT}')",
            decisions,
        )
        db.executemany(
            "INSERT INTO history (case_id, action, before, after, undone, at) "
            f"VALUES (?, 'decide', ?, ?, 0, '{DECIDED_AT}')",
            history,
        )
        db.executemany("UPDATE cases SET status = 2 WHERE id = ?", [(d[0],) for d in decisions])
        db.execute("COMMIT")
        return int(done + len(rows))
    finally:
        db.close()
