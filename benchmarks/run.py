"""The benchmark suite: ``python -m benchmarks`` (full size) or ``python -m benchmarks --quick``.

Full size: import at 100,000 and 1,000,000 cases (each beside its floor), the window's open,
next-case, filter and search figures and the export at 1,000,000 cases with 10 % decided, and
the merge of 10 reviewer files of 100,000 decisions with 5 % conflicts, and adding a judge run
at 100,000 and 1,000,000 cases (its time, peak RSS and how long it holds the write lock). It
writes docs/benchmarks.md. ``--quick`` runs every step once at 10,000 cases (in CI, to check
that the suite works; its timings are not judged) and prints its table.

Generated files are kept in ``--data`` (default: annotator-bench in the temporary folder) and
reused while the generator and seed are the same; workspaces go to a fresh work folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import judge_runs, report, stopping
from benchmarks.generate import ensure_joined, ensure_json_array, ensure_project
from benchmarks.measure import REPO, Figure, StepFailed, run_process, with_bytecode


@dataclass(frozen=True)
class Plan:
    imports: tuple[tuple[int, int], ...]
    """(cases, runs) for each import size; the first is also imported from a JSON array, and
    joined from two files."""
    window_cases: int
    window_runs: int
    nav: int
    export_runs: int
    merge_cases: int
    merge_runs: int
    judge_runs: tuple[tuple[int, int], ...]
    """(cases, runs) of adding a judge run, into the workspaces imported above."""
    window_import_runs: int = 1
    """Imports in the window (to the first case shown) at each import size."""
    reviewers: int = 10
    decided: float = 0.10
    conflicts: float = 0.05
    seed: int = 1


FULL = Plan(
    imports=((100_000, 3), (1_000_000, 1)),
    window_cases=1_000_000,
    window_runs=3,
    nav=1000,
    export_runs=3,
    merge_cases=100_000,
    merge_runs=3,
    judge_runs=((100_000, 3), (1_000_000, 1)),
    window_import_runs=3,
)
QUICK = Plan(
    imports=((10_000, 1),),
    window_cases=10_000,
    window_runs=1,
    nav=100,
    export_runs=1,
    merge_cases=10_000,
    merge_runs=1,
    judge_runs=((10_000, 1),),
)


@dataclass
class Results:
    plan: Plan
    quick: bool
    figures: list[Figure] = field(default_factory=list)
    filters: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    filter_rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    load_before: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def figure(self, group: str, name: str, unit: str, target: float | None = None) -> Figure:
        for f in self.figures:
            if f.group == group and f.name == name:
                return f
        f = Figure(group, name, unit, target=target)
        self.figures.append(f)
        return f


def _say(text: str) -> None:
    print(text, flush=True)


def _fresh(path: Path) -> Path:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def run(res: Results, data: Path, work: Path) -> Results:
    """Every step of ``res.plan``, its figures into ``res`` as they come (a failed step leaves
    those of the steps before it)."""
    plan = res.plan
    workspaces: dict[int, Path] = {}
    for cases, runs in plan.imports:
        _imports(res, data, work, cases, runs)
        workspaces[cases] = work / f"import-{cases}.annotator"
    for cases, runs in plan.imports:
        _window_imports(res, data, work, cases, min(runs, plan.window_import_runs))
    _json_imports(res, data, work, *plan.imports[0])
    _join_imports(res, data, work, *plan.imports[0])
    ws = _workspace(workspaces, data, work, plan.window_cases, plan.seed)
    # (In processes of their own, as every step: what the runner holds would count in the peak
    # RSS of the children it starts.)
    decided = int(run_process(["-m", "benchmarks.setup", str(ws), str(plan.decided)]).output)
    res.notes.append(
        f"The window and export figures use the {plan.window_cases:,}-case workspace with "
        f"{decided:,} cases ({plan.decided:.0%}) decided, the first of the queue."
    )
    for n in range(plan.window_runs):
        _window(res, ws, work, n)
    _exports(res, ws, work, decided)
    merge_ws = _workspace(workspaces, data, work, plan.merge_cases, plan.seed)
    merge_files = _merges(res, merge_ws, data, work)
    for cases, runs in plan.judge_runs:
        _judge_runs(res, _workspace(workspaces, data, work, cases, plan.seed), data, work,
                    cases, runs)  # fmt: skip
    _stops(res, data, work, ws, merge_ws, merge_files)
    return res


def _imports(res: Results, data: Path, work: Path, cases: int, runs: int) -> None:
    """The import of ``cases``, beside its floor, ``runs`` times."""
    source = _generate(data, cases, res.plan.seed)
    label = f"{cases:,} cases"
    for n in range(runs):
        floor_db = _fresh(work / f"floor-{cases}.db")
        floor = run_process(["-m", "benchmarks.floor", str(source), str(floor_db)])
        _fresh(floor_db)
        ws = _fresh(work / f"import-{cases}.annotator")
        done = run_process(["-m", "annotator", "import", str(source), "--workspace", str(ws)])
        # The report comes out when the cases are committed (the window can show them); the
        # search index is built after it, in steps, and the command ends when it is complete.
        committed = done.first_output_seconds or done.seconds
        _say(
            f"import {label} run {n + 1}: cases committed {committed:.1f} s, index complete "
            f"{done.seconds:.1f} s, peak RSS {done.peak_rss_mb:.0f} MB; floor {floor.seconds:.1f} s"
        )
        res.figure("import", f"import, cases committed, {label}", "s").values.append(committed)
        res.figure("import", f"import, index complete, {label}", "s").values.append(done.seconds)
        res.figure("import", f"floor, {label}", "s").values.append(floor.seconds)
        ratio = res.figure("import", f"import (cases committed) ÷ floor, {label}", "x", 1.5)
        ratio.values.append(committed / floor.seconds)
        whole = res.figure("import", f"import with its index ÷ floor, {label}", "x")
        whole.values.append(done.seconds / floor.seconds)
        rss = res.figure("import", f"import peak RSS, {label}", "MB", target=300)
        rss.values.append(done.peak_rss_mb)
        rss_floor = res.figure("import", f"floor peak RSS, {label}", "MB")
        rss_floor.values.append(floor.peak_rss_mb)


def _window_imports(res: Results, data: Path, work: Path, cases: int, runs: int) -> None:
    """A case file opened in the window, ``runs`` times: from the request to its first case
    painted (imported into its own workspace; the search index follows in the background)."""
    source = _generate(data, cases, res.plan.seed)
    label = f"{cases:,} cases"
    floor = res.figure("import", f"floor, {label}", "s")
    for n in range(runs):
        got = _gui_job(work, "import", str(source))
        _say(f"window import {label} run {n + 1}: first case shown {got['shown_s']:.1f} s")
        res.figure("import", f"window: import to first case shown, {label}", "s").values.append(
            got["shown_s"]
        )
        if floor.values:
            ratio = res.figure("import", f"window: first case shown ÷ floor, {label}", "x", 1.5)
            ratio.values.append(got["shown_s"] / floor.median)


def _gui_job(work: Path, *args: str) -> dict[str, Any]:
    """``benchmarks.gui_jobs ARGS`` in a process of its own, with user folders of its own."""
    out = _fresh(work / "gui-job.json")
    basedir = Path(tempfile.mkdtemp(prefix="basedir-", dir=work))
    env = {"ANNOTATOR_BASEDIR": str(basedir), "QT_QPA_PLATFORM": "offscreen"}
    try:
        run_process(["-m", "benchmarks.gui_jobs", args[0], args[1], str(out), *args[2:]], env=env)
        result: dict[str, Any] = json.loads(out.read_text())
        return result
    finally:
        shutil.rmtree(basedir, ignore_errors=True)


def _stops(
    res: Results, data: Path, work: Path, big: Path, merge_ws: Path, merge_files: list[Path]
) -> None:
    """Ctrl-C (SIGINT to the real command) and the window's Cancel, at full size, each sent
    halfway through the job (as the runs above measured it): from the request until everything
    has stopped. Nothing may be left behind (``stopping``, ``gui_jobs`` check it)."""
    cases = res.plan.imports[-1][0]
    label = f"{cases:,} cases"
    source = _generate(data, cases, res.plan.seed)
    committed = res.figure("import", f"import, cases committed, {label}", "s").median
    new_ws = _fresh(work / "interrupted.annotator")

    def stop(
        name: str, args: list[str], after: float, *outputs: Path, first_line: bool = False
    ) -> None:
        """``args`` interrupted ``after`` seconds in; ``outputs`` must not be left behind."""
        try:
            # (not in its first second, its start-up, before the command handles Ctrl-C)
            wait = after if first_line else max(after, 1.0)
            got = stopping.interrupt(args, after=wait, after_first_line=first_line)
        except stopping.Finished:  # (a small run, on a fast machine)
            _say(f"{name}: the command ended before the signal or past its commit; not measured")
        else:
            _say(f"{name}: sent {got.ran:.1f} s in, stopped {got.seconds * 1000:.0f} ms later")
            res.figure("stop", name, "ms", 1.0).values.append(got.seconds)
            if left := stopping.left_behind(*outputs):
                raise StepFailed(f"{name}: left {left}")
        for path in outputs:
            _fresh(path)

    importing = ["-m", "annotator", "import", str(source), "--workspace", str(new_ws)]
    stop(f"Ctrl-C during an import, {label}", importing, committed / 2, new_ws)
    stop(f"Ctrl-C while indexing for search, {label}", importing, 0.0, first_line=True)
    _fresh(new_ws)  # (its cases stay: they were committed before the signal)
    out = work / "interrupted-export.jsonl"
    export = next(f for f in res.figures if f.group == "export" and f.name.startswith("export, "))
    stop(f"Ctrl-C during an export, {res.plan.window_cases:,} cases",
         ["-m", "annotator", "export", str(big), "-o", str(_fresh(out))], export.median / 2,
         out)  # fmt: skip
    merged = work / "interrupted-merge.jsonl"
    merge = next(f for f in res.figures if f.group == "merge" and f.name.startswith("merge, "))
    stop(f"Ctrl-C during a merge, {len(merge_files)} files",
         ["-m", "annotator", "merge", *map(str, merge_files), "-o", str(_fresh(merged))],
         merge.median / 2, merged)  # fmt: skip
    for name, job in (
        (f"window: Cancel during an import, {label}",
         ("cancel-import", str(source), str(committed / 2))),
        (f"window: Cancel during a merge, {len(merge_files)} files",
         ("cancel-merge", str(merge_ws), str(merge.median / 2), *map(str, merge_files))),
    ):  # fmt: skip
        got = _gui_job(work, *job)
        if got["stopped_s"] is None:
            _say(f"{name}: the job ended before Cancel was pressed; not measured")
            continue
        _say(f"{name}: stopped {got['stopped_s'] * 1000:.0f} ms after the press")
        res.figure("stop", name, "ms", 1.0).values.append(got["stopped_s"])


COMMON_SEARCH = "search: 'the' (nearly every case)"
"""The search for a common word, as ``gui.py`` names it: its rows all in is a target."""


def _window(res: Results, ws: Path, work: Path, n: int) -> None:
    """The window's ``n``-th run, in a process of its own, on a workspace with a share of its
    cases decided."""
    plan = res.plan
    label = f"{plan.window_cases:,} cases"
    out = work / f"window-{n}.json"
    basedir = Path(tempfile.mkdtemp(prefix="basedir-", dir=work))
    env = {"ANNOTATOR_BASEDIR": str(basedir), "QT_QPA_PLATFORM": "offscreen"}
    done = run_process(["-m", "benchmarks.gui", str(ws), str(out), str(plan.nav)], env=env)
    got = json.loads(out.read_text())
    res.figure("window", "window peak RSS", "MB").values.append(done.peak_rss_mb)
    _say(
        f"window run {n + 1}: open {got['open_s'] * 1000:.0f} ms, next case p50 "
        f"{got['next_p50_s'] * 1000:.1f} ms p95 {got['next_p95_s'] * 1000:.1f} ms"
    )
    res.figure("window", f"open to first case painted, {label}", "ms", 0.25).values.append(
        got["open_s"]
    )
    nav = f"next case ({plan.nav:,} in a row), until it stands"
    res.figure("window", f"{nav}: p50", "ms").values.append(got["next_p50_s"])
    res.figure("window", f"{nav}: p95", "ms", 0.008).values.append(got["next_p95_s"])
    first = f"next case ({plan.nav:,} in a row), its first paint"
    res.figure("window", f"{first}: p50", "ms").values.append(got["next_first_p50_s"])
    res.figure("window", f"{first}: p95", "ms").values.append(got["next_first_p95_s"])
    res.figure("window", "typing a search: longest freeze", "ms", 0.2).values.append(
        got["typing_stall_s"]
    )
    res.figure("window", f"{COMMON_SEARCH}: all rows in", "ms", 1.0).values.append(
        got["filters"][COMMON_SEARCH]["all_s"]
    )
    for name, f in got["filters"].items():
        entry = res.filters.setdefault(name, {"first": [], "all": []})
        entry["first"].append(f["first_s"])
        entry["all"].append(f["all_s"])
        res.filter_rows[name] = f["rows"]


def _exports(res: Results, ws: Path, work: Path, decided: int) -> None:
    label = f"{res.plan.window_cases:,} cases"
    for n in range(res.plan.export_runs):
        out = _fresh(work / "export.jsonl")
        done = run_process(["-m", "annotator", "export", str(ws), "-o", str(out)])
        _say(f"export run {n + 1}: {done.seconds:.1f} s ({done.output.strip()})")
        res.figure("export", f"export, {label}, {decided:,} decided", "s", 1.5).values.append(
            done.seconds
        )
        rss = res.figure("export", f"export peak RSS, {label}", "MB")
        rss.values.append(done.peak_rss_mb)


def _merges(res: Results, merge_ws: Path, data: Path, work: Path) -> list[Path]:
    """The merge of the reviewers' files made from ``merge_ws`` (which it returns)."""
    plan = res.plan
    made = run_process(
        ["-m", "benchmarks.reviewers", str(data / f"reviewers-{plan.merge_cases}-s{plan.seed}"),
         str(merge_ws), str(plan.reviewers), str(plan.conflicts), str(plan.seed)]
    )  # fmt: skip
    files = json.loads(made.output)
    merge_name = (
        f"merge, {plan.reviewers} files × {files['decisions']:,} decisions, "
        f"{files['conflicts']:,} conflicts"
    )
    merge = res.figure("merge", merge_name, "s", 10)
    merge_rss = res.figure("merge", "merge peak RSS", "MB", target=300)
    if not _merge_available():
        merge.available = merge_rss.available = False
        _say("merge: 'annotator merge' is not available")
    for n in range(plan.merge_runs if merge.available else 0):
        out = _fresh(work / "merged.jsonl")
        done = run_process(["-m", "annotator", "merge", *files["paths"], "-o", str(out)])
        _say(f"merge run {n + 1}: {done.seconds:.1f} s, peak RSS {done.peak_rss_mb:.0f} MB")
        merge.values.append(done.seconds)
        merge_rss.values.append(done.peak_rss_mb)
    return [Path(p) for p in files["paths"]]


def _judge_runs(res: Results, ws: Path, data: Path, work: Path, cases: int, runs: int) -> None:
    """Adding a judge run (the imported judge's verdicts, as a file of their own) to the
    workspace of ``cases``, ``runs`` times: its time, peak RSS and write lock."""
    _, judge = ensure_joined(data, cases, res.plan.seed)
    for figure in judge_runs.measure(ws, judge, work, cases, runs):
        mine = res.figure(figure.group, figure.name, figure.unit, figure.target)
        mine.values += figure.values


def _json_imports(res: Results, data: Path, work: Path, cases: int, runs: int) -> None:
    """The import of the same cases from a pretty-printed JSON array, ``runs`` times: read
    item by item (formats/jsondoc.py), it should cost about what JSON Lines costs."""
    start = time.perf_counter()
    source = ensure_json_array(data, cases, res.plan.seed)
    if time.perf_counter() - start > 1:
        _say(f"wrote {source.name} ({source.stat().st_size / 1e6:,.0f} MB)")
    _import_runs(res, work / f"import-json-{cases}.annotator", f"{cases:,} cases, JSON array",
                 [str(source)], runs)  # fmt: skip


def _join_imports(res: Results, data: Path, work: Path, cases: int, runs: int) -> None:
    """The import of the same cases with the judge's verdicts in a file of their own (joined
    by id through a temporary SQLite index, formats/join.py), ``runs`` times."""
    cases_file, judge = ensure_joined(data, cases, res.plan.seed)
    _import_runs(res, work / f"import-join-{cases}.annotator", f"{cases:,} cases, judge joined",
                 [str(cases_file), "--judge", str(judge)], runs)  # fmt: skip


def _import_runs(res: Results, ws: Path, label: str, args: list[str], runs: int) -> None:
    """``annotator import ARGS`` into a fresh ``ws``, ``runs`` times: its time and peak RSS."""
    for n in range(runs):
        done = run_process(["-m", "annotator", "import", *args, "--workspace", str(_fresh(ws))])
        _fresh(ws)
        _say(
            f"import {label} run {n + 1}: {done.seconds:.1f} s, peak RSS {done.peak_rss_mb:.0f} MB"
        )
        res.figure("import", f"import, {label}", "s").values.append(done.seconds)
        res.figure("import", f"import peak RSS, {label}", "MB", target=300).values.append(
            done.peak_rss_mb
        )


def _generate(data: Path, cases: int, seed: int) -> Path:
    start = time.perf_counter()
    path = ensure_project(data, cases, seed)
    took = time.perf_counter() - start
    if took > 1:
        _say(f"generated {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in {took:.0f} s")
    return path


def _workspace(workspaces: dict[int, Path], data: Path, work: Path, cases: int, seed: int) -> Path:
    """The workspace of ``cases`` imported above, or one imported now (not measured)."""
    if cases not in workspaces:
        source = _generate(data, cases, seed)
        ws = _fresh(work / f"import-{cases}.annotator")
        run_process(["-m", "annotator", "import", str(source), "--workspace", str(ws)])
        workspaces[cases] = ws
    return workspaces[cases]


def _merge_available() -> bool:
    """Whether this annotator has the ``merge`` command (it is being written)."""
    try:
        run_process(["-m", "annotator", "merge", "--help"])
    except StepFailed:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="every step once at 10,000 cases")
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(tempfile.gettempdir()) / "annotator-bench",
        help="where generated files are kept and reused",
    )
    parser.add_argument("--work", type=Path, help="work folder (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument(
        "--out",
        type=Path,
        help="the report (default: docs/benchmarks.md; --quick: none, or the work folder's "
        "with --keep)",
    )
    parser.add_argument(
        "--report-only",
        type=Path,
        metavar="RESULTS",
        help="write the report again from a run's results.json (after editing analysis.md)",
    )
    args = parser.parse_args(argv)
    if args.report_only is not None:
        target: Path = args.out or REPO / "docs" / "benchmarks.md"
        target.write_text(report.from_saved(json.loads(args.report_only.read_text())), "utf-8")
        _say(f"wrote {target}")
        return 0
    plan = QUICK if args.quick else FULL
    work = args.work or Path(tempfile.mkdtemp(prefix="annotator-bench-work-"))
    work.mkdir(parents=True, exist_ok=True)
    out: Path | None = args.out or (REPO / "docs" / "benchmarks.md")
    if args.quick and args.out is None:  # a check, not a report: kept only with --keep
        out = work / "benchmarks.md" if args.keep else None
    res = Results(plan, args.quick)
    with_bytecode()
    try:
        try:
            run(res, args.data, work)
        except BaseException:  # (what was measured is kept: a full run takes twenty minutes)
            partial = report.saved(
                res.figures, res.filters, res.filter_rows, res.notes, quick=args.quick,
                seconds=time.perf_counter() - res.started, load=(res.load_before, os.getloadavg()),
            )  # fmt: skip
            (work / "results-partial.json").write_text(json.dumps(partial, indent=1), "utf-8")
            _say(f"a step failed; what was measured before it: {work / 'results-partial.json'}")
            raise
        saved = report.saved(
            res.figures, res.filters, res.filter_rows, res.notes, quick=args.quick,
            seconds=time.perf_counter() - res.started, load=(res.load_before, os.getloadavg()),
        )  # fmt: skip
        (work / "results.json").write_text(json.dumps(saved, indent=1), encoding="utf-8")
        print(report.table(res.figures, res.filters, res.filter_rows, quick=args.quick))
        if out is not None:
            out.write_text(report.from_saved(saved), encoding="utf-8")
            _say(f"wrote {out} (results: {work / 'results.json'})")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
