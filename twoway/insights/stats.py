"""The statistics behind program insights, in plain NumPy/SciPy (no Django in here).

- `paired_change`: mean of paired differences with a Student-t 95 % confidence interval, from
  sufficient statistics (n, Σd, Σd²) so the job can store sums and never individual answers.
- `kaplan_meier`: the product-limit estimate with Greenwood's variance and a log(-log) 95 %
  interval (the default of most packages, which never leaves [0, 1]); it accepts delayed entry
  (left truncation), which the retention curves need (see `twoway.insights.aggregate`).
- `logrank`: the two-group log-rank test (Mantel-Haenszel), also with delayed entry.

Counting-process convention throughout: a subject is at risk at time t when entry < t ≤ exit,
so a subject entering at 0 is at risk at every t ≤ exit, as in the usual Kaplan-Meier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats as sps

Z_975 = float(sps.norm.ppf(0.975))


@dataclass(frozen=True)
class PairedChange:
    n: int
    mean_before: float
    mean_after: float
    mean_change: float
    sd_change: float
    low: float
    high: float

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def paired_change(
    *, n: int, sum_before: float, sum_after: float, sum_d: float, sum_d2: float, level: float = 0.95
) -> PairedChange | None:
    """Mean change after - before and its t interval: mean ± t(1-alpha/2, n-1) · s/√n.

    s² = (Σd² - n·d̄²)/(n - 1). Needs n ≥ 2; with s = 0 the interval is the point itself.
    """
    if n < 2:
        return None
    mean = sum_d / n
    var = max((sum_d2 - n * mean * mean) / (n - 1), 0.0)
    sd = math.sqrt(var)
    half = float(sps.t.ppf(0.5 + level / 2, n - 1)) * sd / math.sqrt(n)
    return PairedChange(
        n=n,
        mean_before=sum_before / n,
        mean_after=sum_after / n,
        mean_change=mean,
        sd_change=sd,
        low=mean - half,
        high=mean + half,
    )


@dataclass(frozen=True)
class KMCurve:
    """The estimate at each distinct event time (times ascending, survival right-continuous)."""

    times: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    survival: np.ndarray
    low: np.ndarray
    high: np.ndarray

    def at(self, t: float) -> float:
        """S(t): the estimate just after every event at or before t."""
        i = int(np.searchsorted(self.times, t, side="right"))
        return 1.0 if i == 0 else float(self.survival[i - 1])

    def interval_at(self, t: float) -> tuple[float, float]:
        i = int(np.searchsorted(self.times, t, side="right"))
        return (1.0, 1.0) if i == 0 else (float(self.low[i - 1]), float(self.high[i - 1]))


def _arrays(
    exit: ArrayLike, event: ArrayLike, entry: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.asarray(exit, dtype=float)
    e = np.asarray(event, dtype=bool)
    s = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float)
    if not (t.shape == e.shape == s.shape):
        raise ValueError("exit, event and entry need the same length")
    if np.any(s > t):
        raise ValueError("a subject enters after it exits")
    return t, e, s


def at_risk(times: np.ndarray, exit: np.ndarray, entry: np.ndarray) -> np.ndarray:
    """How many subjects have entry < t ≤ exit, for each t (sorted searches, O(n log n))."""
    exits = np.sort(exit)
    entries = np.sort(entry)
    still_in = len(exits) - np.searchsorted(exits, times, side="left")  # exit ≥ t
    not_yet = len(entries) - np.searchsorted(entries, times, side="left")  # entry ≥ t
    return (still_in - not_yet).astype(int)


def kaplan_meier(
    exit: ArrayLike, event: ArrayLike, entry: ArrayLike | None = None, level: float = 0.95
) -> KMCurve:
    t, e, s = _arrays(exit, event, entry)
    times, events = np.unique(t[e], return_counts=True)
    n = at_risk(times, t, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = np.where(n > 0, 1.0 - events / np.maximum(n, 1), 1.0)
        survival = np.cumprod(factors)
        # Greenwood: Var(log S) = Σ d/(n(n-d)); the log(-log) transform keeps the band in [0, 1].
        terms = np.where(n > events, events / (n * (n - events)), np.inf)
        greenwood = np.cumsum(terms)
        z = float(sps.norm.ppf(0.5 + level / 2))
        log_s = np.log(survival)
        se = np.sqrt(greenwood) / np.abs(log_s)
        low = np.where(survival > 0, survival ** np.exp(z * se), 0.0)
        high = np.where(survival > 0, survival ** np.exp(-z * se), 0.0)
        # Before the first event S = 1 exactly; log(-log 1) is undefined, so the band is the point.
        low = np.where(survival >= 1.0, 1.0, np.nan_to_num(low, nan=0.0))
        high = np.where(survival >= 1.0, 1.0, np.nan_to_num(high, nan=1.0))
    return KMCurve(times, n, events, survival, low, high)


@dataclass(frozen=True)
class LogRank:
    statistic: float
    p_value: float
    observed: tuple[int, int]
    expected: tuple[float, float]


def logrank(
    exit_a: ArrayLike,
    event_a: ArrayLike,
    exit_b: ArrayLike,
    event_b: ArrayLike,
    entry_a: ArrayLike | None = None,
    entry_b: ArrayLike | None = None,
) -> LogRank:
    """Two-group log-rank: χ² = (O_a - E_a)² / V on 1 degree of freedom, where at each distinct
    event time E_a += d·n_a/n and V += d·(n_a/n)·(1 - n_a/n)·(n - d)/(n - 1)."""
    ta, ea, sa = _arrays(exit_a, event_a, entry_a)
    tb, eb, sb = _arrays(exit_b, event_b, entry_b)
    times = np.unique(np.concatenate([ta[ea], tb[eb]]))
    na = at_risk(times, ta, sa).astype(float)
    nb = at_risk(times, tb, sb).astype(float)
    da = _count_at(times, ta[ea])
    db = _count_at(times, tb[eb])
    n = na + nb
    d = da + db
    ok = n > 1
    expected_a = np.sum(np.where(n > 0, d * na / np.maximum(n, 1), 0.0))
    var = np.sum(
        np.where(ok, d * (na / np.maximum(n, 1)) * (nb / np.maximum(n, 1)) * (n - d), 0.0)
        / np.where(ok, n - 1, 1.0)
    )
    observed_a = float(da.sum())
    stat = (observed_a - expected_a) ** 2 / var if var > 0 else 0.0
    total = float(d.sum())
    return LogRank(
        statistic=float(stat),
        p_value=float(sps.chi2.sf(stat, 1)) if var > 0 else 1.0,
        observed=(int(observed_a), int(total - observed_a)),
        expected=(float(expected_a), float(total - expected_a)),
    )


def _count_at(times: np.ndarray, values: np.ndarray) -> np.ndarray:
    values = np.sort(values)
    return (
        np.searchsorted(values, times, side="right") - np.searchsorted(values, times, side="left")
    ).astype(float)
