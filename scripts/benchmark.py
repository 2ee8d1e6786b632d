"""Measure annotator at scale: import, queue, review, summary and export on a generated file.

    python scripts/benchmark.py                      # 100,000 cases in a temporary folder
    python scripts/benchmark.py --cases 1000000 --out /tmp/bench --keep --json

Generates a realistic JSON Lines case file (a project header with three criteria, one an ordinal
1-5 scale; inputs and outputs of a few hundred characters, some much longer; one to three ratings;
every kind of disagreement), imports it into a new workspace and times what a user waits on,
through the public service functions only. Prints a table, and with ``--json`` the same numbers as
JSON. See docs/benchmarks.md for results.

Memory: "peak RSS" is the process's high-water mark (``getrusage``) after each step, so a step
that needs more memory than everything before it shows as a rise; "py heap" is the peak of the
Python heap during the step (``tracemalloc``, not used during import, where it would slow the
import down; use ``--trace-import`` to trace it too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from annotator.domain.model import Status  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.queue import QueueFilter, SortKey, queue_ids, queue_rows  # noqa: E402
from annotator.services.review import ReviewService  # noqa: E402
from annotator.services.summary import summarize  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

RARE_WORD = "zebrafish"
"""Planted in the input of one case in 1,000, for the text search."""
RARE_EVERY = 1000
RATERS = [f"rater{i:02d}" for i in range(1, 25)]
TAGS = ["judge missed fact", "rater error", "rubric ambiguous"]

_WORD_TEXT = (
    "the a of to and in is that for it with as on be at by this from or an are not have was "
    "but which can all your more if will one about their what has there when so would who "
    "patient dose tablet symptoms doctor advice refund order delivery account password reset "
    "invoice contract clause tenant landlord deposit notice warranty repair engine battery "
    "charge screen update install error message server timeout request response policy claim "
    "insurance premium cover excess travel booking flight cancel delay compensation hotel "
    "recipe oven minutes flour sugar butter bake temperature summary paragraph essay argument "
    "evidence source citation quote translate sentence grammar tense formal informal tone"
)
WORDS = _WORD_TEXT.split()


# -- generating the case file ----------------------------------------------------------------


def _sentence(rng: random.Random) -> str:
    n = rng.randint(6, 18)
    words = [rng.choice(WORDS) for _ in range(n)]
    return " ".join(words).capitalize() + rng.choice(".!?.")


def _text(rng: random.Random, chars: int, pool: list[str]) -> str:
    parts: list[str] = []
    size = 0
    while size < chars:
        s = rng.choice(pool)
        parts.append(s)
        size += len(s) + 1
    return " ".join(parts)


def _length(rng: random.Random, base: int) -> int:
    """A few hundred characters; one in 20 is ten times longer."""
    n = rng.randint(base // 2, base * 2)
    return n * 10 if rng.random() < 0.05 else n


HEADER = {
    "project": {
        "title": "Benchmark project",
        "guidelines": "Decide what a careful expert would answer.",
        "criteria": {
            "correctness": {"labels": ["pass", "fail"], "rubric": "pass: correct and complete"},
            "helpfulness": {
                "labels": [1, 2, 3, 4, 5],
                "ordinal": True,
                "threshold": 0,
                "rubric": "5: solves the problem",
            },
            "preference": {"labels": ["A", "B", "tie"]},
        },
    }
}
CRITERIA: dict[str, list[Any]] = {"correctness": ["pass", "fail"], "helpfulness": [1, 2, 3, 4, 5]}


def _labels(rng: random.Random, labels: list[Any], n: int) -> tuple[Any, list[Any]]:
    """A judge label and ``n`` rater labels with a realistic mix of (dis)agreement."""
    judge = rng.choice(labels)
    roll = rng.random()
    others = [x for x in labels if x != judge]
    if roll < 0.55:  # agreement
        raters = [judge] * n
    elif roll < 0.75:  # judge against every rater
        other = rng.choice(others)
        raters = [other] * n
    elif roll < 0.9:  # judge against the majority (with one or two raters: against all)
        other = rng.choice(others)
        raters = [other, other, judge] if n == 3 else [other] * n
    else:  # raters split
        raters = [rng.choice(labels) for _ in range(n)]
    return judge, raters


def generate(path: Path, n: int, seed: int = 1) -> int:
    """Write ``n`` cases to ``path``; returns how many contain RARE_WORD."""
    rng = random.Random(seed)
    pool = [_sentence(rng) for _ in range(5000)]
    planted = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(HEADER) + "\n")
        for i in range(n):
            roll = rng.random()
            crit = "correctness" if roll < 0.5 else "helpfulness" if roll < 0.85 else "preference"
            n_ratings = rng.choice((1, 2, 2, 3, 3, 3))
            if crit == "preference":
                judge, raters = _labels(rng, ["A", "B", "tie"], n_ratings)
            else:
                judge, raters = _labels(rng, CRITERIA[crit], n_ratings)
            who = rng.sample(RATERS, n_ratings)
            ratings: list[dict[str, Any]] = []
            for rater, label in zip(who, raters, strict=True):
                r: dict[str, Any] = {"rater": rater, "label": label}
                if rng.random() < 0.2:
                    r["comment"] = _text(rng, rng.randint(40, 160), pool)
                ratings.append(r)
            inp = _text(rng, _length(rng, 300), pool)
            if i % RARE_EVERY == 7:
                inp += f" Does the {RARE_WORD} study apply here?"
                planted += 1
            case: dict[str, Any] = {
                "id": f"case-{i:07d}",
                "criterion": crit,
                "input": inp,
                "judge": {
                    "label": judge,
                    "rationale": _text(rng, rng.randint(80, 300), pool),
                    "score": round(rng.random(), 3),
                    "model": "judge-v2",
                },
                "ratings": ratings,
                "meta": {
                    "source": rng.choice(("tickets", "forum", "synthetic")),
                    "batch": i // 5000,
                },
            }
            if crit == "preference":
                case["outputs"] = {
                    "A": _text(rng, _length(rng, 250), pool),
                    "B": _text(rng, _length(rng, 250), pool),
                }
            else:
                case["output"] = _text(rng, _length(rng, 350), pool)
            if rng.random() < 0.3:
                case["reference"] = _text(rng, rng.randint(100, 400), pool)
            fh.write(json.dumps(case, ensure_ascii=False) + "\n")
    return planted


# -- measuring ---------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def mb(n_bytes: int) -> float:
    return n_bytes / 1e6


@dataclass
class Results:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, label: str, value: Any, text: str) -> None:
        self.data[key] = value
        self.rows.append((label, text, f"{peak_rss_mb():.0f}"))
        print(f"  {label:<44} {text:>22}   peak RSS {peak_rss_mb():6.0f} MB", flush=True)

    def time(self, key: str, label: str, seconds: float, extra: str = "") -> None:
        self.add(key, label, round(seconds, 6), f"{_fmt(seconds)}{extra}")


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.1f} ms"
    return f"{seconds:.2f} s"


def heap_peak(res: Results, key: str, fn: Callable[[], Any]) -> None:
    """Run ``fn`` once more under tracemalloc (never while timing: it slows Python down) and
    record the Python heap's peak as ``<key>_heap_mb``."""
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    res.data[f"{key}_heap_mb"] = round(mb(peak), 1)


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """Median wall time over ``repeat`` calls, and the last result."""
    times = []
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        if times[0] > 5:  # slow enough to measure once
            break
    return statistics.median(times), out


def file_size(path: Path) -> int:
    size = path.stat().st_size
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            size += extra.stat().st_size
    return size


def run(args: argparse.Namespace) -> Results:
    res = Results()
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="annotator-bench-"))
    out.mkdir(parents=True, exist_ok=True)
    cases_path = out / f"cases-{args.cases}.jsonl"
    ws_path = out / f"bench-{args.cases}.annotator"
    for p in (ws_path, ws_path.with_name(ws_path.name + "-wal")):
        p.unlink(missing_ok=True)
    print(
        f"benchmark: {args.cases:,} cases in {out} (Python {sys.version.split()[0]}, "
        f"{os.cpu_count()} cores)",
        flush=True,
    )
    res.data["cases"] = args.cases
    res.data["cpus"] = os.cpu_count()

    t = time.perf_counter()
    if cases_path.exists() and args.reuse_file:
        planted = sum(1 for i in range(args.cases) if i % RARE_EVERY == 7)
    else:
        planted = generate(cases_path, args.cases)
    res.time("generate_s", "generate case file (not the app)", time.perf_counter() - t)
    res.add(
        "file_mb",
        "case file size",
        round(mb(cases_path.stat().st_size), 1),
        f"{mb(cases_path.stat().st_size):.0f} MB",
    )
    rss_before = peak_rss_mb()
    res.data["rss_before_import_mb"] = round(rss_before, 1)

    # -- import
    ws = Workspace.open(ws_path)
    if args.trace_import:
        tracemalloc.start()
    t = time.perf_counter()
    report = import_file(ws, cases_path)
    elapsed = time.perf_counter() - t
    if args.trace_import:
        res.data["import_heap_mb"] = round(mb(tracemalloc.get_traced_memory()[1]), 1)
        tracemalloc.stop()
    assert report.added == args.cases, (report.added, report.skipped, report.problems[:3])
    res.time("import_s", "import", elapsed, f" ({args.cases / elapsed:,.0f}/s)")
    res.data["import_cases_per_s"] = round(args.cases / elapsed)
    res.data["import_peak_rss_mb"] = round(peak_rss_mb(), 1)
    res.data["import_rss_rise_mb"] = round(peak_rss_mb() - rss_before, 1)
    res.add(
        "import_rss_rise_mb",
        "  peak RSS rise during import",
        res.data["import_rss_rise_mb"],
        f"{res.data['import_rss_rise_mb']:.0f} MB",
    )
    ws.close()
    res.add(
        "workspace_mb",
        "workspace size (db + wal)",
        round(mb(file_size(ws_path)), 1),
        f"{mb(file_size(ws_path)):.0f} MB",
    )

    t = time.perf_counter()
    ws = Workspace.open(ws_path)
    service = ReviewService(ws, "benchmark")
    res.time("open_s", "open workspace + review service", time.perf_counter() - t)

    # -- the queue
    filters: list[tuple[str, str, QueueFilter]] = [
        ("default", "queue_ids: default (disagreements)", QueueFilter()),
        ("all", "queue_ids: all cases", QueueFilter(kinds=None)),
        ("status", "queue_ids: status undecided", QueueFilter(status=Status.UNDECIDED)),
        ("criterion", "queue_ids: criterion helpfulness", QueueFilter(criterion="helpfulness")),
        ("rater", "queue_ids: rater rater07", QueueFilter(rater="rater07")),
        ("label", "queue_ids: label fail", QueueFilter(label="fail")),
        ("text", f"queue_ids: text '{RARE_WORD}'", QueueFilter(kinds=None, text=RARE_WORD)),
        ("text_id", "queue_ids: text 'case-00012'", QueueFilter(kinds=None, text="case-00012")),
        (
            "sort_id",
            "queue_ids: all, sorted by id desc",
            QueueFilter(kinds=None, sort=SortKey.ID, descending=True),
        ),
    ]
    default_ids: Any = None
    for key, label, flt in filters:
        if key in args.skip:
            print(f"  {label:<44} {'skipped':>22}")
            continue
        run_query = partial(queue_ids, ws.engine, flt)
        seconds, ids = timed(run_query, repeat=3)
        if key == "all":
            heap_peak(res, "queue_all", run_query)
        res.time(f"queue_{key}_s", label, seconds, f" [{len(ids):,}]")
        if key == "default":
            default_ids = ids
        if key == "text":
            assert len(ids) == planted, (len(ids), planted)
    assert default_ids is not None and len(default_ids) > 1000

    middle = len(default_ids) // 2
    block = default_ids[middle : middle + 200]
    seconds, rows = timed(lambda: queue_rows(ws.engine, block), repeat=5)
    assert len(rows) == 200
    res.time("queue_rows_s", "queue_rows: block of 200", seconds)

    # -- reviewing
    seconds, _ = timed(lambda: service.case(default_ids[middle]), repeat=20)
    res.time("case_s", "case detail (median of 20)", seconds)

    times = []
    for i, row_id in enumerate(default_ids[:100]):
        label = service.case(row_id).scheme.labels[0]
        t = time.perf_counter()
        service.decide(row_id, label, f"benchmark decision {i}", tags=[TAGS[i % 3]])
        times.append(time.perf_counter() - t)
    res.time(
        "decide_s", "decide (median of 100)", statistics.median(times), f" (max {_fmt(max(times))})"
    )
    times = []
    for _ in range(100):
        t = time.perf_counter()
        change = service.undo()
        times.append(time.perf_counter() - t)
        assert change is not None
    res.time(
        "undo_s", "undo (median of 100)", statistics.median(times), f" (max {_fmt(max(times))})"
    )
    times = []
    for _ in range(100):
        t = time.perf_counter()
        service.redo()
        times.append(time.perf_counter() - t)
    res.time("redo_s", "redo (median of 100)", statistics.median(times))

    seconds, prog = timed(lambda: service.progress(), repeat=5)
    assert prog.decided == 100, prog
    res.time("progress_s", "progress()", seconds)
    seconds, _ = timed(lambda: service.progress(include_agreements=True), repeat=5)
    res.time("progress_all_s", "progress(include_agreements)", seconds)
    seconds, vocab = timed(lambda: service.vocabulary(), repeat=5)
    assert len(vocab["raters"]) == len(RATERS), vocab["raters"]
    res.time("vocabulary_s", "vocabulary()", seconds)

    # The queue as a reviewer sees it mid-session: after some decisions.
    seconds, ids = timed(lambda: queue_ids(ws.engine, QueueFilter(status=Status.DECIDED)), 3)
    res.time("queue_decided_s", "queue_ids: status decided", seconds, f" [{len(ids):,}]")
    seconds, ids = timed(lambda: queue_ids(ws.engine, QueueFilter(tag=TAGS[0])), 3)
    res.time("queue_tag_s", "queue_ids: tag", seconds, f" [{len(ids):,}]")
    seconds, ids = timed(
        lambda: queue_ids(ws.engine, QueueFilter(kinds=None, text="benchmark decision 42")), 3
    )
    assert len(ids) == 1, len(ids)
    res.time("queue_rationale_s", "queue_ids: text in a rationale", seconds, f" [{len(ids):,}]")

    # -- decide many, for the export (the lead merging reviewers' work decides at this rate)
    n_decide = min(args.decisions, len(default_ids))
    t = time.perf_counter()
    for i, row_id in enumerate(default_ids[100:n_decide]):
        label = "2" if i % 3 else "pass"
        try:
            service.decide(row_id, label, f"bulk decision {i}")
        except ValueError:
            service.decide(row_id, service.case(row_id).scheme.labels[0], f"bulk decision {i}")
    res.time("decide_bulk_s", f"decide {n_decide - 100:,} more (total)", time.perf_counter() - t)

    seconds, _ = timed(lambda: summarize(ws))
    heap_peak(res, "summary", lambda: summarize(ws))
    res.time("summary_s", "summarize()", seconds)

    for fmt in ("jsonl", "csv"):
        target = out / f"decisions.{fmt}"
        export = partial(export_decisions, ws, target, fmt)
        seconds, n = timed(export)
        heap_peak(res, f"export_{fmt}", export)
        assert n == n_decide, (n, n_decide)
        res.time(f"export_{fmt}_s", f"export {n:,} decisions ({fmt})", seconds)
    if args.export_all:
        target = out / "all.jsonl"
        seconds, n = timed(lambda: export_decisions(ws, target, "jsonl", include_undecided=True))
        heap_peak(
            res, "export_all", lambda: export_decisions(ws, target, "jsonl", include_undecided=True)
        )
        res.time("export_all_s", f"export --all {n:,} cases (jsonl)", seconds)

    # -- reclassify the ordinal criterion
    seconds, _ = timed(lambda: service.set_threshold("helpfulness", 1))
    res.time("reclassify_s", "set_threshold (reclassify helpfulness)", seconds)
    seconds, ids = timed(lambda: queue_ids(ws.engine, QueueFilter()), repeat=3)
    res.time(
        "queue_default_after_s", "queue_ids: default, after reclassify", seconds, f" [{len(ids):,}]"
    )
    # The heap during a reclassification: 1 back to 2 (as many cases change as from 0 to 1).
    heap_peak(res, "reclassify", lambda: service.set_threshold("helpfulness", 2))
    seconds, _ = timed(lambda: service.progress(), repeat=5)
    res.time("progress_after_s", "progress() after reclassify", seconds)

    for key in [k for k in res.data if k.endswith("_heap_mb")]:
        value = res.data[key]
        res.add(key, f"py heap peak: {key[:-8]}", value, f"{value:.1f} MB")
    res.data["peak_rss_mb"] = round(peak_rss_mb(), 1)
    ws.close()
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    else:
        print(f"kept {out}")
    return res


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases to generate")
    parser.add_argument("--out", help="folder for the files (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the files afterwards")
    parser.add_argument("--json", action="store_true", help="also print the numbers as JSON")
    parser.add_argument("--decisions", type=int, default=10_000, help="decisions to export")
    parser.add_argument("--export-all", action="store_true", help="also time export --all")
    parser.add_argument(
        "--trace-import", action="store_true", help="trace the Python heap during import (slower)"
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="FILTER",
        help="leave out a queue_ids filter (all, status, criterion, rater, label, text, text_id, "
        "sort_id); repeatable",
    )
    parser.add_argument(
        "--reuse-file", action="store_true", help="reuse an existing generated case file in --out"
    )
    args = parser.parse_args(argv)
    if args.cases < 2000:
        parser.error("--cases must be at least 2000")
    res = run(args)
    print()
    print("| step | result | peak RSS MB |\n| --- | ---: | ---: |")
    for label, value, rss in res.rows:
        print(f"| {label.strip()} | {value} | {rss} |")
    if args.json:
        print(json.dumps(res.data, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
