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
