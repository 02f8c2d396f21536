"""A churn classifier for shops with richer data than purchase times alone.

Churn here is "no purchase in the next `horizon_days`", among customers who bought in the
`active_days` before the cut-off (those who left long ago are not a prediction). Features are taken
at a cut-off from everything before it: recency, frequency, spend, tenure, the gap since the last
purchase against the customer's own rhythm (their mean gap between purchases), recent activity and
its trend, and, when given, category breadth, refunds, the latest NPS and CSAT answers, service
tickets and message engagement. The classifier is scikit-learn's histogram gradient boosting, which
takes missing values as they are (a customer who never answered a survey has no NPS, not NPS 0).

`backtest` trains at one cut-off and tests at the next, as it would run in production, and
reports AUC, calibration and a lift table beside the probability models' proper baselines: BG/NBD's probability of no
purchase in the horizon and Pareto/NBD's expected purchases (not 1 - P(alive), which ranks one-time buyers as safest).
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

DAY = 86_400.0


def _purchase_rows(orders, customer_id_col, datetime_col, value_col) -> tuple[Any, str]:
    return frames.purchase_rows(orders, "orders", customer_id_col, datetime_col, value_col, value_param="value_col")


def churn_features(
    orders: Any,
    customer_id_col: str,
    datetime_col: str,
    value_col: str,
    cutoff,
    active_days: int = 365,
    categories: Any = None,
    refunds: Any = None,
    surveys: Any = None,
    tickets: Any = None,
    engagement: Any = None,
) -> pd.DataFrame:
    """One row per customer who bought in the `active_days` before `cutoff`, from data before it.

    Optional frames (columns customer_id and a time column, as named below):
    categories (customer_id, at, category): what each purchase was, for category breadth;
    refunds (customer_id, at, amount); surveys (customer_id, answered_at, kind nps|csat, score);
    tickets (customer_id, opened_at); engagement (customer_id, at, engaged: bool, e.g. a message opened).
    """
    when = eng.as_datetime(cutoff, "cutoff")
    d = eng.dialect("duckdb")
    orders, rows = _purchase_rows(orders, customer_id_col, datetime_col, value_col)
    c = d.timestamp(when)

    def since(days: int) -> str:
        return d.timestamp(when - dt.timedelta(days=days))

    sql = (
        f"SELECT customer_id, COUNT(*) AS orders, SUM(value) AS monetary, AVG(value) AS average_order_value,"
        f" (epoch({c}) - epoch(MAX(ts))) / {DAY} AS recency_days, (epoch({c}) - epoch(MIN(ts))) / {DAY} AS tenure_days,"
        f" CASE WHEN COUNT(*) > 1 THEN (epoch(MAX(ts)) - epoch(MIN(ts))) / {DAY} / (COUNT(*) - 1) END AS mean_gap_days,"
        f" COUNT(*) FILTER (WHERE ts >= {since(90)}) AS orders_90,"
        f" COUNT(*) FILTER (WHERE ts >= {since(365)}) AS orders_365,"
        f" SUM(value) FILTER (WHERE ts >= {since(90)}) AS value_90,"
        f" COUNT(*) FILTER (WHERE ts >= {since(180)}) - COUNT(*) FILTER (WHERE ts >= {since(360)} AND ts < {since(180)}) AS trend_180"
        f" FROM ({rows}) r WHERE ts < {c} GROUP BY customer_id HAVING MAX(ts) >= {since(active_days)} ORDER BY customer_id"
    )
    out = eng.run("duckdb", sql, {"orders": orders}).set_index("customer_id")
    out.index.name = customer_id_col
    out["value_90"] = out["value_90"].fillna(0.0)
    out["rhythm"] = out["recency_days"] / out["mean_gap_days"]  # > 1: later than their own habit
    extras = [
        (categories, "at", "COUNT(DISTINCT category) AS categories", None),
        (refunds, "at", "COUNT(*) AS refunds, SUM(CAST(amount AS DOUBLE)) AS refunded", None),
        (tickets, "opened_at", "COUNT(*) AS tickets_365", 365),
        (engagement, "at", "AVG(CASE WHEN engaged THEN 1.0 ELSE 0.0 END) AS engagement_rate", 180),
    ]
    for data, time_col, aggregates, window in extras:
        if data is None:
            continue
        data = frames.materialize(data)
        schema = frames.arrow_schema(data)
        frames.check_columns(schema, "a feature frame", customer_id=("customer_id", "any"), time=(time_col, "time"))
        t = frames.time_expression(schema, time_col, None)
        lower = f" AND {t} >= {since(window)}" if window else ""
        part = eng.run("duckdb", f"SELECT customer_id, {aggregates} FROM extra WHERE {t} < {c}{lower} GROUP BY customer_id",
                       {"extra": data}).set_index("customer_id")
        out = out.join(part, how="left")
    if refunds is not None:
        out["refunds"] = out["refunds"].fillna(0)
        out["refunded_share"] = out["refunded"].fillna(0) / out["monetary"].where(out["monetary"] > 0)
        out = out.drop(columns="refunded")
    if tickets is not None:
        out["tickets_365"] = out["tickets_365"].fillna(0)
    if surveys is not None:
        surveys = frames.materialize(surveys)
        schema = frames.arrow_schema(surveys)
        frames.check_columns(schema, "surveys", customer_id=("customer_id", "any"), answered_at=("answered_at", "time"),
                             kind=("kind", "any"), score=("score", "number"))
        t = frames.time_expression(schema, "answered_at", None)
        latest = eng.run("duckdb", (
            f"SELECT customer_id, lower(kind) AS kind, arg_max(CAST(score AS DOUBLE), {t}) AS score FROM surveys "
            f"WHERE {t} < {c} AND score IS NOT NULL GROUP BY customer_id, lower(kind)"), {"surveys": surveys})
        wide = latest.pivot(index="customer_id", columns="kind", values="score")
        for kind in ("nps", "csat"):
            out[f"latest_{kind}"] = wide[kind].reindex(out.index) if kind in wide.columns else np.nan
    return out


def churn_labels(orders, customer_id_col: str, datetime_col: str, value_col: str, start, horizon_days: int) -> pd.Series:
    """Customers who bought in [start, start + horizon): the ones who did not churn in that window."""
    begin = eng.as_datetime(start, "start")
    d = eng.dialect("duckdb")
    orders, rows = _purchase_rows(orders, customer_id_col, datetime_col, value_col)
    end = begin + dt.timedelta(days=horizon_days)
    bought = eng.run("duckdb", f"SELECT DISTINCT customer_id FROM ({rows}) r WHERE ts >= {d.timestamp(begin)} AND ts < {d.timestamp(end)}",
                     {"orders": orders})
    return pd.Series(True, index=pd.Index(bought["customer_id"], name=customer_id_col))


def _usable(train: pd.DataFrame) -> list[str]:
    """The feature columns with at least one value to learn from (a feature nobody has says nothing)."""
    return [c for c in train.columns if train[c].notna().any()]


def _classifier():
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=300, learning_rate=0.08, max_leaf_nodes=31, l2_regularization=1.0,
                                          early_stopping=True, validation_fraction=0.15, random_state=0)


@dataclass
class ChurnBacktest:
    cutoff: dt.datetime
    horizon_days: int
    train_customers: int
    test_customers: int
    churn_rate: float  # among the test customers
    auc: float
    baseline_auc: float | None  # BG/NBD's P(no purchase in the horizon); None when it cannot be fitted (baseline_note says why)
    brier: float
    baseline_brier: float | None
    calibration: pd.DataFrame = field(repr=False)  # bin, predicted (mean), observed (rate), customers
    lift: pd.DataFrame = field(repr=False)  # decile (1 = riskiest), customers, churn_rate, lift, baseline_churn_rate, baseline_lift
    baseline_note: str = ""
    # Every probability-model baseline: name, AUC, and Brier score where the score is a probability.
    baselines: list[dict] = field(default_factory=list)

    @property
    def best(self) -> str:
        """What ranks churners best in this backtest: "classifier" or a baseline's name."""
        scored = [("classifier", self.auc), *((b["name"], b["auc"]) for b in self.baselines)]
        return max(scored, key=lambda pair: pair[1])[0]

    def as_dict(self) -> dict:
        return {
            "cutoff": self.cutoff.isoformat(), "horizon_days": self.horizon_days, "train_customers": self.train_customers,
            "test_customers": self.test_customers, "churn_rate": round(self.churn_rate, 4), "auc": round(self.auc, 4),
            "baseline_auc": _rounded(self.baseline_auc), "brier": round(self.brier, 4), "baseline_brier": _rounded(self.baseline_brier),
            "baseline_note": self.baseline_note, "calibration": self.calibration.round(4).to_dict("records"),
            "baselines": [{k: _rounded(v) if isinstance(v, float) else v for k, v in b.items()} for b in self.baselines],
            "best": self.best,
            "lift": [{k: _rounded(v) if isinstance(v, float) else v for k, v in row.items()} for row in self.lift.to_dict("records")],
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else round(value, 4)


def backtest(orders, customer_id_col: str, datetime_col: str, value_col: str, cutoff=None, horizon_days: int = 90,
             active_days: int = 365, **extra) -> ChurnBacktest:
    """Train on features at cutoff - horizon (labels up to cutoff), test on features at cutoff (labels after it).

    The default cutoff is the day of the last purchase less the horizon: the latest test the data allows."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    if not isinstance(horizon_days, int) or horizon_days < 1:
        raise AnalyticsError(f"horizon_days must be a whole number of days, at least 1, not {horizon_days!r}")
    orders, rows = _purchase_rows(orders, customer_id_col, datetime_col, value_col)
    args = (orders, customer_id_col, datetime_col, value_col)
    last = eng.run("duckdb", f"SELECT MAX(ts) AS last FROM ({rows}) r", {"orders": orders})["last"].iloc[0]
    if cutoff is None:
        if pd.isna(last):
            raise AnalyticsError("no purchases yet: nothing to backtest")
        cutoff = (eng.as_datetime(last, "last purchase") - dt.timedelta(days=horizon_days)).date()
    when = eng.as_datetime(cutoff, "cutoff")
    if pd.isna(last) or eng.as_datetime(last, "last purchase") < when + dt.timedelta(days=horizon_days - 1):
        raise AnalyticsError(
            f"a backtest at {when:%Y-%m-%d} needs purchases up to {when + dt.timedelta(days=horizon_days):%Y-%m-%d} "
            f"(the last is {'none' if pd.isna(last) else f'{last:%Y-%m-%d}'}); choose an earlier cutoff"
        )
    train_at = when - dt.timedelta(days=horizon_days)
    train = churn_features(*args, train_at, active_days, **extra)
    test = churn_features(*args, when, active_days, **extra)
    if len(train) < 50 or len(test) < 50:
        raise AnalyticsError(f"too few active customers to backtest ({len(train)} at {train_at:%Y-%m-%d}, {len(test)} at {when:%Y-%m-%d}; need 50)")
    y_train = ~train.index.isin(churn_labels(*args, train_at, horizon_days).index)
    y_test = ~test.index.isin(churn_labels(*args, when, horizon_days).index)
    if y_train.all() or not y_train.any() or y_test.all() or not y_test.any():
        raise AnalyticsError("every customer churned, or none did, in a window: nothing to tell apart")
    columns = _usable(train)
    model = _classifier().fit(train[columns].to_numpy(dtype=float), y_train)
    risk = model.predict_proba(test[columns].to_numpy(dtype=float))[:, 1]
    scores, note = baseline_scores(*args, when, test.index, horizon_days)
    baseline = scores.get(NO_PURCHASE)
    baselines = [{"name": name, "auc": float(roc_auc_score(y_test, score)),
                  "brier": float(brier_score_loss(y_test, score)) if name in PROBABILITIES else None}
                 for name, score in scores.items()]
    return ChurnBacktest(
        cutoff=when, horizon_days=horizon_days, train_customers=len(train), test_customers=len(test),
        churn_rate=float(y_test.mean()), auc=float(roc_auc_score(y_test, risk)),
        baseline_auc=None if baseline is None else float(roc_auc_score(y_test, baseline)),
        brier=float(brier_score_loss(y_test, risk)),
        baseline_brier=None if baseline is None else float(brier_score_loss(y_test, baseline)),
        calibration=_calibration(risk, y_test), lift=_lift(risk, baseline, y_test), baseline_note=note, baselines=baselines,
    )


def churn_risk(orders, customer_id_col: str, datetime_col: str, value_col: str, as_of, horizon_days: int = 90,
               active_days: int = 365, **extra) -> pd.Series:
    """P(no purchase in the next horizon) for each customer active at `as_of`, from a classifier trained on
    the window that ended at `as_of`. Empty when there is too little history to train."""
    when = eng.as_datetime(as_of, "as_of")
    args = (frames.materialize(orders), customer_id_col, datetime_col, value_col)
    train_at = when - dt.timedelta(days=horizon_days)
    train = churn_features(*args, train_at, active_days, **extra)
    current = churn_features(*args, when, active_days, **extra)
    if len(train) < 50 or current.empty:
        return pd.Series(dtype=float, name="churn_risk")
    y = ~train.index.isin(churn_labels(*args, train_at, horizon_days).index)
    if y.all() or not y.any():
        return pd.Series(dtype=float, name="churn_risk")
    columns = _usable(train)
    model = _classifier().fit(train[columns].to_numpy(dtype=float), y)
    return pd.Series(model.predict_proba(current[columns].to_numpy(dtype=float))[:, 1], index=current.index, name="churn_risk")


NO_PURCHASE = "BG/NBD: no purchase in the horizon"
EXPECTED = "Pareto/NBD: expected purchases"
PROBABILITIES = (NO_PURCHASE,)


def baseline_scores(orders, customer_id_col, datetime_col, value_col, when, customers,
                     horizon_days: int) -> tuple[dict[str, np.ndarray], str]:
    """The probability models' churn scores, scored properly for the question asked (no purchase in the next
    `horizon_days`): BG/NBD's probability of no purchase in the horizon, (1 - P(alive)) + P(alive) ((alpha + T) /
    (alpha + T + t))^(r + x), and Pareto/NBD's expected purchases (fewer is riskier, as exp(-E)). Not 1 - P(alive),
    which ranks customers who never repeated as the safest. A model that cannot be fitted is left out, and the note
    says why."""
    from patron.analytics.models import BetaGeo, ModelError, ParetoNBD
    from patron.analytics.models.base import sample_of
    from patron.analytics.summary import rfm_summary

    summary = rfm_summary(orders, customer_id_col, datetime_col, observation_period_end=when - dt.timedelta(microseconds=1))
    rows = summary.reindex(customers)
    x, t, T = (rows[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    scores, notes = {}, []
    try:
        bg = BetaGeo().fit(summary=summary)
        r, alpha = bg.params["r"], bg.params["alpha"]
        alive = bg.probability_alive(x, t, T)
        scores[NO_PURCHASE] = 1 - alive + alive * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + horizon_days)))
    except (ModelError, AnalyticsError) as exc:
        notes.append(f"no BG/NBD baseline: {exc}")
    try:
        pareto = ParetoNBD().fit(summary=sample_of(summary))
        scores[EXPECTED] = np.exp(-pareto.expected_purchases(float(horizon_days), x, t, T))
    except (ModelError, AnalyticsError) as exc:
        notes.append(f"no Pareto/NBD baseline: {exc}")
    return scores, "; ".join(notes)


def _calibration(risk: np.ndarray, churned: np.ndarray, bins: int = 10) -> pd.DataFrame:
    frame = pd.DataFrame({"predicted": risk, "observed": churned.astype(float)})
    frame["bin"] = np.minimum((risk * bins).astype(int), bins - 1) + 1
    return frame.groupby("bin").agg(predicted=("predicted", "mean"), observed=("observed", "mean"),
                                    customers=("observed", "size")).reset_index()


def _lift(risk: np.ndarray, baseline: np.ndarray | None, churned: np.ndarray) -> pd.DataFrame:
    base_rate = churned.mean()
    rows = []
    parts = np.array_split(np.argsort(-risk, kind="stable"), 10)
    # Without a baseline its columns are NaN.
    parts_base = [None] * 10 if baseline is None else np.array_split(np.argsort(-baseline, kind="stable"), 10)
    for decile, (part, part_base) in enumerate(zip(parts, parts_base), start=1):
        rate = churned[part].mean()
        rate_base = np.nan if part_base is None else churned[part_base].mean()
        rows.append({"decile": decile, "customers": len(part), "churn_rate": rate, "lift": rate / base_rate,
                     "baseline_churn_rate": rate_base, "baseline_lift": rate_base / base_rate})
    return pd.DataFrame(rows)
