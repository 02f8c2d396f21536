import datetime as dt
import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from patron.commerce import services as commerce
from patron.customers import services as customers
from patron.insights import services
from patron.imports import kinds
from patron.imports.runner import run_import
from patron.insights.models import CustomerScore, ModelFit, SegmentMove

# The analytics read committed rows through a connection of their own: these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC)


def shop(history: dict[str, list[tuple[str, str]]]) -> None:
    n = 0
    for who, orders in history.items():
        customer, _ = customers.upsert_customer(who)
        for day, total in orders:
            n += 1
            commerce.record_order(customer, f"o{n}", placed_at=at(day), total=total, currency="EUR")


def patron(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_kpi_reads_the_store_and_leaves_out_cancelled_and_refunded_orders():
    shop({"a": [("2023-06-01", "100"), ("2024-02-10", "50"), ("2024-02-20", "30")], "b": [("2023-03-01", "25")],
          "c": [("2024-03-05", "40")]})
    jonas, _ = customers.upsert_customer("d")
    commerce.record_order(jonas, "cancelled", placed_at=at("2024-02-01"), total="70", currency="EUR", status="cancelled")
    refunded, _ = commerce.record_order(jonas, "refunded", placed_at=at("2024-02-02"), total="80", currency="EUR")
    commerce.refund_order(refunded)
    partly, _ = commerce.record_order(customers.get_customer("c"), "partly", placed_at=at("2024-03-06"), total="20", currency="EUR")
    commerce.refund_order(partly, "5")
    report = json.loads(patron("kpi", "--start", "2024-01-01", "--end", "2024-03-31", "--json"))
    assert (report["customers_start"], report["customers_end"], report["new_customers"], report["lost_customers"]) == (2, 2, 1, 1)
    assert report["customer_retention_rate"] == 50.0 and report["churn_rate"] == 50.0
    # a: 50 + 30; c: 40 + (20 - 5 refunded); d's cancelled and fully refunded orders are not purchases.
    assert (report["orders"], report["revenue"]) == (4, 135.0)
    assert report["average_order_value"] == 33.75 and report["repeat_purchase_rate"] == 100.0
    assert report["nps"] is None and report["csat"] is None
    assert set(report) >= {"clv", "purchase_frequency", "repeat_purchase_rate"}
    table = patron("kpi", "--start", "2024-01-01", "--end", "2024-03-31")
    assert "Customer retention rate" in table and "50.0%" in table and "n/a" in table
    wider = json.loads(patron("kpi", "--start", "2024-01-01", "--end", "2024-03-31", "--json", "--window-days", "730"))
    assert wider["customers_start"] == 2 and wider["lost_customers"] == 0


def test_kpi_and_cohorts_name_bad_input():
    with pytest.raises(CommandError, match="start '2024-13-01' is not a date"):
        patron("kpi", "--start", "2024-13-01", "--end", "2024-12-31")
    with pytest.raises(CommandError, match="comes before start"):
        patron("kpi", "--start", "2024-12-01", "--end", "2024-01-31")
    with pytest.raises(CommandError, match="window_days"):
        patron("kpi", "--start", "2024-01-01", "--end", "2024-01-31", "--window-days", "0")
    with pytest.raises(CommandError, match="since 'May'"):
        patron("cohorts", "--since", "May")


def test_cohorts_from_the_store():
    shop({"a": [("2024-01-03", "1"), ("2024-02-01", "1")], "b": [("2024-01-20", "1"), ("2024-03-02", "1")],
          "c": [("2024-02-14", "1")]})
    rows = json.loads(patron("cohorts", "--json"))
    jan = [(r["months_since_first"], r["customers"], r["rate"]) for r in rows if r["cohort"] == "2024-01-01"]
    assert jan == [(0, 2, 1.0), (1, 1, 0.5), (2, 1, 0.5)]
    table = patron("cohorts")
    assert "2024-01" in table and "50" in table
    assert patron("cohorts", "--since", "2030-01-01", "--json").strip() == "[]"


def test_scores_are_stored_and_segment_moves_recorded():
    shop({f"c{i}": [(f"2024-0{1 + k}-1{i}", "10") for k in range(1 + i % 5)] for i in range(10)})
    first = services.refresh_scores(now=at("2024-07-01"))
    assert first.customers == 10 and first.moved == 10 and sum(first.segments.values()) == 10
    assert SegmentMove.objects.filter(from_segment="").count() == 10
    champion = CustomerScore.objects.get(customer__external_id="c9")
    assert (champion.frequency, champion.r_score, champion.f_score) == (5, 5, 5) and champion.segment == "Champions"
    assert champion.segment_since == at("2024-07-01") and champion.quadrant == "spurious"  # no survey answers yet
    # A year on without purchases everyone has the same recency: the scores change and so do segments.
    later = services.refresh_scores(now=at("2025-07-01"))
    assert later.customers == 10
    moves = SegmentMove.objects.filter(moved_at=at("2025-07-01"))
    assert moves.count() == later.moved
    for move in moves:
        score = CustomerScore.objects.get(customer=move.customer)
        assert (score.segment, score.segment_since) == (move.to_segment, at("2025-07-01"))
    unmoved = CustomerScore.objects.exclude(customer__in=moves.values("customer"))
    assert all(s.segment_since == at("2024-07-01") and s.scored_at == at("2025-07-01") for s in unmoved)
    # Scoring again at the same moment moves nobody.
    assert services.refresh_scores(now=at("2025-07-01")).moved == 0
    summary = patron("score")
    assert "Scored 10 customers" in summary and "loyalty matrix" in summary


def bgnbd_shop(write_csv) -> None:
    """400 customers of a BG/NBD shop with Gamma-Gamma spend, 2024-01 to 2025-06, plus two telling histories."""

    rng = np.random.default_rng(3)
    customers, orders = [], []
    for i in range(400):  # a BG/NBD shop: purchases at each customer's own rate, dropping out after any of them
        customers.append([f"c{i}"])
        day, rate, drop, k = float(rng.integers(0, 300)), rng.gamma(1.0, 1 / 30), rng.beta(1, 3), 0
        nu = rng.gamma(4, 1 / 100)  # each customer's own typical spend (Gamma-Gamma)
        while day < 540:
            orders.append([f"o{i}-{k}", f"c{i}", (at("2024-01-01") + dt.timedelta(days=day)).isoformat(), f"{rng.gamma(6, 1 / nu):.2f}"])
            k += 1
            if rng.random() < drop:
                break
            day += rng.exponential(1 / rate)
    # Two customers with the same three purchases, one of whom stopped a year before the other.
    for who, last in (("steady", "2025-06-20"), ("gone", "2024-06-20")):
        customers.append([who])
        orders += [[f"{who}-{k}", who, day, "30"] for k, day in enumerate(["2024-01-10", "2024-03-10", last])]
    run_import(kinds()["customers"], write_csv("c.csv", ["external_id"], customers))
    run_import(kinds()["orders"], write_csv("o.csv", ["external_id", "customer_external_id", "placed_at", "total"], orders))
    # What each order held: customers of one taste buy from three categories of their own.
    tastes = [["books", "comics", "maps"], ["tea", "coffee", "spices"]]
    lines = [[order[0], f"{tastes[sum(map(ord, order[1])) % 2][k % 3]}-{k % 2}", tastes[sum(map(ord, order[1])) % 2][k % 3], 1, "10"]
             for k, order in enumerate(orders)]
    run_import(kinds()["order-lines"], write_csv("l.csv", ["order_external_id", "sku", "category", "quantity", "unit_price"], lines))


def test_score_stores_the_models_predictions(write_csv):
    bgnbd_shop(write_csv)
    result = services.refresh_scores(now=at("2025-07-01"))
    assert result.model_fit, result.model_note
    fit = ModelFit.objects.get(pk=result.model_fit)
    # The forecast that won the shop's own backtest over the 90 days before, and by how much; its model is the one saved.
    models = {"BG/NBD": "BetaGeo", "MBG/NBD": "ModifiedBetaGeo", "Pareto/NBD": "ParetoNBD", "MBG/CNBD-k": "ModifiedBetaGeoCNBD",
              "learned": "BetaGeo"}
    assert fit.forecast["model"] in models and fit.purchases["model"] == models[fit.forecast["model"]], fit.forecast
    assert fit.forecast["rmse"] <= fit.forecast["runner_up_rmse"] and fit.forecast["backtest_cutoff"].startswith("2025-04-0")
    assert f"forecast: {fit.forecast['model']}" in fit.note
    # The churn score that ranked churners best in the shop's own backtest, with every score's AUC.
    assert fit.churn["score"] == max(fit.churn["auc"], key=fit.churn["auc"].get) and "classifier" in fit.churn["auc"]
    assert fit.spend is not None, fit.note
    assert fit.spend["model"] == "GammaGamma" and fit.customers == result.customers
    scores = CustomerScore.objects.filter(model_fit=fit)
    assert scores.count() == result.customers == 402
    for s in scores:
        assert 0 <= s.p_alive <= 1 and 0 <= s.expected_purchases_90 <= s.expected_purchases_365 and s.clv_12m >= 0
    steady, gone = (CustomerScore.objects.get(customer__external_id=w) for w in ("steady", "gone"))
    assert steady.p_alive > gone.p_alive and steady.clv_12m > gone.clv_12m
    # Churn risk for the customers who bought in the last year; none for those who left before.
    assert gone.churn_risk is None and 0 <= steady.churn_risk <= 1
    assert scores.filter(churn_risk__isnull=False).count() == scores.filter(recency_days__lte=365).count() > 50
    # Next best offers: up to three categories, from the customer's own taste.
    offers = scores.exclude(next_best_offers=None)
    assert offers.count() == scores.count()
    for s in offers[:50]:
        assert 1 <= len(s.next_best_offers) <= 3 and len(set(s.next_best_offers)) == len(s.next_best_offers)
    out = patron("score")
    assert "predictions from model fit" in out and "in the shop's backtest from" in out
    assert "churn risk: " in out and "classifier 0." in out or "churn risk: classifier" in out


def test_score_without_enough_history_still_scores_rfm():
    shop({"a": [("2024-01-01", "10")], "b": [("2024-02-01", "10")]})
    result = services.refresh_scores(now=at("2024-03-01"))
    assert result.customers == 2 and result.model_fit is None and "repeat purchase" in result.model_note
    assert CustomerScore.objects.filter(p_alive__isnull=True).count() == 2
    assert "no predictions" in patron("score")


def test_churn_backtest_on_the_store(write_csv):
    bgnbd_shop(write_csv)
    report = json.loads(patron("churn", "backtest", "--json"))
    assert report["horizon_days"] == 90 and report["test_customers"] > 50
    assert 0.5 < report["auc"] <= 1 and 0 < report["baseline_auc"] <= 1 and len(report["lift"]) == 10
    assert "Lift by decile" in patron("churn", "backtest", "--cutoff", "2025-01-01")
    with pytest.raises(CommandError, match="needs purchases up to"):
        patron("churn", "backtest", "--cutoff", "2025-06-20")


def test_forecast_backtest_on_the_store(write_csv):
    bgnbd_shop(write_csv)
    report = json.loads(patron("forecast", "backtest", "--json"))
    assert report["horizon"] == 90 and report["cutoff"] == "2025-03-25T00:00:00" and report["customers"] > 300
    names = [s["name"] for s in report["scores"]]
    assert names[:4] == ["BG/NBD", "MBG/NBD", "Pareto/NBD", "MBG/CNBD-k"] and names[-1] == "Patron forecast"
    assert report["choice"] in names and report["winner"] in names[:-1]
    # The Patron forecast is the chosen model's forecast, scored the same.
    assert report["scores"][-1]["rmse"] == next(s["rmse"] for s in report["scores"] if s["name"] == report["choice"])
    text = patron("forecast", "backtest", "--cutoff", "2025-01-01", "--horizon-days", "60")
    assert "Cut-off 2025-01-01, forecasting 60 days ahead" in text and "The Patron forecast took:" in text
    with pytest.raises(CommandError, match="needs purchases up to"):
        patron("forecast", "backtest", "--cutoff", "2025-06-20")
    with pytest.raises(CommandError, match="--horizon-days must be at least 1"):
        patron("forecast", "backtest", "--horizon-days", "0")
