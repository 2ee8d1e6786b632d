"""The queue's SQL: the condition and order that give the cases a :class:`QueueFilter` admits,
in queue order (reading them is :mod:`annotator.storage.queue_reads`).

Written for a million cases: the kind filter is a severity range and every other filter an
``IN`` over a small index, so that the queue is read from one index in queue order (the indexes
are in ``storage/tables.py``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from annotator.domain.merge import ReviewState
from annotator.domain.model import Kind, Status
from annotator.domain.queue import QueueFilter, SortKey, severity_ranges
from annotator.storage.anchoring import switched_to_judge
from annotator.storage.rubric_versions import STALE_IDS, stale
from annotator.storage.schemes import criteria_with_label
from annotator.storage.search_index import PENDING_FROM, PENDING_ROWS
from annotator.storage.split import part_condition
from annotator.storage.tables import SEARCH_TABLE

_ORDER = {
    SortKey.SEVERITY: "c.severity {d}, c.position",
    SortKey.ID: "c.ext_id {a}",
    SortKey.JUDGE: "c.judge_label {a}, c.severity DESC, c.position",
    SortKey.FINAL: "d.label {a}, c.severity DESC, c.position",
    SortKey.STATUS: "c.status {a}, c.severity DESC, c.position",
    SortKey.CRITERION: "c.criterion {a}, c.severity DESC, c.position",
}


def where(
    flt: QueueFilter, *, first_rows: bool = False, label_criteria: Sequence[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The SQL condition on ``cases c`` (LEFT JOIN ``decision d``) and its parameters.

    Written for a million cases: the kind filter is a severity range and every other filter
    an ``IN`` over a small index, so that the queue is read from one index in queue order.
    A text search instead starts from the cases that hold the text (few, or else seconds
    anyway) and sorts them.

    ``first_rows``: the same condition, for reading only the first rows (``LIMIT``). The
    label, rater and text filters then check each case as an index is walked in queue
    order, rather than first listing every case that passes (for a common label or word,
    most of a million: seconds). Both forms admit exactly the same cases.

    ``label_criteria``: the criteria whose label sets hold the filter's label (every case that
    used the label is in one), so that the label filter walks those criteria only.
    """
    # Unary "+" keeps SQLite from reading a column's index for that condition, so that it
    # reads the one that gives the order (first rows) or starts from the text matches.
    plus = "+" if (flt.text.strip() and not first_rows) or (
        first_rows and (flt.sort != SortKey.SEVERITY or flt.seed is not None)
    ) else ""  # fmt: skip
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.kinds is not None:
        clauses.append(severity_condition(flt.kinds, f"{plus}c.severity"))
    if flt.status is not None:
        clauses.append(f"{plus}c.status = :status")
        params["status"] = int(flt.status)
    if flt.label:
        params["label"] = flt.label
        if label_criteria is not None and flt.criterion is None:
            clauses.append(_in_criteria(label_criteria, params))
        clauses.append(_LABEL[first_rows])
    if flt.rater:
        clauses.append(_RATER[first_rows])
        params["rater"] = flt.rater
    if flt.criterion is not None:
        clauses.append(f"{plus}c.criterion = :criterion")
        params["criterion"] = flt.criterion
    if flt.tag:
        clauses.append(_TAG[first_rows])
        params["tag"] = flt.tag
    if flt.review_state is not None:
        clauses.append(f"{plus}c.review_state = :review_state")
        params["review_state"] = int(flt.review_state)
    if flt.split is not None:
        clauses.append(part_condition(flt.split, first_rows))
    if flt.judge_truth is not None:
        clauses.append(_CELL)
        criterion, judge, truth = flt.judge_truth
        params.update(cell_criterion=criterion, cell_judge=judge, cell_truth=truth)
    if flt.cases is not None:  # one parameter however many ids (SQLite caps their number)
        clauses.append("c.ext_id IN (SELECT value FROM json_each(:case_ids))")
        params["case_ids"] = json.dumps(list(flt.cases), ensure_ascii=False)
    if flt.stale:
        clauses.append(_STALE[first_rows])
    if flt.switched_to_judge is not None:
        clauses.append(switched_to_judge(bool(flt.switched_to_judge)))
        params["switched"] = flt.switched_to_judge
    if flt.blind and (flt.judge_truth is not None or flt.switched_to_judge is not None):
        clauses.append(_SEEN)  # (they name the judge's label of the cases they list)
    if flt.text.strip():
        clause, text_params = _text_clause(flt.text.strip(), first_rows, blind=flt.blind)
        clauses.append(clause)
        params.update(text_params)
    return (" AND ".join(clauses) or "1"), params


def _in_criteria(criteria: Sequence[str], params: dict[str, Any]) -> str:
    names = {f"label_criterion_{i}": c for i, c in enumerate(criteria)}
    params.update(names)
    marks = ", ".join(f":{n}" for n in names)
    return f"c.criterion IN ({marks})" if names else "0"


# Each filter that looks beyond ``cases``, as checked case by case on a walk in queue order
# (True: first rows) or as the list of every case that passes (False).
_LABEL = {
    True: "(c.judge_label = :label OR d.label = :label OR EXISTS "
    "(SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.label = :label))",
    False: "(c.judge_label = :label "
    "OR c.id IN (SELECT case_id FROM decision WHERE label = :label) "
    "OR c.id IN (SELECT case_id FROM rating WHERE label = :label))",
}
_RATER = {
    True: "EXISTS (SELECT 1 FROM rating r WHERE r.case_id = c.id AND r.rater = :rater)",
    False: "c.id IN (SELECT case_id FROM rating WHERE rater = :rater)",
}
_TAG = {
    True: "(d.tags != '[]' AND EXISTS (SELECT 1 FROM json_each(d.tags) j WHERE j.value = :tag))",
    False: "c.id IN (SELECT t.case_id FROM decision t, json_each(t.tags) j "
    "WHERE t.tags != '[]' AND j.value = :tag)",
}
_STALE = {
    True: stale("d", "c"),
    False: f"c.id IN ({STALE_IDS})",
}
_SEEN = f"(c.status = {int(Status.DECIDED)} OR c.id IN (SELECT case_id FROM reveal))"
"""The cases not shown blind under blind-first review: decided or revealed."""
_CELL = (
    "c.criterion = :cell_criterion AND c.judge_label = :cell_judge AND "
    "(d.label = :cell_truth OR (d.label IS NULL AND "
    f"c.review_state = {int(ReviewState.UNANIMOUS)} AND EXISTS (SELECT 1 FROM "
    "review v WHERE v.case_id = c.id AND v.label = :cell_truth)))"
)


def order_by(flt: QueueFilter) -> str:
    natural, reverse = (
        ("DESC", "ASC")
        if flt.sort == SortKey.SEVERITY
        else (
            "ASC",
            "DESC",
        )
    )
    d = reverse if flt.descending else natural
    a = "DESC" if flt.descending else "ASC"
    if flt.seed is not None and flt.sort == SortKey.SEVERITY:
        # Seeded random order (``db.shuffled``): the same for a seed on every run. No index
        # gives it, so SQLite sorts every case the filter admits, calling the function once
        # a case: at a million cases, seconds on the queue's worker thread (the window
        # shows the queue when they are in; a filter narrows it first).
        return f"shuffled({int(flt.seed):d}, c.position) {a}, c.position"
    # Positions are unique, so every key ends in a total order (no tie-break on c.id, which
    # would keep SQLite from reading the order off an index).
    return _ORDER[flt.sort].format(a=a, d=d)


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def severity_condition(kinds: frozenset[Kind] | set[Kind], column: str = "c.severity") -> str:
    """SQL true for exactly the cases of ``kinds``, answered from an index on severity."""
    ranges = severity_ranges(kinds)
    if not ranges:
        return "0"
    parts = [f"{column} BETWEEN {low:d} AND {high:d}" for low, high in ranges]
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def _text_clause(
    needle: str, first_rows: bool = False, *, blind: bool = False
) -> tuple[str, dict[str, Any]]:
    """Substring search, ignoring case (Unicode case folding), over what a reader sees of a case
    (``case_text.search``: id, texts, judge rationale and model, rater names and comments, meta
    values) and over the reviewer's rationale.

    From three characters on, the trigram index answers ``LIKE`` and SQLite checks the candidates
    on the text (the rows an import added that are not indexed yet are scanned:
    ``storage/search_index.py``); shorter needles have no trigram and scan the text. ``%`` and
    ``_`` in the needle match only themselves. ``first_rows``: each case's text is checked as
    the queue is walked (see :meth:`QueueFilter.where`). ``blind``: see :func:`_blind_clause`.
    """
    folded = needle.casefold()
    params: dict[str, Any] = {"text": f"%{_escape_like(folded)}%"}
    if len(folded) >= 3:
        params["text_fts"] = f"%{folded}%"
        params["text_match"] = '"' + folded.replace('"', '""') + '"'  # (one trigram: exact)
    if blind:
        return _blind_clause(folded, first_rows), params
    if first_rows:
        clause = (
            "(EXISTS (SELECT 1 FROM case_text t WHERE t.case_id = c.id "
            "AND t.search LIKE :text ESCAPE '\\') "
            f"OR {_folded_like('d.rationale')} "
            "OR EXISTS (SELECT 1 FROM review v WHERE v.case_id = c.id "
            f"AND {_folded_like('v.rationale')}))"
        )
        return clause, params
    if len(folded) >= 3:
        cases = f"({_indexed(folded)} OR {PENDING_ROWS})"  # (the rows not indexed yet: scanned)
    else:
        cases = "c.id IN (SELECT case_id FROM case_text WHERE search LIKE :text ESCAPE '\\')"
    clause = (
        f"({cases} OR c.id IN (SELECT case_id FROM decision WHERE {_folded_like('rationale')}) "
        f"OR c.id IN (SELECT case_id FROM review WHERE {_folded_like('rationale')}))"
    )
    return clause, params


def _indexed(folded: str, check: str = "") -> str:
    """SQL: ``c`` is an indexed case whose search text holds ``:text_fts`` (and passes
    ``check``, a condition on ``case_text t``).

    A needle of three characters is one trigram: the index's list of the cases holding it is
    the answer, read as a ``MATCH`` (``:text_match``). ``LIKE`` would check each of them on
    its text as well, and read every case's row for it: 3.6 s against 0.06 s for "the" at a
    million cases. Longer needles need that check (the index, ``detail=none``, cannot say
    that their trigrams stand side by side)."""
    if "%" in folded or "_" in folded:  # FTS5's LIKE takes no ESCAPE: check on the text too
        where = "search LIKE :text_fts AND search LIKE :text ESCAPE '\\'"
    elif len(folded) == 3:
        where = f"{SEARCH_TABLE} MATCH :text_match"
    else:
        where = "search LIKE :text_fts"
    found = f"SELECT rowid FROM {SEARCH_TABLE} WHERE {where}"
    if check:
        found = f"SELECT t.case_id FROM case_text t WHERE t.case_id IN ({found}) AND {check}"
    return f"c.id IN ({found})"


_TEXT_IDS = "SELECT t.case_id FROM case_text t WHERE"


def _blind_clause(folded: str, first_rows: bool) -> str:
    """Blind-first search: the cases whose text shown before the reveal holds the needle
    (``blind_text(data)``, the SQL function of ``serialize.blind_search_text``) or whose
    decision's rationale (the reviewer's own) does; the judge's and the raters' text and the
    merged reviewers' rationales are left out.

    ``blind_text`` parses each case's JSON, so the search text (a superset: its lines hold the
    blind text's) narrows the cases first: through the trigram index from three characters on,
    else by a scan with ``LIKE``; only a needle with a line break (which could span lines the
    judge's text separates there) is checked on every case (docs/benchmarks.md).
    """
    visible = "blind_text(t.data) LIKE :text ESCAPE '\\'"
    narrowed = "\n" not in folded
    own = _folded_like("d.rationale" if first_rows else "rationale")
    like = "t.search LIKE :text ESCAPE '\\' AND " if narrowed else ""
    if first_rows:
        return (
            f"(EXISTS (SELECT 1 FROM case_text t WHERE t.case_id = c.id AND {like}{visible}) "
            f"OR {own})"
        )
    if narrowed and len(folded) >= 3:  # the rows not indexed yet: scanned
        pending = f"t.case_id >= {PENDING_FROM} AND {like}{visible}"
        cases = f"({_indexed(folded, visible)} OR c.id IN ({_TEXT_IDS} {pending}))"
    else:
        cases = f"c.id IN ({_TEXT_IDS} {like}{visible})"
    return f"({cases} OR c.id IN (SELECT case_id FROM decision WHERE {own}))"


def _folded_like(column: str) -> str:
    """SQL for ``casefold(column) LIKE :text``, the Python fold called only when needed.

    SQLite's LIKE ignores the case of ASCII letters itself, so on text that is all ASCII (as
    many characters as UTF-8 bytes) it gives the same answer as after case folding; other text
    is folded first. (Plain LIKE never matches where the folded text would not: the needle is
    folded.) A hundred thousand rationales take milliseconds, not a Python call each.
    """
    return (
        f"({column} LIKE :text ESCAPE '\\' OR (length({column}) != length(CAST({column} AS BLOB)) "
        f"AND casefold({column}) LIKE :text ESCAPE '\\'))"
    )


def select_ids(
    flt: QueueFilter, db: sqlite3.Connection, *, first_rows: bool = False, extra: str = ""
) -> tuple[str, dict[str, Any]]:
    condition, params = where(flt, first_rows=first_rows, label_criteria=_label_criteria(flt, db))
    if extra:
        condition = f"{condition} AND {extra}"
    query = (
        f"SELECT c.id FROM cases c LEFT JOIN decision d ON d.case_id = c.id "
        f"WHERE {condition} ORDER BY {order_by(flt)}"
    )
    return query, params


def _label_criteria(flt: QueueFilter, db: sqlite3.Connection) -> list[str] | None:
    return criteria_with_label(db, flt.label) if flt.label else None
