import datetime as dt

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patron.analytics import AnalyticsError, StoreQuery, calibration_and_holdout, rfm_summary

WEEKS = dict(freq="D", freq_multiplier=7, datetime_format="%Y%m%d")


def oracle(rows: list[tuple[str, dt.datetime, float]], end: dt.datetime) -> dict:
    """lifetimes' definitions written out plainly, day periods: {customer: (frequency, recency, T, monetary_value)}."""
    periods: dict[str, dict[dt.date, float]] = {}
    for customer, when, value in rows:
        if when.date() <= end.date():
            day = periods.setdefault(customer, {})
            day[when.date()] = day.get(when.date(), 0.0) + value
    out = {}
    for customer, days in periods.items():
        ordered = sorted(days)
        repeats = [days[d] for d in ordered[1:]]
        out[customer] = (
            len(ordered) - 1,
            (ordered[-1] - ordered[0]).days,
            (end.date() - ordered[0]).days,
            sum(repeats) / len(repeats) if repeats else 0.0,
        )
    return out


def test_cdnow_summary_matches_the_paper(cdnow, cdnow_paper):
    summary = rfm_summary(cdnow, "id", "date", "spent", observation_period_end="1997-09-30", **WEEKS)
    assert len(summary) == 2357 and summary.index.name == "id"
    paper = cdnow_paper.reindex(summary.index)
    assert (summary["frequency"] == paper["x"]).all()
    assert np.allclose(summary["recency"], paper["t_x"], atol=0.005 + 1e-9)
    assert np.allclose(summary["T"], paper["T"], atol=0.005 + 1e-9)
    assert np.allclose(summary["monetary_value"], paper["zbar"], atol=0.005 + 1e-9)
    # Customer 1 bought on three days: 1997-01-01, then 1997-01-18 ... the paper's row 1.
    assert summary.loc[1].tolist() == pytest.approx([2, 213 / 7, 272 / 7, 22.345])


def test_every_input_kind_gives_the_same_summary(cdnow, tmp_path):
    expected = rfm_summary(cdnow, "id", "date", "spent", **WEEKS)
    parquet = tmp_path / "cdnow.parquet"
    cdnow.to_parquet(parquet)
    db = tmp_path / "cdnow.sqlite3"
    import sqlite3

    with sqlite3.connect(db) as conn:
        cdnow.to_sql("purchases", conn, index=False)
    for source in (pl.from_pandas(cdnow), pa.Table.from_pandas(cdnow), parquet, str(parquet),
                   StoreQuery(f"sqlite:///{db}", "SELECT id, date, spent FROM purchases")):
        got = rfm_summary(source, "id", "date", "spent", **WEEKS)
        pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


def test_purchases_in_one_period_count_once_and_their_values_add_up():
    tx = pd.DataFrame({
        "who": ["a", "a", "a", "a", "b"],
        "when": pd.to_datetime(["2024-01-01 09:00", "2024-01-01 18:00", "2024-01-05 00:00", "2024-01-05 23:59", "2024-01-03 00:00"]),
        "paid": [10.0, 5.0, 20.0, 2.0, 7.0],
    })
    s = rfm_summary(tx, "who", "when", "paid", observation_period_end=dt.date(2024, 1, 10))
    assert s.loc["a"].tolist() == [1.0, 4.0, 9.0, 22.0]  # one repeat day worth 20 + 2
    assert s.loc["b"].tolist() == [0.0, 0.0, 7.0, 0.0]
    weekly = rfm_summary(tx, "who", "when", observation_period_end="2024-01-10", freq="W")
    assert list(weekly.columns) == ["frequency", "recency", "T"]
    assert weekly.loc["a"].tolist() == [0.0, 0.0, 1.0]  # Mon 1 Jan and Fri 5 Jan share a week
    # Purchases after the end are left out; the default end is the last purchase's day.
    assert rfm_summary(tx, "who", "when", observation_period_end="2024-01-04").loc["a", "frequency"] == 0
    assert rfm_summary(tx, "who", "when").loc["a", "T"] == 4.0


def test_bad_input_names_the_problem(cdnow):
    with pytest.raises(AnalyticsError, match="no column 'customer'.*customer_id_col"):
        rfm_summary(cdnow, "customer", "date")
    with pytest.raises(AnalyticsError, match="'id_total'.*must be numeric"):
        rfm_summary(cdnow.astype({"id_total": str}), "id", "date", "id_total", datetime_format="%Y%m%d")
    with pytest.raises(AnalyticsError, match="datetime_format"):
        rfm_summary(cdnow, "id", "date")
    with pytest.raises(AnalyticsError, match="freq 'Q'"):
        rfm_summary(cdnow, "id", "date", freq="Q", datetime_format="%Y%m%d")
    with pytest.raises(AnalyticsError, match="observation_period_end 'soon'"):
        rfm_summary(cdnow, "id", "date", observation_period_end="soon", datetime_format="%Y%m%d")
    with pytest.raises(AnalyticsError, match="unknown engine"):
        rfm_summary(cdnow, "id", "date", datetime_format="%Y%m%d", engine="excel")
    with pytest.raises(AnalyticsError, match="not list"):
        rfm_summary([1, 2], "id", "date")
    with pytest.raises(AnalyticsError, match="no Parquet file"):
        rfm_summary("/nowhere/tx.parquet", "id", "date")


def test_calibration_and_holdout_on_cdnow(cdnow):
    both = calibration_and_holdout(cdnow, "id", "date", "1997-09-30", "1998-06-30", monetary_value_col="spent", **WEEKS)
    assert list(both.columns) == ["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal",
                                  "frequency_holdout", "monetary_value_holdout", "duration_holdout"]
    calibration = rfm_summary(cdnow, "id", "date", "spent", observation_period_end="1997-09-30", **WEEKS)
    assert np.allclose(both[["frequency_cal", "recency_cal", "T_cal", "monetary_value_cal"]].to_numpy(), calibration.to_numpy())
    assert both["duration_holdout"].unique().tolist() == [273 / 7]
    days = pd.to_datetime(cdnow["date"].astype(str), format="%Y%m%d")
    holdout = cdnow[(days > "1997-09-30") & (days <= "1998-06-30")]
    expected = holdout.groupby("id")["date"].nunique().reindex(both.index, fill_value=0)
    assert (both["frequency_holdout"] == expected).all() and expected.sum() > 1000
    # The mean over purchase days, a day's purchases summed: as the calibration column counts them.
    spent = holdout.groupby(["id", "date"])["spent"].sum().groupby("id").mean().reindex(both.index, fill_value=0)
    assert np.allclose(both["monetary_value_holdout"], spent)
    with pytest.raises(AnalyticsError, match="must come after"):
        calibration_and_holdout(cdnow, "id", "date", "1998-01-01", "1997-01-01", **WEEKS)
    with pytest.raises(AnalyticsError, match="no customer made a purchase by calibration_period_end"):
        calibration_and_holdout(cdnow, "id", "date", "1990-01-01", "1990-06-30", datetime_format="%Y%m%d")


def test_two_purchases_on_one_day_count_once_in_both_columns_and_a_missing_amount_is_unknown():
    day = pd.Timestamp("2026-01-05")
    rows = pd.DataFrame({"c": ["a"] * 5 + ["b"] * 3,
                         "at": [day, day + pd.Timedelta(days=3), day + pd.Timedelta(days=3), day + pd.Timedelta(days=20),
                                day + pd.Timedelta(days=20), day, day + pd.Timedelta(days=2), day + pd.Timedelta(days=4)],
                         "v": [9.0, 2.0, 4.0, 1.0, 5.0, 10.0, np.nan, 7.0]})
    both = calibration_and_holdout(rows, "c", "at", day + pd.Timedelta(days=10), day + pd.Timedelta(days=30), monetary_value_col="v")
    # a: day 3 (2 + 4) in calibration, day 20 (1 + 5) in the holdout: 6.0 in both columns, not 3.0 for the rows.
    assert (both.loc["a", "monetary_value_cal"], both.loc["a", "monetary_value_holdout"]) == (6.0, 6.0)
    summary = rfm_summary(rows, "c", "at", "v")
    assert summary.loc["a", "monetary_value"] == 6.0
    assert summary.loc["b", "frequency"] == 2 and np.isnan(summary.loc["b", "monetary_value"])  # unknown, not 7 / 2


purchases = st.lists(
    st.tuples(st.sampled_from("abcdefg"), st.integers(0, 400 * 24), st.integers(0, 10_000)), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(purchases, st.integers(0, 400))
def test_summary_invariants_and_the_plain_definition(rows, end_day):
    start = dt.datetime(2024, 1, 1)
    tx = [(c, start + dt.timedelta(hours=h), cents / 100) for c, h, cents in rows]
    end = start + dt.timedelta(days=end_day)
    frame = pd.DataFrame(tx, columns=["customer", "at", "value"])
    expected = oracle(tx, end)
    if not expected:
        return
    s = rfm_summary(frame, "customer", "at", "value", observation_period_end=end)
    assert sorted(s.index) == sorted(expected) and s.index.is_unique
    assert (s["recency"] <= s["T"]).all() and (s["frequency"] >= 0).all()
    for customer, (frequency, recency, T, money) in expected.items():
        assert s.loc[customer].tolist() == pytest.approx([frequency, recency, T, money], rel=1e-9, abs=1e-9)
        distinct = len({when.date() for c, when, _ in tx if c == customer and when.date() <= end.date()})
        assert s.loc[customer, "frequency"] < distinct


@pytest.mark.spark
def test_spark_gives_the_same_numbers(cdnow, spark):
    for call in (
        lambda engine: rfm_summary(cdnow, "id", "date", "spent", observation_period_end="1997-09-30", engine=engine, spark=spark, **WEEKS),
        lambda engine: calibration_and_holdout(cdnow, "id", "date", "1997-09-30", monetary_value_col="spent", engine=engine, spark=spark, **WEEKS),
        lambda engine: rfm_summary(cdnow, "id", "date", freq="W", datetime_format="%Y%m%d", engine=engine, spark=spark),
    ):
        duck, sparked = call("duckdb"), call("spark")
        pd.testing.assert_frame_equal(sparked, duck, check_exact=False, rtol=1e-12, check_index_type=False)
