import datetime as dt
import subprocess
import sys

import pandas as pd
import pytest

from patron.analytics import SEGMENTS, AnalyticsError, cohort_retention, cohort_table, kpis, rfm_scores, segment_of

# A hand-built history; the period is the first quarter of 2024 (91 days), the window 365 days.
HISTORY = [
    ("A", "2023-06-01", 100), ("A", "2024-02-10", 50), ("A", "2024-02-20", 30),  # at start and end: retained
    ("B", "2023-03-01", 25),                                                     # at start, lapses by the end: lost
    ("C", "2024-03-05", 40),                                                     # first purchase in the period: new
    ("D", "2022-01-01", 10), ("D", "2024-01-15", 60),                            # back after two years: won back
    ("E", "2023-12-31 23:59", 20),                                               # at start, still within the window
    ("F", "2024-04-01", 99),                                                     # after the period: not counted
    ("G", "2023-01-01", 15),                                                     # first instant of the start window: lost
]


def orders(rows=HISTORY) -> pd.DataFrame:
    return pd.DataFrame({"customer": [r[0] for r in rows], "placed_at": pd.to_datetime([r[1] for r in rows], format="mixed"),
                         "total": [float(r[2]) for r in rows]})


def test_kpis_of_a_hand_built_history():
    k = kpis(orders(), "customer", "placed_at", "total", "2024-01-01", "2024-03-31")
    # S = {A, B, E, G}; E = {A, C, D, E}; new = {C, D} (C first-time, D won back); lost = {B, G}.
    assert (k["customers_start"], k["customers_end"], k["new_customers"], k["lost_customers"]) == (4, 4, 2, 2)
    assert (k["first_time_customers"], k["reactivated_customers"]) == (1, 1)
    assert k["customer_retention_rate"] == 50.0 and k["churn_rate"] == 50.0  # (4 - 2) / 4, 2 / 4
    # In the period: A 2 orders (80), C 1 (40), D 1 (60): 4 orders, 180 spent, 3 buyers, 1 of them twice.
    assert (k["orders"], k["revenue"], k["purchasing_customers"]) == (4, 180.0, 3)
    assert k["average_order_value"] == 45.0 and k["purchase_frequency"] == 1.3333
    assert k["repeat_purchase_rate"] == 33.33
    # Churn of 50 % a period: a customer stays 2 periods (182 days); CLV = 45 x 4/3 x 2.
    assert k["clv"] == 120.0 and k["average_lifespan_days"] == 182.0
    assert k["nps"] is None and k["csat"] is None


def test_nps_and_csat_count_the_answers_of_the_period():
    surveys = pd.DataFrame({
        "kind": ["nps"] * 7 + ["CSAT"] * 3 + ["nps"],
        "score": [10, 9, 9, 7, 3, 0, None, 5, 4, 2, 10],
        "answered_at": pd.to_datetime(["2024-02-01"] * 10 + ["2023-12-31"]),
    })
    k = kpis(orders(), "customer", "placed_at", "total", dt.date(2024, 1, 1), dt.date(2024, 3, 31), surveys=surveys)
    assert k["nps_answers"] == 6 and k["nps"] == 16.67  # 3 promoters, 2 detractors of 6 (the blank and the 2023 one left out)
    assert k["csat_answers"] == 3 and k["csat"] == 66.67


def test_the_window_decides_who_is_a_customer():
    k = kpis(orders(), "customer", "placed_at", "total", "2024-01-01", "2024-03-31", window_days=730)
    # Two years back: D is a customer at the start, and B and G are still customers at the end.
    assert (k["customers_start"], k["lost_customers"], k["new_customers"]) == (5, 0, 1)
    assert k["customer_retention_rate"] == 100.0 and k["clv"] is None  # no churn: no finite lifespan


def test_kpis_without_data_are_none_not_errors():
    k = kpis(orders(), "customer", "placed_at", "total", "2030-01-01", "2030-01-31")
    assert k["customers_start"] == 0 and k["customer_retention_rate"] is None and k["average_order_value"] is None
    with pytest.raises(AnalyticsError, match="comes before start"):
        kpis(orders(), "customer", "placed_at", "total", "2024-02-01", "2024-01-01")
    with pytest.raises(AnalyticsError, match="window_days"):
        kpis(orders(), "customer", "placed_at", "total", "2024-01-01", "2024-02-01", window_days=0)
    with pytest.raises(AnalyticsError, match="no column 'amount'"):
        kpis(orders(), "customer", "placed_at", "amount", "2024-01-01", "2024-02-01")


def test_monthly_cohorts():
    rows = [("a", "2024-01-03"), ("b", "2024-01-20"), ("a", "2024-02-01"), ("b", "2024-03-02"), ("b", "2024-03-09"),
            ("a", "2024-04-30"), ("c", "2024-02-14"), ("c", "2024-03-01")]
    frame = orders([(c, d, 1) for c, d in rows])
    long = cohort_retention(frame, "customer", "placed_at")
    jan = long[long["cohort"] == dt.date(2024, 1, 1)]
    assert jan["months_since_first"].tolist() == [0, 1, 2, 3]
    assert jan["customers"].tolist() == [2, 1, 1, 1] and jan["rate"].tolist() == [1.0, 0.5, 0.5, 0.5]
    table = cohort_table(long)
    assert table.loc[dt.date(2024, 2, 1)].tolist()[:2] == [1.0, 1.0]
    assert cohort_retention(frame, "customer", "placed_at", since="2024-02-01")["cohort"].unique().tolist() == [dt.date(2024, 2, 1)]


def test_rfm_scores_are_quintiles_and_ties_share_a_score():
    as_of = dt.datetime(2024, 6, 1)
    rows = []
    for i in range(10):  # customer i: i + 1 orders of 10, the last one 9 - i days (and a minute) before as_of
        rows += [(f"c{i}", as_of - dt.timedelta(days=9 - i + 30 * k, minutes=1), 10.0) for k in range(i + 1)]
    rows += [("twin1", as_of - dt.timedelta(days=3), 500.0), ("twin2", as_of - dt.timedelta(days=3), 500.0)]
    frame = pd.DataFrame(rows, columns=["customer", "placed_at", "total"])
    scores = rfm_scores(frame, "customer", "placed_at", "total", as_of=as_of)
    assert scores.loc["c9", ["recency_days", "frequency", "monetary"]].tolist() == [0, 10, 100.0]
    assert scores.loc["c9", "rfm"] == "555" and scores.loc["c9", "segment"] == "Champions"
    assert scores.loc["c0", "rfm"] == "111" and scores.loc["c0", "segment"] == "Lost"
    assert scores.loc["twin1"].tolist() == scores.loc["twin2"].tolist()
    assert scores["r_score"].between(1, 5).all() and set(scores["segment"]) <= set(SEGMENTS)
    # Purchases on or after as_of do not count.
    earlier = rfm_scores(frame, "customer", "placed_at", "total", as_of=as_of - dt.timedelta(days=5))
    assert earlier.loc["c9", ["recency_days", "frequency"]].tolist() == [25, 9]


def test_the_segment_grid_names_every_cell():
    assert {segment_of(r, f) for r in range(1, 6) for f in range(1, 6)} == set(SEGMENTS)
    assert (segment_of(5, 1), segment_of(4, 1), segment_of(1, 5), segment_of(3, 3)) == ("New", "Promising", "Can't lose them", "Need attention")


def test_the_library_does_not_import_django():
    code = "import sys, patron.analytics; bad = sorted(m for m in sys.modules if m.split('.')[0] == 'django'); print(bad); sys.exit(bool(bad))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.spark
def test_spark_gives_the_same_kpis_cohorts_and_scores(cdnow, spark):
    frame = cdnow.assign(day=pd.to_datetime(cdnow["date"].astype(str), format="%Y%m%d"))[["id", "day", "spent"]]
    args = (frame, "id", "day", "spent", "1997-04-01", "1997-06-30")
    assert kpis(*args, engine="spark", spark=spark) == kpis(*args)
    pd.testing.assert_frame_equal(cohort_retention(frame, "id", "day", engine="spark", spark=spark), cohort_retention(frame, "id", "day"))
    pd.testing.assert_frame_equal(rfm_scores(frame, "id", "day", "spent", engine="spark", spark=spark),
                                  rfm_scores(frame, "id", "day", "spent"), check_index_type=False)
