"""The forecast backtest: every model and the Patron forecast against what happened after a cut-off."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from patron.analytics import AnalyticsError, calibration_and_holdout, evaluate, forecast, rfm_summary
from patron.analytics.models import BetaGeo, ModifiedBetaGeoCNBD

# The BG/NBD paper's split of the CDNOW sample: calibration weeks 1-39, holdout weeks 40-78.
CALIBRATION_END, HOLDOUT_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def purchases(cdnow):
    out = cdnow.assign(date=pd.to_datetime(cdnow["date"].astype(str), format="%Y%m%d"))
    return out[["id", "date"]]


@pytest.fixture(scope="module")
def report(purchases):
    return forecast.backtest(purchases, "id", "date", cutoff=CALIBRATION_END, horizon=39, freq="D", freq_multiplier=7)


def test_every_model_is_scored_on_what_happened(report, purchases):
    names = [s.name for s in report.scores]
    assert names == ["BG/NBD", "MBG/NBD", "Pareto/NBD", "MBG/CNBD-k", forecast.LEARNED, forecast.PATRON]
    assert report.customers == 2357 and report.unit == "7 D"
    # The same frame and the same BG/NBD fit as `evaluate` on calibration_and_holdout.
    frame = calibration_and_holdout(purchases, "id", "date", CALIBRATION_END, HOLDOUT_END, freq="D", freq_multiplier=7)
    assert report.actual == frame["frequency_holdout"].sum()
    bg = BetaGeo().fit(frame["frequency_cal"], frame["recency_cal"], frame["T_cal"])
    checked = evaluate(bg, frame)
    scored = report.scores[0]
    assert scored.predicted == pytest.approx(checked.predicted, rel=1e-9)
    assert scored.error_pct == pytest.approx(checked.error_pct, rel=1e-9)
    assert scored.mae == pytest.approx(checked.mean_absolute_error, rel=1e-9)
    assert scored.correlation == pytest.approx(checked.correlation, rel=1e-9)
    # The Patron forecast is the model chosen before the cut-off, scored like the others.
    chosen = next(s for s in report.scores if s.name == report.choice)
    assert report.scores[-1].rmse == chosen.rmse and report.inner and report.inner_cutoff < dt.datetime(1997, 9, 30)
    assert report.winner == min(report.scores[:-1], key=lambda s: s.rmse).name
    data = report.as_dict()
    assert data["winner"] == report.winner and len(data["scores"]) == 6 and data["inner"][0]["name"] == "BG/NBD"
    # The learned forecast is in the range of the others: within a third of what happened, in total.
    learned = report.scores[4]
    assert abs(learned.error_pct) < 33 and learned.rmse < 1.5 * scored.rmse


def test_nothing_after_the_cut_off_reaches_a_forecast(purchases, report):
    """Shift every purchase after the cut-off and add as many again: the forecasts stay exactly as they were."""
    after = purchases[purchases["date"] > CALIBRATION_END]
    moved = after.assign(date=after["date"] - pd.Timedelta(days=3))
    changed = pd.concat([purchases[purchases["date"] <= CALIBRATION_END], moved[moved["date"] > CALIBRATION_END], after])
    again = forecast.backtest(changed, "id", "date", cutoff=CALIBRATION_END, horizon=39, freq="D", freq_multiplier=7)
    assert again.actual != report.actual
    assert [s.predicted for s in again.scores] == [s.predicted for s in report.scores]
    assert again.choice == report.choice and [s.rmse for s in again.inner] == [s.rmse for s in report.inner]


def test_the_default_cut_off_is_the_latest_the_data_allows(purchases):
    report = forecast.backtest(purchases, "id", "date")  # 90 days of days
    assert report.horizon == 90 and report.unit == "1 D"
    assert report.cutoff == dt.datetime(1998, 6, 30) - dt.timedelta(days=90)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"horizon": 0}, "horizon must be a positive number"),
    ({"horizon": float("nan")}, "horizon must be a positive number"),
    ({"cutoff": "1996-12-01"}, "leaves no history before it"),
    ({"cutoff": "1998-06-01", "horizon": 90}, "needs purchases up to 1998-08-30"),
    ({"freq": "M"}, "freq 'M' is not supported"),
])
def test_bad_input_is_refused_by_name(purchases, kwargs, message):
    with pytest.raises(AnalyticsError, match=message):
        forecast.backtest(purchases, "id", "date", **kwargs)


def test_a_history_too_short_to_learn_from_still_gets_the_probability_models():
    """Ten weeks of a shop with 56 customers: no window before the cut-off has the 200 customers the learned model needs, so the learned model is left out and
    says why, and the Patron forecast falls back to BG/NBD."""
    rng = np.random.default_rng(3)
    rows = []
    for i in range(56):
        day, gap, drop = rng.uniform(0, 40), rng.gamma(0.8, 15), rng.beta(1, 4)
        while day < 70:
            rows.append((i, dt.datetime(2024, 1, 1) + dt.timedelta(days=day)))
            if rng.random() < drop:
                break
            day += rng.exponential(gap)
    report = forecast.backtest(pd.DataFrame(rows, columns=["c", "at"]), "c", "at", cutoff="2024-02-25", horizon=14)
    assert forecast.LEARNED not in [s.name for s in report.scores]
    assert any("learned left out" in note for note in report.notes)
    assert report.choice in ("BG/NBD", "MBG/NBD", "Pareto/NBD")


def test_a_shop_with_a_rhythm_gets_the_erlang_model():
    """Customers who buy every few weeks like clockwork (Erlang-4 gaps, as in grocery): MBG/CNBD-k finds k = 4 from the
    daily summary's litt and forecasts them closer than the NBD family, and the Patron forecast takes something at least
    as close."""
    rng = np.random.default_rng(8)
    rows = []
    for i in range(3000):
        day, mean_gap, drop = rng.uniform(0, 200), rng.gamma(4, 6), rng.beta(1, 12)
        while day < 540:
            rows.append((i, dt.datetime(2024, 1, 1) + dt.timedelta(days=float(day))))
            if rng.random() < drop:
                break
            day += rng.gamma(4, mean_gap / 4)
    frame = pd.DataFrame(rows, columns=["c", "at"])
    report = forecast.backtest(frame, "c", "at", horizon=90)
    rmse = {s.name: s.rmse for s in report.scores}
    nbd = min(rmse["BG/NBD"], rmse["MBG/NBD"], rmse["Pareto/NBD"])
    assert rmse["MBG/CNBD-k"] < 0.98 * nbd, rmse
    assert rmse[forecast.PATRON] <= nbd, (report.choice, rmse)
    summary = rfm_summary(frame, "c", "at", observation_period_end=report.cutoff, litt=True)
    assert ModifiedBetaGeoCNBD().fit(summary=summary).k == 4
