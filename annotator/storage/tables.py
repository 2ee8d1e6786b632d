"""The workspace schema. One row per case; decisions and their history beside it.

The SQL that reads and writes these tables is in the aggregate modules beside this one (see
``annotator/storage/__init__.py`` on the three ways it is issued); a new table or column is
declared here and, for an existing workspace, added by a migration in ``db.py``.

Built for a million cases: ``cases`` holds only the short columns the queue filters and sorts on
(a row is about 100 bytes), so scans and index lookups stay cheap; the case text (the original
record and the normalized JSON, kilobytes each) lives in ``case_text``, with a trigram full-text
index over it (``case_search``), built after an import's commit in short steps
(``storage/search_index.py``; ``project.search_pending_from`` marks the rows not in it yet), and
triggers keep it in step when an indexed text is deleted or changed. The indexes are chosen so
that each queue filter reads one index range already in queue order (see
annotator/storage/queue.py), and ``docs/benchmarks.md`` has the numbers.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DDL, Column, ForeignKey, Index, Integer, event
from sqlmodel import Field, SQLModel


def case_key() -> Any:
    """A primary key that is a case's row id: the row is deleted with its case."""
    return Field(
        sa_column=Column(
            Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )


class ProjectRow(SQLModel, table=True):
    __tablename__ = "project"
    id: int = Field(default=1, primary_key=True)
    title: str = "Untitled project"
    guidelines: str = ""
    fingerprint: str = ""
    created_at: str = ""
    app_version: str = ""
    heldout_fraction: float = Field(default=0.5, sa_column_kwargs={"server_default": "0.5"})
    """The share of decided cases held out of a calibration pack (``domain.split``; schema 3)."""
    split_seed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """The held-out split's seed (schema 3)."""
    blind_first: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    """Reviewers commit a first label before the judge and raters are shown (schema 3)."""
    random_order: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    """The queue is in a seeded random order per reviewer, not most severe first (schema 3)."""
    search_pending_from: int | None = None
    """The first ``case_text`` row not in the search index yet: every row from this id on
    waits for it (``storage/search_index.py``); None: the index is complete (schema 3)."""


class SchemeRow(SQLModel, table=True):
    __tablename__ = "scheme"
    criterion: str = Field(primary_key=True)
    labels: str = "[]"
    """JSON list of labels, in scale order."""
    ordinal: bool = False
    threshold: float = 0.0
    rubric: str = ""
    declared: bool = False
    """True when the labels came from a file's header; False when inferred from the data."""


class ImportRow(SQLModel, table=True):
    __tablename__ = "import_batch"
    id: int | None = Field(default=None, primary_key=True)
    path: str
    fmt: str
    imported_at: str
    mapping: str = "{}"
    added: int = 0
    present: int = 0
    skipped: int = 0
    problems: str = "[]"
    """JSON list of the first reported line problems, as text."""


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    id: int | None = Field(default=None, primary_key=True)
    ext_id: str = Field(unique=True)
    import_id: int = Field(
        sa_column=Column(Integer, ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    """Order of first appearance across imports (unique: the queue's tie-breaker)."""
    line: int = 0
    """Line of the imported file the case started on."""
    criterion: str = ""
    content_hash: str
    judge_label: str
    rater_labels: str = "[]"
    """The ratings for display, as JSON ``[[rater, label], ...]`` in file order."""
    n_ratings: int = 0
    consensus: str | None = None
    """The raters' majority (nominal) or median (ordinal) label, if any."""
    kind: str
    severity: int = 0
    """Sorts most severe first; also encodes the kind (``Kind.severity_range``)."""
    status: int = 0
    review_state: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """What merged reviewer files say of the case (``domain.merge.ReviewState``; schema 2)."""


_cases = CaseRow.__table__  # type: ignore[attr-defined]
# Queue order is (severity DESC, position). The first index serves the unfiltered queue and the
# kind filters (a severity range); its trailing columns let the label filter and the progress
# counts read the index alone. The others serve the status, criterion and judge-label filters and
# sort keys, each in queue order.
Index(
    "ix_cases_queue",
    _cases.c.severity.desc(),
    _cases.c.position,
    _cases.c.status,
    _cases.c.criterion,
    _cases.c.judge_label,
)
Index("ix_cases_status", _cases.c.status, _cases.c.severity.desc(), _cases.c.position)
Index("ix_cases_criterion", _cases.c.criterion, _cases.c.severity.desc(), _cases.c.position)
Index("ix_cases_judge", _cases.c.judge_label, _cases.c.severity.desc(), _cases.c.position)
Index("ix_cases_review_state", _cases.c.review_state, _cases.c.severity.desc(), _cases.c.position)


class CaseTextRow(SQLModel, table=True):
    """The text of a case, apart from ``cases`` so that scanning the queue never reads it."""

    __tablename__ = "case_text"
    case_id: int = case_key()
    raw: str
    """The record exactly as it stood in the imported file."""
    data: str
    """The normalized case as canonical JSON."""
    search: str = ""
    """What a reader sees of the case, case-folded (see ``domain.serialize.search_text``)."""


# Text search: a trigram index over ``case_text.search`` (external content: the text is not stored
# twice). ``detail=none`` keeps it small (about a third of the text); substring queries go
# through LIKE, which FTS5 answers from the trigrams and SQLite then checks on the text itself.
#
# Built after an import has committed its cases, in short steps (``storage/search_index.py``):
# the rows from ``project.search_pending_from`` on are not in it yet, and a search scans them.
# These triggers drop or redo an indexed row's entry on every delete (including the cascade
# from ``cases``) and update; a row not indexed yet must not be dropped (a 'delete' of a row an
# external-content index never had corrupts it), hence their WHEN. (An AFTER INSERT trigger
# would make FTS5 flush its pending terms after every row, three times slower than a step.)
SEARCH_TABLE = "case_search"
_INDEXED = "WHEN NOT EXISTS (SELECT 1 FROM project WHERE search_pending_from <= old.case_id)"
SEARCH_TRIGGERS = (
    f"CREATE TRIGGER case_text_ad AFTER DELETE ON case_text {_INDEXED} BEGIN "
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, search) "
    "VALUES ('delete', old.case_id, old.search); END",
    f"CREATE TRIGGER case_text_au AFTER UPDATE ON case_text {_INDEXED} BEGIN "
    f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}, rowid, search) "
    "VALUES ('delete', old.case_id, old.search); "
    f"INSERT INTO {SEARCH_TABLE}(rowid, search) VALUES (new.case_id, new.search); END",
)
"""The triggers as schema 3 has them (``db._v2_to_v3`` makes them again in older workspaces)."""
_SEARCH_DDL = (
    f"CREATE VIRTUAL TABLE {SEARCH_TABLE} USING fts5(search, content='case_text', "
    "content_rowid='case_id', tokenize='trigram', detail='none')",
    *SEARCH_TRIGGERS,
)
for _statement in _SEARCH_DDL:
    event.listen(CaseTextRow.__table__, "after_create", DDL(_statement))  # type: ignore[attr-defined]


class RatingRow(SQLModel, table=True):
    __tablename__ = "rating"
    # Without rowid: the primary key is the table, and every index carries (case_id, rater), so
    # the rater and label filters read an index alone.
    __table_args__ = (
        Index("ix_rating_rater", "rater", "label"),
        Index("ix_rating_label", "label"),
        {"sqlite_with_rowid": False},
    )
    case_id: int = case_key()
    rater: str = Field(primary_key=True)
    label: str


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_label", "label"),)
    case_id: int = case_key()
    label: str
    rationale: str
    who_right: str
    who_right_overridden: bool = False
    tags: str = "[]"
    confidence: str | None = None
    reviewer: str = ""
    decided_at: str = ""
    rubric_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """The version of the criterion's rubric the decision was taken under (schema 3; a decision
    from before rubric versions existed was taken under the first)."""


class HistoryRow(SQLModel, table=True):
    """One entry per change of a case's decision or status, for undo and redo."""

    __tablename__ = "history"
    # Undo and redo look for the last done and first undone entry; deciding drops undone ones.
    __table_args__ = (Index("ix_history_undone", "undone"),)
    seq: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("cases.id", ondelete="CASCADE"), nullable=False)
    )
    action: str
    before: str | None = None
    after: str | None = None
    """Decision JSON with its status, before and after the change."""
    undone: bool = False
    at: str = ""


class DraftRow(SQLModel, table=True):
    """What the reviewer has entered on a case but not saved yet (kept across crashes)."""

    __tablename__ = "draft"
    case_id: int = case_key()
    data: str
    """JSON: label, rationale, who_right, tags, confidence, as the window had them."""
    updated_at: str = ""


class TagRow(SQLModel, table=True):
    __tablename__ = "tag"
    name: str = Field(primary_key=True)
    created_at: str = ""


class MergeSourceRow(SQLModel, table=True):
    """A reviewer's labelled file merged into the workspace by a lead (schema 2)."""

    __tablename__ = "merge_source"
    id: int | None = Field(default=None, primary_key=True)
    path: str
    sha256: str
    """Of the file's bytes: merging the same file again changes nothing."""
    reviewers: str = "[]"
    """JSON list of the reviewer names in the file."""
    lines: int = 0
    merged_at: str = ""


class ReviewRow(SQLModel, table=True):
    """One reviewer's decision on a case, from a merged labelled file (schema 2).

    The newest decision per (case, reviewer) is kept; the lead's own decisions live in
    ``decision``, like a reviewer's.
    """

    __tablename__ = "review"
    __table_args__ = (
        Index("ix_review_reviewer", "reviewer", "label"),
        {"sqlite_with_rowid": False},
    )
    case_id: int = case_key()
    reviewer: str = Field(primary_key=True)
    label: str
    rationale: str = ""
    who_right: str | None = None
    tags: str = "[]"
    confidence: str | None = None
    decided_at: str = ""
    source_id: int = Field(sa_column=Column(Integer, ForeignKey("merge_source.id"), nullable=False))
    line: int = 0
    blind_label: str | None = None
    """The reviewer's first label, committed before the judge and raters were shown (schema 3)."""
    revealed_at: str | None = None
    rubric_version: int | None = None
    """The rubric version the reviewer decided under, and its text's hash (schema 3)."""
    rubric_hash: str | None = None


class JudgeRunRow(SQLModel, table=True):
    """A judge's verdicts on the project's cases (schema 3).

    The judge the cases were imported with is the first run; its verdicts stay in ``cases``
    and ``case_text`` (``imported`` is true and it has no ``judge_verdict`` rows). Every run
    added later keeps its verdicts in ``judge_verdict``. A removed run keeps its rows, with
    ``removed_at`` set, until the removal is undone or the run is purged.
    """

    __tablename__ = "judge_run"
    id: int | None = Field(default=None, primary_key=True)
    name: str
    model: str = ""
    position: int
    """The runs' order (the chart's x axis): the order they were added in."""
    imported: bool = False
    path: str = ""
    """The file the run's verdicts were read from."""
    mapping: str = "{}"
    added_at: str = ""
    removed_at: str | None = None


class JudgeVerdictRow(SQLModel, table=True):
    """A judge run's verdict on a case (schema 3)."""

    __tablename__ = "judge_verdict"
    __table_args__ = (
        Index("ix_judge_verdict_run", "run_id", "label"),
        {"sqlite_with_rowid": False},
    )
    case_id: int = case_key()
    run_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("judge_run.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    label: str
    rationale: str = ""
    score: float | None = None
    model: str = ""
    line: int = 0
    """The line of the run's file the verdict was read from."""


class CalibrationPackRow(SQLModel, table=True):
    """A calibration pack written from the workspace (schema 3): its examples are the cases a
    judge may have been shown, so a run scored on any of them is warned of."""

    __tablename__ = "calibration_pack"
    id: int | None = Field(default=None, primary_key=True)
    path: str
    written_at: str = ""
    seed: int = 0
    fraction: float = 0.5


class CalibrationExampleRow(SQLModel, table=True):
    """A case given as an example in a calibration pack (schema 3)."""

    __tablename__ = "calibration_example"
    __table_args__ = ({"sqlite_with_rowid": False},)
    pack_id: int = Field(
        sa_column=Column(
            Integer,
            ForeignKey("calibration_pack.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        )
    )
    case_id: int = case_key()


class RevealRow(SQLModel, table=True):
    """A reviewer's first label on a case under blind-first review, committed before the judge's
    and the raters' labels were shown (schema 3). Saved the moment it is committed; undoing the
    reveal removes it."""

    __tablename__ = "reveal"
    case_id: int = case_key()
    blind_label: str
    revealed_at: str
    reviewer: str = ""


class RubricVersionRow(SQLModel, table=True):
    """One version of a criterion's rubric and the reviewer guidelines (schema 3).

    Version 1 is the rubric the project was imported with; each edit in the app adds the next,
    with its time, author and note. ``scheme.rubric`` holds the newest text.
    """

    __tablename__ = "rubric_version"
    __table_args__ = ({"sqlite_with_rowid": False},)
    criterion: str = Field(primary_key=True)
    version: int = Field(primary_key=True)
    rubric: str = ""
    guidelines: str = ""
    created_at: str = ""
    author: str = ""
    note: str = ""
