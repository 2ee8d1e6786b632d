"""Command line: ``annotator [FILE|WORKSPACE]`` opens the window; subcommands work without Qt.

annotator import FILE [--workspace PATH] [--map OURS=THEIRS ...] [--rater-field FIELD]
    [--judge FILE] [--ratings FILE ...] [--on FIELD]
annotator export WORKSPACE -o OUT [--format jsonl|csv]
annotator summary FILE|WORKSPACE [--json]
annotator merge FILE... -o MERGED [--workspace PATH] [--json]
annotator rubric WORKSPACE [--criterion C] [--show V] [--diff A B] [--edit FILE --note TEXT]
annotator agreement FILE...|WORKSPACE [--json] [--markdown OUT] [--html OUT]
annotator calibrate WORKSPACE -o DIR [--examples K] [--heldout FRACTION] [--seed N]
annotator alignment WORKSPACE [--json] [--markdown OUT] [--html OUT]
annotator split WORKSPACE [--fraction F] [--seed N] [--json]
annotator judge-run add|list|rename|remove|restore WORKSPACE ...
"""

from __future__ import annotations

import sys

try:  # (Ctrl+C while the command starts: the clean stop, not a traceback of an import)
    import argparse
    import os
    from collections.abc import Callable, Sequence
    from pathlib import Path
    from typing import TYPE_CHECKING

    from annotator import console, paths
    from annotator.cli.blind import blind_command
    from annotator.cli.judge_runs import judge_run_command
    from annotator.cli.parser import COMMANDS, build_parser, gui_parser
    from annotator.cli.progress import progress_bar
    from annotator.cli.rubric import rubric_command
    from annotator.cli.split import split_command
    from annotator.formats.errors import FileRefused
    from annotator.services.importer import ImportReport, ImportTarget, import_file
    from annotator.services.workspace import (
        Workspace,
        WorkspaceError,
        default_workspace_for,
        workspace_of,
    )

    # Each command imports the rest of what it uses when it runs (the agreement and
    # alignment reports' modules, say), so that an export does not wait for them.
    if TYPE_CHECKING:
        from annotator.formats import presets
        from annotator.formats.mapping import FieldMapping
        from annotator.services.summary import Summary
except KeyboardInterrupt:
    sys.stderr.write("annotator: interrupted\n")
    raise SystemExit(130) from None


class CliError(Exception):
    """An error for the user: printed to stderr, exit status 1."""


def expected() -> tuple[type[Exception], ...]:
    """The app's own errors, whose message is for the user (with OSError: console.guarded),
    asked for when a command fails (their modules are imported then, if the command had not)."""
    from annotator.services.agreement import ScaleConflict
    from annotator.services.merge import MergeError
    from annotator.services.review import ReviewError
    from annotator.services.rubrics import RubricError

    return (
        CliError, FileRefused, WorkspaceError, MergeError, ReviewError, ScaleConflict, RubricError
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    is_command = _first_word(args_list) in COMMANDS
    parser = build_parser() if is_command else gui_parser()
    args = parser.parse_args(args_list)
    args.argv = args_list  # (a command's suggestion repeats it)
    if getattr(args, "basedir", None):
        os.environ[paths.BASEDIR_ENV] = str(Path(args.basedir).resolve())
    final = argv is None  # the program itself, which ends next (not a test's call)
    if not is_command:
        return console.guarded(
            lambda: _run_gui(args.path, self_test=args.self_test), expected, final=final
        )
    return console.guarded(lambda: _dispatch(args), expected, final=final)


def _dispatch(args: argparse.Namespace) -> int:
    run = {"import": _cmd_import, "export": _cmd_export, "merge": _cmd_merge,
           "agreement": _cmd_agreement, "summary": _cmd_summary,
           "calibrate": _cmd_calibrate, "split": _cmd_split,
           "judge-run": _cmd_judge_run, "blind": _cmd_blind,
           "alignment": _cmd_alignment, "rubric": _cmd_rubric}  # fmt: skip
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


def summarize(ws: Workspace) -> Summary:
    """The summary of ``summary`` (``services.summary.summarize``, imported when asked for)."""
    from annotator.services.summary import summarize

    return summarize(ws)


def _run_gui(path: Path | None, *, self_test: bool = False) -> int:
    if path is not None and not path.exists():
        console.say(f"annotator: error: {path} does not exist")
        return 1
    from annotator.ui import app  # Qt is imported only when a window is wanted

    return app.self_test(path) if self_test else app.run(path)


def _import(
    ws: Workspace,
    path: Path,
    args: argparse.Namespace,
    cancelled: console.HeldStop | None = None,
    *,
    made_for_it: bool = False,
) -> ImportReport:
    """Import with the options of _input_options(); skipped lines are reported on stderr.
    ``cancelled``: holds a Ctrl+C from the commit on (``console.HeldStop``); ``made_for_it``:
    ``ws`` was made for this import (``import_file``)."""
    from annotator.cli.confirm import check_mapping, say_warnings
    from annotator.cli.wide import wide_columns, wide_layout
    from annotator.formats import presets
    from annotator.formats.join import join_from_options
    from annotator.formats.long import long_format
    from annotator.formats.mapping import FieldMapping
    from annotator.formats.rounding import Rounding
    from annotator.formats.values import ValueMap
    from annotator.services.classification import check_threshold

    try:
        mapping = FieldMapping.parse(args.map) if args.map else None
        if args.threshold is not None:
            check_threshold(args.threshold)
        preset = presets.preset(args.preset) if args.preset else None
        long = long_format(*_long_options(args, preset, mapping))
        values = ValueMap.parse(args.labels) if args.labels else None
        rounding = Rounding.parse(args.round)
        wide = wide_columns(args, mapping, long, preset)
        join = join_from_options(
            args.on, args.judge, args.ratings, judge_name=args.judge_name,
            judge_map=args.judge_map, ratings_map=args.ratings_map,
            ratings_rater_field=args.ratings_rater_field, mapping=mapping, long=long,
        )  # fmt: skip
        if join is not None:
            join.case_mapping(mapping)  # (said now, as the other options' problems)
    except ValueError as exc:  # (they only check what they are given)
        raise CliError(str(exc)) from None
    if preset is None:  # (a preset's records are its own shape)
        check_mapping(path, mapping, long, args)
    layout = wide_layout(path, wide, mapping, args)
    reading = "reading" if ws.path is None else "importing"
    with progress_bar(args, f"{reading} {path.name}", "B", in_bytes=True) as progress:
        report = import_file(
            ws,
            path,
            mapping,
            strict=args.strict,
            encoding=args.encoding,
            fmt=args.fmt,
            threshold=args.threshold,
            long=long,
            join=join,
            preset=preset,
            values=values,
            rounding=rounding,
            wide=layout,
            confirmed=getattr(args, "yes", True),
            replace=getattr(args, "replace", False),
            progress=progress,
            cancelled=cancelled,
            made_for_it=made_for_it,
        )
    for line in report.describe_problems():
        console.say(f"annotator: skipped {line}")
    say_warnings(report)
    return report


def _long_options(
    args: argparse.Namespace, preset: presets.Preset | None, mapping: FieldMapping | None
) -> tuple[str | None, str | None, FieldMapping | None]:
    """``--rater-field``, ``--judge-rater`` and the mapping, as ``long_format`` checks them:
    with a preset in long format, ``--judge-rater`` alone names another judge in its rows."""
    if preset is None:
        return args.rater_field, args.judge_rater, mapping
    rater_field = args.rater_field
    if rater_field is None and args.judge_rater is not None and preset.long is not None:
        rater_field = preset.long.rater_field
    return rater_field, args.judge_rater, preset.mapping_with(mapping)


def _cmd_import(args: argparse.Namespace) -> int:
    from annotator.cli.confirm import unconfirmed
    from annotator.services.import_report import ImportUnconfirmed

    if not args.file.is_file():
        raise CliError(f"{args.file} is not a file")
    target = args.workspace or default_workspace_for(args.file)
    into = ImportTarget.open(
        args.file, target, busy_seconds=args.wait, on_wait=console.WaitNotice(target)
    )
    # A Ctrl+C during the commit, which cannot stop, is held until the report is printed: it
    # then stops the search index (the cases are imported), never says they are not.
    held = console.HeldStop()
    try:
        report = _import(into.ws, args.file, args, held, made_for_it=into.created)
        _print_report(report, into.ws, args.json)
    except ImportUnconfirmed as exc:  # rolled back
        held.forget()
        into.abandon()
        return unconfirmed(exc, args.argv, as_json=args.json)
    except BaseException:
        held.forget()
        into.abandon()  # a refused file leaves no workspace made for it behind
        raise
    try:  # the cases are committed: their search index follows, in steps
        return _index_for_search(into.ws, args, held.release)
    finally:
        into.ws.close()


def _index_for_search(
    ws: Workspace, args: argparse.Namespace, first: Callable[[], None] = lambda: None
) -> int:
    """Build the search index of the cases imported (and of any an earlier import left
    waiting). Ctrl+C stops it: the cases stay imported, the index is finished next time.
    ``first``: called before (it raises the Ctrl+C held during the commit)."""
    from annotator.services.search_index import build_search_index

    if ws.path is None:
        first()
        return 0
    try:
        first()
        with progress_bar(args, "indexing for search", "cases") as progress:
            build_search_index(ws, progress)
    except KeyboardInterrupt as exc:
        how = "terminated" if isinstance(exc, console.Terminated) else "interrupted"
        console.say(
            f"annotator: {how} while indexing for search: the cases are imported; the index "
            "is finished the next time the workspace is opened in the window or imported into"
        )
        return console.EXIT_TERMINATED if how == "terminated" else console.EXIT_INTERRUPTED
    return 0


def _print_report(report: ImportReport, ws: Workspace, as_json: bool) -> None:
    console.show(report.to_json(ws.path, ws.case_count()) if as_json else report.describe(ws.path))


def _open(path: Path, args: argparse.Namespace) -> Workspace:
    return Workspace.open(path, busy_seconds=args.wait, on_wait=console.WaitNotice(path))


def _open_existing(path: Path, args: argparse.Namespace) -> Workspace:
    """The workspace ``path`` names, or the one the window made for the case file ``path``."""
    if not path.exists():
        raise CliError(f"{path} does not exist")
    found = workspace_of(path)
    if not Workspace.is_workspace(found):
        raise CliError(
            f"{path} is not a workspace, and no workspace was made for it yet; open it in the "
            f"window, or import it first with 'annotator import {path}'"
        )
    if found != path:
        console.say(f"annotator: {path.name}'s workspace: {found}")
    return _open(found, args)


def _cmd_export(args: argparse.Namespace) -> int:
    from annotator.services.exporter import export_format

    fmt = export_format(args.output, args.fmt)
    ws = _open_existing(args.workspace, args)
    # A Ctrl+C once the file is written, while it is synced and renamed into place (which
    # cannot stop), is held and then let go of: the file is there, whole, and the command says
    # so and ends as done, where it said "interrupted" of a finished file (console.HeldStop).
    held = console.HeldStop()
    try:
        return _export(ws, args, fmt, held)
    finally:
        held.forget()


def _export(ws: Workspace, args: argparse.Namespace, fmt: str, held: console.HeldStop) -> int:
    from annotator.services.exporter import (
        export_decisions,
        refuse_precious,
        rescue_decisions,
    )
    from annotator.services.merge import export_merged, has_reviews

    try:
        try:
            refuse_precious(ws, args.output)
        except ValueError as exc:  # (it only checks the name it is given)
            raise CliError(str(exc)) from None
        if args.merged:
            if fmt != "jsonl" or args.all or args.rescue or args.with_source:
                raise CliError(
                    "--merged writes JSON Lines with every merged case "
                    "(no --format csv, --all, --rescue or --with-source)"
                )
            if not has_reviews(ws):
                raise CliError(
                    f"no reviewer files were merged into {args.workspace.name}; "
                    "merge them in the window (File > Merge reviewer files) first"
                )
            with progress_bar(args, f"writing {args.output.name}", "cases") as progress:
                merged = export_merged(ws, args.output, progress=progress, cancelled=held)
            console.show(merged.describe())
            return 0
        options = {"include_undecided": args.all, "formula_guard": args.formula_guard}
        if args.with_source:
            return _export_with_source(ws, args, held)
        if args.rescue:
            rescued = rescue_decisions(ws, args.output, fmt, cancelled=held, **options)
            console.show(rescued.describe(args.output))
            return 0
        with progress_bar(args, f"writing {args.output.name}", "cases") as progress:
            n = export_decisions(ws, args.output, fmt, progress=progress, cancelled=held, **options)
    finally:
        ws.close()
    what = "cases" if args.all else "decisions"
    console.show(f"Wrote {n} {what} to {args.output}")
    if n == 0 and not args.all:
        console.show(
            f"annotator: note: {args.workspace.name} has no decision yet, so {args.output.name} "
            "is empty; --all writes every case (label null where undecided)",
            sys.stderr,
        )
    return 0


def _export_with_source(ws: Workspace, args: argparse.Namespace, held: console.HeldStop) -> int:
    from annotator.services.with_source import SourceRefused, export_with_source

    if args.fmt is not None or args.rescue:
        raise CliError("--with-source writes the source's own format (no --format or --rescue)")
    try:
        with progress_bar(args, f"writing {args.output.name}", "cases") as progress:
            done = export_with_source(
                ws,
                args.output,
                include_undecided=args.all,
                formula_guard=args.formula_guard,
                progress=progress,
                cancelled=held,
            )
    except SourceRefused as exc:
        raise CliError(str(exc)) from None
    console.show(done.describe(args.output))
    for note in done.plan.notes:
        console.say(f"annotator: note: {note}")
    if done.cases == 0 and not args.all:
        console.say(
            f"annotator: note: {args.workspace.name} has no decision yet, so {args.output.name} "
            "holds no record; --all writes every case (label null where undecided)"
        )
    return 0


def _cmd_merge(args: argparse.Namespace) -> int:
    from annotator.services.merge import merge_to_file

    if args.into is not None:
        return _merge_into(args)
    ws = _open_existing(args.workspace, args) if args.workspace is not None else None
    held = console.HeldStop()  # (as in an export: a Ctrl+C while the file is renamed in)
    try:
        try:
            with progress_bar(args, f"merging into {args.output.name}", "files") as progress:
                report = merge_to_file(
                    args.files, args.output, against=ws, progress=progress, cancelled=held
                )
        finally:
            if ws is not None:
                ws.close()
        console.show(console.json_text(report.to_json()) if args.json else report.describe())
    finally:
        held.forget()
    return 0


def _merge_into(args: argparse.Namespace) -> int:
    """``merge FILE... --into WS``: the reviewers' decisions stored in the lead's workspace, all
    or nothing (``services.merge.merge_into_workspace``)."""
    from annotator.services.merge import merge_into_workspace

    if args.workspace is not None and args.workspace != args.into:
        raise CliError("with --into, the workspace merged into is the one checked against")
    ws = _open_existing(args.into, args)
    # A Ctrl+C during the commit, which cannot stop, is held and then let go of: it came when
    # nothing was left to stop, and the report says what was merged (console.HeldStop).
    held = console.HeldStop()
    try:
        try:
            with progress_bar(args, f"merging into {ws.name}", "files") as progress:
                report = merge_into_workspace(ws, args.files, progress, cancelled=held)
        finally:
            ws.close()
        console.show(console.json_text(report.to_json()) if args.json else report.describe())
    finally:
        held.forget()
    return 0


def _cmd_agreement(args: argparse.Namespace) -> int:
    from annotator.fileio import atomic_write
    from annotator.services.agreement import (
        render_html,
        render_markdown,
        render_text,
        report_to_json_text,
    )
    from annotator.services.agreement.workspace import is_one_workspace, report_of

    if args.resamples < 0:
        raise CliError("--resamples must be 0 or more")
    files = [workspace_of(args.files[0])] if len(args.files) == 1 else args.files
    unit = "cases" if is_one_workspace(files) else "files"
    with progress_bar(args, "reading", unit) as progress:
        report = report_of(
            files,
            seed=args.seed,
            resamples=args.resamples,
            open_workspace=lambda p: _open(p, args),
            progress=progress,
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


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from annotator.services.calibration import write_pack

    if args.heldout is not None and not 0.0 <= args.heldout <= 1.0:
        raise CliError(f"--heldout must be between 0 and 1, not {args.heldout}")
    if args.examples < 0:
        raise CliError(f"--examples cannot be negative ({args.examples})")
    if args.output.exists() and not args.output.is_dir():
        raise CliError(f"{args.output} is a file; -o names the folder of the pack")
    ws = _open_existing(args.workspace, args)
    try:
        written = write_pack(
            ws, args.output, k=args.examples, fraction=args.heldout, seed=args.seed
        )
    except ValueError as exc:  # (a pack file would replace a case file or the workspace)
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    print(written.describe())
    return 0


def _cmd_split(args: argparse.Namespace) -> int:
    ws = _open_existing(args.workspace, args)
    try:
        console.show(split_command(ws, args.fraction, args.seed, args.json))
    except ValueError as exc:
        raise CliError(f"--fraction: {exc}") from None
    finally:
        ws.close()
    return 0


def _cmd_judge_run(args: argparse.Namespace) -> int:
    try:
        return judge_run_command(args, _open_existing)
    except ValueError as exc:  # (bad --map or --labels)
        raise CliError(str(exc)) from None


def _cmd_rubric(args: argparse.Namespace) -> int:
    return rubric_command(args, _open_existing)


def _cmd_blind(args: argparse.Namespace) -> int:
    return blind_command(args, _open_existing)


def _cmd_alignment(args: argparse.Namespace) -> int:
    from annotator.cli.alignment import alignment_command

    if args.resamples < 0:
        raise CliError("--resamples must be 0 or more")
    ws = _open_existing(args.workspace, args)
    try:
        alignment_command(ws, args)
    except ValueError as exc:  # (a file would replace the workspace or a case file)
        raise CliError(str(exc)) from exc
    finally:
        ws.close()
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    from annotator.services.summary import format_summary

    if not args.target.exists():
        raise CliError(f"{args.target} does not exist")
    if Workspace.is_workspace(args.target):
        options = {"map": args.map, "threshold": args.threshold, "strict": args.strict,
                   "encoding": args.encoding, "format": args.fmt,
                   "rater-field": args.rater_field, "judge-rater": args.judge_rater,
                   "preset": args.preset, "judge": args.judge, "ratings": args.ratings,
                   "on": args.on, "labels": args.labels, "round": args.round,
                   "columns": args.columns, "judge-columns": args.judge_columns,
                   "judge-name": args.judge_name,
                   "judge-map": args.judge_map, "ratings-map": args.ratings_map,
                   "ratings-rater-field": args.ratings_rater_field}  # fmt: skip
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
