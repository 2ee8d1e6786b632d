"""``annotator rubric WS [--criterion C] [--show V] [--diff A B] [--edit FILE --note TEXT]``:
a criterion's rubric versions, one version, the diff between two, or a new version
(services/rubrics.py; README, "Rubric versions")."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotator import console
from annotator.domain.rubric_versions import RubricVersion
from annotator.services import rubrics
from annotator.services.rubrics import RubricError
from annotator.services.workspace import Workspace
from annotator.settings import Settings

Common = Callable[..., None]
Opener = Callable[[Path, argparse.Namespace], Workspace]


class RubricCliError(RubricError):
    """A command line that cannot be followed (the message says why)."""


def rubric_parser(sub: Any, common: Common) -> None:
    """The ``rubric`` command (``common``: --basedir, --wait...)."""
    p = sub.add_parser(
        "rubric",
        help="list, show, compare or edit a criterion's rubric versions",
        description="Each edit of a criterion's rubric (or of the reviewer guidelines, which "
        "every criterion shares) is a new version, with its time, author and a note on what "
        "changed and why; decisions taken under an older version are marked in the window "
        "and listed by the queue's 'Decided under an older rubric'. Without --show, --diff or "
        "--edit: the versions of the criterion.",
    )
    p.add_argument("workspace", type=Path, help="a workspace, or the case file it was made from")
    p.add_argument("--criterion", "-c", help="the criterion (needed when the project has several)")
    p.add_argument("--show", type=int, metavar="V", help="print version V's rubric and guidelines")
    p.add_argument(
        "--diff", type=int, nargs=2, metavar=("A", "B"), help="print the diff from A to B"
    )
    p.add_argument(
        "--edit",
        type=Path,
        metavar="FILE",
        help="make a new version with FILE's text as the rubric (UTF-8); needs --note",
    )
    p.add_argument(
        "--guidelines", type=Path, metavar="FILE", help="with --edit: FILE's text as guidelines"
    )
    p.add_argument("--note", help="with --edit: what changed and why")
    p.add_argument(
        "--author", help="with --edit: who made it (default: your reviewer name; one is needed)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p, sub=True)


def rubric_command(args: argparse.Namespace, open_existing: Opener) -> int:
    if args.edit is None and (args.note or args.guidelines):
        raise RubricCliError("--note and --guidelines go with --edit FILE")
    ws = open_existing(args.workspace, args)
    try:
        criterion = _criterion(ws, args.criterion)
        if args.edit is not None:
            author = (args.author or Settings.load().reviewer).strip()
            if not author and (args.note or "").strip():  # (no note: the service says so)
                raise RubricCliError(
                    "say who made the edit with --author NAME (no reviewer name is set; the "
                    "window's Edit › Reviewer name… sets one)"
                )
            done = rubrics.edit(
                ws,
                criterion,
                note=args.note or "",
                author=author,
                rubric=_read(args.edit),
                guidelines=_read(args.guidelines) if args.guidelines else None,
            )
            console.show(
                console.json_text([_as_json(v) for v in done.versions])
                if args.json
                else done.describe()
            )
        elif args.diff is not None:
            console.show(rubrics.diff(ws, criterion, *args.diff).rstrip("\n"))
        elif args.show is not None:
            shown = rubrics.version(ws, criterion, args.show)
            console.show(console.json_text(_as_json(shown)) if args.json else _describe(shown))
        else:
            found = rubrics.versions(ws, criterion)
            if args.json:
                console.show(console.json_text([_as_json(v) for v in found]))
            else:
                console.show("\n".join(_line(v) for v in found))
    finally:
        ws.close()
    return 0


def _criterion(ws: Workspace, given: str | None) -> str:
    names = rubrics.criteria(ws)
    if given is not None:
        if given not in names:
            raise RubricCliError(f"no criterion '{given}'; the criteria: {', '.join(names)}")
        return given
    if len(names) == 1:
        return names[0]
    raise RubricCliError(f"say which criterion with --criterion: {', '.join(names)}")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RubricCliError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise RubricCliError(f"{path}: cannot read it: {exc.strerror or exc}") from None


def _line(v: RubricVersion) -> str:
    who = f" by {v.author}" if v.author else ""
    return f"v{v.version}  {v.created_at}{who}: {v.note}"


def _describe(v: RubricVersion) -> str:
    return f"{_line(v)}\n{v.hash}\n\n# Rubric\n{v.rubric}\n\n# Guidelines\n{v.guidelines}"


def _as_json(v: RubricVersion) -> dict[str, Any]:
    return {
        "criterion": v.criterion,
        "version": v.version,
        "created_at": v.created_at,
        "author": v.author,
        "note": v.note,
        "rubric": v.rubric,
        "guidelines": v.guidelines,
        "rubric_hash": v.hash,
    }
