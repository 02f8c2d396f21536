"""NPS and CSAT by period, language or segment, with their uncertainty, and an alert when NPS drops.

NPS = % promoters (9-10) - % detractors (0-6) of the NPS answers; CSAT = % of CSAT answers that are
4 or 5. The NPS interval is the normal one for a difference of two shares of one multinomial sample:
Var(NPS/100) = (p + d - (p - d)^2) / n. CSAT's is Wilson's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from patron.analytics.frames import AnalyticsError
from patron.analytics.uplift import wilson

COLUMNS = ["nps", "nps_low", "nps_high", "nps_answers", "promoters", "passives", "detractors",
           "csat", "csat_low", "csat_high", "csat_answers", "satisfied"]


def _answers(surveys, kind_col: str, score_col: str) -> pd.DataFrame:
    if not isinstance(surveys, pd.DataFrame):
        raise AnalyticsError("surveys must be a pandas DataFrame")
    for col in (kind_col, score_col):
        if col not in surveys.columns:
            raise AnalyticsError(f"surveys has no column {col!r}")
    kind = surveys[kind_col].astype(str).str.lower()
    score = pd.to_numeric(surveys[score_col], errors="coerce")
    return pd.DataFrame({
        "is_nps": kind.eq("nps") & score.between(0, 10), "promoter": kind.eq("nps") & score.ge(9),
        "detractor": kind.eq("nps") & score.le(6), "is_csat": kind.eq("csat") & score.between(1, 5),
        "satisfied": kind.eq("csat") & score.ge(4),
    }, index=surveys.index)


def nps_interval(promoters: int, detractors: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """(NPS, low, high) in points; NaN without answers."""
    if n <= 0:
        return (np.nan, np.nan, np.nan)
    p, d = promoters / n, detractors / n
    nps = 100 * (p - d)
    se = 100 * np.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)
    z = stats.norm.ppf(0.5 + level / 2)
    return (nps, max(nps - z * se, -100.0), min(nps + z * se, 100.0))


def score_table(surveys, by=None, kind_col: str = "kind", score_col: str = "score", level: float = 0.95) -> pd.DataFrame:
    """NPS and CSAT with intervals and counts, overall (by=None) or per value of `by` (a column name,
    or a Series aligned with `surveys`, e.g. the answer's month)."""
    answers = _answers(surveys, kind_col, score_col)
    if by is None:
        keys = pd.Series("all", index=surveys.index, name="group")
    elif isinstance(by, str):
        if by not in surveys.columns:
            raise AnalyticsError(f"surveys has no column {by!r} to group by")
        keys = surveys[by].rename(by)
    else:
        keys = pd.Series(by, index=surveys.index)
    grouped = answers.groupby(keys, dropna=False).sum()
    rows = {}
    for key, g in grouped.iterrows():
        n, c = int(g["is_nps"]), int(g["is_csat"])
        nps, low, high = nps_interval(int(g["promoter"]), int(g["detractor"]), n, level)
        csat_low, csat_high = wilson(int(g["satisfied"]), c, level) if c else (np.nan, np.nan)
        rows[key] = [nps, low, high, n, int(g["promoter"]), n - int(g["promoter"]) - int(g["detractor"]), int(g["detractor"]),
                     100 * g["satisfied"] / c if c else np.nan, 100 * csat_low, 100 * csat_high, c, int(g["satisfied"])]
    table = pd.DataFrame.from_dict(rows, orient="index", columns=COLUMNS)
    table.index.name = keys.name or "group"
    for col in ("nps", "nps_low", "nps_high", "csat", "csat_low", "csat_high"):
        table[col] = table[col].astype(float).round(2)
    return table.sort_index()


def nps_drop(surveys, time_col: str = "answered_at", kind_col: str = "kind", score_col: str = "score", freq: str = "M",
             baseline_periods: int = 6, alpha: float = 0.001, min_answers: int = 30) -> dict | None:
    """An alert when the latest period's NPS is below the NPS of the `baseline_periods` before it by more
    than chance explains (one-sided z-test at `alpha`); None otherwise, or with too few answers."""
    if time_col not in surveys.columns:
        raise AnalyticsError(f"surveys has no column {time_col!r}")
    answers = _answers(surveys, kind_col, score_col)
    period = pd.to_datetime(surveys[time_col], utc=True).dt.tz_localize(None).dt.to_period(freq)
    per = answers[answers["is_nps"]].groupby(period[answers["is_nps"]]).sum().sort_index()
    if len(per) < 2:
        return None
    last, base = per.iloc[-1], per.iloc[-1 - baseline_periods:-1]
    n1, n0 = int(last["is_nps"]), int(base["is_nps"].sum())
    if n1 < min_answers or n0 < min_answers:
        return None
    p1, d1 = last["promoter"] / n1, last["detractor"] / n1
    p0, d0 = base["promoter"].sum() / n0, base["detractor"].sum() / n0
    nps1, nps0 = 100 * (p1 - d1), 100 * (p0 - d0)
    var = (p1 + d1 - (p1 - d1) ** 2) / n1 + (p0 + d0 - (p0 - d0) ** 2) / n0
    if var <= 0:
        return None
    z = (nps1 - nps0) / (100 * np.sqrt(var))
    p_value = float(stats.norm.cdf(z))
    if p_value >= alpha:
        return None
    return {"period": str(per.index[-1]), "nps": round(nps1, 2), "baseline_nps": round(nps0, 2), "answers": n1,
            "baseline_answers": n0, "z": round(float(z), 2), "p_value": p_value}
