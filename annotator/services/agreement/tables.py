"""The report as tables and sentences, shared by the text, Markdown and HTML renderers and the
window: how a figure or an interval prints, the :class:`Section` tables of a criterion (cells that
need a footnote are :class:`Marked`), and the small helpers the renderers share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from annotator.domain.agreement import ConfusionMatrix, Figure, Interval
from annotator.domain.merge import Scale
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
    Rule,
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


def figure_cell(f: Figure, style: Style = "coefficient") -> Cell:
    if f.value is None:
        return Marked("—", f"undefined: {f.reason}", undefined=True)
    if f.note:
        return Marked(_number(f.value, style), f.note)
    return _number(f.value, style)


def interval_cell(i: Interval, style: Style) -> Cell:
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


def figure_row(
    name: Cell, figure: Figure, interval: Interval | None, style: Style
) -> tuple[Cell, ...]:
    """A figure's row: name, value, interval (blank where the figure has none), n."""
    return (
        name,
        figure_cell(figure, style),
        interval_cell(interval, style) if interval else "",
        _n(figure),
    )


def chance_rows(c: ChanceCorrected | None) -> list[tuple[Cell, ...]]:
    """The weighted kappas (two sides only) and Gwet's AC1 and AC2, those that there are."""
    if c is None:
        return []
    rows = []
    if c.kappa_linear is not None:
        rows.append(
            figure_row(g.KAPPA_LINEAR, c.kappa_linear, c.kappa_linear_interval, "coefficient")
        )
    if c.kappa_quadratic is not None:
        rows.append(
            figure_row(
                g.KAPPA_QUADRATIC, c.kappa_quadratic, c.kappa_quadratic_interval, "coefficient"
            )
        )
    rows.append(figure_row(g.AC1, c.ac1, c.ac1_interval, "coefficient"))
    if c.ac2 is not None:
        rows.append(figure_row(g.AC2, c.ac2, c.ac2_interval, "coefficient"))
    return rows


def reliability_rows(rel: Reliability) -> list[tuple[Cell, ...]]:
    """Percent agreement, Fleiss' kappa, Gwet's AC1 and AC2, Krippendorff's alpha (nominal,
    and on an ordered scale ordinal and interval), with intervals where they have one."""
    ordinal = rel.alpha_ordinal is not None
    rows = []
    if rel.percent is not None:
        rows.append(figure_row(g.PERCENT, rel.percent, rel.percent_interval, "rate"))
    rows.append(figure_row(g.FLEISS, rel.fleiss, rel.fleiss_interval, "coefficient"))
    rows += chance_rows(rel.chance)
    rows.append(
        figure_row(
            g.ALPHA_NOMINAL,
            rel.alpha_nominal,
            None if ordinal else rel.alpha_interval,
            "coefficient",
        )
    )
    if rel.alpha_ordinal is not None:
        rows.append(
            figure_row(g.ALPHA_ORDINAL, rel.alpha_ordinal, rel.alpha_interval, "coefficient")
        )
    if rel.alpha_interval_level is not None:
        rows.append(
            figure_row(
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


def as_is(text: str) -> str:
    return text


def sections(c: CriterionReport, piece: Piece = as_is) -> list[Section]:
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


def within_name(threshold: float | None) -> str:
    """The name of agreement within the threshold, with the threshold: "agreement within the
    threshold (±1)"."""
    return g.WITHIN if threshold is None else f"{g.WITHIN} (±{threshold:g})"


def _judge_right(j: JudgeVsTruth) -> tuple[tuple[str, Figure, Interval, Style], ...]:
    """The judge against the final labels, right and exact: on an ordered scale with a
    threshold, agreement within it first (the judge right), then exact agreement; elsewhere
    accuracy, which is both."""
    if j.within is None or j.within_interval is None:
        return (("judge accuracy", j.accuracy, j.accuracy_interval, "rate"),)
    return (
        (f"judge {within_name(j.threshold)}", j.within, j.within_interval, "rate"),
        (f"judge {g.EXACT}", j.accuracy, j.accuracy_interval, "rate"),
    )


def _headline_section(c: CriterionReport) -> Section:
    r, j, h = c.reviewers, c.judge, c.ceiling
    weighted: tuple[tuple[str, Figure, Interval, Style], ...] = ()
    if j.chance is not None:
        weighted = (("judge Gwet's AC1", j.chance.ac1, j.chance.ac1_interval, "coefficient"),)
        q, qi = j.chance.kappa_quadratic, j.chance.kappa_quadratic_interval
        if q is not None and qi is not None:
            weighted = (("judge kappa, quadratic-weighted", q, qi, "coefficient"), *weighted)
    headline: tuple[tuple[str, Figure, Interval, Style], ...] = (
        *_judge_right(j),
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
        tuple((name, figure_cell(f, s), interval_cell(i, s), _n(f)) for name, f, i, s in headline),
        (False, True, False, True),
    )


BEFORE_AFTER = "Before and after review, on the settled cases"


def before_after_section(c: CriterionReport) -> Section:
    """The judge against the raters' consensus and against the final labels, side by side,
    on the same (settled) cases."""
    b, j = c.before.judge, c.judge
    rows: list[tuple[str, Figure, Interval, Figure, Interval, Style]] = []
    if b.within is not None and b.within_interval is not None and j.within is not None:
        assert j.within_interval is not None
        rows += [
            (f"judge {within_name(j.threshold)}", b.within, b.within_interval, j.within,
             j.within_interval, "rate"),
            (f"judge {g.EXACT}", b.accuracy, b.accuracy_interval, j.accuracy,
             j.accuracy_interval, "rate"),
        ]  # fmt: skip
    else:
        rows.append(("judge accuracy", b.accuracy, b.accuracy_interval, j.accuracy,
                     j.accuracy_interval, "rate"))  # fmt: skip
    rows += [
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
            (
                name,
                figure_cell(f, s),
                interval_cell(i, s),
                _n(f),
                figure_cell(g, s),
                interval_cell(k, s),
                _n(g),
            )
            for name, f, i, g, k, s in rows
        ),
        (False, True, False, True, True, False, True),
    )


def _between_section(r: ReviewerAgreement, piece: Piece) -> Section:
    rel = r.reliability
    between = reliability_rows(rel)
    if rel.percent is None:
        between.insert(0, figure_row(g.PERCENT, r.percent, None, "rate"))
    for p in r.pairs:
        pair = f"{piece(p.first)} / {piece(p.second)}"
        between.append(figure_row(f"{g.KAPPA}, {pair}", p.kappa, None, "coefficient"))
        for name, f in ((g.KAPPA_LINEAR, p.kappa_linear), (g.KAPPA_QUADRATIC, p.kappa_quadratic)):
            if f is not None:
                between.append(figure_row(f"{name}, {pair}", f, None, "coefficient"))
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
        return tuple(figure_cell(f) if f is not None else "—" for f in (linear, quadratic))

    near = j.within is not None

    def within(f: Figure | None) -> tuple[Cell, ...]:
        if not near:
            return ()
        return (figure_cell(f, "rate") if f is not None else "—",)

    versus: list[tuple[Cell, ...]] = [
        (
            "judge",
            *within(j.within),
            figure_cell(j.accuracy, "rate"),
            figure_cell(j.kappa),
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
                *within(x.within),
                figure_cell(x.accuracy, "rate"),
                figure_cell(x.kappa),
                *weighted(x.kappa_linear, x.kappa_quadratic),
                _n(x.accuracy),
            )
        )
    extra = ("kappa, linear", "kappa, quadratic") if ordinal else ()
    right = (f"within ±{j.threshold:g}",) if near and j.threshold is not None else ()
    return Section(
        "Against the adjudicated truth",
        ("who", *right, "exact agreement", g.KAPPA, *extra, "n"),
        tuple(versus),
        (False, *(True for _ in right), True, True, *(True for _ in extra), True),
    )


def _per_label_section(j: JudgeVsTruth) -> Section:
    return Section(
        "Judge per label",
        ("label", "precision", "recall", "F1", "truly this label"),
        tuple(
            (
                s.label,
                figure_cell(s.precision, "rate"),
                figure_cell(s.recall, "rate"),
                figure_cell(s.f1),
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
    notes.append(judge_wrong_sentence(c.judge))
    return notes


def judge_wrong_sentence(j: JudgeVsTruth) -> str:
    """How many settled cases the judge got wrong, by the rule the labelled file's
    ``who_right`` follows, and beside it how many it did not match exactly."""
    if j.threshold is None:
        return f"The judge was wrong on {j.wrong} settled case(s) (its label not the final label)."
    return (
        f"The judge was wrong on {j.wrong} settled case(s): its label more than "
        f"{j.threshold:g} from the final label (the labelled file's who_right is raters or "
        f"neither). Exact: its label is not the final label on {j.wrong_exact} "
        f"({j.wrong_exact - j.wrong} of them within the threshold, counted as right)."
    )


NEAR = (
    "off the diagonal but within the threshold (±{0:g}): the judge counts as right there, "
    "though not an exact match"
)


def judge_confusion(j: JudgeVsTruth, corner: str = "truth \\ judge") -> Section:
    """The judge's confusion matrix against the final labels; on an ordered scale with a
    threshold, the cells off the diagonal but within it are marked: the judge was right
    there."""
    section = confusion_section(j.confusion, corner)
    if j.threshold is None:
        return section
    rule = Rule.of(Scale(j.confusion.labels, True), j.threshold)
    note = NEAR.format(j.threshold)
    rows = tuple(
        (
            truth,
            *(
                Marked(str(cell), note) if said != truth and not rule.wrong(truth, said) else cell
                for said, cell in zip(j.confusion.labels, row[1:], strict=True)
            ),
        )
        for truth, row in zip(j.confusion.labels, section.rows, strict=True)
    )
    return Section(section.title, section.headers, rows, section.numeric)


# --- shared by the renderers ---------------------------------------------------------------------


def overruled_lines(
    o: Overruled, limit: int | None, piece: Piece = as_is, threshold: float | None = None
) -> tuple[str, list[OverruledCase], int]:
    """A person's overruled list: its heading, the cases shown (up to ``limit``), how many not.
    ``threshold``: the ordered scale's, by which they were overruled (None: exact match)."""
    shown = o.cases if limit is None else o.cases[:limit]
    head = f"{o.role} {piece(o.person)}: overruled on {len(o.cases)} of {o.settled} settled case(s)"
    if threshold is not None:
        head += f" (more than {threshold:g} from the final label; exact: differs on {o.exact})"
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
