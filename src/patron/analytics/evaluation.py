"""How well a transaction model forecast a holdout period: in total, by frequency class, per
customer, and period by period for the whole cohort.

The input is a frame from `calibration_and_holdout` (frequency_cal, recency_cal, T_cal,
frequency_holdout, duration_holdout). The plots are the ones the papers show (Fader, Hardie and Lee
2005, figures 2-4), drawn with matplotlib when it is installed (`pip install 'patron[plots]'`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from patron.analytics.frames import AnalyticsError

COLUMNS = ("frequency_cal", "recency_cal", "T_cal", "frequency_holdout", "duration_holdout")


@dataclass
class Evaluation:
    customers: int
    actual: float  # holdout purchases, all customers
    predicted: float
    error_pct: float  # (predicted - actual) / actual x 100
    correlation: float  # between each customer's predicted and actual holdout purchases
    mean_absolute_error: float  # per customer
    by_frequency: pd.DataFrame  # frequency_cal class (0 .. top, the last "top or more"), customers, actual, predicted (means)

    def as_dict(self) -> dict:
        return {
            "customers": self.customers, "actual": self.actual, "predicted": round(self.predicted, 2),
            "error_pct": round(self.error_pct, 2), "correlation": round(self.correlation, 4),
            "mean_absolute_error": round(self.mean_absolute_error, 4),
            "by_frequency": self.by_frequency.round(4).to_dict("records"),
        }


def evaluate(model, frame: pd.DataFrame, top_class: int = 7) -> Evaluation:
    """Holdout purchases forecast by `model` from each customer's calibration history, against what happened."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise AnalyticsError(f"evaluate() needs a calibration_and_holdout frame; missing {', '.join(missing)}")
    if frame.empty:
        raise AnalyticsError("evaluate() got no customers")
    x, t, T = (frame[c].to_numpy(dtype=float) for c in COLUMNS[:3])
    actual = frame["frequency_holdout"].to_numpy(dtype=float)
    duration = frame["duration_holdout"].to_numpy(dtype=float)
    predicted = np.asarray(model.expected_purchases(duration, x, t, T), dtype=float)
    classes = np.minimum(x, top_class).astype(int)
    by = (pd.DataFrame({"frequency_cal": classes, "actual": actual, "predicted": predicted})
          .groupby("frequency_cal").agg(customers=("actual", "size"), actual=("actual", "mean"), predicted=("predicted", "mean"))
          .reset_index())
    scored = accuracy(predicted, actual)
    return Evaluation(
        customers=len(frame), actual=float(actual.sum()), predicted=float(predicted.sum()), error_pct=scored["error_pct"],
        correlation=scored["correlation"], mean_absolute_error=scored["mae"], by_frequency=by,
    )


def accuracy(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """How close per-customer forecasts came: the total's error in % of what happened (NaN when nothing did), the
    mean absolute and root mean squared errors, and the correlation (NaN when either side does not vary)."""
    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    total = float(actual.sum())
    spread = actual.std() > 0 and predicted.std() > 0
    return {"error_pct": 100 * (float(predicted.sum()) - total) / total if total else float("nan"),
            "mae": float(np.abs(predicted - actual).mean()), "rmse": float(np.sqrt(np.mean((predicted - actual) ** 2))),
            "correlation": float(np.corrcoef(predicted, actual)[0, 1]) if spread else float("nan")}


def cumulative_tracking(model, first_purchase: np.ndarray, repeat_purchases: np.ndarray, periods: int) -> pd.DataFrame:
    """Cumulative repeat purchases of a cohort, actual against expected, period by period.

    `first_purchase`: each customer's first purchase, in model time units from the start of the
    cohort's window; `repeat_purchases`: the times of all repeat purchases, in the same units.
    Expected at k: the sum over customers who had started of expected_purchases_new(k - start).
    """
    first = np.asarray(first_purchase, dtype=float)
    repeats = np.sort(np.asarray(repeat_purchases, dtype=float))
    if periods < 1:
        raise AnalyticsError("periods must be at least 1")
    rows = []
    for k in range(1, periods + 1):
        started = first[first < k]
        expected = float(np.sum(model.expected_purchases_new(k - started))) if len(started) else 0.0
        rows.append({"period": k, "actual": int(np.searchsorted(repeats, k, side="right")), "expected": expected})
    return pd.DataFrame(rows)


def plot_evaluation(evaluation: Evaluation, tracking: pd.DataFrame | None = None):
    """The conditional-expectations chart (and the tracking chart when given) as a matplotlib Figure."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure
    except ImportError:
        raise AnalyticsError("plots need matplotlib: pip install 'patron[plots]'") from None
    figure = Figure(figsize=(10 if tracking is not None else 5, 4))
    axes = figure.subplots(1, 2 if tracking is not None else 1, squeeze=False)[0]
    by = evaluation.by_frequency
    labels = [str(c) if c < by["frequency_cal"].max() else f"{c}+" for c in by["frequency_cal"]]
    axes[0].plot(labels, by["actual"], marker="o", label="actual")
    axes[0].plot(labels, by["predicted"], marker="s", linestyle="--", label="model")
    axes[0].set(xlabel="purchases in calibration", ylabel="mean purchases in holdout", title="Conditional expectations")
    axes[0].legend()
    if tracking is not None:
        axes[1].plot(tracking["period"], tracking["actual"], label="actual")
        axes[1].plot(tracking["period"], tracking["expected"], linestyle="--", label="model")
        axes[1].set(xlabel="period", ylabel="cumulative repeat purchases", title="Tracking")
        axes[1].legend()
    figure.tight_layout()
    return figure
