"""Every agreement statistic equals its reference implementation (to 1e-9) on random data, and
is undefined (None with a reason) exactly where the reference gives NaN, warns or raises."""

from __future__ import annotations

import math
import random
import statistics
import warnings
from collections import Counter
from fractions import Fraction
from itertools import combinations

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, cohen_kappa_score, precision_score, recall_score
from sklearn.metrics import confusion_matrix as sk_confusion_matrix
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

from annotator.domain import agreement as ag
from annotator.domain import bootstrap as bs
from annotator.domain import ceiling as loo
from annotator.domain import reliability as rel

TOL = 1e-9
ALPHABET = ("a", "b", "c", "d", "e")
SETTINGS = settings(max_examples=200, deadline=None)

labels_st = st.sampled_from(ALPHABET)


def _quiet(fn, *args, **kwargs):
    """Call a reference function; its warnings are what we test against, not noise."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return fn(*args, **kwargs)


def _undefined(value: float) -> bool:
    return value is None or math.isnan(value) or math.isinf(value)


def assert_matches(ours: ag.Figure, reference: float | None) -> None:
    """Ours equals the reference, or both are undefined (ours with a reason)."""
    if reference is None or _undefined(reference):
        assert ours.value is None, f"reference undefined, ours {ours.value}"
        assert ours.reason
        return
    assert ours.value is not None, f"reference {reference}, ours undefined: {ours.reason}"
    assert ours.reason is None
    assert abs(ours.value - float(reference)) <= TOL, (ours.value, reference)


# --- strategies ----------------------------------------------------------------------------------


@st.composite
def two_raters(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    n = draw(st.integers(1, 40))
    pool = draw(st.lists(labels_st, min_size=1, max_size=5, unique=True))
    a = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    b = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    return a, b


label_subsets = st.none() | st.lists(labels_st, min_size=1, max_size=5, unique=True)


@st.composite
def reliability(draw: st.DrawFn) -> tuple[list[list[str | None]], list[str]]:
    """A coders x units matrix with missing values, and a domain (the scale, in order)."""
    domain_size = draw(st.integers(1, 5))
    domain = list(ALPHABET[:domain_size])
    coders = draw(st.integers(1, 5))
    units = draw(st.integers(1, 30))
    value = st.none() | st.sampled_from(domain)
    matrix = [draw(st.lists(value, min_size=units, max_size=units)) for _ in range(coders)]
    return matrix, domain


def _units(matrix: list[list[str | None]]) -> list[list[str]]:
    return [[row[u] for row in matrix if row[u] is not None] for u in range(len(matrix[0]))]


def _reference_alpha(matrix: list[list[str | None]], domain: list[str], level: str) -> float:
    index = {x: float(i) for i, x in enumerate(domain)}
    data = np.array([[np.nan if v is None else index[v] for v in row] for row in matrix])
    try:
        return float(
            _quiet(
                krippendorff.alpha,
                reliability_data=data,
                level_of_measurement=level,
                value_domain=list(range(len(domain))),
            )
        )
    except ValueError:  # fewer than two values in the domain, or nothing pairable
        return math.nan


@st.composite
def fleiss_tables(draw: st.DrawFn) -> list[list[int]]:
    categories = draw(st.integers(1, 5))
    raters = draw(st.integers(2, 6))
    items = draw(st.integers(1, 25))
    table = []
    for _ in range(items):
        picks = draw(st.lists(st.integers(0, categories - 1), min_size=raters, max_size=raters))
        row = [0] * categories
        for p in picks:
            row[p] += 1
        table.append(row)
    return table


# --- Cohen's kappa, accuracy, confusion matrix, precision and recall -----------------------------


@SETTINGS
@given(two_raters(), label_subsets)
def test_cohen_kappa_matches_sklearn(data: tuple[list[str], list[str]], labels) -> None:
    a, b = data
    try:
        reference = _quiet(cohen_kappa_score, a, b, labels=labels)
    except ValueError:  # no label of `labels` in y1: scikit-learn refuses
        reference = None
    assert_matches(ag.cohen_kappa(a, b, labels), reference)


@SETTINGS
@given(two_raters())
def test_accuracy_matches_sklearn(data: tuple[list[str], list[str]]) -> None:
    truth, predicted = data
    assert_matches(ag.accuracy(truth, predicted), accuracy_score(truth, predicted))
    assert ag.accuracy(truth, predicted).n == len(truth)


@SETTINGS
@given(two_raters(), st.lists(labels_st, min_size=1, max_size=5, unique=True))
def test_confusion_matrix_matches_sklearn(data, labels: list[str]) -> None:
    truth, predicted = data
    ours = ag.confusion_matrix(truth, predicted, labels)
    assert ours.labels == tuple(labels)
    if not set(truth) & set(labels):
        # scikit-learn refuses ("at least one label specified must be in y_true"); ours is
        # simply empty.
        assert ours.n == 0
        return
    reference = _quiet(sk_confusion_matrix, truth, predicted, labels=labels)
    assert [list(r) for r in ours.counts] == reference.tolist()


@SETTINGS
@given(two_raters(), st.lists(labels_st, min_size=1, max_size=5, unique=True))
def test_precision_recall_match_sklearn(data, labels: list[str]) -> None:
    truth, predicted = data
    scores = ag.precision_recall(truth, predicted, labels)
    assert [s.label for s in scores] == labels
    kwargs = {"labels": labels, "average": None, "zero_division": np.nan}
    precision = _quiet(precision_score, truth, predicted, **kwargs)
    recall = _quiet(recall_score, truth, predicted, **kwargs)
    for score, p, r in zip(scores, precision, recall, strict=True):
        assert_matches(score.precision, p)
        assert_matches(score.recall, r)
        assert score.support == truth.count(score.label)


def test_cohen_kappa_edge_cases() -> None:
    one = ag.cohen_kappa(["a", "a", "a"], ["a", "a", "a"])
    assert one.value is None and "one label" in (one.reason or "")
    assert math.isnan(_quiet(cohen_kappa_score, ["a", "a", "a"], ["a", "a", "a"]))
    assert ag.cohen_kappa(["a", "b"], ["a", "b"]).value == 1.0  # two items, all agree
    assert ag.cohen_kappa(["a", "b"], ["b", "a"]).value == -1.0  # perfect disagreement
    assert ag.cohen_kappa([], []).value is None
    assert ag.cohen_kappa([], []).reason
    # `labels` drops pairs outside it, as scikit-learn does; nothing left is undefined.
    assert ag.cohen_kappa(["x", "y"], ["x", "y"], ["a", "b"]).value is None
    with pytest.raises(ValueError):
        ag.cohen_kappa(["a"], ["a", "b"])


def test_precision_recall_undefined_says_why() -> None:
    scores = {s.label: s for s in ag.precision_recall(["a", "a"], ["a", "a"], ["a", "b"])}
    assert scores["a"].precision.value == 1.0 and scores["a"].recall.value == 1.0
    assert scores["b"].precision.value is None
    assert "never predicted" in (scores["b"].precision.reason or "")
    assert scores["b"].recall.value is None
    assert "truly" in (scores["b"].recall.reason or "")


def test_accuracy_with_no_items_is_undefined() -> None:
    assert ag.accuracy([], []).value is None
    assert ag.accuracy([], []).reason


# --- Fleiss' kappa -------------------------------------------------------------------------------


@SETTINGS
@given(fleiss_tables())
def test_fleiss_kappa_matches_statsmodels(table: list[list[int]]) -> None:
    reference = _quiet(sm_fleiss_kappa, np.array(table), method="fleiss")
    ours = rel.fleiss_kappa_table(table)
    assert_matches(ours, reference)
    assert ours.n == len(table)


@SETTINGS
@given(st.lists(st.lists(st.sampled_from(ALPHABET[:3]), max_size=5), min_size=1, max_size=30))
def test_fleiss_kappa_uses_items_with_the_most_common_count(units: list[list[str]]) -> None:
    sizes = Counter(len(u) for u in units if len(u) >= 2)
    ours = rel.fleiss_kappa(units, ALPHABET[:3])
    if not sizes:
        assert ours.value is None and ours.reason
        return
    size = max(sizes, key=lambda m: (sizes[m], m))
    used = [u for u in units if len(u) == size]
    table = np.array([[u.count(x) for x in ALPHABET[:3]] for u in used])
    assert_matches(ours, _quiet(sm_fleiss_kappa, table, method="fleiss"))
    assert ours.n == len(used)
    left_out = sum(sizes.values()) - len(used)
    assert (ours.note is not None) == bool(left_out)
    if left_out:
        assert str(left_out) in (ours.note or "")


def test_fleiss_kappa_edge_cases() -> None:
    single = rel.fleiss_kappa([["a", "a"], ["a", "a"]])
    assert single.value is None and "one label" in (single.reason or "")
    assert rel.fleiss_kappa([["a", "a"], ["b", "b"]]).value == 1.0
    assert rel.fleiss_kappa([["a"], ["b"]]).value is None  # nobody rated twice
    # Ties between counts go to the larger number of ratings.
    tie = rel.fleiss_kappa([["a", "b"], ["a", "a", "b"]])
    assert tie.n == 1 and "1 item" in (tie.note or "")
    with pytest.raises(ValueError):
        rel.fleiss_kappa_table([[2, 0], [1, 2]])


# --- Krippendorff's alpha ------------------------------------------------------------------------


@SETTINGS
@given(reliability(), st.sampled_from(["nominal", "ordinal"]))
def test_alpha_matches_krippendorff(data, level) -> None:
    matrix, domain = data
    ours = rel.krippendorff_alpha(_units(matrix), domain, level)
    assert_matches(ours, _reference_alpha(matrix, domain, level))
    assert ours.n == sum(1 for u in _units(matrix) if len(u) >= 2)


@SETTINGS
@given(reliability())
def test_alpha_unused_domain_labels_match(data) -> None:
    """Labels of the scale nobody used still count for ordinal distances, as in the package."""
    matrix, domain = data
    wider = [*domain, "z0", "z1"]
    for level in ("nominal", "ordinal"):
        assert_matches(
            rel.krippendorff_alpha(_units(matrix), wider, level),
            _reference_alpha(matrix, wider, level),
        )


def test_alpha_on_the_package_examples() -> None:
    """The krippendorff package's own string example: ordinal 0.815, nominal 0.743."""
    nan = None
    data = [
        ["very low", "low", "mid", "mid", "low", "very low", "high", "very low", "low", nan,
         nan, nan],
        ["very low", "low", "mid", "mid", "low", "low", "high", "very low", "low", "very high",
         nan, "mid"],
        [nan, "mid", "mid", "mid", "low", "mid", "high", "low", "low", "very high", "very low",
         nan],
        ["very low", "low", "mid", "mid", "low", "high", "high", "very low", "low", "very high",
         "very low", nan],
    ]  # fmt: skip
    domain = ["very low", "low", "mid", "high", "very high"]
    ordinal = rel.krippendorff_alpha(_units(data), domain, "ordinal")
    nominal = rel.krippendorff_alpha(_units(data), domain, "nominal")
    assert round(ordinal.value or 0, 3) == 0.815
    assert round(nominal.value or 0, 3) == 0.743
    assert_matches(ordinal, _reference_alpha(data, domain, "ordinal"))


def test_alpha_edge_cases() -> None:
    domain = ["1", "2", "3"]
    one_label = rel.krippendorff_alpha([["2", "2"], ["2", "2", "2"]], domain)
    assert one_label.value is None and "one label" in (one_label.reason or "")
    missing = rel.krippendorff_alpha([["1"], [], ["3"]], domain)
    assert missing.value is None and "pairs" in (missing.reason or "") and missing.n == 0
    assert rel.krippendorff_alpha([], domain).value is None
    assert rel.krippendorff_alpha([["1", "1"]], ["1"]).value is None  # one-label scale
    assert rel.krippendorff_alpha([["1", "1"], ["3", "3"]], domain).value == 1.0
    # A single-value unit adds nothing.
    assert (
        rel.krippendorff_alpha([["1", "1"], ["3", "3"], ["2"]], domain).value
        == rel.krippendorff_alpha([["1", "1"], ["3", "3"]], domain).value
    )
    with pytest.raises(ValueError):
        rel.krippendorff_alpha([["1", "9"]], domain)


def test_ordinal_alpha_forgives_near_misses() -> None:
    """Disagreeing by one step costs less on an ordinal scale than on a nominal one, and far
    misses cost more than near ones."""
    domain = ["1", "2", "3", "4", "5"]
    near = [["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5"], ["2", "3"], ["4", "5"]]
    far = [["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5"], ["2", "4"], ["3", "5"]]
    nominal_near = rel.krippendorff_alpha(near, domain, "nominal").value
    ordinal_near = rel.krippendorff_alpha(near, domain, "ordinal").value
    ordinal_far = rel.krippendorff_alpha(far, domain, "ordinal").value
    assert nominal_near is not None and ordinal_near is not None and ordinal_far is not None
    assert ordinal_near > nominal_near
    assert ordinal_near > ordinal_far
    assert rel.krippendorff_alpha(far, domain, "nominal").value == nominal_near


# --- percent agreement ---------------------------------------------------------------------------


def _brute_percent(units: list[list[str]]) -> float | None:
    shares = []
    for u in units:
        if len(u) < 2:
            continue
        pairs = list(combinations(u, 2))
        shares.append(Fraction(sum(a == b for a, b in pairs), len(pairs)))
    return float(sum(shares) / len(shares)) if shares else None


@SETTINGS
@given(st.lists(st.lists(labels_st, max_size=6), max_size=30))
def test_percent_agreement_is_the_mean_pairwise_share(units: list[list[str]]) -> None:
    assert_matches(ag.percent_agreement(units), _brute_percent(units))


@SETTINGS
@given(fleiss_tables())
def test_percent_agreement_is_fleiss_observed_agreement(table: list[list[int]]) -> None:
    units = [[str(j) for j, c in enumerate(row) for _ in range(c)] for row in table]
    m = sum(table[0])
    p_mean = sum((sum(c * c for c in row) - m) / (m * (m - 1)) for row in table) / len(table)
    assert abs((ag.percent_agreement(units).value or 0) - p_mean) <= TOL


def test_percent_agreement_edge_cases() -> None:
    assert ag.percent_agreement([["a"], [], ["b"]]).value is None
    assert ag.percent_agreement([["a", "a"], ["a", "b"]]).value == 0.5
    assert ag.percent_agreement([["a", "a", "b"]]).value == pytest.approx(1 / 3)


# --- leave-one-out -------------------------------------------------------------------------------


def _brute_loo(units: list[tuple[str | None, list[str]]]) -> tuple[float | None, float | None]:
    """AlpacaEval's definition with the random tie-break replaced by its expectation, written
    out plainly: enumerate every equally likely choice of mode."""
    humans: list[Fraction] = []
    judges: list[Fraction] = []
    for judge, labels in units:
        if len(labels) < 2:
            continue
        h = j = Fraction(0)
        for i, mine in enumerate(labels):
            others = Counter(labels[:i] + labels[i + 1 :])
            top = max(others.values())
            modes = sorted(x for x, c in others.items() if c == top)
            h += Fraction(sum(mine == m for m in modes), len(modes))
            j += Fraction(sum(judge == m for m in modes), len(modes))
        humans.append(h / len(labels))
        if judge is not None:
            judges.append(j / len(labels))
    mean = lambda xs: float(sum(xs) / len(xs)) if xs else None  # noqa: E731
    return mean(humans), mean(judges)


@SETTINGS
@given(
    st.lists(
        st.tuples(st.none() | labels_st, st.lists(st.sampled_from(ALPHABET[:3]), max_size=6)),
        max_size=30,
    )
)
def test_leave_one_out_matches_the_plain_definition(units) -> None:
    result = loo.leave_one_out(units)
    humans, judge = _brute_loo(units)
    assert_matches(result.humans, humans)
    assert_matches(result.judge, judge)


def test_leave_one_out_by_hand() -> None:
    # Two raters: the other one is the reference, so this is plain pairwise agreement.
    assert loo.leave_one_out([("a", ["a", "b"])]).humans.value == 0.0
    assert loo.leave_one_out([("a", ["a", "b"])]).judge.value == 0.5
    # Three raters a, a, b: leaving out an "a" leaves a tie {a, b} (scores 1/2); leaving out
    # "b" leaves "a" (b scores 0): humans (1/2 + 1/2 + 0) / 3; a judge saying "a" gets
    # (1/2 + 1/2 + 1) / 3.
    result = loo.leave_one_out([("a", ["a", "a", "b"])])
    assert result.humans.value == pytest.approx(1 / 3)
    assert result.judge.value == pytest.approx(2 / 3)
    # Everyone agrees: both 1.
    assert loo.leave_one_out([("x", ["x", "x", "x"])]).humans.value == 1.0
    none = loo.leave_one_out([("a", ["a"])])
    assert none.humans.value is None and none.humans.reason
    assert none.judge.value is None and none.judge.reason
    no_judge = loo.leave_one_out([(None, ["a", "a"])])
    assert no_judge.humans.value == 1.0 and no_judge.judge.value is None


# --- bootstrap -----------------------------------------------------------------------------------


def test_bootstrap_is_reproducible() -> None:
    pairs = Counter({("a", "a"): 40, ("a", "b"): 7, ("b", "a"): 9, ("b", "b"): 44})
    first = bs.bootstrap_interval(pairs, ag.accuracy_counts, resamples=500, seed=3)
    again = bs.bootstrap_interval(dict(reversed(pairs.items())), ag.accuracy_counts,
                                  resamples=500, seed=3)  # fmt: skip
    other = bs.bootstrap_interval(pairs, ag.accuracy_counts, resamples=500, seed=4)
    assert first == again
    assert first != other
    assert first.low is not None and first.high is not None
    assert first.low < 0.84 < first.high


def test_bootstrap_matches_resampling_units() -> None:
    """Drawing kinds as a multinomial gives the same interval as resampling units one by one
    (up to Monte Carlo error)."""
    pairs = Counter({("a", "a"): 30, ("a", "b"): 12, ("b", "a"): 8, ("b", "b"): 50})
    labels = ["a", "b"]
    ours = bs.bootstrap_interval(
        pairs, lambda c: ag.cohen_kappa_counts(c, labels), resamples=4000, seed=1
    )
    units = [k for k, c in pairs.items() for _ in range(c)]
    rng = random.Random(2)
    values = sorted(
        v
        for _ in range(4000)
        if (v := ag.cohen_kappa_counts(Counter(rng.choices(units, k=len(units))), labels).value)
        is not None
    )
    low, high = np.quantile(values, [0.025, 0.975])
    assert ours.low == pytest.approx(low, abs=0.02)
    assert ours.high == pytest.approx(high, abs=0.02)


def test_bootstrap_undefined_cases() -> None:
    one = bs.bootstrap_interval({("a", "a"): 1}, ag.accuracy_counts)
    assert one.low is None and "two or more" in (one.reason or "")
    single_label = bs.bootstrap_interval(
        {("a", "a"): 10}, lambda c: ag.cohen_kappa_counts(c, ["a", "b"])
    )
    assert single_label.low is None and "undefined" in (single_label.reason or "")
    # Kappa on a resample that happens to hold one label only is undefined: left out, counted.
    rare = bs.bootstrap_interval(
        {("a", "a"): 8, ("b", "b"): 1}, lambda c: ag.cohen_kappa_counts(c, ["a", "b"]),
        resamples=300, seed=0,
    )  # fmt: skip
    assert rare.undefined_resamples > 0
    assert rare.low == rare.high == 1.0


def test_quantile_is_numpys_linear_rule() -> None:
    values = sorted(random.Random(5).random() for _ in range(37))
    for q in (0.0, 0.025, 0.5, 0.975, 1.0):
        assert bs._quantile(values, q) == pytest.approx(float(np.quantile(values, q)), abs=1e-12)


@pytest.mark.parametrize(("n", "p"), [(5, 0.3), (40, 0.1), (1000, 0.3), (10**6, 0.42), (50, 0.9)])
def test_binomial_sampler_has_the_right_mean_and_variance(n: int, p: float) -> None:
    rng = random.Random(11)
    draws = [bs.binomial(rng, n, p) for _ in range(20000)]
    assert all(0 <= x <= n for x in draws)
    mean, var = n * p, n * p * (1 - p)
    assert statistics.fmean(draws) == pytest.approx(mean, abs=4 * math.sqrt(var / 20000))
    assert statistics.pvariance(draws) == pytest.approx(var, rel=0.05)


def test_binomial_sampler_distribution() -> None:
    """A chi-square check of the BTRS branch against exact binomial probabilities."""
    n, p, draws = 60, 0.35, 40000
    rng = random.Random(7)
    seen = Counter(bs.binomial(rng, n, p) for _ in range(draws))
    chi2 = 0.0
    bins = 0
    for k in range(n + 1):
        expected = draws * math.comb(n, k) * p**k * (1 - p) ** (n - k)
        if expected >= 5:
            chi2 += (seen[k] - expected) ** 2 / expected
            bins += 1
    assert chi2 < bins + 5 * math.sqrt(2 * bins)  # far inside the 99.9% point


def test_binomial_sampler_edges() -> None:
    rng = random.Random(0)
    assert bs.binomial(rng, 0, 0.5) == 0
    assert bs.binomial(rng, 10, 0.0) == 0
    assert bs.binomial(rng, 10, 1.0) == 10
