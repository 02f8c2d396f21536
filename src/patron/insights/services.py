"""Scores from patron.analytics written back to the store: set-wise, in one transaction."""

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.db import transaction
from django.utils import timezone

from patron import analytics
from patron.analytics import churn as analytics_churn
from patron.analytics import forecast as analytics_forecast
from patron.analytics.frames import AnalyticsError, materialize
from patron.analytics.recommend import recommend
from patron.analytics.models import GammaGamma
from patron.imports.stage import STAGE, Stage
from patron.insights import money, store
from patron.insights.models import CustomerScore, ModelFit, SegmentMove

SCORES = CustomerScore._meta.db_table
MOVES = SegmentMove._meta.db_table
SCORE_COLUMNS = [
    ("customer_id", "int"), ("recency_days", "int"), ("frequency", "int"), ("monetary", "num"),
    ("r_score", "int"), ("f_score", "int"), ("m_score", "int"), ("segment", "text"), ("quadrant", "text"),
    ("last_order_at", "ts"), ("rhythm_days", "num"),
    ("p_alive", "num"), ("expected_purchases_90", "num"), ("expected_purchases_365", "num"), ("clv_12m", "num"),
    ("churn_risk", "num"), ("next_best_offers", "json"),
    ("model_fit_id", "int"),
]
ARROW_TYPES = {"int": pa.int64(), "num": pa.float64(), "text": pa.string(), "json": pa.string(), "ts": pa.timestamp("us", "UTC")}
CLV_MONTHS = 12
CLV_MONTHLY_DISCOUNT = 0.01  # about 12.7 % a year
CHURN_HORIZON_DAYS = 90
FORECAST_DAYS = 90


@dataclass
class ScoreResult:
    customers: int
    moved: int  # customers whose segment changed (or who got their first)
    segments: dict[str, int]
    quadrants: dict[str, int]
    model_fit: int | None = None  # the ModelFit the predictions came from
    model_note: str = ""
    # What was read and scored, for whatever is computed next from the same data (the dashboard's snapshots).
    frames: dict = field(default_factory=dict, repr=False)
    # The money's currency and the orders left out of it for want of a rate (insights.money).
    money: dict = field(default_factory=dict)
    # What the shop's own backtests chose: {"forecast": Choice.as_dict(), "churn": choose_churn_score's}.
    choices: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"customers": self.customers, "moved": self.moved, "segments": self.segments, "quadrants": self.quadrants,
                "model_fit": self.model_fit, "model_note": self.model_note, "choices": self.choices, **self.money}


def refresh_scores(now: dt.datetime | None = None, progress: Callable[[str], None] | None = None) -> ScoreResult:
    """RFM scores, segments, loyalty quadrants and the models' predictions of every customer with a
    purchase before `now`. Safe to run every night: each run replaces the scores in one transaction.

    A customer whose segment changes gets a SegmentMove dated `now`, and segment_since moves with it.
    """
    now = now or timezone.now()
    step = progress or (lambda phase: None)
    step("reading purchases")
    # Every amount in the reporting currency; the models need money on every row, so an order without a rate that
    # day is left out of them (and reported), not counted as nothing.
    converted = money.purchases()
    purchases = converted.priced()
    surveys = materialize(store.surveys())
    tickets = materialize(store.tickets())
    step("scoring RFM and the loyalty matrix")
    rfm = analytics.rfm_scores(purchases, "customer_id", "placed_at", "value", as_of=now)
    complaints = tickets.filter(pc.equal(tickets["kind"], store.COMPLAINT))
    matrix = analytics.loyalty_matrix(purchases, "customer_id", "placed_at", as_of=now, surveys=surveys if len(surveys) else None,
                                      complaints=complaints if len(complaints) else None)
    rfm["quadrant"] = matrix["quadrant"].reindex(rfm.index).fillna("none")
    summary = analytics.rfm_summary(purchases, "customer_id", "placed_at", "value", observation_period_end=now, litt=True)
    # The customer's own rhythm (mean days between purchase days) and the last one, for lapse rules.
    rfm["rhythm_days"] = (summary["recency"] / summary["frequency"]).where(summary["frequency"] > 0).reindex(rfm.index)
    last = purchases.filter(pc.less(purchases["placed_at"], pa.scalar(_naive_utc(now), pa.timestamp("us")))) \
        .group_by("customer_id").aggregate([("placed_at", "max")]).to_pandas().set_index("customer_id")["placed_at_max"]
    rfm["last_order_at"] = last.dt.tz_localize("UTC").reindex(rfm.index)
    step("choosing the forecast by the shop's own backtest")
    choice = choose_forecast(purchases, now)
    step("fitting the purchase and spend models")
    predictions, fit, note = _predict(summary, choice)
    for name in ("p_alive", "expected_purchases_90", "expected_purchases_365", "clv_12m"):
        rfm[name] = predictions[name].reindex(rfm.index) if predictions is not None else np.nan
    step("choosing the churn score by the shop's own backtest")
    categories = materialize(store.categories())
    extra = {"refunds": materialize(store.refunds()), "categories": categories,
             "surveys": surveys if len(surveys) else None, "tickets": tickets if len(tickets) else None}
    churn_choice = choose_churn_score(purchases, now, rfm, extra)
    rfm["churn_risk"] = churn_scores(purchases, now, rfm, extra, churn_choice).reindex(rfm.index)
    step("choosing next best offers")
    rfm["next_best_offers"] = next_best_offers(categories, now).reindex(rfm.index)
    step("writing scores")
    with transaction.atomic():
        clv = rfm["clv_12m"].dropna()
        fit_id = _save_fit(fit, now, len(rfm), note, float(np.percentile(clv, 90)) if len(clv) else None,
                           forecast=choice[0].as_dict() if choice else None, churn=churn_choice)
        rfm["model_fit_id"] = fit_id if fit_id is not None else np.nan
        values = {"customer_id": pa.array(rfm.index.to_numpy(), pa.int64())}
        for name, kind in SCORE_COLUMNS[1:]:
            column = rfm[name].round(3) if name in ("monetary", "clv_12m") else rfm[name]
            values[name] = pa.array(column.to_numpy(), ARROW_TYPES[kind], from_pandas=True)  # NaN -> NULL
        stage = Stage(SCORE_COLUMNS)
        try:
            stage.create()
            stage.insert(values, np.arange(len(rfm)))
            moved = _merge(stage, now)
        finally:
            stage.drop()
    return ScoreResult(
        customers=len(rfm), moved=moved,
        segments={k: int(v) for k, v in rfm["segment"].value_counts().sort_index().items()},
        quadrants={k: int(v) for k, v in rfm["quadrant"].value_counts().sort_index().items()},
        model_fit=fit_id, model_note=note, money=converted.as_dict(),
        choices={"forecast": choice[0].as_dict() if choice else None, "churn": churn_choice},
        frames={"purchases": purchases, "orders": converted.orders, "surveys": surveys, "rfm": rfm},
    )


def _naive_utc(when: dt.datetime) -> dt.datetime:
    return when.astimezone(dt.timezone.utc).replace(tzinfo=None) if when.tzinfo else when


def choose_churn_score(purchases, now: dt.datetime, rfm, extra: dict) -> dict | None:
    """Which churn score ranked churners best in the shop's own backtest (the latest one the data before `now` allows):
    the classifier, BG/NBD's probability of no purchase in the horizon or Pareto/NBD's expected purchases; with each
    one's AUC. None when the history is too short for a backtest (the classifier is used)."""
    last = rfm["last_order_at"].max()
    if pd.isna(last):
        return None
    end = min(_naive_utc(now), _naive_utc(last.to_pydatetime()))
    try:
        report = analytics_churn.backtest(purchases, "customer_id", "placed_at", "value", (end - dt.timedelta(days=CHURN_HORIZON_DAYS)).date(),
                                          horizon_days=CHURN_HORIZON_DAYS, **extra)
    except AnalyticsError:
        return None
    return {"score": report.best, "cutoff": report.cutoff.date().isoformat(), "auc": {"classifier": round(report.auc, 4),
            **{b["name"]: round(b["auc"], 4) for b in report.baselines}}}


def churn_scores(purchases, now: dt.datetime, rfm, extra: dict, choice: dict | None) -> pd.Series:
    """P(no purchase in the next 90 days) of each customer active in the last year, by the score `choice` names: the
    classifier's, or a probability model's (empty while history is short)."""
    name = choice["score"] if choice else "classifier"
    if name == "classifier":
        return analytics_churn.churn_risk(purchases, "customer_id", "placed_at", "value", now, horizon_days=CHURN_HORIZON_DAYS, **extra)
    active = rfm.index[rfm["recency_days"] <= 365]
    scores, _ = analytics_churn.baseline_scores(purchases, "customer_id", "placed_at", "value", _naive_utc(now), active, CHURN_HORIZON_DAYS)
    return pd.Series(scores[name], index=active, name="churn_risk") if name in scores else pd.Series(dtype=float, name="churn_risk")


def choose_forecast(purchases, now: dt.datetime):
    """The model the Patron forecast takes (analytics.forecast.choose: a backtest over the 90 days before `now`) with
    the function that forecasts by it; None while the history is too short for the backtest."""
    try:
        return analytics_forecast.choose(purchases, "customer_id", "placed_at", _naive_utc(now), FORECAST_DAYS)
    except AnalyticsError:
        return None


def next_best_offers(categories, now: dt.datetime, k: int = 3):
    """Each customer's top categories as a JSON list (customers without order lines get none)."""
    picks = recommend(categories, "customer_id", "at", "category", k=k, as_of=now)
    if picks.empty:
        return pd.Series(dtype=object)
    return picks.sort_values(["customer_id", "rank"]).groupby("customer_id")["item"].agg(lambda items: json.dumps(list(items)))


def _predict(summary, choice=None):
    """The purchase model the shop's backtest chose (BG/NBD when there was none; BG/NBD under the learned forecast,
    which gives the expected purchases) and Gamma-Gamma for the spend; (frame, fitted models, note) or (None, None, why)."""
    if summary.empty:
        return None, None, "no purchases yet"
    x, t, T, m = (summary[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))
    frame = summary.rename(columns={"frequency": "frequency_cal", "recency": "recency_cal", "T": "T_cal", "litt": "litt_cal"})
    chosen = choice[0].name if choice else "BG/NBD"
    try:
        transactions = analytics_forecast.fit(chosen if chosen != analytics_forecast.LEARNED else "BG/NBD", frame)
    except AnalyticsError as exc:  # ModelError included: too little history to fit
        return None, None, f"purchase model not fitted: {exc}"
    out = summary[[]].copy()
    out["p_alive"] = transactions.probability_alive(x, t, T)
    ahead = transactions.expected_purchases_at([90, 365], x, t, T)
    if chosen == analytics_forecast.LEARNED:
        # The learned forecast of the 90 days it was chosen for; the year keeps the same correction of BG/NBD, so a
        # customer's year is never forecast below their next 90 days.
        learned = choice[1](frame, FORECAST_DAYS)
        with np.errstate(invalid="ignore", divide="ignore"):
            ahead = np.array([learned, np.where(ahead[0] > 0, ahead[1] * learned / ahead[0], learned)])
    out["expected_purchases_90"], out["expected_purchases_365"] = ahead[0], ahead[1]
    spend, note = None, f"forecast: {chosen}" if choice else ""
    # A repeat buyer whose orders carry no amount (free orders, or none with a rate) has no spend to learn from:
    # left out of the spend model and without a CLV, and counted in the note rather than dropped unseen.
    priced = (x == 0) | (m > 0)
    out["clv_12m"] = np.nan
    try:
        spend = GammaGamma().fit(x[priced], m[priced])
        out.loc[priced, "clv_12m"] = spend.clv(transactions, x[priced], t[priced], T[priced], m[priced], months=CLV_MONTHS,
                                               discount_rate=CLV_MONTHLY_DISCOUNT)
    except AnalyticsError as exc:
        note = "; ".join(filter(None, [note, f"spend model not fitted: {exc}"]))
    if not priced.all():
        note = "; ".join(filter(None, [note, f"{int((~priced).sum())} repeat buyers without spend have no CLV"]))
    return out, (transactions, spend), note


def _save_fit(fit, now: dt.datetime, customers: int, note: str, clv_top_decile: float | None = None,
              forecast: dict | None = None, churn: dict | None = None) -> int | None:
    if fit is None:
        return None
    transactions, spend = fit
    return ModelFit.objects.create(
        fitted_at=now, customers=customers, purchases=transactions.to_dict(),
        spend=spend.to_dict() if spend is not None else None, note=note[:300], clv_top_decile=clv_top_decile,
        forecast=forecast, churn=churn,
    ).pk


def _merge(stage: Stage, now: dt.datetime) -> int:
    stamp = stage.param(now)
    fields = [name for name, _ in SCORE_COLUMNS[1:]]
    stage.execute(f"CREATE INDEX {STAGE}_customer ON {STAGE} (customer_id)")
    moved = stage.execute(
        f"INSERT INTO {MOVES} (customer_id, from_segment, to_segment, moved_at) "
        f"SELECT s.customer_id, COALESCE(c.segment, ''), s.segment, %s FROM {STAGE} s "
        f"LEFT JOIN {SCORES} c ON c.customer_id = s.customer_id WHERE c.segment IS NULL OR c.segment <> s.segment",
        [stamp],
    )
    # Customers no longer scored (their purchases were cancelled or refunded) leave their segment.
    stage.execute(
        f"INSERT INTO {MOVES} (customer_id, from_segment, to_segment, moved_at) "
        f"SELECT c.customer_id, c.segment, '', %s FROM {SCORES} c "
        f"WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.customer_id = c.customer_id)",
        [stamp],
    )
    # NOT EXISTS, not NOT IN: PostgreSQL turns a large NOT IN into a nested loop.
    stage.execute(f"DELETE FROM {SCORES} WHERE NOT EXISTS (SELECT 1 FROM {STAGE} s WHERE s.customer_id = {SCORES}.customer_id)")
    # SET reads the row's old values on both databases, so segment_since compares with the old segment.
    stage.execute(
        f"UPDATE {SCORES} AS c SET {', '.join(f'{f} = s.{f}' for f in fields)}, scored_at = %s, "
        f"segment_since = CASE WHEN c.segment <> s.segment THEN %s ELSE c.segment_since END "
        f"FROM {STAGE} s WHERE c.customer_id = s.customer_id",
        [stamp, stamp],
    )
    stage.execute(
        f"INSERT INTO {SCORES} (customer_id, {', '.join(fields)}, segment_since, scored_at) "
        f"SELECT s.customer_id, {', '.join(f's.{f}' for f in fields)}, %s, %s FROM {STAGE} s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {SCORES} c WHERE c.customer_id = s.customer_id)",
        [stamp, stamp],
    )
    return moved
