"""The alignment report of a workspace, in one pass over its decided cases
(``storage/alignment.py``): each case's part of the split (``domain.split``, the project's
fraction and seed), and per criterion, scope and run the counts of ``(final label, run's
label)`` pairs, the raters' labels for the human ceiling, and whether each run was right
(the one rule of docs/agreement.md, "When is the judge right?") for the comparisons. Every
figure and interval is then computed from those counts (``domain.alignment``)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal, NamedTuple

from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.domain.alignment import Changes, Comparison, Estimate, RunFigures, run_figures
from annotator.domain.ceiling import LooUnit
from annotator.domain.merge import Scale
from annotator.domain.model import LabelScheme
from annotator.domain.split import position
from annotator.services.agreement.baseline import Intervals, ceiling
from annotator.services.agreement.report import Rule
from annotator.services.alignment.report import (
    AlignmentReport,
    CalibrationWarning,
    CriterionAlignment,
    Run,
    RunPair,
    RunScores,
    Scope,
)
from annotator.services.workspace import Workspace, WorkspaceError
from annotator.storage import alignment as stored
from annotator.storage import judge_runs as judge_run_rows
from annotator.storage import project as stored_project
from annotator.storage.db import driver_connection, name_of, translated
from annotator.storage.judge_runs import IMPORTED_NAME

Which = Literal["fixed", "broken"]


def judge_runs(ws: Workspace) -> tuple[Run, ...]:
    """The runs not removed, in order; a workspace whose imported judge has no ``judge_run``
    row yet has it first all the same (named after its model when the cases agree on one)."""
    with ws.engine.connect() as conn:
        rows = judge_run_rows.runs(conn)
        found = [Run(r.id, r.name, r.model, r.position, r.imported) for r in rows]
        if not judge_run_rows.has_imported_run(conn):  # (made on first need: services.judge_runs)
            model = judge_run_rows.imported_model(conn)
            found.insert(0, Run(None, model or IMPORTED_NAME, model or "", -1, True))
    return tuple(found)


@dataclass
class _Scoped:
    """One criterion's counts in one scope."""

    pairs: list[Counter[tuple[str, str]]]
    """Per run."""
    changes: list[Changes]
    """Per consecutive pair of runs."""
    raters: Counter[LooUnit] = field(default_factory=Counter)
    cases: int = 0


@dataclass
class _Criterion:
    scale: Scale
    threshold: float | None
    rule: Rule
    on_scale: frozenset[str]
    scopes: dict[Scope, _Scoped]
    examples_scored: list[int]


def _tally(scheme: LabelScheme | None, runs: int) -> _Criterion:
    scale = Scale(scheme.labels, scheme.ordinal) if scheme else Scale(())
    threshold = scheme.threshold if scheme is not None and scheme.ordinal else None
    return _Criterion(
        scale,
        threshold,
        Rule.of(scale, threshold),
        frozenset(scale.labels),
        {
            s: _Scoped([Counter() for _ in range(runs)], [Changes() for _ in range(runs - 1)])
            for s in Scope
        },
        [0] * runs,
    )


@lru_cache(maxsize=4096)
def _rater_labels(stored_json: str) -> tuple[str, ...]:
    return tuple(label for _rater, label in json.loads(stored_json or "[]"))


class _Case(NamedTuple):
    row_id: int
    ext_id: str
    criterion: str
    truth: str
    raters: str
    """As stored (JSON)."""
    labels: tuple[str | None, ...]
    """Each run's, in the runs' order."""
    held: bool


_Alike = tuple[str, str, str, tuple["str | None", ...], bool, bool]
"""Cases counted together: criterion, final label, raters (JSON), the runs' labels, held out,
a calibration example."""


class _Pass:
    """The decided cases of a workspace with each run's label, read once."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.runs = judge_runs(ws)
        with ws.engine.connect() as conn:
            self.fraction, self.split_seed = stored_project.split_settings(conn)
            self.examples = stored.example_row_ids(conn)
            self.packs = stored.pack_count(conn)
        self.open_cases = 0

    def cases(self, criterion: str | None = None) -> Iterator[_Case]:
        """Every decided case (of ``criterion`` when given), in row id order."""
        added = [r.id for r in self.runs if not r.imported and r.id is not None]
        where = [-1 if r.imported or r.id is None else added.index(r.id) for r in self.runs]
        seed, fraction = self.split_seed, self.fraction
        with self.ws.engine.connect() as conn, translated(name_of(self.ws.engine)):
            rows = stored.decided_rows(conn, driver_connection(conn), added, criterion)
            for row_id, ext_id, criterion, truth, raters, judge, labels in rows:
                if truth is None:
                    self.open_cases += 1
                    continue
                ours = tuple(judge if k < 0 else labels[k] for k in where)
                held = position(seed, ext_id) < fraction  # (domain.split.part_of)
                yield _Case(row_id, ext_id, criterion, truth, raters, ours, held)


class _Report:
    """The counts of every criterion, cases alike counted together (a million cases are a
    few thousand kinds)."""

    def __init__(self, schemes: Mapping[str, LabelScheme], runs: int) -> None:
        self.schemes = schemes
        self.runs = runs
        self.tallies: dict[str, _Criterion] = {}
        self.decided = self.heldout = self.leaked = 0

    def add(self, key: _Alike, count: int) -> None:
        criterion, truth, stored_raters, labels, held, leak = key
        t = self.tallies.get(criterion)
        if t is None:
            t = self.tallies[criterion] = _tally(self.schemes.get(criterion), self.runs)
        self.decided += count
        self.heldout += held * count
        self.leaked += leak * count
        raters = tuple(sorted(x for x in _rater_labels(stored_raters) if x in t.on_scale))
        right = [None if label is None else not t.rule.wrong(truth, label) for label in labels]
        for scope in (Scope.DECIDED, Scope.HELDOUT) if held else (Scope.DECIDED,):
            s = t.scopes[scope]
            s.cases += count
            s.raters[(None, raters)] += count
            for i, label in enumerate(labels):
                if label is not None:
                    s.pairs[i][(truth, label)] += count
                    if leak and scope is Scope.HELDOUT:
                        t.examples_scored[i] += count
            for i, change in enumerate(s.changes):
                before, now = right[i], right[i + 1]
                if before is not None and now is not None:
                    change.add("", before, now, count)


MAX_ALIKE = 100_000
"""Kinds of case kept before they are tallied (bounds memory)."""


def alignment_report(
    ws: Workspace, *, seed: int = 0, resamples: int = DEFAULT_RESAMPLES
) -> AlignmentReport:
    """Every run's figures per criterion against the final labels, on the held-out cases and
    on every decided case, with the human ceiling and each consecutive pair of runs compared
    (McNemar's exact test, fixed and broken counts). ``seed`` and ``resamples``: the bootstrap
    intervals' (0 resamples: no intervals). The split is the project's (fraction and seed)."""
    if resamples < 0:
        raise ValueError("resamples must be 0 or more")
    scan = _Pass(ws)
    report = _Report(ws.project().schemes, len(scan.runs))
    alike: Counter[_Alike] = Counter()
    examples = scan.examples
    for case in scan.cases():
        leak = case.held and case.row_id in examples
        alike[(case.criterion, case.truth, case.raters, case.labels, case.held, leak)] += 1
        if len(alike) >= MAX_ALIKE:
            for key, count in alike.items():
                report.add(key, count)
            alike.clear()
    for key, count in alike.items():
        report.add(key, count)
    intervals = Intervals(seed, resamples)
    tallies = report.tallies
    criteria = tuple(
        _criterion(name, tallies[name], scan.runs, intervals) for name in sorted(tallies)
    )
    leaked = report.leaked
    return AlignmentReport(
        runs=scan.runs,
        criteria=criteria,
        fraction=scan.fraction,
        split_seed=scan.split_seed,
        decided=report.decided,
        heldout=report.heldout,
        open_cases=scan.open_cases,
        warning=CalibrationWarning(leaked, scan.packs) if leaked else None,
        seed=seed,
        resamples=resamples,
    )


def _criterion(
    name: str, t: _Criterion, runs: Sequence[Run], intervals: Intervals
) -> CriterionAlignment:
    def figures(scope: Scope, i: int) -> RunFigures:
        return run_figures(
            t.scopes[scope].pairs[i],
            t.scale.labels,
            right=None if t.rule.exact else lambda a, b: not t.rule.wrong(a, b),
            resamples=intervals.resamples,
            seed=intervals.seed,
        )

    scores = tuple(
        RunScores(run, figures(Scope.HELDOUT, i), figures(Scope.DECIDED, i), t.examples_scored[i])
        for i, run in enumerate(runs)
    )
    pairs = tuple(
        RunPair(
            runs[i],
            runs[i + 1],
            t.scopes[Scope.HELDOUT].changes[i].result(),
            t.scopes[Scope.DECIDED].changes[i].result(),
        )
        for i in range(len(runs) - 1)
    )
    return CriterionAlignment(
        criterion=name,
        scale=t.scale,
        threshold=t.threshold,
        heldout_cases=t.scopes[Scope.HELDOUT].cases,
        decided_cases=t.scopes[Scope.DECIDED].cases,
        runs=scores,
        ceiling_heldout=_ceiling(t.scopes[Scope.HELDOUT].raters, intervals),
        ceiling_decided=_ceiling(t.scopes[Scope.DECIDED].raters, intervals),
        pairs=pairs,
    )


def _ceiling(units: Mapping[LooUnit, int], intervals: Intervals) -> Estimate:
    found = ceiling(units, intervals)
    return Estimate(found.humans, found.humans_interval)


# -- any two runs -------------------------------------------------------------------------------


def compare_runs(
    ws: Workspace, before: Run, after: Run, criterion: str, *, scope: Scope = Scope.HELDOUT
) -> Comparison:
    """``before`` and ``after`` on the decided cases of ``criterion`` in ``scope`` that both
    labelled: the counts, McNemar's exact test, and the ids of the fixed cases (wrong before,
    right now) and of the broken ones (right before, wrong now), in case row order."""
    scan = _Pass(ws)
    at = _index(scan.runs, before), _index(scan.runs, after)
    scheme = ws.project().schemes.get(criterion)
    t = _tally(scheme, 1)
    changes = Changes(keep_ids=True)
    for case in scan.cases(criterion):
        if scope is Scope.HELDOUT and not case.held:
            continue
        first, second = case.labels[at[0]], case.labels[at[1]]
        if first is not None and second is not None:
            changes.add(
                case.ext_id,
                not t.rule.wrong(case.truth, first),
                not t.rule.wrong(case.truth, second),
            )
    return changes.result()


def changed_cases(
    ws: Workspace,
    before: Run,
    after: Run,
    criterion: str,
    which: Which,
    *,
    scope: Scope = Scope.HELDOUT,
) -> tuple[str, ...]:
    """The ids of the cases ``after`` fixed (``which="fixed"``) or broke, as
    :func:`compare_runs` counts them: for the queue (``services.queue.QueueFilter(cases=...)``)."""
    found = compare_runs(ws, before, after, criterion, scope=scope)
    return found.fixed_ids if which == "fixed" else found.broken_ids


def _index(runs: Sequence[Run], run: Run) -> int:
    for i, r in enumerate(runs):
        if (r.imported and run.imported) or (r.id == run.id and not r.imported):
            return i
    raise WorkspaceError(f"the judge run {run.name!r} is not in the workspace (removed?)")
