"""``annotator alignment WS [--json] [--markdown OUT] [--html OUT]``: every judge run against
the final labels, on the held-out cases and on all decided cases (docs/alignment.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from annotator import console
from annotator.domain.agreement import DEFAULT_RESAMPLES
from annotator.fileio import atomic_write
from annotator.services.alignment import (
    alignment_report,
    render_html,
    render_markdown,
    render_text,
    report_to_json_text,
)
from annotator.services.exporter import refuse_precious
from annotator.services.workspace import Workspace


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


def alignment_command(ws: Workspace, args: argparse.Namespace) -> None:
    """Print the report (text or JSON) and write the files asked for, each atomically; a file
    that would replace the workspace or a case file imported into it is refused (ValueError)
    before anything is computed."""
    outs = [out for out in (args.markdown, args.html) if out is not None]
    for out in outs:
        refuse_precious(ws, out)
    report = alignment_report(ws, seed=args.seed, resamples=args.resamples)
    for out, render in ((args.markdown, render_markdown), (args.html, render_html)):
        if out is not None:
            with atomic_write(out) as fh:
                fh.write(render(report))
    console.show(report_to_json_text(report) if args.json else render_text(report))
    for out in outs:
        console.say(f"wrote {out}")
