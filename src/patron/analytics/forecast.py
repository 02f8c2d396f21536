"""Each customer's purchases in a horizon, forecast several ways, and the backtest that says which to trust.

The probability models (BG/NBD, MBG/NBD, Pareto/NBD, and MBG/CNBD-k for a regular rhythm) see a customer's frequency, recency and age. The learned
model sees the same history and what the shop itself has done before: it is trained on rolling windows before the
cut-off (features at a past cut-off, the purchases that followed it up to the cut-off, never after), and combines
two gradient-boosted Poisson regressions: one of the purchase rate itself, one of how far the purchases stray from
BG/NBD's expectation (its log as an offset). The Patron forecast is whichever of them won a backtest run inside the
history before the cut-off, so choosing it looks no further ahead than forecasting does.

`backtest` compares them all on what happened after a cut-off: total error %, mean absolute error, root mean
squared error and correlation of each customer's purchases in the horizon. Times are in units of `freq` divided by
`freq_multiplier`, as in `calibration_and_holdout`; purchases on one day (one period) count once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from patron.analytics import engine as eng
from patron.analytics import frames
from patron.analytics.frames import AnalyticsError
from patron.analytics.evaluation import accuracy
from patron.analytics.models.base import sample_of
from patron.analytics.summary import _unit, calibration_and_holdout

LEARNED = "learned"
PATRON = "Patron forecast"
WINDOWS = 3  # training windows before the cut-off
BACKTEST_PARTS = 4  # the backtest that chooses spans the horizon, or this share of the history when that is shorter
MIN_CUSTOMERS = 50
LEVEL_PCT = 0.05  # a win by less, in % of the runner-up's RMSE, is called level
MIN_WINDOW = 200  # customers in a training window: the learner's leaves hold 100 each


@dataclass
class Score:
    name: str
    predicted: float  # purchases in the horizon, all customers
    error_pct: float  # (predicted - actual) / actual x 100
    mae: float  # per customer
    rmse: float
    correlation: float

    def as_dict(self) -> dict:
        return {"name": self.name, "predicted": round(self.predicted, 1), "error_pct": _round(self.error_pct, 2),
                "mae": _round(self.mae), "rmse": _round(self.rmse), "correlation": _round(self.correlation)}


def _round(value: float, digits: int = 4) -> float | None:
    return round(value, digits) if np.isfinite(value) else None


def score(name: str, predicted: np.ndarray, actual: np.ndarray) -> Score:
    return Score(name=name, predicted=float(np.sum(predicted)), **accuracy(predicted, actual))


@dataclass
class ForecastBacktest:
    cutoff: dt.datetime
    horizon: float  # in units
    unit: str  # e.g. "1 D", "7 D" per unit
    customers: int  # those with a purchase by the cut-off
    actual: float  # their purchases in the horizon
    scores: list[Score]  # every model, then the Patron forecast
    choice: str  # the model the Patron forecast took, from the backtest before the cut-off
    inner: list[Score] = field(default_factory=list)  # that backtest's scores (how the choice was made)
    inner_cutoff: dt.datetime | None = None
    notes: list[str] = field(default_factory=list)  # models left out, and why

    @property
    def winner(self) -> str:
        """The model with the lowest per-customer RMSE over the horizon (the Patron forecast aside)."""
        return min((s for s in self.scores if s.name != PATRON), key=lambda s: s.rmse).name

    def as_dict(self) -> dict:
        return {"cutoff": self.cutoff.isoformat(), "horizon": self.horizon, "unit": self.unit, "customers": self.customers,
                "actual": self.actual, "scores": [s.as_dict() for s in self.scores], "winner": self.winner,
                "choice": self.choice, "inner_cutoff": self.inner_cutoff.isoformat() if self.inner_cutoff else None,
                "inner": [s.as_dict() for s in self.inner], "notes": self.notes}


class _History:
    """The shop's transactions with the columns and time unit fixed, cut where asked."""

    def __init__(self, transactions, customer_id_col: str, datetime_col: str, freq: str, freq_multiplier: float):
        seconds, _ = _unit(freq, freq_multiplier)
        self.unit = dt.timedelta(seconds=seconds * float(freq_multiplier))  # "D" x 7: a unit is a week
        self.label = f"{freq_multiplier:g} {freq}"
        self.data = frames.materialize(transactions)
        self.args = (customer_id_col, datetime_col)
        self.options = {"freq": freq, "freq_multiplier": freq_multiplier}
        _, rows = frames.purchase_rows(self.data, "transactions", customer_id_col, datetime_col, None)
        span = eng.run("duckdb", f"SELECT MIN(ts) AS first, MAX(ts) AS last FROM ({rows}) r", {"transactions": self.data})
        if pd.isna(span["first"].iloc[0]):
            raise AnalyticsError("transactions has no rows with both a customer and a time")
        self.first = eng.as_datetime(span["first"].iloc[0], "first purchase")
        self.last = eng.as_datetime(span["last"].iloc[0], "last purchase")

    def window(self, cut: dt.datetime, end: dt.datetime) -> pd.DataFrame:
        """Each customer's summary at `cut` and purchase periods in (cut, end]."""
        return calibration_and_holdout(self.data, *self.args, cut, end, litt=True, **self.options)

    def recent(self, cut: dt.datetime, length: float, frame: pd.DataFrame) -> np.ndarray:
        """Purchase periods in the `length` units before `cut`, for the customers of `frame` (all of a newer
        customer's purchases are recent)."""
        start = cut - length * self.unit
        newer = frame["frequency_cal"].to_numpy() + 1
        if start <= self.first:
            return newer
        counts = self.window(start, cut)["frequency_holdout"].reindex(frame.index)
        return np.where(counts.isna(), newer, counts.to_numpy())


def _models():
    from patron.analytics.models import BetaGeo, ModifiedBetaGeo, ModifiedBetaGeoCNBD, ParetoNBD

    return {"BG/NBD": BetaGeo, "MBG/NBD": ModifiedBetaGeo, "Pareto/NBD": ParetoNBD, "MBG/CNBD-k": ModifiedBetaGeoCNBD}


def fit(name: str, frame: pd.DataFrame):
    """Probability model `name` fitted on a summary frame (frequency_cal, recency_cal, T_cal), as the backtest fits it."""
    return _fit(_models()[name], frame)


def _fit(kind, frame: pd.DataFrame):
    sample = sample_of(frame) if kind.sampled_fit else frame
    # Each model's own statistics (MBG/CNBD-k's include litt, the logarithms of the times between purchases).
    return kind().fit(*(sample[f"{column}_cal"].to_numpy() for column in kind._columns))


def _columns(frame: pd.DataFrame):
    return (frame[c].to_numpy(dtype=float) for c in ("frequency_cal", "recency_cal", "T_cal"))


def _features(history: _History, cut: dt.datetime, frame: pd.DataFrame, step: float, bg) -> pd.DataFrame:
    x, t, T = _columns(frame)
    return pd.DataFrame({
        "frequency": x, "recency": t, "age": T, "since_last": T - t, "rate": x / np.maximum(T, 1),
        "recent_half": history.recent(cut, step / 2, frame), "recent": history.recent(cut, step, frame),
        "p_alive": bg.probability_alive(x, t, T),
    }, index=frame.index)


def _learner():
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(loss="poisson", max_iter=200, learning_rate=0.05, max_leaf_nodes=15,
                                         min_samples_leaf=100, l2_regularization=1.0, random_state=0)


def _learned(history: _History, cut: dt.datetime, horizon: float, frame: pd.DataFrame, bg) -> np.ndarray:
    """The learned forecast of each customer of `frame` (the summary at `cut`) over `horizon` units: the mean of
    its two parts (learned_parts)."""
    return np.mean(learned_parts(history, cut, horizon, frame, bg), axis=0)


def learned_parts(history: _History, cut: dt.datetime, horizon: float, frame: pd.DataFrame, bg) -> tuple[np.ndarray, np.ndarray]:
    """The learned model's two forecasts of each customer of `frame` (the summary at `cut`) over `horizon` units:
    the rate learned times the horizon, and the ratio to BG/NBD's expectation learned times BG/NBD's expectation.

    Trained on WINDOWS windows before the cut-off, one step apart: features at cut - j step, labels the purchases
    from there for the horizon or up to the cut-off, whichever is shorter. The step is the horizon, or a quarter of
    the history when that is shorter (a shop forecasting as far ahead as it has history)."""
    from patron.analytics.models import ModelError

    span = (cut - history.first) / history.unit
    step = min(horizon, span / (WINDOWS + 1))
    parts = []
    for j in range(1, WINDOWS + 1):
        start = cut - j * step * history.unit
        length = min(horizon, j * step)
        window = history.window(start, start + length * history.unit)
        if len(window) < MIN_WINDOW:
            continue
        try:
            window_bg = _fit(_models()["BG/NBD"], window)
        except (ModelError, AnalyticsError):
            continue  # too early for BG/NBD: the window says too little to learn from
        features = _features(history, start, window, step, window_bg)
        expected = np.maximum(window_bg.expected_purchases(length, *_columns(window)), 1e-9)
        parts.append((features, window["frequency_holdout"].to_numpy(), np.full(len(window), length), expected))
    if not parts:
        raise AnalyticsError(f"too little history before the cut-off to learn from (no window with {MIN_WINDOW} customers and a BG/NBD fit)")
    X = pd.concat([p[0] for p in parts])
    y, lengths, expected = (np.concatenate([p[i] for p in parts]) for i in (1, 2, 3))
    if not y.sum():
        raise AnalyticsError("nobody bought in the windows before the cut-off: nothing to learn from")
    rate = _learner().fit(X, y / lengths, sample_weight=lengths)
    ratio = _learner().fit(X, y / expected, sample_weight=expected)
    now = _features(history, cut, frame, step, bg)
    ahead = np.maximum(bg.expected_purchases(horizon, *_columns(frame)), 1e-9)
    return rate.predict(now) * horizon, ratio.predict(now) * ahead


def predictions(history: _History, cut: dt.datetime, horizon: float, frame: pd.DataFrame,
                only: str | None = None) -> tuple[dict[str, np.ndarray], list[str]]:
    """Every model's forecast of purchases in `horizon` units for the customers of `frame` (the summary at `cut`), and
    a note for each model that could not be fitted; with `only`, that model alone (and BG/NBD under the learned one)."""
    from patron.analytics.models import ModelError

    out, notes, fitted = {}, [], {}
    wanted = _models() if only is None else {n: k for n, k in _models().items() if n in (only, "BG/NBD")}
    for name, kind in wanted.items():
        try:
            fitted[name] = _fit(kind, frame)
            out[name] = np.asarray(fitted[name].expected_purchases(horizon, *_columns(frame)), dtype=float)
        except (ModelError, AnalyticsError) as exc:
            notes.append(f"{name} left out: {exc}")
    if only in (None, LEARNED):
        if "BG/NBD" not in fitted:
            notes.append(f"{LEARNED} left out: it builds on BG/NBD")
        else:
            try:
                out[LEARNED] = _learned(history, cut, horizon, frame, fitted["BG/NBD"])
            except (AnalyticsError, ValueError) as exc:  # ValueError: scikit-learn refusing what the windows hold
                notes.append(f"{LEARNED} left out: {exc}")
    if not out:
        raise AnalyticsError("no model could be fitted: " + "; ".join(notes))
    return out, notes


def level(margin: dict) -> bool:
    """Whether a choice's margin (Choice.margin, as recorded) is too small to call a win: level with the runner-up."""
    return bool(margin.get("runner_up")) and margin["lower_pct"] < LEVEL_PCT


@dataclass
class Choice:
    """What the Patron forecast takes, and the backtest before the cut-off that chose it."""

    name: str
    scores: list[Score]
    cutoff: dt.datetime | None  # the backtest's cut-off (None: no backtest was possible)
    notes: list[str]

    @property
    def margin(self) -> dict:
        """The chosen model's RMSE against the runner-up's: by how much it won."""
        ranked = sorted(self.scores, key=lambda s: s.rmse)
        if len(ranked) < 2:
            return {}
        return {"rmse": round(ranked[0].rmse, 4), "runner_up": ranked[1].name, "runner_up_rmse": round(ranked[1].rmse, 4),
                "lower_pct": round(100 * (1 - ranked[0].rmse / ranked[1].rmse), 2) if ranked[1].rmse else 0.0}

    def as_dict(self) -> dict:
        return {"model": self.name, **self.margin, "backtest_cutoff": self.cutoff.isoformat() if self.cutoff else None,
                "notes": self.notes}


def choose(transactions: Any, customer_id_col: str, datetime_col: str, as_of, horizon: float, freq: str = "D",
           freq_multiplier: float = 1) -> tuple[Choice, Any]:
    """The model the Patron forecast takes at `as_of` for `horizon` units (a backtest that ends at `as_of`), and a
    function of (summary frame with frequency_cal, recency_cal, T_cal; horizon) giving each customer's forecast by it."""
    history = _History(transactions, customer_id_col, datetime_col, freq, freq_multiplier)
    cut = eng.as_datetime(as_of, "as_of")
    choice = _choose(history, cut, horizon)

    def forecast_with(frame: pd.DataFrame, length: float) -> np.ndarray:
        forecasts, notes = predictions(history, cut, length, frame, only=choice.name)
        if choice.name not in forecasts:
            raise AnalyticsError(f"{choice.name} won the backtest but cannot be fitted now: " + "; ".join(notes))
        return forecasts[choice.name]

    return choice, forecast_with


def _choose(history: _History, cut: dt.datetime, horizon: float) -> Choice:
    """The model with the lowest RMSE in a backtest that ends at `cut`: its horizon the forecast's, or a quarter of
    the history (BACKTEST_PARTS) when that is shorter. BG/NBD when the history is too short for one."""
    span = (cut - history.first) / history.unit
    inner = min(horizon, span / BACKTEST_PARTS)
    start = cut - inner * history.unit
    try:
        frame = history.window(start, cut)
        if len(frame) < MIN_CUSTOMERS:
            raise AnalyticsError(f"{len(frame)} customers by {start:%Y-%m-%d}")
        forecasts, notes = predictions(history, start, inner, frame)
    except AnalyticsError as exc:
        return Choice("BG/NBD", [], None, [f"no backtest before the cut-off ({exc}): BG/NBD taken"])
    actual = frame["frequency_holdout"].to_numpy()
    scores = [score(name, p, actual) for name, p in forecasts.items()]
    return Choice(min(scores, key=lambda s: s.rmse).name, scores, start, notes)


def backtest(transactions: Any, customer_id_col: str, datetime_col: str, cutoff=None, horizon: float | None = None,
             freq: str = "D", freq_multiplier: float = 1) -> ForecastBacktest:
    """Forecast from the history up to `cutoff` and compare with the `horizon` units after it.

    The default horizon is 90 days (in the given units), and the default cut-off the last purchase less the horizon:
    the latest backtest the data allows."""
    history = _History(transactions, customer_id_col, datetime_col, freq, freq_multiplier)
    if horizon is None:
        horizon = dt.timedelta(days=90) / history.unit
    if not isinstance(horizon, (int, float)) or not np.isfinite(horizon) or horizon <= 0:
        raise AnalyticsError(f"horizon must be a positive number of units, not {horizon!r}")
    span = horizon * history.unit
    cut = eng.as_datetime(cutoff, "cutoff") if cutoff is not None else dt.datetime.combine((history.last - span).date(), dt.time())
    if cut <= history.first:
        raise AnalyticsError(f"the cut-off {cut:%Y-%m-%d} leaves no history before it (the first purchase is {history.first:%Y-%m-%d})")
    if history.last < cut + span - dt.timedelta(days=1):
        raise AnalyticsError(f"a backtest at {cut:%Y-%m-%d} needs purchases up to {cut + span:%Y-%m-%d} (the last is "
                             f"{history.last:%Y-%m-%d}); choose an earlier cutoff or a shorter horizon")
    frame = history.window(cut, cut + span)
    if len(frame) < MIN_CUSTOMERS:
        raise AnalyticsError(f"too few customers to backtest ({len(frame)} by {cut:%Y-%m-%d}; need {MIN_CUSTOMERS})")
    forecasts, notes = predictions(history, cut, horizon, frame)
    chosen = _choose(history, cut, horizon)
    choice = chosen.name
    if choice not in forecasts:
        notes.append(f"the backtest before the cut-off chose {choice}, which could not be fitted here: BG/NBD taken")
        choice = "BG/NBD" if "BG/NBD" in forecasts else next(iter(forecasts))
    forecasts[PATRON] = forecasts[choice]
    actual = frame["frequency_holdout"].to_numpy()
    return ForecastBacktest(
        cutoff=cut, horizon=float(horizon), unit=history.label, customers=len(frame), actual=float(actual.sum()),
        scores=[score(name, p, actual) for name, p in forecasts.items()], choice=choice, inner=chosen.scores,
        inner_cutoff=chosen.cutoff, notes=notes + [f"before the cut-off: {n}" for n in chosen.notes],
    )
