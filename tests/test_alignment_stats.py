"""The alignment figures (annotator/domain/alignment.py) against scikit-learn and McNemar's exact
test against statsmodels, on random data (docs/alignment.md, "The alignment figures")."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import (
    accuracy_score,
    cohen_kappa_score,
    f1_score,
    precision_recall_fscore_support,
)
from statsmodels.stats.contingency_tables import mcnemar

from annotator.domain import alignment
from annotator.domain.alignment import compare, mcnemar_exact, pair_counts, run_figures

SCALE = ("a", "b", "c", "d")


@st.composite
def paired(draw: st.DrawFn) -> tuple[list[str], list[str], tuple[str, ...]]:
    """Truth and predictions over part of a scale (labels of the scale may never occur; a
    prediction may be off the scale's first labels only)."""
    k = draw(st.integers(2, 4))
    scale = SCALE[:k]
    n = draw(st.integers(1, 60))
    label = st.sampled_from(scale)
    truth = draw(st.lists(label, min_size=n, max_size=n))
    predicted = draw(st.lists(label, min_size=n, max_size=n))
    return truth, predicted, scale


@settings(max_examples=300, deadline=None)
@given(data=paired())
def test_every_figure_equals_scikit_learn(
    data: tuple[list[str], list[str], tuple[str, ...]],
) -> None:
    truth, predicted, scale = data
    got = run_figures(pair_counts(zip(truth, predicted, strict=True)), scale, resamples=0)
    assert got.n == len(truth)
    assert got.accuracy.value == pytest.approx(accuracy_score(truth, predicted), abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kappa = cohen_kappa_score(truth, predicted, labels=list(scale))
    if math.isnan(kappa):
        assert got.kappa.value is None and got.kappa.figure.reason
    else:
        assert got.kappa.value == pytest.approx(kappa, abs=1e-9)
    macro = f1_score(truth, predicted, average="macro", zero_division=0)
    assert got.macro_f1.value == pytest.approx(macro, abs=1e-9)
    p, r, f, s = precision_recall_fscore_support(
        truth, predicted, labels=list(scale), average=None, zero_division=0
    )
    assert [x.label for x in got.per_label] == list(scale)
    for i, x in enumerate(got.per_label):
        assert x.precision.value == pytest.approx(p[i], abs=1e-9)
        assert x.recall.value == pytest.approx(r[i], abs=1e-9)
        assert x.f1.value == pytest.approx(f[i], abs=1e-9)
        assert x.support == s[i]


def test_zero_division_gives_0_with_a_note() -> None:
    got = run_figures(pair_counts([("a", "a"), ("a", "a")]), ("a", "b"), resamples=0)
    b = got.per_label[1]
    assert (b.precision.value, b.recall.value, b.f1.value) == (0.0, 0.0, 0.0)
    assert "never predicted" in (b.precision.figure.note or "")
    assert "zero_division=0" in (b.f1.figure.note or "")
    assert got.kappa.value is None  # one label only: chance agreement is 1


def test_intervals_are_reproducible_and_hold_the_figure() -> None:
    truth = ["a", "b", "c"] * 30 + ["a"] * 10
    predicted = ["a", "b", "b"] * 30 + ["c"] * 10
    pairs = pair_counts(zip(truth, predicted, strict=True))
    first = run_figures(pairs, ("a", "b", "c"), resamples=300, seed=4)
    again = run_figures(dict(reversed(list(pairs.items()))), ("a", "b", "c"), resamples=300, seed=4)
    other = run_figures(pairs, ("a", "b", "c"), resamples=300, seed=5)
    assert first == again  # the same seed, whatever the order of the cases
    assert first.accuracy.interval != other.accuracy.interval
    for e in (first.accuracy, first.kappa, first.macro_f1, first.per_label[0].f1):
        assert e.interval.low is not None and e.interval.high is not None and e.value is not None
        assert e.interval.low <= e.value <= e.interval.high
        assert e.interval.resamples == 300 and e.interval.level == 0.95


def test_right_within_the_threshold() -> None:
    scale = ("1", "2", "3", "4", "5")

    def right(t: str, p: str) -> bool:
        return abs(int(t) - int(p)) <= 1

    pairs = pair_counts([("1", "2"), ("3", "5"), ("4", "4"), ("5", "1")])
    got = run_figures(pairs, scale, right=right, resamples=0)
    assert got.right is not None and got.right.value == 0.5
    assert got.accuracy.value == 0.25
    assert run_figures(pairs, scale, resamples=0).right is None


def _statsmodels(fixed: int, broken: int, both_right: int = 3, both_wrong: int = 2) -> float:
    table = np.array([[both_right, broken], [fixed, both_wrong]])
    return float(mcnemar(table, exact=True).pvalue)


@settings(max_examples=400, deadline=None)
@given(fixed=st.integers(0, 3000), broken=st.integers(0, 3000))
def test_mcnemar_equals_statsmodels(fixed: int, broken: int) -> None:
    assert mcnemar_exact(fixed, broken) == pytest.approx(_statsmodels(fixed, broken), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(fixed=st.integers(10_000, 400_000), spread=st.integers(-3000, 3000))
def test_mcnemar_equals_statsmodels_on_many_changed_cases(fixed: int, spread: int) -> None:
    broken = max(0, fixed + spread)  # above 20,000 changed cases: the floating-point sum
    assert mcnemar_exact(fixed, broken) == pytest.approx(_statsmodels(fixed, broken), abs=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_mcnemar_all_agree_and_ties(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    assert mcnemar_exact(0, 0) == _statsmodels(0, 0) == 1.0
    assert mcnemar_exact(n, n) == pytest.approx(_statsmodels(n, n), abs=1e-12)
    monkeypatch.setattr(alignment, "_EXACT_UP_TO", 0)  # the large-n path on small numbers
    for fixed, broken in ((n, n), (n, n + 5), (0, n + 1), (40, 70)):
        assert mcnemar_exact(fixed, broken) == pytest.approx(_statsmodels(fixed, broken), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), max_size=80))
def test_fixed_and_broken_cases(flags: list[tuple[bool, bool]]) -> None:
    paired = [(f"case-{i}", before, now) for i, (before, now) in enumerate(flags)]
    got = compare(paired)
    fixed = tuple(c for c, before, now in paired if not before and now)
    broken = tuple(c for c, before, now in paired if before and not now)
    assert got.fixed_ids == fixed and got.broken_ids == broken
    assert (got.fixed, got.broken) == (len(fixed), len(broken))
    assert got.both_right == sum(1 for _, b, n in paired if b and n)
    assert got.both_wrong == sum(1 for _, b, n in paired if not b and not n)
    assert got.n == len(paired)
    expected = _statsmodels(len(fixed), len(broken), got.both_right, got.both_wrong)
    assert got.p_value == pytest.approx(expected, abs=1e-9)
    assert compare(paired, keep_ids=False).fixed_ids == ()
