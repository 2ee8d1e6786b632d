"""Getting a workspace into the state a benchmark needs: a share of its cases decided.

A lead's workspace at a million cases has decisions in it; the export benchmark writes them, and
opening, filtering and searching should be measured with them there. Deciding a hundred
thousand cases through ``ReviewService.decide`` (one durable transaction each) would take
minutes of the suite's budget, so they are written here in one transaction, through the
storage functions ``decide`` writes with (decision, status, history, tags). The cases decided
are the first of the queue, as a reviewer who works through it leaves them;
``tests/test_benchmarks.py`` checks that the review service reads them back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from annotator.domain.disagreement import classify
from annotator.domain.model import LabelScheme, Status
from annotator.domain.queue import QueueRow
from annotator.services.queue import QueueFilter, queue_ids, queue_rows
from annotator.services.workspace import Workspace
from annotator.storage import decisions
from annotator.storage.db import writing

TAG = "rubric ambiguous"
DECIDED_AT = "2025-03-01T09:00:00Z"


def rationale(n: int) -> str:
    """The rationale of the ``n``-th decision; ``note 00042`` finds exactly one."""
    return f"Checked the answer against the reference; the raters are right (note {n:06d})."


def decide_share(workspace: Path, share: float, reviewer: str = "bench") -> int:
    """Decide the first ``share`` of the cases in queue order (most severe first), unless that
    many are decided already. Returns how many cases are decided."""
    ws = Workspace.open(workspace)
    try:
        total = ws.case_count()
        done = len(queue_ids(ws, QueueFilter(kinds=None, status=Status.DECIDED)))
        wanted = int(total * share)
        if done >= wanted:
            return done
        chosen = queue_ids(ws, QueueFilter(kinds=None, status=Status.UNDECIDED))[: wanted - done]
        schemes = ws.project().schemes
        states: list[tuple[int, dict[str, Any]]] = []
        for start in range(0, len(chosen), 5000):
            rows = queue_rows(ws, chosen[start : start + 5000])
            for n, row_id in enumerate(chosen[start : start + 5000], start=done + start):
                states.append((row_id, _decided(n, rows[row_id], schemes, reviewer)))
        undecided = {"status": int(Status.UNDECIDED), "decision": None}
        with writing(ws.engine) as conn:
            decisions.add_tags(conn, [(TAG, DECIDED_AT)])
            decisions.apply_states(conn, states)
            history = [(row_id, "decide", undecided, state) for row_id, state in states]
            decisions.record(conn, history, DECIDED_AT)
        return done + len(states)
    finally:
        ws.close()


def _decided(
    n: int, row: QueueRow, schemes: dict[str, LabelScheme], reviewer: str
) -> dict[str, Any]:
    """The state of the ``n``-th decided case: the raters' consensus if it is a label, else
    the judge's."""
    scheme = schemes[row.criterion]
    consensus = classify(row.judge_label, [label for _, label in row.ratings], scheme).consensus
    label = consensus if consensus in scheme.labels else row.judge_label
    decision = {
        "label": label,
        "rationale": rationale(n),
        "who_right": "judge" if label == row.judge_label else "raters",
        "who_right_overridden": False,
        "tags": [TAG] if n % 7 == 0 else [],
        "confidence": "high",
        "reviewer": reviewer,
        "decided_at": DECIDED_AT,
    }
    return {"status": int(Status.DECIDED), "decision": decision}


def main(argv: list[str]) -> int:
    """``python -m benchmarks.setup WORKSPACE SHARE``: decide the share, print how many are."""
    workspace, share = argv
    print(decide_share(Path(workspace), float(share)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
