"""The statistics against hand computations, a textbook example and lifelines."""

from __future__ import annotations

import math

import numpy as np
import pytest

from twoway.insights import stats

# Gehan (1965) / Freireich leukaemia remission data: 6-MP arm (0 = censored) and placebo arm.
SIX_MP = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
SIX_MP_EVENT = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
PLACEBO = [1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]


def test_it_computes_the_paired_interval_by_hand() -> None:
    before = [2, 3, 2, 4, 3]
    after = [4, 3, 3, 5, 5]
    d = [a - b for a, b in zip(after, before, strict=True)]  # 2, 0, 1, 1, 2
    change = stats.paired_change(
        n=5,
        sum_before=sum(before),
        sum_after=sum(after),
        sum_d=sum(d),
        sum_d2=sum(x * x for x in d),
    )
    assert change is not None
    # mean 1.2; s² = 2.8 / 4 = 0.7; t(0.975, 4) = 2.776445 (tables);
    # half = t·s/√5 = 2.776445 * 0.374166 = 1.038851
    assert change.mean_change == pytest.approx(1.2)
    assert change.sd_change == pytest.approx(math.sqrt(0.7))
    assert change.low == pytest.approx(1.2 - 1.038851, abs=1e-5)
    assert change.high == pytest.approx(1.2 + 1.038851, abs=1e-5)
    assert change.mean_before == pytest.approx(2.8) and change.mean_after == pytest.approx(4.0)
    assert change.excludes_zero


def test_it_needs_two_pairs_for_an_interval() -> None:
    assert stats.paired_change(n=1, sum_before=3, sum_after=4, sum_d=1, sum_d2=1) is None


def test_it_matches_the_textbook_kaplan_meier_of_the_6mp_arm() -> None:
    km = stats.kaplan_meier(SIX_MP, SIX_MP_EVENT)
    # Published product-limit estimates (Kleinbaum & Klein, Survival Analysis, table 2.x).
    published = {6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for t, s in published.items():
        assert km.at(t) == pytest.approx(s, abs=5e-4)
    assert km.at(5.9) == 1.0
    assert list(km.at_risk) == [21, 17, 15, 12, 11, 7, 6]


def test_it_matches_the_textbook_log_rank_test() -> None:
    result = stats.logrank(SIX_MP, SIX_MP_EVENT, PLACEBO, [1] * len(PLACEBO))
    # Kleinbaum & Klein: log-rank χ² = 16.79, observed 9 vs 21, expected 19.25 vs 10.75.
    assert result.statistic == pytest.approx(16.79, abs=0.01)
    assert result.observed == (9, 21)
    assert result.expected[0] == pytest.approx(19.25, abs=0.01)
    assert result.p_value == pytest.approx(4.17e-5, rel=0.01)


def test_it_agrees_with_lifelines_including_delayed_entry_and_the_interval() -> None:
    lifelines = pytest.importorskip("lifelines")
    from lifelines.statistics import logrank_test

    rng = np.random.default_rng(7)
    n = 200
    entry = rng.uniform(0, 4, n).round(1)
    exit_ = (entry + rng.exponential(5, n)).round(1) + 0.1
    event = rng.random(n) < 0.7
    ours = stats.kaplan_meier(exit_, event, entry)
    theirs = lifelines.KaplanMeierFitter().fit(exit_, event, entry=entry)
    band = theirs.confidence_interval_
    for t in (1.0, 3.0, 6.0, 9.0):
        assert ours.at(t) == pytest.approx(float(theirs.predict(t)), abs=1e-9)
        row = band[band.index <= t].iloc[-1]
        low, high = ours.interval_at(t)
        assert low == pytest.approx(float(row.iloc[0]), abs=1e-6)
        assert high == pytest.approx(float(row.iloc[1]), abs=1e-6)
    b = rng.exponential(3, 80).round(1) + 0.1
    b_event = rng.random(80) < 0.8
    a = rng.exponential(5, 90).round(1) + 0.1
    a_event = rng.random(90) < 0.8
    ours_lr = stats.logrank(a, a_event, b, b_event)
    assert ours_lr.statistic == pytest.approx(
        logrank_test(a, b, a_event, b_event).test_statistic, rel=1e-9
    )


def test_it_counts_the_risk_set_with_delayed_entry() -> None:
    # At risk at t when entry < t ≤ exit.
    n = stats.at_risk(np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 5.0]), np.array([0, 1, 2.5]))
    assert list(n) == [1, 2, 2]
