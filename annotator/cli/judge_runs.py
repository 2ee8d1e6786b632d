"""``annotator judge-run add|list|rename|remove|restore WS ...``: a project's judge runs
(services/judge_runs.py; docs/formats.md, "Judge-run file")."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator import console
from annotator.cli.progress import progress_bar
from annotator.formats.reader import FORMATS as READ_FORMATS
from annotator.formats.values import ValueMap
from annotator.services.judge_runs import (
    JudgeRun,
    add_run,
    list_runs,
    parse_map,
    remove_run,
    rename_run,
    restore_run,
)
from annotator.services.workspace import Workspace

Common = Callable[..., None]
Opener = Callable[[Path, argparse.Namespace], Workspace]


def judge_run_parser(sub: Any, common: Common) -> None:
    """The ``judge-run`` command and its sub-commands (``common``: --basedir, --wait...)."""
    top = sub.add_parser(
        "judge-run",
        help="add, list, rename, remove or restore a project's judge runs",
        description="A project holds any number of judges: the one its cases were imported "
        "with is the first run; add another judge's verdicts on the same cases to compare "
        "them on the alignment page. See docs/formats.md, 'Judge-run file'.",
    )
    verbs = top.add_subparsers(dest="verb", metavar="ACTION", required=True)
    ws_help = "a workspace, or the case file it was made from"

    p = verbs.add_parser("add", help="add a run from a judge's file of verdicts, keyed by case id")
    p.add_argument("workspace", type=Path, help=ws_help)
    p.add_argument("file", type=Path, help="the run's verdicts: JSON Lines, JSON, CSV, Parquet")
    p.add_argument("--name", required=True, help="the run's name (unique in the project)")
    p.add_argument(
        "--map",
        metavar="OURS=THEIRS",
        action="append",
        default=[],
        help="read OURS (label, rationale, score, model; id: the case id) from the file's "
        "THEIRS: label=result; the others are guessed from their names",
    )
    p.add_argument("--model", help="the judge's model (default: the file's, if it names one)")
    p.add_argument(
        "--labels",
        metavar="judge:VALUE=LABEL,...",
        action="append",
        default=[],
        help="map the file's label values onto the project's: judge:Tie=tie,1=A",
    )
    p.add_argument("--encoding", help="the file's text encoding (default: detected)")
    p.add_argument("--format", dest="fmt", choices=READ_FORMATS, help="default: by its name")
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p, sub=True)

    p = verbs.add_parser("list", help="the runs: name, model, cases covered, added, file")
    p.add_argument("workspace", type=Path, help=ws_help)
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p, sub=True)

    for verb, what in (("remove", "hide a run (undo: restore)"),
                       ("restore", "bring back a removed run")):  # fmt: skip
        p = verbs.add_parser(verb, help=what)
        p.add_argument("workspace", type=Path, help=ws_help)
        p.add_argument("name", help="the run's name")
        common(p, sub=True)

    p = verbs.add_parser("rename", help="rename a run")
    p.add_argument("workspace", type=Path, help=ws_help)
    p.add_argument("old", help="its name")
    p.add_argument("new", help="its new name")
    common(p, sub=True)


def judge_run_command(args: argparse.Namespace, open_existing: Opener) -> int:
    """Run ``annotator judge-run``; ValueError for bad options (the caller says so)."""
    ws = open_existing(args.workspace, args)
    try:
        if args.verb == "add":
            return _add(ws, args)
        if args.verb == "list":
            runs = list_runs(ws)
            if args.json:
                console.show(console.json_text([r.to_json() for r in runs]))
            else:
                console.show(runs_table(runs, ws.name))
            return 0
        if args.verb == "rename":
            run = rename_run(ws, args.old, args.new)
            console.show(f"Renamed judge run '{args.old}' to '{run.name}'")
        elif args.verb == "remove":
            run = remove_run(ws, args.name)
            console.show(
                f"Removed judge run '{run.name}' (undo: annotator judge-run restore "
                f"{args.workspace} '{run.name}')"
            )
        else:
            run = restore_run(ws, args.name)
            console.show(f"Restored judge run '{run.name}'")
        return 0
    finally:
        ws.close()


def _add(ws: Workspace, args: argparse.Namespace) -> int:
    mapping, key = parse_map(args.map)
    values = ValueMap.parse(args.labels) if args.labels else None
    for source, _, _ in values.rules if values is not None else ():
        if source != "judge":
            raise ValueError(f"--labels of a judge run maps the judge's values (judge:...), "
                             f"not {source}'s")  # fmt: skip
    with progress_bar(args, f"adding {args.file.name}", "%") as progress:
        added = add_run(
            ws, args.file, args.name, mapping=mapping, key=key, model=args.model, values=values,
            encoding=args.encoding, fmt=args.fmt, progress=progress,
        )  # fmt: skip
    if args.json:
        out = added.run.to_json() | {
            "map": added.mapping.as_dict(),
            "project_cases": added.project_cases,
            "cases_missing": added.missing,
            "first_cases_missing": added.missing_ids,
        }
        console.show(console.json_text(out))
    else:
        console.show(added.describe())
    return 0


def runs_table(runs: list[JudgeRun], workspace: str) -> str:
    """The runs as a plain table, the current run marked."""
    if not runs:
        return f"{workspace} has no judge run yet (no cases)"
    rows = [("", "name", "model", "cases", "added", "file")]
    for n, run in enumerate(runs):
        current = "*" if n == len(runs) - 1 else ""
        added = run.added_at.replace("T", " ").removesuffix("Z")
        file = "(imported with the cases)" if run.imported else Path(run.path).name
        rows.append((current, run.name, run.model or "-", str(run.cases), added, file))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n* the current run (the newest)"
