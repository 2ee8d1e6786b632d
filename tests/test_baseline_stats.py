"""The baseline's statistics equal their references to 1e-9 on random data: F1 and macro F1
(scikit-learn), AlpacaEval's human agreement (AlpacaEval's own computation, redone with pandas
as its ``analyze.py`` and ``metrics/helpers.py`` do it), and every baseline figure of a
criterion (scikit-learn, statsmodels, krippendorff, and the disagreement kinds)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.metrics import f1_score

from annotator.domain import agreement as ag
from annotator.domain.alpaca_eval import AlpacaEvalRule, tie_break, tie_labels
from annotator.domain.ceiling import leave_one_out
from tests.test_agreement_stats import ALPHABET, SETTINGS, _quiet, assert_matches, two_raters

# --- F1 ------------------------------------------------------------------------------------------


@SETTINGS
@given(two_raters(), st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=5, unique=True))
def test_f1_per_label_matches_sklearn(data: tuple[list[str], list[str]], labels) -> None:
    truth, predicted = data
    reference = _quiet(
        f1_score, truth, predicted, labels=labels, average=None, zero_division=np.nan
    )
    scores = ag.precision_recall(truth, predicted, labels)
    for score, expected in zip(scores, reference, strict=True):
        assert_matches(score.f1, expected)


@SETTINGS
@given(two_raters())
def test_macro_f1_matches_sklearn(data: tuple[list[str], list[str]]) -> None:
    truth, predicted = data
    ours = ag.macro_f1(truth, predicted)
    assert_matches(ours, _quiet(f1_score, truth, predicted, average="macro"))
    assert ours.n == len(truth)


def test_f1_edges() -> None:
    (score,) = ag.precision_recall(["a"], ["a"], ["z"])
    assert score.f1.value is None and "never predicted" in (score.f1.reason or "")
    (only_truth,) = ag.precision_recall(["a", "a"], ["b", "b"], ["a"])
    assert only_truth.f1.value == 0.0 and only_truth.precision.value is None
    assert ag.macro_f1([], []).value is None


# --- AlpacaEval's tie-break and human agreement --------------------------------------------------


def test_tie_break_is_pandas_sample_with_alpaca_evals_seed() -> None:
    for k in range(1, 200):
        expected = pd.Series(range(k)).sample(1, random_state=123).item()
        assert tie_break(k) == expected, k
    for seed in (0, 1, 42, 2**32 - 1):
        for k in range(1, 60):
            assert tie_break(k, seed) == np.random.RandomState(seed).permutation(k)[0]


def _alpaca_random_mode(values: pd.Series) -> float:
    """AlpacaEval's ``metrics.helpers._random_mode`` (its defaults: seed 123, NaN dropped)."""
    out = pd.Series.mode(values).dropna()
    if len(out) > 1:
        out = out.sample(1, random_state=123)
    return float(out.item())


def _alpaca_preprocess(values: list[float]) -> pd.Series:
    """``BaseScoringRule.preprocess_predictions``: 0 (an old tie) is 1.5, as floats."""
    return pd.Series(values).replace({0: 1.5}).astype(float)


def _alpaca_reference(humans: list[list[float]], judge: list[float]) -> tuple[float, float]:
    """AlpacaEval's "Human agreement" of the humans (1 vs the others' mode) and of the judge
    (vs the mode of all humans), with ``AbsoluteScoringRule`` (``1 - |p - t|``) and every
    example annotated by the same number of humans, as in ``Analyzer``: one comparison per
    left-out annotator index, each a mean over the examples, then their mean."""
    m = len(humans[0])
    rows = [
        {"key": e, "index": i, "preference": p}
        for e, labels in enumerate(humans)
        for i, p in enumerate(labels)
    ]
    df = pd.DataFrame(rows)
    df["preference"] = _alpaca_preprocess(list(df["preference"]))
    scores = []
    for i in range(m):
        mine = df[df["index"] == i].set_index("key")["preference"]
        others = df[df["index"] != i].groupby("key")["preference"].aggregate(_alpaca_random_mode)
        scores.append(1 - (mine - others).abs().mean())
    everyone = df.groupby("key")["preference"].aggregate(_alpaca_random_mode)
    judged = 1 - (_alpaca_preprocess(judge) - everyone.sort_index().reset_index(drop=True)).abs()
    return float(np.mean(scores)), float(judged.mean())


SPELLINGS = {
    "numbers": (("1", "2", "0"), {"1": 1.0, "2": 2.0, "0": 0.0}),
    "numbers, 1.5 a tie": (("1", "1.5", "2"), {"1": 1.0, "1.5": 1.5, "2": 2.0}),
    "words": (("A", "B", "tie"), {"A": 1.0, "B": 2.0, "tie": 1.5}),
    "words, tie first": (("Tie", "first", "second"), {"first": 1.0, "second": 2.0, "Tie": 1.5}),
}


@SETTINGS
@given(
    st.sampled_from(sorted(SPELLINGS)),
    st.integers(2, 6),
    st.data(),
)
def test_alpaca_eval_human_agreement_is_alpaca_evals(spelling: str, m: int, data) -> None:
    labels, value = SPELLINGS[spelling]
    n = data.draw(st.integers(1, 25))
    label = st.sampled_from(labels)
    humans = [data.draw(st.lists(label, min_size=m, max_size=m)) for _ in range(n)]
    judge = data.draw(st.lists(label, min_size=n, max_size=n))
    rule = AlpacaEvalRule(labels)
    units = Counter((j, tuple(sorted(h))) for j, h in zip(judge, humans, strict=True))
    ours = rule.agreement(units)
    humans_ref, judge_ref = _alpaca_reference(
        [[value[x] for x in h] for h in humans], [value[x] for x in judge]
    )
    assert_matches(ours.humans, humans_ref)
    assert_matches(ours.judge, judge_ref)
    assert ours.humans.n == n


def _plain_alpaca(rule_labels: tuple[str, ...], value: dict[str, float], units) -> tuple:
    """The same definition, case by case, for cases with different numbers of raters: each
    case's score is the mean over its raters; the figure the mean over cases."""
    humans, judges = [], []
    for judge, labels in units:
        if len(labels) < 2:
            continue
        values = [value[x] for x in labels]
        own = []
        for i, mine in enumerate(values):
            target = _alpaca_random_mode(_alpaca_preprocess(values[:i] + values[i + 1 :]))
            own.append(1 - abs(_alpaca_preprocess([mine])[0] - target))
        humans.append(np.mean(own))
        if judge is not None:
            everyone = _alpaca_random_mode(_alpaca_preprocess(values))
            judges.append(1 - abs(_alpaca_preprocess([value[judge]])[0] - everyone))
    mean = lambda xs: float(np.mean(xs)) if xs else None  # noqa: E731
    return mean(humans), mean(judges)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.none() | st.sampled_from(("1", "2", "0")),
            st.lists(st.sampled_from(("1", "2", "0")), max_size=7),
        ),
        max_size=30,
    )
)
def test_alpaca_eval_with_any_number_of_raters(units) -> None:
    labels, value = SPELLINGS["numbers"]
    ours = AlpacaEvalRule(labels).agreement(Counter((j, tuple(sorted(h))) for j, h in units))
    humans, judge = _plain_alpaca(labels, value, units)
    assert_matches(ours.humans, humans)
    assert_matches(ours.judge, judge)


def test_alpaca_eval_by_hand() -> None:
    rule = AlpacaEvalRule(("A", "B", "tie"))
    # Four humans A, A, B, tie. Leaving out an A leaves {A, B, tie}, three tied modes: pandas
    # sorts them A (1), tie (1.5), B (2) and the seed picks the first, A: score 1 each. Leaving
    # out B leaves A, A, tie: the mode A, B scores 0; leaving out the tie: A, A, B, mode A,
    # half credit. Humans (1 + 1 + 0 + 0.5) / 4. The judge says tie against the mode of all
    # four (A): half credit.
    result = rule.agreement({("tie", ("A", "A", "B", "tie")): 1})
    assert result.humans.value == pytest.approx(2.5 / 4)
    assert result.judge.value == 0.5
    # Two humans A, B: each left with the other; the judge against {A, B} tied: the seed picks
    # the second of two, B.
    two = rule.agreement({("B", ("A", "B")): 1})
    assert two.humans.value == 0.0 and two.judge.value == 1.0
    # Not a tie on a pass/fail scale, nor 0 on an ordinal one; but a tie spelled as one is.
    assert tie_labels(("0", "1")) == frozenset()
    assert tie_labels(("0", "1", "2"), ordinal=True) == frozenset()
    assert tie_labels(("0", "1", "2")) == {"0"}
    assert tie_labels(("good", "bad", "Draw"), ordinal=True) == {"Draw"}
    none = rule.agreement({("A", ("A",)): 3})
    assert none.humans.value is None and none.humans.reason


def test_alpaca_eval_differs_from_the_expected_ceiling_only_on_ties() -> None:
    """Without ties for the mode, AlpacaEval's figure is the leave-one-out ceiling's."""
    rng = random.Random(5)
    units = []
    for _ in range(200):
        label = rng.choice("ab")
        units.append((rng.choice("ab"), [label, label, label, rng.choice("ab")]))
    counts = Counter((j, tuple(sorted(h))) for j, h in units)
    ours = AlpacaEvalRule(("a", "b")).agreement(counts)
    plain = leave_one_out(units)
    assert ours.humans.value == pytest.approx(plain.humans.value, abs=1e-12)
    assert ours.judge.value is not None
