"""Write the hostile sample: every kind of text that tries to act, in every field and header.

    python -m tests.data.hostile.make

Fifteen cases (``cases.jsonl``, and the same cases as ``cases.csv`` with its sidecar
``cases.project.json``) whose ids, input, outputs, reference, judge rationale and model, rater
names and comments, meta keys and values, project title, guidelines, rubrics, criterion and
label names carry markup (``<b>``, ``<img src=http://…>``, ``<a href=file:///…>``,
``<style>``, ``<script>``), entities, a line of 200,000 characters, right-to-left overrides
and isolates, a right-to-left name, zero-width joiners, emoji, terminal escapes, U+2028,
U+2029 and U+0085, and the starts of spreadsheet formulas (``=``, ``+``, ``-``, ``@``, tab,
CR); ``&`` in ids.

And two reviewers' labelled files, exported by annotator from those cases with hostile
rationales, tags and reviewer names (``reviews/ana.jsonl``, and ``reviews/ben.csv`` exported
as CSV, formula guard on), for the frozen app's smoke test (packaging/smoke_test.py), which
merges and reports them. tests/test_hostile.py and tests/test_hostile_gui.py take every step
with these, from import to report; the case files must be what this script writes
(test_the_hostile_sample_is_what_make_writes).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

MARKUP = (
    '<b>bold</b><img src="http://127.0.0.1:9/pixel.png"><a href="file:///etc/passwd">link</a>'
    "<style>*{color:red}</style><script>alert(1)</script>"
)
ENTITIES = "&amp; &lt;b&gt; &#x202E; &nbsp; &copy"
BIDI = "\u202epass\u202c \u2067isolate \u2069\u2069 \u200f\u202dltr"
"""An override that turns "pass" into "ssap", an isolate with a stray PDI after it, marks."""
ZERO_WIDTH = "zero\u200bwidth\u200cnon\u200djoiner\ufeff 👩\u200d💻"
EMOJI = "🙂🔥👨‍👩‍👧🇺🇳"
TERMINAL = (
    "\x1b[31mRED\x1b[0m \x1b]0;pwned\x07 \x1b]8;;http://127.0.0.1:9/\x1b\\click\x1b]8;;\x1b\\"
)
SEPARATORS = "line\u2028separator\u2029paragraph\x85next line"
FORMULA = '=HYPERLINK("http://127.0.0.1:9/","click")'
EVERYTHING = " ".join((MARKUP, ENTITIES, BIDI, ZERO_WIDTH, EMOJI, TERMINAL, SEPARATORS, FORMULA))
"""Every kind at once."""
LONG = "W" * 199_990 + "<b>end</b>"
"""One line of 200,000 characters (no space to wrap at)."""
STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes a cell beginning with for a formula."""


def hostile(n: int, what: str, *, strippable: bool = False) -> str:
    """Text for field ``what`` of case ``n``: a formula start (one a case), the field's name,
    every kind of hostile text. ``strippable``: the field is stripped when read (ids, labels,
    names): no tab or CR to start it."""
    starts = STARTS[:4] if strippable else STARTS
    return f"{starts[n % len(starts)]}{what} {n} {EVERYTHING}"


# -- the project ----------------------------------------------------------------------------------

TITLE = f"\t<b>Hostile</b> [*] sample & \u202eeltit\u202c \x1b]0;pwned\x07 🙂 {FORMULA}"
CRITERION_A = "<i>tone</i> & \u202eelyts\u202c 🙂"
CRITERION_B = "=score\x1b[31m <img src=x>"
DEFAULT_LABELS = ["=pass", "-fail", "<b>maybe</b> & \u202eno\u202c\u2028x"]
LABELS_A = ["@good", "+bad", "R&D \u2067x\u2069 <script>"]
LABELS_B = ["1", "2", "3"]
RATERS = [
    "<b>ann</b>",
    "\u202eboB\u202c & co",
    "=cmd|' /C calc'!A0",
    "@rater\x1b[31m",
    "🙂 zw\u200dj",
    "+ro\u2028ws",
    "-minus <img src=http://127.0.0.1:9/r.png>",
    "R&D &amp; \u2067team",
    "ליאור 7",
]


def project() -> dict[str, Any]:
    return {
        "title": TITLE,
        "guidelines": f"Guidelines: {EVERYTHING}\nSecond line {MARKUP}",
        "labels": DEFAULT_LABELS,
        "rubric": f"Rubric {EVERYTHING} {LONG}",
        "criteria": {
            CRITERION_A: {"labels": LABELS_A, "rubric": f"Rubric A {EVERYTHING}"},
            CRITERION_B: {
                "labels": [int(x) for x in LABELS_B],
                "ordinal": True,
                "threshold": 0,
                "rubric": f"Rubric B {EVERYTHING}",
            },
        },
    }


def _scale(n: int) -> tuple[str | None, list[str]]:
    """Case ``n``'s criterion (None: the default) and its labels."""
    if n < 9:
        return None, DEFAULT_LABELS
    return (CRITERION_A, LABELS_A) if n < 12 else (CRITERION_B, LABELS_B)


def case_id(n: int) -> str:
    if n == 5:
        return f"{n:02d}{LONG}"
    return f"{STARTS[n % 4]}{n:02d} R&D&amp;<id> \u202e{n}di\u202c {EMOJI} \x1b[1m"


def case(n: int) -> dict[str, Any]:
    """Case ``n`` in the JSON Lines shape: the judge disagrees with every rater."""
    criterion, labels = _scale(n)
    judge, rated = labels[0], labels[1 + n % 2]
    raters = RATERS if n in (3, 8, 13) else RATERS[n % 3 : n % 3 + 3]  # > 6: a compact card
    ratings = [
        {"rater": r, "label": rated, **({"comment": _comment(n, i)} if i % 2 == 0 else {})}
        for i, r in enumerate(raters)
    ]
    record: dict[str, Any] = {"id": case_id(n)}
    if criterion is not None:
        record["criterion"] = criterion
    record["input"] = LONG if n == 0 else hostile(n, "input")
    if n == 7:  # a pairwise case: named candidates
        record["outputs"] = {"<b>A</b>": hostile(n, "output A"), "\u202eB": hostile(n, "output B")}
    else:
        record["output"] = hostile(n, "output")
    record["reference"] = hostile(n, "reference")
    record["judge"] = {
        "label": judge,
        "rationale": hostile(n, "judge rationale"),
        "model": f"gpt-<script>{n}</script> \u202eledom",
        "score": 0.5,
    }
    record["ratings"] = ratings
    record["meta"] = {"<img src=x>": hostile(n, "meta"), "\u202ekey": f"{FORMULA} {n}"}
    return record


def _comment(n: int, i: int) -> str:
    return LONG if (n, i) == (4, 0) else hostile(n + i, "comment")


CASES = [case(n) for n in range(15)]


# -- the files ------------------------------------------------------------------------------------


def cases_jsonl() -> str:
    """The cases as JSON Lines: a header line, then a case a line, U+2028 and the other
    separators written as they are (as a careless writer would)."""
    lines = [json.dumps({"project": project()}, ensure_ascii=False)]
    lines += [json.dumps(c, ensure_ascii=False) for c in CASES]
    return "\n".join(lines) + "\n"


def cases_csv() -> str:
    """The same cases as CSV, a column per field (``rating.<rater>``, ``comment.<rater>``,
    ``output.<name>``, ``meta.<key>``): hostile column names too. Cells as they are."""
    outputs = ["<b>A</b>", "\u202eB"]
    metas = ["<img src=x>", "\u202ekey"]
    columns = ["id", "criterion", "input", "output", *(f"output.{o}" for o in outputs)]
    columns += ["reference", "judge.label", "judge.rationale", "judge.model", "judge.score"]
    for r in RATERS:
        columns += [f"rating.{r}", f"comment.{r}"]
    columns += [f"meta.{k}" for k in metas]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(columns)
    for c in CASES:
        row = {
            "id": c["id"],
            "criterion": c.get("criterion", ""),
            "input": c["input"],
            "output": c.get("output", ""),
            "reference": c["reference"],
            "judge.label": c["judge"]["label"],
            "judge.rationale": c["judge"]["rationale"],
            "judge.model": c["judge"]["model"],
            "judge.score": str(c["judge"]["score"]),
        }
        for name, text in c.get("outputs", {}).items():
            row[f"output.{name}"] = text
        for rating in c["ratings"]:
            row[f"rating.{rating['rater']}"] = rating["label"]
            row[f"comment.{rating['rater']}"] = rating.get("comment", "")
        for key, value in c["meta"].items():
            row[f"meta.{key}"] = value
        writer.writerow([row.get(column, "") for column in columns])
    return out.getvalue()


def sidecar() -> str:
    return json.dumps({"project": project()}, ensure_ascii=False, indent=1) + "\n"


def write_case_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {
        "jsonl": folder / "cases.jsonl",
        "csv": folder / "cases.csv",
        "sidecar": folder / "cases.project.json",
    }
    made["jsonl"].write_text(cases_jsonl(), encoding="utf-8", newline="")
    made["csv"].write_text(cases_csv(), encoding="utf-8", newline="")
    made["sidecar"].write_text(sidecar(), encoding="utf-8", newline="")
    return made


# -- the reviewers --------------------------------------------------------------------------------

REVIEWERS = {
    "ana": f"<b>ana</b> \u202eanA\u202c & =1+1 {EMOJI}",
    "ben": "\x1b[31mben\x1b[0m @SUM(1) <img src=http://127.0.0.1:9/b.png> \u2067x",
}
TAGS = ["+lead", "<b>tag</b>", "a; b", "[x]", "=SUM(1)", "\u202egat\u202c", "&amp;", "-"]
"""Tags that break a naive CSV cell: one holds "; ", one looks like a list, some start
formulas."""


def decision(reviewer: str, n: int) -> dict[str, Any]:
    """What ``reviewer`` (``ana`` or ``ben``) decides on case ``n``: ana keeps to the raters,
    ben sides with the judge on every third case (a conflict for the lead)."""
    _criterion, labels = _scale(n)
    rated = labels[1 + n % 2]
    label = labels[0] if reviewer == "ben" and n % 3 == 0 else rated
    start = STARTS[(n + len(reviewer)) % len(STARTS)]
    return {
        "label": label,
        "rationale": LONG if (reviewer, n) == ("ana", 2) else f"{start}{reviewer} {n} {EVERYTHING}",
        "tags": TAGS[n % 4 : n % 4 + 4],
        "confidence": ("low", "medium", "high", None)[n % 4],
    }


DECIDED = {"ana": range(15), "ben": range(12)}
"""Which cases each reviewer decides."""


def clock() -> str:
    return "2026-01-02T03:04:05Z"


def reviewer_workspace(cases: Path, folder: Path, reviewer: str) -> Path:
    """``reviewer``'s workspace of ``cases``, with the decisions of :func:`decision`."""
    from annotator.domain.model import Confidence
    from annotator.services.importer import import_file
    from annotator.services.review import ReviewService
    from annotator.services.workspace import Workspace

    path = folder / f"{reviewer}.annotator"
    ws = Workspace.open(path)
    try:
        import_file(ws, cases)
        review = ReviewService(ws, REVIEWERS[reviewer], clock=clock)
        for n in DECIDED[reviewer]:
            d = decision(reviewer, n)
            row = review.row_id(case_id(n))
            assert row is not None
            confidence = Confidence(d["confidence"]) if d["confidence"] else None
            review.decide(row, d["label"], d["rationale"], tags=d["tags"], confidence=confidence)
    finally:
        ws.close()
    return path


def write_reviewer_files(cases: Path, folder: Path) -> dict[str, Path]:
    """ana's labelled file as JSON Lines and ben's as CSV, exported by annotator."""
    from annotator.services.exporter import export_decisions
    from annotator.services.workspace import Workspace

    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    with tempfile.TemporaryDirectory() as tmp:
        for reviewer, fmt in (("ana", "jsonl"), ("ben", "csv")):
            ws = Workspace.open(reviewer_workspace(cases, Path(tmp), reviewer))
            try:
                made[reviewer] = folder / f"{reviewer}.{fmt}"
                export_decisions(ws, made[reviewer], fmt)
            finally:
                ws.close()
    return made


def main() -> int:
    made = write_case_files(HERE)
    write_reviewer_files(made["jsonl"], HERE / "reviews")
    print(f"wrote the hostile sample into {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
