"""The alignment report as a JSON document (``annotator alignment --json``; its shape is in
docs/formats.md, "Alignment report (JSON)"). Each figure is the Agreement report's
``{"value", "n", "reason", "note", "interval": {...}}``."""

from __future__ import annotations

import json
from typing import Any

from annotator.domain.alignment import Comparison, Estimate, RunFigures
from annotator.services.agreement.to_json import figure_with_interval
from annotator.services.alignment.report import (
    AlignmentReport,
    CriterionAlignment,
    Run,
    Scope,
)
from annotator.untrusted import json_safe

REPORT_FORMAT = "annotator.alignment"
REPORT_VERSION = 1


def report_to_json(report: AlignmentReport) -> dict[str, Any]:
    w = report.warning
    return {
        "format": REPORT_FORMAT,
        "version": REPORT_VERSION,
        "split": {
            "fraction": report.fraction,
            "seed": report.split_seed,
            "decided": report.decided,
            "heldout": report.heldout,
            "open_cases": report.open_cases,
        },
        "bootstrap": {
            "level": report.level,
            "resamples": report.resamples,
            "seed": report.seed,
        },
        "runs": [_run_json(r) for r in report.runs],
        "calibration_warning": None
        if w is None
        else {"cases": w.cases, "packs": w.packs, "text": w.text},
        "criteria": [_criterion_json(c) for c in report.criteria],
    }


def _run_json(r: Run) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "model": r.model,
        "position": r.position,
        "imported": r.imported,
    }


def _estimate(e: Estimate | None) -> dict[str, Any] | None:
    return None if e is None else figure_with_interval(e.figure, e.interval)


def _figures_json(f: RunFigures) -> dict[str, Any]:
    return {
        "n": f.n,
        "accuracy": _estimate(f.accuracy),
        "kappa": _estimate(f.kappa),
        "macro_f1": _estimate(f.macro_f1),
        "right": _estimate(f.right),
        "per_label": [
            {
                "label": x.label,
                "support": x.support,
                "precision": _estimate(x.precision),
                "recall": _estimate(x.recall),
                "f1": _estimate(x.f1),
            }
            for x in f.per_label
        ],
    }


def _comparison_json(c: Comparison) -> dict[str, Any]:
    return {
        "n": c.n,
        "both_right": c.both_right,
        "both_wrong": c.both_wrong,
        "fixed": c.fixed,
        "broken": c.broken,
        "mcnemar_p": c.p_value,
    }


def _scope_json(c: CriterionAlignment, scope: Scope) -> dict[str, Any]:
    return {
        "cases": c.heldout_cases if scope is Scope.HELDOUT else c.decided_cases,
        "human_ceiling": _estimate(c.ceiling(scope)),
        "runs": [
            {"run": r.run.name, "run_id": r.run.id, **_figures_json(r.figures(scope))}
            | ({"examples_scored": r.examples_scored} if scope is Scope.HELDOUT else {})
            for r in c.runs
        ],
        "comparisons": [
            {
                "before": p.before.name,
                "after": p.after.name,
                **_comparison_json(p.comparison(scope)),
            }
            for p in c.pairs
        ],
    }


def _criterion_json(c: CriterionAlignment) -> dict[str, Any]:
    return {
        "criterion": c.criterion,
        "labels": list(c.scale.labels),
        "ordinal": c.scale.ordinal,
        "threshold": c.threshold,
        "heldout": _scope_json(c, Scope.HELDOUT),
        "decided": _scope_json(c, Scope.DECIDED),
    }


def report_to_json_text(report: AlignmentReport) -> str:
    """The JSON document as text, U+2028, U+2029 and U+0085 escaped (``untrusted.json_safe``)."""
    data = report_to_json(report)
    return json_safe(json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False)) + "\n"
