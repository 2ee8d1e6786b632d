"""Write the sample reviewer files in resources/sample/reviews/: three experts' labelled files.

    python scripts/make_sample_reviews.py              # (re)writes resources/sample/reviews/
    python scripts/make_sample_reviews.py --out DIR    # somewhere else, e.g. to compare

A lead tries the merge with these files (see resources/sample/README.md), and screenshots and
docs show them. The reviewers and their decisions (which case, label, rationale, tags,
confidence) are data, in scripts/sample_reviews.json: edit them there. The script checks that
file first and names any entry that is wrong. Each reviewer gets a throw-away workspace with the
bundled sample imported; the script decides that reviewer's cases through ReviewService, exactly
as the window would, and exports the labelled file with export_decisions. Then it merges the
three files (on their own, and into a lead's workspace) and prints the merge report.

Coverage overlaps on purpose: most cases are decided by two reviewers, a few by three or by one.
The reviewers mostly agree; eleven cases are genuine reviewer conflicts (a borderline
faithfulness call, a tie against a preference, 3 against 4 on helpfulness) for the lead to settle.

The output is deterministic: ``decided_at`` comes from a fixed clock per reviewer, so running the
script twice writes byte-identical files (as long as the sample, the decisions and the app
version are the same). Nothing of the user's is touched: ANNOTATOR_BASEDIR points at a
temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# First, before anything of annotator is imported: every folder the app uses goes to a
# throw-away directory, never to the user's data.
_BASEDIR = tempfile.TemporaryDirectory(prefix="annotator-sample-reviews-")
os.environ["ANNOTATOR_BASEDIR"] = _BASEDIR.name

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from annotator.domain.model import Confidence  # noqa: E402
from annotator.services.exporter import export_decisions  # noqa: E402
from annotator.services.importer import import_file  # noqa: E402
from annotator.services.merge import merge_files, merge_into_workspace  # noqa: E402
from annotator.services.review import ReviewError, ReviewService  # noqa: E402
from annotator.services.workspace import Workspace  # noqa: E402

DESCRIPTION = "Write the sample reviewer files in resources/sample/reviews/."
SAMPLE = ROOT / "resources" / "sample" / "sample.jsonl"
OUT = ROOT / "resources" / "sample" / "reviews"
PLAN = Path(__file__).resolve().with_name("sample_reviews.json")
"""The reviewers and every decision they make."""


@dataclass(frozen=True)
class Reviewer:
    name: str
    """Written into the file's ``reviewer`` field."""
    slug: str
    """The file name, ``<first-last>.jsonl``; a decision in the plan names its reviewer by it."""
    start: datetime
    """When this reviewer's first decision is saved (the fixed clock starts here)."""


@dataclass(frozen=True)
class Call:
    """One reviewer's decision on one case."""

    case: str
    reviewer: Reviewer
    label: str
    rationale: str
    tags: tuple[str, ...] = ()
    confidence: Confidence | None = None
    where: str = field(default="", compare=False)
    """The file and the entry it comes from, for messages."""


@dataclass(frozen=True)
class Plan:
    reviewers: tuple[Reviewer, ...]
    calls: tuple[Call, ...]


# -- reading and checking the plan ----------------------------------------------------------------

Keys = tuple[tuple[str, ...], tuple[str, ...]]
TOP_KEYS: Keys = ("reviewers", "decisions"), ("about",)
"""The keys an object of the plan must have, and those it may have."""
REVIEWER_KEYS: Keys = ("slug", "name", "start"), ("about",)
DECISION_KEYS: Keys = ("case", "reviewer", "label", "rationale"), ("confidence", "tags")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


class Bad(Exception):
    """An entry of the plan that is wrong: ``where`` names it."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")


class JsonObject(dict[str, Any]):
    """A JSON object as read, remembering the keys it was given twice (json keeps the last)."""

    repeated: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    obj.repeated = tuple(sorted(k for k, n in Counter(k for k, _ in pairs).items() if n > 1))
    return obj


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def fields(where: str, entry: Any, keys: Keys) -> dict[str, Any]:
    """``entry`` as an object with all the keys it must have, and no others than it may."""
    if not isinstance(entry, dict):
        raise Bad(where, f"should be an object {{...}}, not {as_json(entry)[:60]}")
    if isinstance(entry, JsonObject) and entry.repeated:
        raise Bad(where, f"{', '.join(entry.repeated)} given twice")
    must, may = keys
    unknown = [k for k in entry if k not in must + may]
    if unknown:
        raise Bad(where, f"unknown key {', '.join(unknown)} (one of: {', '.join(must + may)})")
    missing = [k for k in must if k not in entry]
    if missing:
        raise Bad(where, f"{', '.join(missing)} missing")
    return entry


def text(where: str, entry: dict[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise Bad(where, f"{key} should be a string with some text in it, not {as_json(value)}")
    return value


def texts(where: str, entry: dict[str, Any], key: str) -> tuple[str, ...]:
    """A list of strings, each with text in it and none twice (an absent key is none)."""
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise Bad(where, f"{key} should be a list of strings, not {as_json(value)}")
    twice = sorted(v for v, n in Counter(value).items() if n > 1)
    if twice:
        raise Bad(where, f"{key}: {', '.join(twice)} given twice")
    return tuple(value)


def read_reviewer(where: str, entry: Any) -> Reviewer:
    entry = fields(where, entry, REVIEWER_KEYS)
    slug, name, start = (text(where, entry, k) for k in ("slug", "name", "start"))
    if not SLUG.fullmatch(slug):
        raise Bad(where, f"slug {as_json(slug)} should be lower-case words joined by '-'")
    if "about" in entry:
        text(where, entry, "about")
    try:
        at = datetime.fromisoformat(start)
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None or at.utcoffset():
        raise Bad(where, f"start {as_json(start)} should be a UTC time like 2026-11-20T09:00:00Z")
    return Reviewer(name, slug, at)


def entry_name(kind: str, number: int, entry: Any) -> str:
    """``reviewer 2 (sofia-lindahl)``, ``decision 5 (faith-003 by sofia-lindahl)``: as much of
    it as the entry gives."""
    name = f"{kind} {number}"
    if not isinstance(entry, dict):
        return name
    if kind == "reviewer":
        return f"{name} ({entry['slug']})" if isinstance(entry.get("slug"), str) else name
    case, by = entry.get("case"), entry.get("reviewer")
    if isinstance(case, str):
        name += f" ({case} by {by})" if isinstance(by, str) else f" ({case})"
    return name


def read_call(where: str, entry: Any, reviewers: dict[str, Reviewer]) -> Call:
    entry = fields(where, entry, DECISION_KEYS)
    case, slug, label, rationale = (
        text(where, entry, k) for k in ("case", "reviewer", "label", "rationale")
    )
    if slug not in reviewers:
        raise Bad(where, f"reviewer {as_json(slug)} is none of: {', '.join(reviewers)}")
    confidence = entry.get("confidence")
    known = [c.value for c in Confidence]
    if confidence is not None and confidence not in known:
        raise Bad(where, f"confidence {as_json(confidence)} is none of: {', '.join(known)}")
    tags = texts(where, entry, "tags")
    sure = None if confidence is None else Confidence(confidence)
    return Call(case, reviewers[slug], label, rationale, tags, sure, where)


def read_plan(data: Any, prefix: str) -> Plan:
    """The reviewers and decisions of a plan read from JSON (``prefix`` starts each ``where``)."""
    top = fields(f"{prefix}the file", data, TOP_KEYS)
    about = top.get("about", [])  # for people only
    if not isinstance(about, list) or not all(isinstance(line, str) for line in about):
        raise Bad(f"{prefix}the file", "about should be a list of strings, the lines of a text")
    for key in ("reviewers", "decisions"):
        if not isinstance(top[key], list) or not top[key]:
            raise Bad(f"{prefix}{key}", "should be a list [...] with at least one entry")
    reviewers: dict[str, Reviewer] = {}
    for number, entry in enumerate(top["reviewers"], 1):
        where = prefix + entry_name("reviewer", number, entry)
        reviewer = read_reviewer(where, entry)
        if reviewer.slug in reviewers or reviewer.name in {r.name for r in reviewers.values()}:
            raise Bad(where, f"{reviewer.slug} ({reviewer.name}) is already a reviewer")
        reviewers[reviewer.slug] = reviewer
    calls: list[Call] = []
    first: dict[tuple[str, str], str] = {}  # each case a reviewer decides: in which entry
    for number, entry in enumerate(top["decisions"], 1):
        name = entry_name("decision", number, entry)
        call = read_call(prefix + name, entry, reviewers)
        earlier = first.setdefault((call.case, call.reviewer.slug), name)
        if earlier != name:
            raise Bad(call.where, f"{call.reviewer.slug} already decides {call.case} in {earlier}")
        calls.append(call)
    idle = [slug for slug, r in reviewers.items() if not any(c.reviewer is r for c in calls)]
    if idle:
        raise Bad(f"{prefix}decisions", f"no decision by {', '.join(idle)}")
    return Plan(tuple(reviewers.values()), tuple(calls))


def load_plan(path: Path = PLAN) -> Plan:
    """Read and check the plan: a wrong entry stops the script with a message naming it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"), object_pairs_hook=_json_object)
    except OSError as exc:
        raise SystemExit(f"{shown(path)}: cannot be read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise SystemExit(f"{shown(path)}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    try:
        return read_plan(data, f"{shown(path)}: ")
    except Bad as exc:
        raise SystemExit(str(exc)) from None


# -- deciding and writing -------------------------------------------------------------------------


class FixedClock:
    """The review service's clock: the time only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.at = start

    def advance(self, minutes: int) -> None:
        self.at += timedelta(minutes=minutes)

    def now_iso(self) -> str:
        return self.at.isoformat(timespec="seconds").replace("+00:00", "Z")


def minutes_for(call: Call) -> int:
    """Time spent on a case: reading it and writing the rationale (deterministic)."""
    return 2 + len(call.rationale) // 70


def calls_of(reviewer: Reviewer, plan: Plan) -> list[Call]:
    return [c for c in plan.calls if c.reviewer is reviewer]


def write_reviewer_file(reviewer: Reviewer, plan: Plan, out_dir: Path, scratch: Path) -> Path:
    """Import the sample into a new workspace, decide as ``reviewer``, export the file."""
    ws = Workspace.open(scratch / f"{reviewer.slug}.annotator")
    try:
        import_file(ws, SAMPLE)
        clock = FixedClock(reviewer.start)
        service = ReviewService(ws, reviewer.name, clock=clock.now_iso)
        rows: list[tuple[int, Call]] = []
        for call in calls_of(reviewer, plan):
            row_id = service.row_id(call.case)
            if row_id is None:
                raise SystemExit(f"{call.where}: {call.case} is not a case of {SAMPLE.name}")
            rows.append((row_id, call))
        for row_id, call in sorted(rows, key=lambda pair: pair[0]):  # in queue order
            try:
                service.decide(
                    row_id, call.label, call.rationale, tags=call.tags, confidence=call.confidence
                )
            except ReviewError as exc:
                raise SystemExit(f"{call.where}: {exc}") from None
            clock.advance(minutes_for(call))
        out = out_dir / f"{reviewer.slug}.jsonl"
        export_decisions(ws, out)
    finally:
        ws.close()
    return out


def check_coverage(plan: Plan, scratch: Path) -> None:
    """Every decision is on a case of the sample, and every case is decided by someone."""
    ws = Workspace.open(scratch / "coverage.annotator")
    try:
        import_file(ws, SAMPLE)
        service = ReviewService(ws)
        unknown = [c for c in plan.calls if service.row_id(c.case) is None]
        if unknown:
            raise SystemExit(
                "\n".join(f"{c.where}: {c.case} is not a case of {SAMPLE.name}" for c in unknown)
            )
        missing = ws.case_count() - len({c.case for c in plan.calls})
        if missing:
            raise SystemExit(f"{missing} cases of {SAMPLE.name} are decided by nobody")
    finally:
        ws.close()


def verify_merge(files: list[Path], scratch: Path) -> None:
    """Merge the files on their own, and into a lead's workspace made from the sample."""
    _cases, report = merge_files(files)
    print(report.describe())
    lead = Workspace.open(scratch / "lead.annotator")
    try:
        import_file(lead, SAMPLE)
        into_lead = merge_into_workspace(lead, files)
    finally:
        lead.close()
    if (into_lead.unanimous, into_lead.conflicts) != (report.unanimous, report.conflicts):
        raise SystemExit(
            f"the lead's workspace counts {into_lead.unanimous} unanimous and "
            f"{into_lead.conflicts} conflicts; the files alone {report.unanimous} and "
            f"{report.conflicts}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write (default: {OUT})")
    args = parser.parse_args(argv)
    plan = load_plan()
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(_BASEDIR.name) / "workspaces"
    scratch.mkdir(parents=True, exist_ok=True)
    check_coverage(plan, scratch)
    files: list[Path] = []
    for reviewer in plan.reviewers:
        path = write_reviewer_file(reviewer, plan, out_dir, scratch)
        print(f"{path}: {len(calls_of(reviewer, plan))} decisions by {reviewer.name}")
        files.append(path)
    verify_merge(files, scratch)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
