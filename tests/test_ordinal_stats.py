"""The figures that use a scale's order, and Gwet's AC, equal their reference implementations
(scikit-learn, scipy.stats, krippendorff, irrCAC) to 1e-9 on random data, kappa-paradox and
single-label cases included, and are undefined (None with a reason) exactly where the
reference gives NaN."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from irrCAC.raw import CAC
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from annotator.domain import ordinal as od
from annotator.domain import reliability as rel

TOL = 1e-9
SETTINGS = settings(max_examples=150, deadline=None)
SCALES = (("1", "2", "3", "4", "5"), ("No", "Minor", "Moderate", "Substantial"), ("0", "2", "7"))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)


def assert_matches(ours: od.Figure, reference: float | None) -> None:
    if reference is None or math.isnan(reference) or math.isinf(reference):
        assert ours.value is None, f"reference undefined, ours {ours.value}"
        assert ours.reason
        return
    assert ours.value is not None, f"reference {reference}, ours undefined: {ours.reason}"
    assert abs(ours.value - float(reference)) <= TOL, (ours.value, reference)


@st.composite
def two_sides(draw: st.DrawFn) -> tuple[tuple[str, ...], list[str], list[str]]:
    scale = draw(st.sampled_from(SCALES))
    pool = draw(st.lists(st.sampled_from(scale), min_size=1, max_size=len(scale), unique=True))
    n = draw(st.integers(1, 40))
    a = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    b = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    return scale, a, b


@st.composite
def rated_units(draw: st.DrawFn) -> tuple[tuple[str, ...], list[list[str | None]]]:
    """A units x raters matrix with missing ratings (every unit rated at least once)."""
    scale = draw(st.sampled_from(SCALES))
    pool = draw(st.lists(st.sampled_from(scale), min_size=1, max_size=len(scale), unique=True))
    raters = draw(st.integers(2, 5))
    rows = draw(
        st.lists(
            st.lists(st.none() | st.sampled_from(pool), min_size=raters, max_size=raters).filter(
                lambda row: any(x is not None for x in row)
            ),
            min_size=2,  # irrCAC's variance divides by n - 1
            max_size=25,
        )
    )
    return scale, rows


# --- weighted kappa ------------------------------------------------------------------------------


@SETTINGS
@given(two_sides(), st.sampled_from(["linear", "quadratic"]))
def test_weighted_kappa_matches_sklearn(data, weights) -> None:
    scale, a, b = data
    reference = _quiet(cohen_kappa_score, a, b, labels=list(scale), weights=weights)
    assert_matches(od.weighted_kappa(a, b, scale, weights), reference)


def test_weighted_kappa_uses_the_order() -> None:
    """A judge off by one label loses less under quadratic weights than one off by three."""
    scale = ("1", "2", "3", "4", "5")
    truth = ["1", "2", "3", "4", "5"] * 4
    near = ["2", "3", "4", "5", "4"] * 4
    far = ["4", "5", "1", "1", "2"] * 4
    near_k = od.weighted_kappa(truth, near, scale, "quadratic").value
    far_k = od.weighted_kappa(truth, far, scale, "quadratic").value
    assert near_k is not None and far_k is not None and near_k > 0.5 > far_k


def test_weighted_kappa_single_label_is_undefined_with_why() -> None:
    f = od.weighted_kappa(["3"] * 5, ["3"] * 5, ("1", "2", "3"), "linear")
    assert f.value is None and "one label" in (f.reason or "")
    assert od.weighted_kappa([], [], ("1", "2"), "linear").reason


# --- Gwet's AC1 and AC2 --------------------------------------------------------------------------


def _irr(scale: tuple[str, ...], rows: list[list[str | None]], weights: str) -> float:
    frame = pd.DataFrame(rows, dtype=object)
    return float(_quiet(lambda: CAC(frame, weights=weights, categories=list(scale), digits=15)
                        .gwet()["est"]["coefficient_value"]))  # fmt: skip


def _units(rows: list[list[str | None]]) -> list[list[str]]:
    return [[x for x in row if x is not None] for row in rows]


@SETTINGS
@given(rated_units(), st.booleans())
def test_gwet_ac_matches_irrcac(data, weighted) -> None:
    scale, rows = data
    ours = od.gwet_ac(_units(rows), scale, weighted)
    if not any(sum(x is not None for x in row) >= 2 for row in rows):
        assert ours.value is None and ours.reason  # irrCAC divides by zero units
        return
    assert_matches(ours, _irr(scale, rows, "ordinal" if weighted else "identity"))


@SETTINGS
@given(two_sides(), st.booleans())
def test_gwet_ac_of_two_sides_is_the_pairs(data, weighted) -> None:
    """The judge against the consensus: AC of two raters, from the pairs."""
    scale, a, b = data
    if len(a) < 2:  # irrCAC's variance divides by n - 1
        a, b = a * 2, b * 2
    pairs = Counter(zip(a, b, strict=True))
    ours = od.gwet_ac_counts(od.pair_units(pairs), scale, weighted)
    rows: list[list[str | None]] = [[x, y] for x, y in zip(a, b, strict=True)]
    assert_matches(ours, _irr(scale, rows, "ordinal" if weighted else "identity"))


def test_kappa_paradox_ac1_stays_meaningful() -> None:
    """One label dominates: 90% agreement, kappa about 0, AC1 high (irrCAC agrees)."""
    scale = ("1", "2", "3", "4", "5")
    judge = ["5"] * 40
    raters = ["5"] * 36 + ["4", "3", "4", "2"]
    kappa = cohen_kappa_score(raters, judge, labels=list(scale))
    assert abs(kappa) < 1e-12
    ac1 = od.gwet_ac_counts(od.pair_units(Counter(zip(raters, judge, strict=True))), scale, False)
    assert ac1.value is not None and ac1.value > 0.85
    rows: list[list[str | None]] = [[x, y] for x, y in zip(raters, judge, strict=True)]
    assert abs(ac1.value - _irr(scale, rows, "identity")) <= TOL


def test_gwet_single_label_scale_is_undefined() -> None:
    assert od.gwet_ac([["a", "a"]], ("a",), False).reason == "the scale has fewer than two labels"
    assert od.gwet_ac([["a"], ["b"]], ("a", "b"), True).value is None


# --- Krippendorff's alpha, interval ---------------------------------------------------------------


@SETTINGS
@given(rated_units())
def test_interval_alpha_matches_krippendorff(data) -> None:
    scale, rows = data
    at = od.positions(scale)
    units = _units(rows)
    ours = rel.krippendorff_alpha(units, scale, "interval")
    if not any(len(u) >= 2 for u in units):
        assert ours.value is None and ours.reason  # krippendorff raises
        return
    matrix = [[at[x] if x is not None else np.nan for x in row] for row in rows]
    reference = _quiet(
        krippendorff.alpha,
        reliability_data=np.array(matrix, dtype=float).T,
        value_domain=[at[x] for x in scale],
        level_of_measurement="interval",
    )
    assert_matches(ours, reference)


# --- correlations and mean absolute error ---------------------------------------------------------


@st.composite
def scores(draw: st.DrawFn) -> list[tuple[float, float]]:
    xs = st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, 4.5])
    ys = st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 10 / 3, 4.0, 5.0])
    return draw(st.lists(st.tuples(xs, ys), min_size=1, max_size=40))


@SETTINGS
@given(scores())
def test_correlations_match_scipy(data) -> None:
    x = [a for a, _ in data]
    y = [b for _, b in data]
    counts = Counter(data)
    constant = len(set(x)) < 2 or len(set(y)) < 2
    for ours, reference in (
        (od.pearson_counts, stats.pearsonr),
        (od.spearman_counts, stats.spearmanr),
        (od.kendall_tau_b_counts, stats.kendalltau),
    ):
        figure = ours(counts)
        if len(data) < 2 or constant:
            assert figure.value is None and figure.reason
            continue
        assert_matches(figure, float(_quiet(reference, x, y)[0]))
    mae = od.mean_absolute_error_counts(counts)
    assert mae.value is not None
    assert abs(mae.value - float(np.mean(np.abs(np.array(x) - np.array(y))))) <= TOL


def test_correlation_reasons() -> None:
    assert "fewer than two" in (od.spearman_counts({(1.0, 2.0): 1}).reason or "")
    judge_constant = od.kendall_tau_b_counts({(5.0, 2.0): 3, (5.0, 4.0): 1})
    assert "judge's score is the same" in (judge_constant.reason or "")
    assert od.mean_absolute_error_counts({}).value is None


@pytest.mark.parametrize("scale", SCALES)
def test_positions(scale) -> None:
    at = od.positions(scale)
    assert list(at) == list(scale)
    assert sorted(at.values()) == list(at.values())


def test_paradox_note_only_where_kappa_and_agreement_diverge() -> None:
    raters = ["5"] * 36 + ["4", "3", "4", "2"]
    judge = ["5"] * 40
    pairs = Counter(zip(raters, judge, strict=True))
    given = Counter(raters + judge)
    scale = ("1", "2", "3", "4", "5")
    agreement = od.Figure(0.9, 40)
    kappa = od.Figure(0.0, 40)
    ac1 = od.gwet_ac_counts(od.pair_units(pairs), scale, False)
    note = od.paradox_note(agreement, kappa, ac1, given)
    assert note is not None and "'5' is 95%" in note and "AC1" in note
    # 50% agreement, kappa 0 on balanced labels: no paradox, no note.
    even = Counter({"a": 2, "b": 2})
    assert od.paradox_note(od.Figure(0.5, 4), kappa, od.Figure(0.04, 4), even) is None
    assert od.paradox_note(agreement, od.Figure(0.8, 40), ac1, given) is None
