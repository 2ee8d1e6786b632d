"""Small builders for test files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def case(
    cid: str,
    judge: str = "pass",
    raters: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    raters = {"alice": "fail", "bob": "fail"} if raters is None else raters
    return {
        "id": cid,
        "input": f"question {cid}",
        "output": f"answer {cid}",
        "judge": {"label": judge, "rationale": f"judge says {judge}"},
        "ratings": [{"rater": r, "label": label} for r, label in raters.items()],
        **extra,
    }


def write_jsonl(
    path: Path, rows: list[dict[str, Any]], header: dict[str, Any] | None = None
) -> Path:
    lines = [json.dumps({"project": header})] if header is not None else []
    lines += [json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


PASS_FAIL = {"title": "Test project", "labels": ["fail", "pass"], "rubric": "Pass if correct."}


def reviewer_file(pack: Path, folder: Path, reviewer: str, labels: dict[str, str]) -> Path:
    """What a reviewer sends back: their own workspace of the pack, decided and exported as
    ``folder/decisions.jsonl`` (every reviewer names the file the same)."""
    from annotator.services.exporter import export_decisions
    from annotator.services.importer import import_file
    from annotator.services.review import ReviewService
    from annotator.services.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(folder / f"{reviewer}.annotator")
    import_file(ws, pack)
    review = ReviewService(ws, reviewer)
    for cid, label in labels.items():
        review.decide(review.row_id(cid) or 0, label, f"{reviewer} on {cid}", tags=["t-" + label])
    out = folder / "decisions.jsonl"
    export_decisions(ws, out)
    ws.close()
    return out


DOCS = Path(__file__).resolve().parents[1] / "docs"


def doc_table(doc: str, section: str, header: str) -> list[list[str]]:
    """The rows of the table whose header row is ``header`` in the ``section`` ("## Presets")
    of docs/``doc``, each a list of its cells (backquotes removed): what a test checks, read
    from the docs so that the two cannot drift apart."""
    text = (DOCS / doc).read_text(encoding="utf-8")
    table = text.split(f"\n{section}\n", 1)[1].split(header + "\n", 1)[1]
    rows = []
    for line in table.splitlines()[1:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip().strip("`") for c in line.strip().strip("|").split(" | ")])
    return rows


REVIEW_PLAN = {
    "ana": {"c1": "fail", "c2": "fail", "c3": "pass", "c4": "pass", "c6": "pass"},
    "ben": {"c1": "fail", "c2": "pass", "c3": "fail", "c6": "pass"},
    "cai": {"c1": "fail", "c2": "fail"},
}
"""Who decides what in a six-case pack: c1 all agree, c2 and c3 conflict, c4 one reviewer,
c5 nobody, c6 two agree."""


def key(qtbot: Any, window: Any, sequence: str) -> None:
    """Press a key sequence where the focus is, as the user would."""
    from PySide6.QtGui import QKeySequence
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    combo = QKeySequence(sequence)[0]
    widget = QApplication.focusWidget() or window
    QTest.keyClick(widget, combo.key(), combo.keyboardModifiers())
