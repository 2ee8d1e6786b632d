"""The workspace schema. One row per case; decisions and their history beside it.

Bulk paths (import, reclassify, queue queries) use these tables through SQLAlchemy Core for speed;
everything else goes through short sessions and returns plain domain objects.
"""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Index, Integer
from sqlmodel import Field, SQLModel


class ProjectRow(SQLModel, table=True):
    __tablename__ = "project"
    id: int = Field(default=1, primary_key=True)
    title: str = "Untitled project"
    guidelines: str = ""
    fingerprint: str = ""
    created_at: str = ""
    app_version: str = ""


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
    __table_args__ = (
        Index("ix_cases_queue", "severity", "position"),
        Index("ix_cases_kind", "kind"),
        Index("ix_cases_status", "status"),
        Index("ix_cases_criterion", "criterion"),
        Index("ix_cases_judge", "judge_label"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ext_id: str = Field(unique=True)
    import_id: int = Field(
        sa_column=Column(Integer, ForeignKey("import_batch.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    """Order of first appearance across imports."""
    line: int = 0
    """Line of the imported file the case started on."""
    criterion: str = ""
    content_hash: str
    raw: str
    """The record exactly as it stood in the imported file."""
    data: str
    """The normalized case as canonical JSON."""
    judge_label: str
    rater_labels: str = ""
    """Display form, e.g. ``alice: pass · bob: fail``."""
    n_ratings: int = 0
    consensus: str | None = None
    """The raters' majority (nominal) or median (ordinal) label, if any."""
    kind: str
    severity: int = 0
    status: int = 0


class RatingRow(SQLModel, table=True):
    __tablename__ = "rating"
    __table_args__ = (Index("ix_rating_rater", "rater", "label"), Index("ix_rating_label", "label"))
    case_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    rater: str = Field(primary_key=True)
    label: str


class DecisionRow(SQLModel, table=True):
    __tablename__ = "decision"
    __table_args__ = (Index("ix_decision_label", "label"),)
    case_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, nullable=False
        )
    )
    label: str
    rationale: str
    who_right: str
    who_right_overridden: bool = False
    tags: str = "[]"
    confidence: str | None = None
    reviewer: str = ""
    decided_at: str = ""


class HistoryRow(SQLModel, table=True):
    """One entry per change of a case's decision or status, for undo and redo."""

    __tablename__ = "history"
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


class TagRow(SQLModel, table=True):
    __tablename__ = "tag"
    name: str = Field(primary_key=True)
    created_at: str = ""
