"""Treated against held-out: the difference a journey made, with a confidence interval.

Pure: a frame of entrants in, a dict out. Proportions (conversion, retention) use the
Newcombe hybrid score interval for a difference of two proportions (method 10 of Newcombe
1998), which keeps its coverage with small groups and rates near 0 or 1 where the Wald
interval does not; means (revenue per entrant) use Welch's t interval.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

from patron.analytics.frames import AnalyticsError


def wilson(successes: int, n: int, level: float) -> tuple[float, float]:
    if n == 0:
        return (math.nan, math.nan)
    interval = stats.binomtest(successes, n).proportion_ci(confidence_level=level, method="wilson")
    return float(interval.low), float(interval.high)


def proportion_difference(x1: int, n1: int, x0: int, n0: int, level: float = 0.95) -> dict:
    """p1 - p0 with Newcombe's interval; NaN where a group is empty."""
    if n1 == 0 or n0 == 0:
        return {"treated": math.nan if n1 == 0 else x1 / n1, "control": math.nan if n0 == 0 else x0 / n0,
                "difference": math.nan, "low": math.nan, "high": math.nan}
    p1, p0 = x1 / n1, x0 / n0
    l1, u1 = wilson(x1, n1, level)
    l0, u0 = wilson(x0, n0, level)
    d = p1 - p0
    low = d - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return {"treated": p1, "control": p0, "difference": d, "low": low, "high": high}


def mean_difference(treated: np.ndarray, control: np.ndarray, level: float = 0.95) -> dict:
    """mean(treated) - mean(control) with Welch's interval."""
    n1, n0 = len(treated), len(control)
    m1 = float(np.mean(treated)) if n1 else math.nan
    m0 = float(np.mean(control)) if n0 else math.nan
    out = {"treated": m1, "control": m0, "difference": m1 - m0, "low": math.nan, "high": math.nan}
    if n1 < 2 or n0 < 2:
        return out
    if np.var(treated) == 0 and np.var(control) == 0:  # no spread at all: the difference is exact
        return {**out, "low": m1 - m0, "high": m1 - m0}
    interval = stats.ttest_ind(treated, control, equal_var=False).confidence_interval(level)
    return {**out, "low": float(interval.low), "high": float(interval.high)}


def compare(entrants: pd.DataFrame, arm_col: str = "arm", treated: str = "treated", control: str = "holdout",
            converted_col: str = "converted", revenue_col: str = "revenue", retained_col: str | None = "retained",
            level: float = 0.95) -> dict:
    """One row per entrant with its arm, whether it converted, its revenue (and whether it was retained)."""
    needed = [arm_col, converted_col, revenue_col] + ([retained_col] if retained_col else [])
    missing = [c for c in needed if c not in entrants.columns]
    if missing:
        raise AnalyticsError(f"entrants: missing column(s) {', '.join(missing)}")
    t = entrants[entrants[arm_col] == treated]
    c = entrants[entrants[arm_col] == control]
    out = {
        "treated": len(t), "control": len(c), "level": level,
        "conversion": proportion_difference(int(t[converted_col].sum()), len(t), int(c[converted_col].sum()), len(c), level),
        "revenue_per_entrant": mean_difference(t[revenue_col].to_numpy(float), c[revenue_col].to_numpy(float), level),
    }
    if retained_col:
        out["retention"] = proportion_difference(int(t[retained_col].sum()), len(t), int(c[retained_col].sum()), len(c), level)
    return out
