"""The command line's arguments: the commands' parsers and their help (no Qt, no work done)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from annotator import __version__, console
from annotator.cli.blind import blind_parser
from annotator.cli.judge_runs import judge_run_parser
from annotator.cli.rubric import rubric_parser
from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.domain.split import DEFAULT_FRACTION, DEFAULT_SEED
from annotator.formats.mapping import TARGETS
from annotator.formats.presets import names as preset_names
from annotator.formats.reader import FORMATS as READ_FORMATS
from annotator.services.calibration import DEFAULT_EXAMPLES
from annotator.services.exporter import FORMATS

PRESET_NAMES = preset_names()
COMMANDS = (
    "import",
    "export",
    "summary",
    "merge",
    "agreement",
    "calibrate",
    "split",
    "judge-run",
    "blind",
    "rubric",
    "alignment",
)


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
        _quiet(parser, sub=True)


def _quiet(parser: argparse.ArgumentParser, *, sub: bool = False) -> None:
    """``--quiet``: before or after the command (an absent one after keeps one before)."""
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        default=argparse.SUPPRESS if sub else False,
        help="no progress bar on stderr (shown only when stderr is a terminal)",
    )


def _input_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        metavar="NAME",
        help=f"read a tool's export as it is: {', '.join(PRESET_NAMES)} (docs/formats.md, "
        "'Presets'); a --map replaces the preset's mapping of that field",
    )
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
        "--labels",
        metavar="SOURCE:VALUE=LABEL,...",
        action="append",
        default=[],
        help="read each source's label values as labels: judge:Tie=tie,garbage= (an empty "
        "LABEL: the judge gave no verdict, the case is not imported), ratings:0=tie,1=A,2=B, "
        "ratings.RATER:... for one rater (docs/formats.md, 'Label values')",
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
        "--round",
        metavar="[SOURCE:]MODE",
        action="append",
        default=[],
        help="round a score between a numeric scale's labels (4.5 on 1-5) to a label: MODE is "
        "half-even, half-up, down or up; SOURCE judge or ratings (default: both). Without it "
        "such scores stop the import (--yes skips their cases; docs/formats.md)",
    )
    parser.add_argument(
        "--columns",
        metavar="PATTERN",
        help="many criteria in one row: the raters' columns, e.g. '{criterion}_{rater}' "
        "(with --judge-columns); each row becomes a case per criterion, its id ROW|CRITERION",
    )
    parser.add_argument(
        "--judge-columns",
        metavar="PATTERN",
        help="many criteria in one row: the judge's columns, e.g. 'gpt4_{criterion}'",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="refuse the whole file on any bad line instead of skipping it",
    )
    _join_options(parser)


def _join_options(parser: argparse.ArgumentParser) -> None:
    join = parser.add_argument_group(
        "joined files", "the judge's verdicts and people's labels from files of their own, "
        "joined to the cases by id (docs/formats.md, 'Joining files')"
    )  # fmt: skip
    join.add_argument(
        "--judge",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="the judge's verdicts, one record per id (its label, rationale, score and model "
        "fields are guessed; --judge-map names them)",
    )
    join.add_argument("--judge-name", metavar="NAME", help="the judge's name (its model)")
    join.add_argument(
        "--judge-map",
        metavar="FIELD=THEIRS",
        action="append",
        default=[],
        help="read the judge's FIELD (label, rationale, score, model) from the judge file's "
        "THEIRS: label=result",
    )
    join.add_argument(
        "--ratings",
        metavar="FILE",
        type=Path,
        action="append",
        default=[],
        help="people's labels: a field per rater (guessed: annotator1, human_2...; else every "
        "other field), or with --ratings-rater-field one row per rating; may be repeated",
    )
    join.add_argument(
        "--ratings-map",
        metavar="OURS=THEIRS",
        action="append",
        default=[],
        help="as --map, for the ratings files: ratings.alice=Alice (or ratings=FIELD: each "
        "row's label, in long format)",
    )
    join.add_argument(
        "--ratings-rater-field",
        metavar="FIELD",
        help="the ratings files are in long format: FIELD names each row's rater",
    )
    join.add_argument(
        "--on",
        metavar="FIELD",
        help="the field that joins the files: the case id (default: the field --map id= "
        "names, else id); CASESFIELD=SIDEFIELD when the joined files name it otherwise; "
        "a+b joins several, as --map id=a+b",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator",
        description="Review cases where an LLM judge and human raters disagree.",
        epilog=f"Run 'annotator COMMAND --help' for a command's options. {console.STATUSES}",
    )
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    _common(parser)
    _quiet(parser)
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
    p.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="import even when the judge and the raters use different label values, a label "
        "is rare, no case is rated or most lines are skipped (else nothing is imported and "
        "the counts are shown)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="replace the cases of an earlier import of the same file (with another mapping) "
        "while no reviewer has worked on them",
    )
    _input_options(p)
    _common(p, sub=True)

    p = sub.add_parser("export", help="write the labelled file (decisions) of a workspace")
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
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
        "--with-source",
        action="store_true",
        help="write each case's original record as imported, in the source's own fields and "
        "format, with the decision added (JSON: under 'annotator'; CSV: annotator_* columns)",
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
        help="merge reviewers' labelled files into one merged file, or into a lead's workspace",
        description="Merge the labelled files that reviewers sent back: with -o into one merged "
        "file (one line per case with the final label, unanimous or open as a reviewer "
        "conflict, every reviewer's label and rationale, and the original judge and rater "
        "labels); with --into into the workspace the pack was made from, as File > Merge "
        "reviewer files does (the lead's workspace: its agreement, alignment, calibration pack "
        "and 'export --merged' then use them; the conflicts are settled in the window). Nothing "
        "is written if any file has a problem.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="reviewers' labelled files")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("-o", "--output", type=Path, help="the merged file to write")
    where.add_argument(
        "--into",
        type=Path,
        metavar="WORKSPACE",
        help="store the reviewers' decisions in this workspace (the pack's); merging a file "
        "again changes nothing",
    )
    p.add_argument("--json", action="store_true", help="print the merge's report as JSON")
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
        "workspace (any: right after import it has the figures before review) or the case file "
        "it was made from, a merged file, "
        "or the reviewers' labelled files (merged on the fly). The judge is the verdicts "
        "imported with the cases: the report names it, and where judge runs were added later "
        "(annotator alignment compares those), says that they are not in its figures. See "
        "docs/agreement.md.",
    )
    p.add_argument("files", type=Path, nargs="+", metavar="FILE")
    report_options(p)
    _common(p, sub=True)

    _calibrate_parser(sub)
    _split_parser(sub)
    judge_run_parser(sub, _common)
    blind_parser(sub, _common)
    rubric_parser(sub, _common)
    add_alignment_parser(sub, _common)

    p = sub.add_parser(
        "summary",
        help="counts and agreement of judge and raters",
        description="The cases by kind and status, and how far the judge and the raters agree "
        "(the judge being the verdicts imported with the cases, named as the agreement report "
        "names it; --json: measured_judge).",
    )
    p.add_argument("target", type=Path, help="a workspace, or a case file (read without saving)")
    p.add_argument("--json", action="store_true", help="print JSON")
    _input_options(p)
    _common(p, sub=True)
    return parser


def _calibrate_parser(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="write a calibration pack: examples for the judge's prompt, held-out cases",
        description="Split the decided cases into examples and held-out cases (by a seeded "
        "hash of each case id: a case never moves) and write into DIR: examples.jsonl and "
        "prompt.md (the experts' critiques, the judge's mistakes first), heldout.jsonl (the "
        "held-out cases without any label, to re-run the judge on) and manifest.json. See "
        "docs/alignment.md.",
    )
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="pack folder")
    p.add_argument(
        "--examples",
        type=int,
        default=DEFAULT_EXAMPLES,
        metavar="K",
        help=f"examples per criterion (default {DEFAULT_EXAMPLES})",
    )
    p.add_argument(
        "--heldout",
        "--fraction",  # (as annotator split calls it)
        type=float,
        metavar="FRACTION",
        help="share of decided cases held out, 0 to 1, for this pack only (default: the "
        f"project's, {DEFAULT_FRACTION:g} unless 'annotator split' set it)",
    )
    p.add_argument(
        "--seed",
        type=int,
        help="split seed for this pack only (default: the project's, "
        f"{DEFAULT_SEED} unless 'annotator split' set it)",
    )
    _common(p, sub=True)


def _split_parser(sub: Any) -> None:
    p = sub.add_parser(
        "split",
        help="show (or set) the project's held-out split: share, seed and counts",
        description="Show the project's held-out split: its held-out share and seed, and how "
        "the decided cases fall into examples and held-out, per criterion x final label. With "
        "--fraction or --seed, set them (saying how many decided cases move). The queue, the "
        "exports and the calibration pack use them. See docs/alignment.md, 'The split'.",
    )
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
    p.add_argument(
        "--fraction",
        "--heldout",  # (as annotator calibrate calls it)
        type=float,
        metavar="F",
        help=f"set the share of decided cases held out, 0 to 1 (new projects: "
        f"{DEFAULT_FRACTION:g})",
    )
    p.add_argument(
        "--seed", type=int, metavar="N", help=f"set the split seed (new projects: {DEFAULT_SEED})"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    _common(p, sub=True)


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


def add_alignment_parser(sub: Any, common: Any) -> None:
    """The command's parser; ``common(parser)``: the options every command has."""
    p = sub.add_parser(
        "alignment",
        help="each judge run against the final labels, held-out cases first",
        description="Per criterion, with bootstrap 95% intervals: every judge run's accuracy, "
        "Cohen's kappa, precision, recall and F1 per label and macro F1 against the final "
        "labels, on the held-out cases of the project's split (the headline) and on all "
        "decided cases; the human ceiling on those same cases; and each run against the one "
        "before (McNemar's exact test, the cases fixed and broken). A warning names held-out "
        "cases that were calibration examples. See docs/alignment.md.",
    )
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
    report_options(p)
    common(p, sub=True)


def report_options(p: argparse.ArgumentParser) -> None:
    """A report's options (``agreement`` and ``alignment``): its outputs and its intervals."""
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
        help=f"bootstrap resamples (default {DEFAULT_RESAMPLES}; 0: no intervals)",
    )
