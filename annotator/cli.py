"""Command line: ``annotator [FILE|WORKSPACE]`` opens the window; subcommands work without Qt.

annotator import FILE [--workspace PATH] [--map OURS=THEIRS ...] [--rater-field FIELD]
annotator export WORKSPACE -o OUT [--format jsonl|csv]
annotator summary FILE|WORKSPACE [--json]
annotator merge FILE... -o MERGED [--workspace PATH]
annotator agreement FILE...|WORKSPACE [--json] [--markdown OUT] [--html OUT]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from annotator import __version__, console, paths
from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.fileio import atomic_write
from annotator.formats.errors import FileRefused
from annotator.formats.long import long_format
from annotator.formats.mapping import TARGETS, FieldMapping
from annotator.formats.reader import FORMATS as READ_FORMATS
from annotator.services.agreement import (
    ScaleConflict,
    render_html,
    render_markdown,
    render_text,
    report_to_json_text,
)
from annotator.services.agreement.workspace import report_of
from annotator.services.classification import check_threshold
from annotator.services.exporter import (
    FORMATS,
    export_decisions,
    export_format,
    refuse_precious,
    rescue_decisions,
)
from annotator.services.importer import ImportReport, ImportTarget, import_file
from annotator.services.merge import (
    MergeError,
    export_merged,
    has_reviews,
    merge_to_file,
)
from annotator.services.review import ReviewError
from annotator.services.summary import format_summary, summarize
from annotator.services.workspace import Workspace, WorkspaceError, default_workspace_for

COMMANDS = ("import", "export", "summary", "merge", "agreement")


class CliError(Exception):
    """An error for the user: printed to stderr, exit status 1."""


EXPECTED = (CliError, FileRefused, WorkspaceError, MergeError, ReviewError, ScaleConflict)
"""The app's own errors, whose message is for the user (with OSError: console.guarded)."""


def _common(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    parser.add_argument(
        "--basedir",
        metavar="DIR",
        # In a command, an absent --basedir must not undo one given before the command.
        default=argparse.SUPPRESS if sub else None,
        help="keep all data and settings under DIR (portable use, tests)",
    )
    if sub:
        console.wait_option(parser)


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--map",
        metavar="OURS=THEIRS",
        action="append",
        default=[],
        help=f"read our field OURS from their field THEIRS (dotted path or CSV column; a text "
        f"field may join several: input=instruction+input); OURS is one of: "
        f"{', '.join(TARGETS)}, or ratings.RATER, outputs.NAME, meta.KEY",
    )
    parser.add_argument(
        "--rater-field",
        metavar="FIELD",
        help="long format: FIELD names each row's rater; the rows of one id become one case, "
        "each row's label read from the field --map ratings= names (docs/formats.md)",
    )
    parser.add_argument(
        "--judge-rater",
        metavar="NAME",
        help="long format: the rows whose rater is NAME give the judge's label, not a rating",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=READ_FORMATS,
        help="file format: jsonl (JSON Lines), json (a JSON array, or pretty-printed objects), "
        "csv, parquet (default: by the file's name and first bytes)",
    )
    parser.add_argument(
        "--encoding", help="text encoding of the file (default: UTF-8, or UTF-16 by BOM)"
    )
    parser.add_argument(
        "--threshold",
        type=float,
        metavar="N",
        help="set the disagreement threshold of every ordinal criterion in the workspace: "
        "scores further apart than N disagree (default: the file's header, or 0)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the whole file on any bad line instead of skipping it",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Review cases where an LLM judge and human raters disagree.",
        epilog=f"Run 'annotator COMMAND --help' for a command's options. {console.STATUSES}",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    _common(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("import", help="import a case file into a workspace and print counts")
    p.add_argument(
        "file",
        type=Path,
        help="case file: JSON Lines, a JSON array, CSV or Parquet (see docs/formats.md)",
    )
    p.add_argument(
        "--workspace",
        "-w",
        type=Path,
        help="workspace file (default: one per case file in the user data folder)",
    )
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    _input_options(p)
    _common(p, sub=True)

    p = sub.add_parser("export", help="write the labelled file (decisions) of a workspace")
    p.add_argument("workspace", type=Path)
    p.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    p.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        help="default: by the output's extension, else jsonl",
    )
    p.add_argument(
        "--all", action="store_true", help="include undecided and skipped cases (label null)"
    )
    p.add_argument(
        "--merged",
        action="store_true",
        help="write the merged file of a lead's workspace (reviewers' and lead's decisions)",
    )
    p.add_argument(
        "--no-formula-guard",
        dest="formula_guard",
        action="store_false",
        help="CSV: write cells as they are, even those a spreadsheet runs as formulas "
        "(beginning with = + - @, a tab or CR; by default they get a leading ')",
    )
    p.add_argument(
        "--rescue",
        action="store_true",
        help="for a damaged workspace: write every case SQLite can still read (in import "
        "order) and say how many rows could not be read",
    )
    _common(p, sub=True)

    p = sub.add_parser(
        "merge",
        help="merge reviewers' labelled files into one merged file",
        description="Merge the labelled files that reviewers sent back into one merged file: "
        "one line per case with the final label (unanimous, or open as a reviewer conflict), "
        "every reviewer's label and rationale, and the original judge and rater labels. "
        "Nothing is written if any file has a problem. To settle the conflicts, open the "
        "workspace of the pack in the window and use File > Merge reviewer files.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="reviewers' labelled files")
    p.add_argument("-o", "--output", type=Path, required=True, help="the merged file to write")
    p.add_argument(
        "--workspace",
        "-w",
        type=Path,
        help="the workspace the pack was made from: also check every case id, hash and label "
        "against it",
    )
    _common(p, sub=True)

    p = sub.add_parser(
        "agreement",
        help="the judge against the raters before review, and against the final labels after",
        description="Per criterion, with bootstrap 95% intervals: before any review, the judge "
        "against the original raters' consensus and the raters among themselves (Fleiss' "
        "kappa, Krippendorff's alpha, the human ceiling, AlpacaEval's human agreement); after "
        "review, how far reviewers agree with each other and the judge and each rater with the "
        "final labels, beside the judge against the raters on the same cases. FILE is a "
        "workspace (any: right after import it has the figures before review), a merged file, "
        "or the reviewers' labelled files (merged on the fly). See docs/agreement.md.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    p.add_argument("--json", action="store_true", help="print JSON instead of tables")
    p.add_argument("--markdown", type=Path, metavar="OUT", help="also write a Markdown report")
    p.add_argument("--html", type=Path, metavar="OUT", help="also write an HTML report")
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the bootstrap intervals (default 0)"
    )
    p.add_argument(
        "--resamples",
        type=int,
        default=DEFAULT_RESAMPLES,
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES})",
    )
    _common(p, sub=True)

    p = sub.add_parser("summary", help="counts and agreement of judge and raters")
    p.add_argument("target", type=Path, help="a workspace, or a case file (read without saving)")
    p.add_argument("--json", action="store_true", help="print JSON")
    _input_options(p)
    _common(p, sub=True)
    return parser


def gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Open the review window. With no PATH, opens the bundled sample project.",
        epilog=f"Commands (no window): {', '.join(COMMANDS)}. Run 'annotator COMMAND --help'.",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    parser.add_argument(
        "path", nargs="?", type=Path, help="a case file (.jsonl, .csv) or a workspace"
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="open the window, wait until it shows its first case, then quit (exit status 0); "
        "checks an installed build",
    )
    _common(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    is_command = _first_word(args_list) in COMMANDS
    parser = build_parser() if is_command else gui_parser()
    args = parser.parse_args(args_list)
    if getattr(args, "basedir", None):
        os.environ[paths.BASEDIR_ENV] = str(Path(args.basedir).resolve())
    if not is_command:
        return console.guarded(lambda: _run_gui(args.path, self_test=args.self_test), EXPECTED)
    return console.guarded(lambda: _dispatch(args), EXPECTED)


def _dispatch(args: argparse.Namespace) -> int:
    run = {"import": _cmd_import, "export": _cmd_export, "merge": _cmd_merge,
           "agreement": _cmd_agreement, "summary": _cmd_summary}  # fmt: skip
    return run[args.command](args)


def _first_word(args: list[str]) -> str | None:
    """The first argument that is not an option or an option's value (--basedir DIR)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--basedir":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return None


def gui_main() -> int:
    return main()


def _run_gui(path: Path | None, *, self_test: bool = False) -> int:
    if path is not None and not path.exists():
        console.say(f"annotator: error: {path} does not exist")
        return 1
    from annotator.ui import app  # Qt is imported only when a window is wanted

    return app.self_test(path) if self_test else app.run(path)


def _import(ws: Workspace, path: Path, args: argparse.Namespace) -> ImportReport:
    """Import with the options of _input_options(); skipped lines are reported on stderr."""
    try:
        mapping = FieldMapping.parse(args.map) if args.map else None
        if args.threshold is not None:
            check_threshold(args.threshold)
        long = long_format(args.rater_field, args.judge_rater, mapping)
    except ValueError as exc:  # (they only check what they are given)
        raise CliError(str(exc)) from None
    report = import_file(
        ws,
        path,
        mapping,
        strict=args.strict,
        encoding=args.encoding,
        fmt=args.fmt,
        threshold=args.threshold,
        long=long,
    )
    for line in report.describe_problems():
        console.say(f"annotator: skipped {line}")
    return report


def _cmd_import(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise CliError(f"{args.file} is not a file")
    target = args.workspace or default_workspace_for(args.file)
    into = ImportTarget.open(
        args.file, target, busy_seconds=args.wait, on_wait=console.WaitNotice(target)
    )
    try:
        _print_report(_import(into.ws, args.file, args), into.ws, args.json)
    except BaseException:
        into.abandon()  # a refused file leaves no workspace made for it behind
        raise
    finally:
        into.ws.close()
    return 0


def _print_report(report: ImportReport, ws: Workspace, as_json: bool) -> None:
    console.show(report.to_json(ws.path, ws.case_count()) if as_json else report.describe(ws.path))


def _open(path: Path, args: argparse.Namespace) -> Workspace:
    return Workspace.open(path, busy_seconds=args.wait, on_wait=console.WaitNotice(path))


def _open_existing(path: Path, args: argparse.Namespace) -> Workspace:
    if not path.exists():
        raise CliError(f"{path} does not exist")
    if not Workspace.is_workspace(path):
        raise CliError(f"{path} is not a workspace; import it first with 'annotator import {path}'")
    return _open(path, args)


def _cmd_export(args: argparse.Namespace) -> int:
    fmt = export_format(args.output, args.fmt)
    ws = _open_existing(args.workspace, args)
    try:
        try:
            refuse_precious(ws, args.output)
        except ValueError as exc:  # (it only checks the name it is given)
            raise CliError(str(exc)) from None
        if args.merged:
            if fmt != "jsonl" or args.all or args.rescue:
                raise CliError(
                    "--merged writes JSON Lines with every merged case "
                    "(no --format csv, --all or --rescue)"
                )
            if not has_reviews(ws):
                raise CliError(
                    f"no reviewer files were merged into {args.workspace.name}; "
                    "merge them in the window (File > Merge reviewer files) first"
                )
            console.show(export_merged(ws, args.output).describe())
            return 0
        options = {"include_undecided": args.all, "formula_guard": args.formula_guard}
        if args.rescue:
            console.show(rescue_decisions(ws, args.output, fmt, **options).describe(args.output))
            return 0
        n = export_decisions(ws, args.output, fmt, **options)
    finally:
        ws.close()
    what = "cases" if args.all else "decisions"
    console.show(f"Wrote {n} {what} to {args.output}")
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    ws = _open_existing(args.workspace, args) if args.workspace is not None else None
    try:
        report = merge_to_file(args.files, args.output, against=ws)
    finally:
        if ws is not None:
            ws.close()
    console.show(report.describe())
    return 0


def _cmd_agreement(args: argparse.Namespace) -> int:
    if args.resamples < 0:
        raise CliError("--resamples must be 0 or more")
    report = report_of(
        args.files,
        seed=args.seed,
        resamples=args.resamples,
        open_workspace=lambda p: _open(p, args),
    )
    for out, render in ((args.markdown, render_markdown), (args.html, render_html)):
        if out is not None:
            with atomic_write(out) as fh:
                fh.write(render(report, overruled_limit=None))
    if args.json:
        console.show(report_to_json_text(report, overruled_limit=100))
    else:
        console.show(render_text(report))
    for out in (args.markdown, args.html):
        if out is not None:
            console.say(f"wrote {out}")
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    if not args.target.exists():
        raise CliError(f"{args.target} does not exist")
    if Workspace.is_workspace(args.target):
        options = {"map": args.map, "threshold": args.threshold, "strict": args.strict,
                   "encoding": args.encoding, "format": args.fmt,
                   "rater-field": args.rater_field, "judge-rater": args.judge_rater}  # fmt: skip
        # "is", not "in": --threshold 0 is given, though 0 == False.
        given = [
            f"--{o}" for o, v in options.items() if v is not None and v is not False and v != []
        ]
        if given:
            raise CliError(
                f"{', '.join(given)} apply to reading a case file, not to a workspace; to change "
                f"a workspace's threshold: annotator import FILE -w {args.target} --threshold N"
            )
        ws = _open(args.target, args)
    else:
        ws = Workspace.open(None)
    try:
        if ws.path is None:  # a case file, read without saving
            _import(ws, args.target, args)
        summary = summarize(ws)
    finally:
        ws.close()
    console.show(console.json_text(summary.to_json()) if args.json else format_summary(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
