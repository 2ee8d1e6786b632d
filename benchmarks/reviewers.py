"""Reviewers' labelled files made from a benchmark workspace, for the merge benchmark.

    python -m benchmarks.reviewers FOLDER WORKSPACE REVIEWERS CONFLICT_RATE SEED

prints what :func:`ensure_reviewer_files` made, as JSON. The suite runs it in a process of
its own (as every step), so that the runner stays small: a child's peak RSS counts what the
runner held when it started the child.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotator.domain.model import Project, Status
from annotator.formats.labelled import jsonl_writer, labelled_record
from annotator.services.workspace import Workspace
from annotator.storage import decisions
from benchmarks.generate import GENERATOR_VERSION


@dataclass(frozen=True)
class ReviewerFiles:
    paths: list[Path]
    decisions: int
    """Per file."""
    conflicts: int
    """Cases on which the reviewers do not all agree."""


def ensure_reviewer_files(
    folder: Path, workspace: Path, reviewers: int, conflict_rate: float, seed: int
) -> ReviewerFiles:
    """Labelled files of ``reviewers`` reviewers, each deciding every case of ``workspace``.

    The lines are what ``annotator export`` writes (docs/formats.md, "The labelled file"; written
    by ``formats/labelled/``), with the workspace's real case hashes and project fingerprint.
    Every reviewer gives a case the same label, except on a ``conflict_rate`` share of the
    cases, where some reviewers differ.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(workspace)
    try:
        project = ws.project()
        count = ws.case_count()
        stamp = folder / "reviewers.stamp"
        expected = (
            f"{GENERATOR_VERSION} {reviewers} {conflict_rate} {seed} {project.fingerprint} {count}"
        )
        paths = [folder / f"reviewer-{r + 1:02d}.jsonl" for r in range(reviewers)]
        conflicts = _write_reviewer_files(ws, paths, conflict_rate, seed, stamp, expected)
    finally:
        ws.close()
    return ReviewerFiles(paths, count, conflicts)


def _write_reviewer_files(
    ws: Workspace,
    paths: list[Path],
    conflict_rate: float,
    seed: int,
    stamp: Path,
    expected: str,
) -> int:
    if stamp.exists() and all(p.exists() for p in paths):
        first, _, kept = stamp.read_text().strip().rpartition(" ")
        if first == expected:
            return int(kept)
    stamp.unlink(missing_ok=True)
    project = ws.project()
    scales = {crit: (list(s.labels), s.ordinal) for crit, s in project.schemes.items()}
    rng = random.Random(seed)
    handles = [p.with_suffix(".tmp").open("w", encoding="utf-8") for p in paths]
    writers = [jsonl_writer(fh) for fh in handles]
    conflicts = 0
    try:
        with ws.engine.connect() as conn:
            # Every case, in file order, as the labelled file reads it.
            for n, row in enumerate(decisions.labelled_rows(conn, include_undecided=True)):
                labels, ordinal = scales[row[2]]
                agreed = rng.choice(labels)
                chosen = [agreed] * len(paths)
                if rng.random() < conflict_rate:
                    conflicts += 1
                    for r in rng.sample(range(len(paths)), rng.randint(1, len(paths) // 2)):
                        chosen[r] = rng.choice([x for x in labels if x != agreed])
                for r, (write, label) in enumerate(zip(writers, chosen, strict=True)):
                    write(_reviewer_line(n, r, row, label, (labels, ordinal), project))
    finally:
        for fh in handles:
            fh.close()
    for p in paths:
        p.with_suffix(".tmp").replace(p)
    stamp.write_text(f"{expected} {conflicts}\n")
    return conflicts


def _reviewer_line(
    n: int, r: int, row: Any, label: str, scale: tuple[list[str], bool], project: Project
) -> dict[str, Any]:
    """Reviewer ``r``'s line on the ``n``-th case (``row``, as the labelled file reads it)."""
    ext_id, content_hash, crit, _status, judge, kind, raters = row[:7]
    day = 1 + n % 28
    verdict = "holds" if n % 2 else "fails"
    return labelled_record(
        case_id=ext_id,
        case_hash=content_hash,
        criterion=crit,
        status=Status.DECIDED,
        label=label,
        rationale=f"Reviewer {r + 1}: the answer {verdict} on the second point; see the reference.",
        who_right="judge" if label == judge else "raters",
        who_right_overridden=False,
        tags=["rubric ambiguous"] if n % 17 == 0 else [],
        confidence=("low", "medium", "high")[(n + r) % 3],
        reviewer=f"reviewer{r + 1:02d}",
        decided_at=f"2025-03-{day:02d}T{r % 24:02d}:{n % 60:02d}:00Z",
        judge_label=judge,
        rater_labels=json.loads(raters) if raters else {},
        kind=kind,
        labels=scale[0],
        ordinal=scale[1],
        project=project.fingerprint,
        project_title=project.title,
        app_version="bench",
    )


def main(argv: list[str]) -> int:
    folder, workspace, reviewers, rate, seed = argv
    files = ensure_reviewer_files(Path(folder), Path(workspace), int(reviewers), float(rate),
                                  int(seed))  # fmt: skip
    made = {"paths": [str(p) for p in files.paths], "decisions": files.decisions,
            "conflicts": files.conflicts}  # fmt: skip
    print(json.dumps(made))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
