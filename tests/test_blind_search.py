"""Text search under blind-first review finds exactly what a reviewer can read before the
reveal: a case's id, input, output(s), reference and meta values, and the reviewer's own
rationale; never the judge's rationale or model, the raters' names or comments, nor the merged
reviewers' rationales. Checked against a plain Python substring check on a generated project,
with the search index not built yet and complete, in both forms of the queue's query (all the
ids, and the first rows walked in queue order); and without blind first, search is as before.
A cell of the judge's confusion matrix lists, blind, only the cases decided or revealed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from annotator.services.blind import set_blind
from annotator.services.exporter import export_decisions
from annotator.services.importer import import_file
from annotator.services.merge import merge_into_workspace
from annotator.services.queue import QueueFilter, queue_ids
from annotator.services.review import ReviewService
from annotator.services.search_index import build_search_index, pending
from annotator.services.workspace import Workspace
from annotator.storage.db import driver_connection
from annotator.storage.queue import select_ids
from benchmarks.generate import write_project

OWN = "Quokka seen in 2023_audit"
THEIRS = "Wombat burrow noted"
NEEDLES = [
    "judge-v2",  # the judge's model: everywhere, never blind
    "rater1",  # raters' names
    "tickets",  # meta
    "case-00001",  # ids
    "evidence",  # in every kind of text
    "tenant tenant",
    "Symptoms one can",  # a judge's rationale (see ``judge_only``)
    "quokka",  # the reviewer's own rationale
    "2023_audit",
    "wombat",  # a merged reviewer's rationale: never blind
    "the",
    "th",  # no trigram
    "e",
    "%",
    "_",
    "?\no",  # a line break (across two fields): no narrowing by the search text
    "zzqx",
]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gen") / "project.jsonl"
    write_project(path, 300, seed=3)
    return path


@pytest.fixture
def lead(project: Path, tmp_path: Path) -> Any:
    """A lead's workspace, index not built: own rationales on three cases, a reviewer's on
    three others (merged)."""
    reviewer = Workspace.open(tmp_path / "rev.annotator")
    import_file(reviewer, project)
    review = ReviewService(reviewer, "rev")
    for cid in ("case-0000010", "case-0000011", "case-0000012"):
        review.decide(review.row_id(cid) or 0, _some_label(reviewer, cid), THEIRS)
    export_decisions(reviewer, tmp_path / "rev.jsonl")
    reviewer.close()
    ws = Workspace.open(tmp_path / "lead.annotator")
    import_file(ws, project)
    merge_into_workspace(ws, [tmp_path / "rev.jsonl"])
    own = ReviewService(ws, "lead")
    for cid in ("case-0000020", "case-0000021", "case-0000022"):
        own.decide(own.row_id(cid) or 0, _some_label(ws, cid), OWN)
    yield ws
    ws.close()


def _some_label(ws: Workspace, cid: str) -> str:
    with ws.engine.connect() as conn:
        return str(
            conn.execute(
                text("SELECT judge_label FROM cases WHERE ext_id = :c"), {"c": cid}
            ).scalar_one()
        )


def visible_fields(data: dict[str, Any]) -> list[str]:
    """What the case view shows under blind first, field by field (labels and who said what
    are hidden)."""
    fields = [data["id"], data["input"], data.get("output") or "", data.get("reference") or ""]
    fields += list((data.get("outputs") or {}).values())
    fields += [v if isinstance(v, str) else json.dumps(v) for v in data.get("meta", {}).values()]
    return fields


def expected(ws: Workspace, needle: str, *, blind: bool) -> set[str]:
    """By plain Python: blind, the visible fields (one a line, as the search text has them) or
    the own rationale hold the needle; not blind, the whole search text or any rationale (own
    or merged)."""
    folded = needle.casefold()
    found = set()
    with ws.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.ext_id, t.data, t.search, d.rationale, "
                "(SELECT group_concat(rationale, char(10)) FROM review v WHERE v.case_id = c.id) "
                "FROM cases c JOIN case_text t ON t.case_id = c.id "
                "LEFT JOIN decision d ON d.case_id = c.id"
            )
        )
        for ext_id, data, search, own, theirs in rows:
            if blind:
                shown = "\n".join(f for f in visible_fields(json.loads(data)) if f)
                texts = [shown, own or ""]
            else:
                texts = [search, own or "", theirs or ""]
            if any(folded in t.casefold() for t in texts):
                found.add(ext_id)
    return found


def searched(ws: Workspace, needle: str, *, blind: bool) -> set[str]:
    """The queue's ids, and the same query in its first-rows form, as case ids."""
    flt = QueueFilter(kinds=None, text=needle, blind=blind)
    ids = list(queue_ids(ws, flt))
    assert len(ids) == len(set(ids))
    with ws.engine.connect() as conn:
        db = driver_connection(conn)
        query, params = select_ids(flt, db, first_rows=True)
        first = [row[0] for row in db.execute(query, params)]
        assert sorted(first) == sorted(ids)
        names = dict(db.execute("SELECT id, ext_id FROM cases").fetchall())
    return {names[i] for i in ids}


def test_blind_search_is_the_visible_text_and_not_blind_is_as_before(lead: Workspace) -> None:
    assert pending(lead).waiting > 0  # the index not built yet: the rows are scanned
    before = {n: (searched(lead, n, blind=True), searched(lead, n, blind=False)) for n in NEEDLES}
    assert build_search_index(lead)
    assert pending(lead).waiting == 0
    for needle in NEEDLES:
        blind = searched(lead, needle, blind=True)
        assert blind == expected(lead, needle, blind=True), needle
        assert searched(lead, needle, blind=False) == expected(lead, needle, blind=False), needle
        assert before[needle] == (blind, searched(lead, needle, blind=False)), needle
    # what blind first keeps out
    assert not searched(lead, "judge-v2", blind=True) and searched(lead, "judge-v2", blind=False)
    assert searched(lead, "wombat", blind=False) == {f"case-00000{i}" for i in (10, 11, 12)}
    assert not searched(lead, "wombat", blind=True)
    assert searched(lead, "quokka", blind=True) == {f"case-00000{i}" for i in (20, 21, 22)}
    assert not searched(lead, "rater1", blind=True)


def test_a_word_only_in_a_judge_rationale_is_found_only_when_not_blind(lead: Workspace) -> None:
    word = judge_only(lead)
    assert searched(lead, word, blind=False)
    assert searched(lead, word, blind=True) == set()


def judge_only(ws: Workspace) -> str:
    """Four letters of some judge's rationale that no visible text, rater or rationale holds."""
    with ws.engine.connect() as conn:
        cases = [json.loads(d) for (d,) in conn.execute(text("SELECT data FROM case_text"))]
    seen = "\n".join(
        "\n".join(visible_fields(c) + [r.get("comment", "") for r in c["ratings"]]) for c in cases
    ).casefold()
    for c in cases:
        rationale = c["judge"]["rationale"].casefold()
        for i in range(len(rationale) - 3):
            piece = rationale[i : i + 4]
            if piece not in seen and piece not in OWN.casefold() + THEIRS.casefold():
                return piece
    pytest.skip("every piece of the judges' rationales is visible somewhere")
    return ""


def test_a_matrix_cell_lists_blind_only_the_cases_decided_or_revealed(lead: Workspace) -> None:
    with lead.engine.connect() as conn:
        criterion, judge = conn.execute(
            text("SELECT criterion, judge_label FROM cases WHERE ext_id = 'case-0000010'")
        ).one()
        reviewed, other = set(), None  # the cell's cases the reviews settle; one more
        for (ext_id,) in conn.execute(
            text("SELECT ext_id FROM cases WHERE criterion = :c AND judge_label = :j"),
            {"c": criterion, "j": judge},
        ):
            if ext_id in ("case-0000010", "case-0000011", "case-0000012"):
                reviewed.add(ext_id)
            elif other is None and ext_id not in ("case-0000020", "case-0000021", "case-0000022"):
                other = ext_id
    assert other is not None
    review = ReviewService(lead, "lead")
    review.decide(review.row_id(other) or 0, judge, "The judge was right")

    def cell(*, blind: bool) -> set[str]:
        flt = QueueFilter(kinds=None, judge_truth=(criterion, judge, judge), blind=blind)
        with lead.engine.connect() as conn:
            names = dict(conn.execute(text("SELECT id, ext_id FROM cases")).all())
        return {names[i] for i in queue_ids(lead, flt)}

    assert cell(blind=False) == reviewed | {other}
    assert cell(blind=True) == {other}  # the reviews' cases would tell the judge's label
    set_blind(lead, blind_first=True)
    review.reveal(review.row_id("case-0000010") or 0, judge)
    assert cell(blind=True) == {other, "case-0000010"}
