import numpy as np
import pandas as pd
import pytest

from patron.analytics import AnalyticsError, calibration_and_holdout
from patron.analytics.evaluation import cumulative_tracking, evaluate, plot_evaluation
from patron.analytics.models import BetaGeo, ParetoNBD

WEEKS = dict(freq="D", freq_multiplier=7, datetime_format="%Y%m%d")


@pytest.fixture(scope="module")
def split(cdnow):
    return calibration_and_holdout(cdnow, "id", "date", "1997-09-30", "1998-06-30", **WEEKS)


def test_bg_nbd_forecasts_the_cdnow_holdout(split):
    model = BetaGeo().fit(split["frequency_cal"], split["recency_cal"], split["T_cal"])
    result = evaluate(model, split)
    assert result.customers == 2357 and result.actual == split["frequency_holdout"].sum()
    # lifetimes 0.11.3 forecasts 1653.41 holdout purchases from the same fit (checked once, by hand); the
    # 1,882 purchase days that happened are 12 % more: the model under-forecasts CDNOW's second year.
    assert result.predicted == pytest.approx(1653.41, abs=0.01) and result.actual == 1882
    assert -15 < result.error_pct < -10 and result.correlation > 0.6
    by = result.by_frequency
    assert by["frequency_cal"].tolist() == list(range(8)) and by["customers"].sum() == 2357
    assert (np.diff(by["predicted"]) > 0).all()  # more calibration purchases, more expected
    assert np.abs(by["predicted"] - by["actual"]).max() < 1.5
    assert set(result.as_dict()) >= {"error_pct", "correlation", "by_frequency"}
    other = evaluate(ParetoNBD().fit(split["frequency_cal"], split["recency_cal"], split["T_cal"]), split)
    assert abs(other.error_pct) < 15


def test_cumulative_tracking_follows_the_cohort(cdnow):
    days = pd.to_datetime(cdnow["date"].astype(str), format="%Y%m%d")
    weeks = (days - pd.Timestamp("1997-01-01")).dt.days / 7
    first = weeks.groupby(cdnow["id"]).transform("min")
    purchase_days = cdnow.assign(day=days).drop_duplicates(["id", "day"]).index
    repeats = weeks[(weeks > first) & weeks.index.isin(purchase_days)]
    model = BetaGeo({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    tracking = cumulative_tracking(model, weeks.groupby(cdnow["id"]).min().to_numpy(), repeats.to_numpy(), 78)
    assert tracking["actual"].is_monotonic_increasing and tracking["expected"].is_monotonic_increasing
    end = tracking.iloc[-1]
    assert abs(end["expected"] - end["actual"]) / end["actual"] < 0.06
    with pytest.raises(AnalyticsError, match="periods"):
        cumulative_tracking(model, [0], [], 0)


def test_plots_and_bad_input(split, tmp_path):
    model = BetaGeo().fit(split["frequency_cal"], split["recency_cal"], split["T_cal"])
    result = evaluate(model, split)
    figure = plot_evaluation(result, pd.DataFrame({"period": [1, 2], "actual": [1, 3], "expected": [1.2, 2.9]}))
    figure.savefig(tmp_path / "evaluation.png")
    assert (tmp_path / "evaluation.png").stat().st_size > 5000 and len(figure.axes) == 2
    with pytest.raises(AnalyticsError, match="missing frequency_holdout"):
        evaluate(model, split.drop(columns="frequency_holdout"))
