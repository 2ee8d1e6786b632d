"""The paths rewritten for a million cases give the answers of the plain ones.

Text search runs on a trigram index (FTS5) and must find exactly the cases whose visible text
(``search_text``) or reviewer's rationale holds the needle, ignoring case (Unicode folding); the
index must follow every change of the case text. Kind filters and progress read severity
ranges; reclassification works in batches. Each is checked against a brute-force answer.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from sqlalchemy import text

from annotator.domain.disagreement import classify
from annotator.domain.model import Kind, LabelScheme, Status
from annotator.domain.serialize import case_from_dict, search_text
from annotator.services import classification
from annotator.services.importer import import_file
from annotator.services.queue import QueueFilter, queue_ids, queue_rows, severity_ranges
from annotator.services.review import ReviewService
from annotator.services.workspace import Workspace
from annotator.storage.db import writing
from tests.helpers import PASS_FAIL, case, write_jsonl

ROWS = [
    case(
        "alpha-1",
        input="How do I reset my PASSWORD?",
        output="Click 'Forgot password'.",
        reference="Use the reset link.",
        meta={"source": "tickets-2024"},
    ),
    case("beta_2", input="Snake_case or camelCase?", output="Use snake_case in Python: 50% of"),
    case("gamma-3", input='She said "hello" twice', output="A back\\slash and a\ttab"),
    case("délta-4", input="Le café est fermé", output="Ça ouvre à 9 h"),
    case("zeta-7", input="Die Straße ist naïve", output="日本語のテキスト 😀"),
    case("epsilon-5", input="abc", output="Nothing to see", judge="fail"),
    {
        "id": "pair-6",
        "input": "Which is kinder?",
        "outputs": {"A": "Thank you kindly", "B": "Whatever"},
        "judge": {"label": "pass", "rationale": "A is polite; zebrafish aside"},
        "ratings": [{"rater": "carol", "label": "fail", "comment": "Both are rude, IMHO"}],
    },
]
NEEDLES = [
    "password",  # input, in another case
    "PASSWORD",  # case-insensitive
    "reset link",  # reference
    "tickets-20",  # meta
    "alpha",  # id
    "ha-1",  # id fragment
    "snake_case",  # "_" is literal...
    "snakeXcase",  # ...so this matches nothing
    "a_c",  # literal underscore: not "abc"
    "50%",  # literal percent
    "%",
    "_",
    "café",  # non-ASCII, same case
    "Ça ouvre",
    "kindly",  # one of several outputs
    "zebrafish",  # judge rationale
    "imho",  # rater comment
    "carol",  # rater name (in the JSON)
    "ab",  # under three characters: no trigram
    "a",
    "e",
    "nowhere to be found",
    '"hello"',  # a quote, stored as \" in the JSON
    "back\\slash",
    "a\ttab",
    "\\",  # a backslash matches the one backslash in the text, not JSON escapes
    "judge",  # a JSON key: not what a reader sees
    "input",
    "rating",
    "STRASSE",  # Unicode case folding: ß
    "NAÏVE",
    "CAFÉ",
    "日本",  # two characters, not ASCII
    "😀",
]


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    w = Workspace.open(tmp_path / "s.annotator")
    import_file(w, write_jsonl(tmp_path / "c.jsonl", ROWS, PASS_FAIL))
    return w


def brute_force(ws: Workspace, needle: str) -> set[str]:
    """The cases whose visible text or reviewer's rationale holds the needle, ignoring case."""
    folded = needle.casefold()
    found = set()
    with ws.engine.connect() as conn:
        for ext_id, data, rationale in conn.execute(
            text(
                "SELECT c.ext_id, t.data, d.rationale FROM cases c "
                "JOIN case_text t ON t.case_id = c.id LEFT JOIN decision d ON d.case_id = c.id"
            )
        ):
            visible = search_text(case_from_dict(json.loads(data)))
            if folded in visible or folded in (rationale or "").casefold():
                found.add(ext_id)
    return found


def search(ws: Workspace, needle: str) -> set[str]:
    ids = queue_ids(ws, QueueFilter(kinds=None, text=needle))
    assert len(set(ids)) == len(ids)
    return {row.ext_id for row in queue_rows(ws, ids).values()}


def integrity_ok(ws: Workspace) -> None:
    with ws.engine.begin() as conn:
        conn.execute(text("INSERT INTO case_search(case_search) VALUES ('integrity-check')"))


@pytest.mark.parametrize("needle", NEEDLES)
def test_text_search_matches_like(ws: Workspace, needle: str) -> None:
    assert search(ws, needle) == brute_force(ws, needle)


def test_text_search_examples(ws: Workspace) -> None:
    assert search(ws, "PASSWORD") == {"alpha-1"}
    assert search(ws, "snake_case") == {"beta_2"}
    assert search(ws, "a_c") == set()
    assert search(ws, "50%") == {"beta_2"}
    assert search(ws, "café") == {"délta-4"}
    assert search(ws, '"hello"') == {"gamma-3"}
    assert search(ws, "zebrafish") == {"pair-6"}
    assert search(ws, "imho") == {"pair-6"}
    assert search(ws, "ratings") == set()  # JSON keys are not searched
    assert search(ws, "STRASSE") == {"zeta-7"}
    assert search(ws, "日本") == {"zeta-7"}


def test_text_search_finds_the_reviewers_rationale(ws: Workspace) -> None:
    review = ReviewService(ws, "rev")
    rid = review.row_id("epsilon-5")
    assert rid is not None
    assert search(ws, "Seen before_in 2023") == set()
    review.decide(rid, "pass", "Seen before_in 2023 audit")
    assert search(ws, "seen BEFORE_in") == {"epsilon-5"}
    assert search(ws, "seen beforeXin") == set()
    review.undo()
    assert search(ws, "seen before_in") == set()


def test_search_index_follows_the_case_text(ws: Workspace, tmp_path: Path) -> None:
    integrity_ok(ws)
    import_file(ws, write_jsonl(tmp_path / "more.jsonl", [case("late-7", input="quokka")]))
    assert search(ws, "quokka") == {"late-7"}
    integrity_ok(ws)
    with ws.engine.begin() as conn:
        row_id = conn.execute(text("SELECT id FROM cases WHERE ext_id = 'late-7'")).scalar()
        conn.execute(
            text(
                "UPDATE case_text SET search = replace(search, 'quokka', 'wombat') "
                "WHERE case_id = :i"
            ),
            {"i": row_id},
        )
    integrity_ok(ws)
    assert search(ws, "quokka") == set()
    assert search(ws, "wombat") == {"late-7"}
    with ws.engine.begin() as conn:
        conn.execute(text("DELETE FROM cases WHERE id = :i"), {"i": row_id})  # cascades
    integrity_ok(ws)
    assert search(ws, "wombat") == set()
    with ws.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM case_text")).scalar() == len(ROWS)


def test_kind_severity_ranges_hold_exactly_their_kind() -> None:
    rng = random.Random(3)
    schemes = [LabelScheme(("a", "b", "c")), LabelScheme(("1", "2", "3", "4", "5"), True, 1.0)]
    for _ in range(2000):
        scheme = rng.choice(schemes)
        raters = [rng.choice(scheme.labels) for _ in range(rng.randint(0, 1200))]
        c = classify(rng.choice(scheme.labels), raters[: rng.choice((0, 1, 2, 3, 1200))], scheme)
        for kind in Kind:
            low, high = kind.severity_range
            assert (low <= c.severity <= high) == (kind == c.kind)
    assert severity_ranges({Kind.JUDGE_VS_ALL, Kind.JUDGE_VS_MAJORITY, Kind.RATERS_SPLIT}) == [
        (2_000_000, 4_999_999)
    ]
    assert severity_ranges({Kind.UNRATED, Kind.RATERS_SPLIT}) == [
        (0, 999_999),
        (2_000_000, 2_999_999),
    ]
    assert severity_ranges(set()) == []


def _brute_kinds(ws: Workspace) -> dict[str, tuple[str, int]]:
    with ws.engine.connect() as conn:
        return {
            ext: (kind, status)
            for ext, kind, status in conn.execute(text("SELECT ext_id, kind, status FROM cases"))
        }


def test_kind_filters_and_progress_match_counts(tmp_path: Path) -> None:
    rng = random.Random(7)
    header = {"labels": ["1", "2", "3", "4", "5"], "ordinal": True, "threshold": 1}
    rows = []
    for i in range(300):
        raters = {f"r{j}": str(rng.randint(1, 5)) for j in range(rng.randint(0, 3))}
        rows.append(case(f"c{i:03d}", judge=str(rng.randint(1, 5)), raters=raters))
    ws = Workspace.open(tmp_path / "p.annotator")
    import_file(ws, write_jsonl(tmp_path / "p.jsonl", rows, header))
    review = ReviewService(ws, "rev")
    for row_id in list(queue_ids(ws, QueueFilter(kinds=None)))[::7]:
        review.decide(row_id, "3", "checked")
    for row_id in list(queue_ids(ws, QueueFilter(kinds=None)))[1::11]:
        review.skip(row_id)
    truth = _brute_kinds(ws)
    for kinds in ({Kind.JUDGE_VS_ALL}, {Kind.UNRATED, Kind.RATERS_SPLIT}, set(Kind)):
        for status in (None, Status.UNDECIDED, Status.DECIDED):
            flt = QueueFilter(kinds=frozenset(kinds), status=status)
            found = queue_rows(ws, queue_ids(ws, flt))
            expected = {
                e for e, (k, s) in truth.items() if k in kinds and status in (None, Status(s))
            }
            assert {r.ext_id for r in found.values()} == expected
    for agreements in (False, True):
        scope = {k.value for k in Kind if k.is_disagreement}
        if agreements:
            scope.add(Kind.AGREEMENT.value)
        p = review.progress(include_agreements=agreements)
        assert p.total == sum(k in scope for k, _ in truth.values())
        assert p.decided == sum(k in scope and s == 2 for k, s in truth.values())
        assert p.skipped == sum(k in scope and s == 1 for k, s in truth.values())
        assert p.all_cases == len(truth)
        assert p.all_decided == sum(s == 2 for _, s in truth.values())
    ws.close()


def test_reclassify_in_batches_matches_classify(tmp_path: Path) -> None:
    rng = random.Random(11)
    header = {
        "criteria": {
            "scale": {"labels": [1, 2, 3, 4, 5], "ordinal": True},
            "other": {"labels": ["x", "y"]},
        }
    }
    rows = []
    for i in range(120):
        crit = "scale" if i % 3 else "other"
        labels = ["1", "2", "3", "4", "5"] if crit == "scale" else ["x", "y"]
        raters = {f"r{j}": rng.choice(labels) for j in range(rng.randint(0, 3))}
        rows.append(case(f"c{i:03d}", judge=rng.choice(labels), raters=raters, criterion=crit))
    ws = Workspace.open(tmp_path / "r.annotator")
    import_file(ws, write_jsonl(tmp_path / "r.jsonl", rows, header))
    other_before = {e: k for e, (k, _) in _brute_kinds(ws).items() if e in _ids(rows, "other")}
    for threshold in (1.0, 2.0, 0.0):
        with writing(ws.engine) as conn:  # batches of 7 cases
            classification.change_threshold(conn, "scale", threshold, batch=7)
        scheme = LabelScheme(("1", "2", "3", "4", "5"), True, threshold)
        with ws.engine.connect() as conn:
            stored = {
                ext: (kind, severity, consensus)
                for ext, kind, severity, consensus in conn.execute(
                    text("SELECT ext_id, kind, severity, consensus FROM cases")
                )
            }
        for row in rows:
            if row["criterion"] != "scale":
                continue
            c = classify(row["judge"]["label"], [r["label"] for r in row["ratings"]], scheme)
            assert stored[row["id"]] == (c.kind.value, c.severity, c.consensus), row["id"]
    after = _brute_kinds(ws)
    assert all(after[e][0] == k for e, k in other_before.items())
    ws.close()


def _ids(rows: list[dict[str, object]], criterion: str) -> set[str]:
    return {str(r["id"]) for r in rows if r.get("criterion") == criterion}


def test_vocabulary_lists_each_rater_once_in_order(ws: Workspace, tmp_path: Path) -> None:
    import_file(
        ws,
        write_jsonl(
            tmp_path / "v.jsonl",
            [case("v1", raters={"Zed": "pass", "aaron": "fail", "bob": "pass"})],
        ),
    )
    raters = ReviewService(ws).vocabulary()["raters"]
    with ws.engine.connect() as conn:
        expected = [
            r[0] for r in conn.execute(text("SELECT DISTINCT rater FROM rating ORDER BY 1"))
        ]
    assert raters == expected == ["Zed", "aaron", "alice", "bob", "carol"]
