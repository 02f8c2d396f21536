import datetime as dt

import numpy as np
import pandas as pd
import pytest

from patron.analytics import AnalyticsError
from patron.analytics.churn import backtest, churn_features, churn_labels, churn_risk

START = dt.datetime(2023, 1, 1)


def simulate(customers: int = 3000, days: int = 720, seed: int = 11):
    """A shop where customers buy at their own rate and may leave after any purchase, and where a
    service ticket makes a customer far likelier to leave: a signal only richer data shows."""
    rng = np.random.default_rng(seed)
    orders, tickets = [], []
    for i in range(customers):
        day, rate, drop = rng.uniform(0, 360), rng.gamma(2.0, 1 / 40), rng.beta(1, 12)
        ticket = rng.uniform(0, days) if rng.random() < 0.3 else None
        if ticket is not None:
            tickets.append((f"c{i}", START + dt.timedelta(days=ticket)))
        while day < days:
            orders.append((f"c{i}", START + dt.timedelta(days=day), round(rng.gamma(3, 15), 2)))
            if rng.random() < drop or (ticket is not None and day > ticket and rng.random() < 0.8):
                break
            day += rng.exponential(1 / rate)
    return (pd.DataFrame(orders, columns=["customer", "placed_at", "total"]),
            pd.DataFrame(tickets, columns=["customer_id", "opened_at"]))


@pytest.fixture(scope="module")
def shop():
    return simulate()


def test_features_are_taken_before_the_cutoff(shop):
    orders, tickets = shop
    cutoff = START + dt.timedelta(days=400)
    features = churn_features(orders, "customer", "placed_at", "total", cutoff, tickets=tickets)
    before = orders[orders["placed_at"] < cutoff]
    last = before.groupby("customer")["placed_at"].max()
    active = last[last >= cutoff - dt.timedelta(days=365)].index
    assert sorted(features.index) == sorted(active)
    one = features.index[0]
    mine = before[before["customer"] == one]
    assert features.loc[one, "orders"] == len(mine)
    assert features.loc[one, "recency_days"] == pytest.approx((cutoff - mine["placed_at"].max()).total_seconds() / 86400)
    assert features.loc[one, "monetary"] == pytest.approx(mine["total"].sum())
    assert {"rhythm", "trend_180", "orders_90", "tickets_365"} <= set(features.columns)
    assert features["tickets_365"].sum() == tickets[(tickets["opened_at"] < cutoff) & (tickets["opened_at"] >= cutoff - dt.timedelta(days=365))
                                                    & tickets["customer_id"].isin(features.index)].shape[0]
    bought = churn_labels(orders, "customer", "placed_at", "total", cutoff, 30)
    assert set(bought.index) == set(orders[(orders["placed_at"] >= cutoff) & (orders["placed_at"] < cutoff + dt.timedelta(days=30))]["customer"])


def test_backtest_reports_auc_calibration_and_lift_beside_the_baseline(shop):
    orders, tickets = shop
    cutoff = START + dt.timedelta(days=600)
    plain = backtest(orders, "customer", "placed_at", "total", cutoff, horizon_days=90)
    richer = backtest(orders, "customer", "placed_at", "total", cutoff, horizon_days=90, tickets=tickets)
    assert plain.test_customers == richer.test_customers > 500 and 0.2 < plain.churn_rate < 0.9
    # The probability models scored for the question asked (no purchase in 90 days) are real rivals: BG/NBD's
    # probability of no purchase ranks as well as the classifier here, far better than 1 - P(alive) would.
    by_name = {b["name"]: b for b in plain.baselines}
    proper = by_name["BG/NBD: no purchase in the horizon"]
    assert proper["auc"] == plain.baseline_auc > 0.85 and abs(plain.auc - proper["auc"]) < 0.05
    assert by_name["Pareto/NBD: expected purchases"]["auc"] > 0.85 and by_name["Pareto/NBD: expected purchases"]["brier"] is None
    assert plain.best == max([("classifier", plain.auc)] + [(b["name"], b["auc"]) for b in plain.baselines], key=lambda p: p[1])[0]
    from sklearn.metrics import roc_auc_score

    from patron.analytics.models import BetaGeo
    from patron.analytics.summary import rfm_summary

    summary = rfm_summary(orders, "customer", "placed_at", observation_period_end=cutoff - dt.timedelta(microseconds=1))
    model = BetaGeo().fit(summary=summary)
    active = summary.reindex(backtest_customers := _test_customers(orders, cutoff))
    churned = ~np.isin(active.index, orders[(orders["placed_at"] >= cutoff) & (orders["placed_at"] < cutoff + dt.timedelta(days=90))]["customer"])
    improper = roc_auc_score(churned, 1 - model.probability_alive(active["frequency"], active["recency"], active["T"]))
    assert len(backtest_customers) == plain.test_customers and improper < proper["auc"] - 0.05
    # The tickets carry a signal purchase times alone do not: with them the classifier does better still.
    assert richer.auc > plain.auc + 0.004 and richer.brier < plain.brier
    lift = richer.lift
    assert lift["customers"].sum() == richer.test_customers and lift.loc[0, "lift"] > 1.3
    assert lift["churn_rate"].iloc[0] > lift["churn_rate"].iloc[-1]
    calibration = richer.calibration
    assert calibration["customers"].sum() == richer.test_customers
    assert np.average(np.abs(calibration["predicted"] - calibration["observed"]), weights=calibration["customers"]) < 0.1
    assert set(richer.as_dict()) >= {"auc", "baseline_auc", "baselines", "best", "lift", "calibration"}


def _test_customers(orders: pd.DataFrame, cutoff: dt.datetime) -> list:
    """The backtest's test customers: those with a purchase in the year before the cut-off."""
    recent = orders[(orders["placed_at"] < cutoff) & (orders["placed_at"] >= cutoff - dt.timedelta(days=365))]
    return sorted(recent["customer"].unique())


def test_risk_now_and_bad_input(shop):
    orders, tickets = shop
    risk = churn_risk(orders, "customer", "placed_at", "total", START + dt.timedelta(days=720), tickets=tickets)
    assert len(risk) > 500 and risk.between(0, 1).all()
    with pytest.raises(AnalyticsError, match="needs purchases up to"):
        backtest(orders, "customer", "placed_at", "total", START + dt.timedelta(days=700), horizon_days=90)
    with pytest.raises(AnalyticsError, match="horizon_days"):
        backtest(orders, "customer", "placed_at", "total", START + dt.timedelta(days=400), horizon_days=0)
    with pytest.raises(AnalyticsError, match="no column 'amount'"):
        churn_features(orders, "customer", "placed_at", "amount", START + dt.timedelta(days=400))


def test_uplift_interval_matches_newcombe_1998():
    from patron.analytics.uplift import mean_difference, proportion_difference

    # Newcombe (1998), Statistics in Medicine 17:873-890, table II, method 10 (the hybrid score interval).
    for (x1, n1, x0, n0), (low, high) in {(56, 70, 48, 80): (0.0524, 0.3339), (9, 10, 3, 10): (0.1705, 0.8090),
                                          (5, 56, 0, 29): (-0.0381, 0.1926)}.items():
        d = proportion_difference(x1, n1, x0, n0)
        assert d["difference"] == pytest.approx(x1 / n1 - x0 / n0)
        assert (round(d["low"], 4), round(d["high"], 4)) == (low, high)
    # Welch against SciPy's own two-sample t test: the interval excludes 0 exactly when p < 0.05.
    from scipy import stats
    rng = np.random.default_rng(1)
    a, b = rng.normal(10, 2, 40), rng.normal(9, 3, 55)
    m = mean_difference(a, b)
    assert (m["low"] > 0) == (stats.ttest_ind(a, b, equal_var=False).pvalue < 0.05)


def test_a_history_bg_nbd_cannot_fit_still_gets_the_classifier_report_and_the_reason():
    # Everyone buys at a steady random rate and nobody ever leaves: BG/NBD's dropout probability runs
    # to 0, so it has no baseline to give; the classifier's report must stand without it.
    rng = np.random.default_rng(3)
    orders = []
    for i in range(1500):
        day, rate = rng.uniform(0, 60), rng.gamma(2.0, 1 / 40)
        while day < 720:
            orders.append((f"c{i}", START + dt.timedelta(days=day), 10.0))
            day += rng.exponential(1 / rate)
    orders = pd.DataFrame(orders, columns=["customer", "placed_at", "total"])
    report = backtest(orders, "customer", "placed_at", "total", START + dt.timedelta(days=600), horizon_days=60)
    assert report.baseline_auc is None and report.baseline_brier is None
    assert report.baseline_note.startswith("no BG/NBD baseline: BetaGeo")
    assert all(b["name"] != "BG/NBD: no purchase in the horizon" for b in report.baselines)
    assert 0.5 < report.auc <= 1
    shown = report.as_dict()
    assert shown["baseline_auc"] is None and shown["lift"][0]["baseline_lift"] is None and shown["lift"][0]["lift"] > 1
