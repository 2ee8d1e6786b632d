"""The report as tables and sentences, shared by the text, Markdown and HTML renderers and the
window: how a figure or an interval prints, the :class:`Section` tables of a criterion (cells that
need a footnote are :class:`Marked`), and the small helpers the renderers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from annotator.domain.agreement import ConfusionMatrix, Figure, Interval
from annotator.services.agreement import glossary as g
from annotator.services.agreement.report import (
    LEVEL,
    ChanceCorrected,
    Counts,
    CriterionReport,
    JudgeVsTruth,
    Overruled,
    OverruledCase,
    Reliability,
    ReviewerAgreement,
)

Style = Literal["rate", "coefficient"]
"""A rate (accuracy, percent agreement…) prints as a percentage; a coefficient (kappa, alpha)
with three decimals."""


def _number(value: float, style: Style) -> str:
    return f"{value:.1%}" if style == "rate" else f"{value:.3f}"


def format_figure(f: Figure | None, style: Style = "coefficient") -> str:
    """A figure as text: its value, or "undefined (reason)". Never "nan"."""
    if f is None:
        return "—"
    if f.value is None:
        return f"undefined ({f.reason})"
    return _number(f.value, style)


def format_interval(i: Interval, style: Style = "coefficient") -> str:
    if i.low is None or i.high is None:
        return f"no interval ({i.reason})"
    return f"[{_number(i.low, style)}, {_number(i.high, style)}]"


def _n(f: Figure | None) -> str:
    return "" if f is None else str(f.n)


def plain(text: str) -> str:
    """User text on one line (a rationale may span several)."""
    return " ".join(text.split())


def criterion_name(c: CriterionReport) -> str:
    return c.criterion or "(default criterion)"


@dataclass(frozen=True)
class Marked:
    """A table cell that comes with a footnote: why a figure is undefined, or a caveat."""

    text: str
    footnote: str
    undefined: bool = False


Cell = str | Marked


def _fig(f: Figure, style: Style = "coefficient") -> Cell:
    if f.value is None:
        return Marked("—", f"undefined: {f.reason}", undefined=True)
    if f.note:
        return Marked(_number(f.value, style), f.note)
    return _number(f.value, style)


def _ci(i: Interval, style: Style) -> Cell:
    if i.low is None or i.high is None:
        return Marked("—", f"no interval: {i.reason}", undefined=True)
    text = format_interval(i, style)
    if i.undefined_resamples:
        return Marked(
            text,
            f"the figure was undefined on {i.undefined_resamples} of {i.resamples} resamples, "
            "which are left out",
        )
    return text


def _row(name: Cell, figure: Figure, interval: Interval | None, style: Style) -> tuple[Cell, ...]:
    """A figure's row: name, value, interval (blank where the figure has none), n."""
    return (name, _fig(figure, style), _ci(interval, style) if interval else "", _n(figure))


def chance_rows(c: ChanceCorrected | None) -> list[tuple[Cell, ...]]:
    """The weighted kappas (two sides only) and Gwet's AC1 and AC2, those that there are."""
    if c is None:
        return []
    rows = []
    if c.kappa_linear is not None:
        rows.append(_row(g.KAPPA_LINEAR, c.kappa_linear, c.kappa_linear_interval, "coefficient"))
    if c.kappa_quadratic is not None:
        rows.append(
            _row(g.KAPPA_QUADRATIC, c.kappa_quadratic, c.kappa_quadratic_interval, "coefficient")
        )
    rows.append(_row(g.AC1, c.ac1, c.ac1_interval, "coefficient"))
    if c.ac2 is not None:
        rows.append(_row(g.AC2, c.ac2, c.ac2_interval, "coefficient"))
    return rows


def reliability_rows(rel: Reliability) -> list[tuple[Cell, ...]]:
    """Percent agreement, Fleiss' kappa, Gwet's AC1 and AC2, Krippendorff's alpha (nominal,
    and on an ordered scale ordinal and interval), with intervals where they have one."""
    ordinal = rel.alpha_ordinal is not None
    rows = []
    if rel.percent is not None:
        rows.append(_row(g.PERCENT, rel.percent, rel.percent_interval, "rate"))
    rows.append(_row(g.FLEISS, rel.fleiss, rel.fleiss_interval, "coefficient"))
    rows += chance_rows(rel.chance)
    rows.append(
        _row(
            g.ALPHA_NOMINAL,
            rel.alpha_nominal,
            None if ordinal else rel.alpha_interval,
            "coefficient",
        )
    )
    if rel.alpha_ordinal is not None:
        rows.append(_row(g.ALPHA_ORDINAL, rel.alpha_ordinal, rel.alpha_interval, "coefficient"))
    if rel.alpha_interval_level is not None:
        rows.append(
            _row(
                g.ALPHA_INTERVAL,
                rel.alpha_interval_level,
                rel.alpha_interval_level_interval,
                "coefficient",
            )
        )
    return rows


@dataclass(frozen=True)
class Section:
    """A titled table, shared by the text, Markdown and HTML renderers and the window."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    numeric: tuple[bool, ...] = ()
    """Right-align these columns."""


def _count_rows(c: Counts) -> tuple[tuple[Cell, ...], ...]:
    return (
        ("cases", str(c.cases)),
        ("settled, unanimous", str(c.unanimous)),
        ("settled by the lead", str(c.lead)),
        ("open conflicts", str(c.conflicts)),
        ("not reviewed", str(c.unreviewed)),
    )


Piece = Callable[[str], str]
"""How a name from the files is written where it is joined with other text (the window
isolates it: ``untrusted.isolate``); the renderers of text make controls inert themselves."""


def _same(text: str) -> str:
    return text


def sections(c: CriterionReport, piece: Piece = _same) -> list[Section]:
    """The tables of one criterion, in reading order (user text still raw; a name joined with
    other text in a cell goes through ``piece``)."""
    return [
        Section("Cases", ("", "count"), _count_rows(c.counts), (False, True)),
        _headline_section(c),
        before_after_section(c),
        _between_section(c.reviewers, piece),
        _versus_section(c, piece),
        _per_label_section(c.judge),
        Section(
            "Tags on cases the judge got wrong",
            ("tag", "cases"),
            tuple((t.tag, str(t.cases)) for t in c.judge_wrong_tags),
            (False, True),
        ),
    ]


def _headline_section(c: CriterionReport) -> Section:
    r, j, h = c.reviewers, c.judge, c.ceiling
    weighted: tuple[tuple[str, Figure, Interval, Style], ...] = ()
    if j.chance is not None:
        weighted = (("judge Gwet's AC1", j.chance.ac1, j.chance.ac1_interval, "coefficient"),)
        q, qi = j.chance.kappa_quadratic, j.chance.kappa_quadratic_interval
        if q is not None and qi is not None:
            weighted = (("judge kappa, quadratic-weighted", q, qi, "coefficient"), *weighted)
    headline: tuple[tuple[str, Figure, Interval, Style], ...] = (
        ("judge accuracy", j.accuracy, j.accuracy_interval, "rate"),
        ("judge kappa", j.kappa, j.kappa_interval, "coefficient"),
        *weighted,
        ("judge macro F1", j.macro_f1, j.macro_f1_interval, "coefficient"),
        (
            f"reviewer alpha ({'ordinal' if c.scale.ordinal else 'nominal'})",
            r.alpha,
            r.alpha_interval,
            "coefficient",
        ),
        ("human ceiling (leave-one-out)", h.humans, h.humans_interval, "rate"),
        ("judge vs the same references", h.judge, h.judge_interval, "rate"),
    )
    return Section(
        "Headline figures",
        ("figure", "value", f"{LEVEL:.0%} CI", "n"),
        tuple((name, _fig(f, s), _ci(i, s), _n(f)) for name, f, i, s in headline),
        (False, True, False, True),
    )


BEFORE_AFTER = "Before and after review, on the settled cases"


def before_after_section(c: CriterionReport) -> Section:
    """The judge against the raters' consensus and against the final labels, side by side,
    on the same (settled) cases."""
    b, j = c.before.judge, c.judge
    rows: list[tuple[str, Figure, Interval, Figure, Interval, Style]] = [
        ("judge accuracy", b.accuracy, b.accuracy_interval, j.accuracy, j.accuracy_interval,
         "rate"),
        ("judge kappa", b.kappa, b.kappa_interval, j.kappa, j.kappa_interval, "coefficient"),
        ("judge macro F1", b.macro_f1, b.macro_f1_interval, j.macro_f1, j.macro_f1_interval,
         "coefficient"),
    ]  # fmt: skip
    x, y = b.chance, j.chance
    if x is not None and y is not None:
        rows.append((f"judge {g.AC1}", x.ac1, x.ac1_interval, y.ac1, y.ac1_interval, "coefficient"))
        for name, get in (
            (g.KAPPA_LINEAR, lambda z: (z.kappa_linear, z.kappa_linear_interval)),
            (g.KAPPA_QUADRATIC, lambda z: (z.kappa_quadratic, z.kappa_quadratic_interval)),
            (g.AC2, lambda z: (z.ac2, z.ac2_interval)),
        ):
            (f, i), (h, k) = get(x), get(y)
            if f is not None and i is not None and h is not None and k is not None:
                rows.append((f"judge {name}", f, i, h, k, "coefficient"))
    ci = f"{LEVEL:.0%} CI"
    return Section(
        BEFORE_AFTER,
        ("figure", "vs raters' consensus", ci, "n", "vs final labels", ci, "n"),
        tuple(
            (name, _fig(f, s), _ci(i, s), _n(f), _fig(g, s), _ci(k, s), _n(g))
            for name, f, i, g, k, s in rows
        ),
        (False, True, False, True, True, False, True),
    )


def _between_section(r: ReviewerAgreement, piece: Piece) -> Section:
    rel = r.reliability
    between = reliability_rows(rel)
    if rel.percent is None:
        between.insert(0, _row(g.PERCENT, r.percent, None, "rate"))
    for p in r.pairs:
        pair = f"{piece(p.first)} / {piece(p.second)}"
        between.append(_row(f"{g.KAPPA}, {pair}", p.kappa, None, "coefficient"))
        for name, f in ((g.KAPPA_LINEAR, p.kappa_linear), (g.KAPPA_QUADRATIC, p.kappa_quadratic)):
            if f is not None:
                between.append(_row(f"{name}, {pair}", f, None, "coefficient"))
    return Section(
        "Between reviewers",
        ("figure", "value", f"{LEVEL:.0%} CI", "n"),
        tuple(between),
        (False, True, False, True),
    )


def _versus_section(c: CriterionReport, piece: Piece) -> Section:
    j = c.judge
    ordinal = c.scale.ordinal
    chance = j.chance

    def weighted(linear: Figure | None, quadratic: Figure | None) -> tuple[Cell, ...]:
        if not ordinal:
            return ()
        return tuple(_fig(f) if f is not None else "—" for f in (linear, quadratic))

    versus: list[tuple[Cell, ...]] = [
        (
            "judge",
            _fig(j.accuracy, "rate"),
            _fig(j.kappa),
            *weighted(
                chance.kappa_linear if chance else None,
                chance.kappa_quadratic if chance else None,
            ),
            _n(j.accuracy),
        ),
    ]
    for x in c.raters:
        versus.append(
            (
                f"rater {piece(x.rater)}",
                _fig(x.accuracy, "rate"),
                _fig(x.kappa),
                *weighted(x.kappa_linear, x.kappa_quadratic),
                _n(x.accuracy),
            )
        )
    extra = ("kappa, linear", "kappa, quadratic") if ordinal else ()
    return Section(
        "Against the adjudicated truth",
        ("who", "exact agreement", g.KAPPA, *extra, "n"),
        tuple(versus),
        (False, True, True, *(True for _ in extra), True),
    )


def _per_label_section(j: JudgeVsTruth) -> Section:
    return Section(
        "Judge per label",
        ("label", "precision", "recall", "F1", "truly this label"),
        tuple(
            (
                s.label,
                _fig(s.precision, "rate"),
                _fig(s.recall, "rate"),
                _fig(s.f1),
                str(s.support),
            )
            for s in j.per_label
        ),
        (False, True, True, True, True),
    )


def criterion_notes(c: CriterionReport) -> list[str]:
    """Plain sentences that go with a criterion's tables."""
    notes = []
    if c.counts.unresolved:
        notes.append(
            f"{c.counts.unresolved} of {c.counts.cases} case(s) have no final label yet "
            f"({c.counts.conflicts} open conflict(s), {c.counts.unreviewed} not reviewed) and are "
            "left out of the figures against the truth."
        )
    if c.judge.no_label:
        notes.append(f"{c.judge.no_label} settled case(s) have no judge label and are left out.")
    notes.append(f"The judge was wrong on {c.judge.wrong} settled case(s).")
    return notes


# --- shared by the renderers ---------------------------------------------------------------------


def overruled_lines(
    o: Overruled, limit: int | None, piece: Piece = _same
) -> tuple[str, list[OverruledCase], int]:
    """A person's overruled list: its heading, the cases shown (up to ``limit``), how many not."""
    shown = o.cases if limit is None else o.cases[:limit]
    head = f"{o.role} {piece(o.person)}: overruled on {len(o.cases)} of {o.settled} settled case(s)"
    return head, list(shown), len(o.cases) - len(shown)


def rationale_text(x: OverruledCase) -> str:
    parts = [
        f"{by}: {plain(why)}" if why.strip() else f"{by}: (no rationale)"
        for by, why in x.rationales
    ]
    prefix = "lead " if x.settled_by == "lead" else ""
    return prefix + "; ".join(parts)


def confusion_section(m: ConfusionMatrix, corner: str = "truth \\ judge") -> Section:
    return Section(
        "",
        (corner, *m.labels),
        tuple((t, *(str(x) for x in row)) for t, row in zip(m.labels, m.counts, strict=True)),
        (False, *(True for _ in m.labels)),
    )


def footnoted(
    s: Section, mark: Callable[[int], str]
) -> tuple[list[tuple[str, ...]], list[tuple[int, str]]]:
    """Rows as plain strings, a marked cell with its footnote's mark (``mark(number)``), and
    the footnotes (the same footnote text keeps one number). In a right-aligned column the
    mark goes before the value, so that values keep their right edge whether marked or not;
    elsewhere after it."""
    numbers: dict[str, int] = {}
    right = s.numeric or tuple(False for _ in s.headers)
    rows = []
    for row in s.rows:
        cells = []
        for cell, numeric in zip(row, right, strict=True):
            if isinstance(cell, Marked):
                k = numbers.setdefault(cell.footnote, len(numbers) + 1)
                cells.append(f"{mark(k)} {cell.text}" if numeric else f"{cell.text} {mark(k)}")
            else:
                cells.append(cell)
        rows.append(tuple(cells))
    return rows, [(k, text) for text, k in numbers.items()]
