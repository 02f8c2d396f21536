import datetime as dt

import pandas as pd
import pytest

from patron.analytics import AnalyticsError, loyalty_matrix

AS_OF = dt.datetime(2024, 6, 1)


def days_ago(n: int) -> dt.datetime:
    return AS_OF - dt.timedelta(days=n)


def regular(customer: str) -> list:
    """Three orders in the window, the last ten days ago, a customer for 200 days: behaviourally loyal."""
    return [(customer, days_ago(n)) for n in (200, 100, 10)]


ORDERS = pd.DataFrame(
    regular("loyal") + regular("regular") + regular("silent") + regular("complained") + regular("changed")
    + [("fan", days_ago(300)), ("gone", days_ago(20)), ("gone", days_ago(400))],
    columns=["customer", "placed_at"],
)
SURVEYS = pd.DataFrame(
    [("loyal", "nps", 10, days_ago(5)), ("regular", "nps", 5, days_ago(30)), ("complained", "nps", 10, days_ago(5)),
     ("changed", "nps", 10, days_ago(700)), ("changed", "NPS", 6, days_ago(3)), ("fan", "csat", 5, days_ago(250)),
     ("gone", "nps", 3, days_ago(15))],
    columns=["customer_id", "kind", "score", "answered_at"],
)
COMPLAINTS = pd.DataFrame({"customer_id": ["complained"], "opened_at": [days_ago(40)]})


def test_each_customer_lands_in_the_quadrant_the_rules_give():
    m = loyalty_matrix(ORDERS, "customer", "placed_at", as_of=AS_OF, surveys=SURVEYS, complaints=COMPLAINTS)
    assert m["quadrant"].to_dict() == {
        "changed": "spurious",     # the latest answer (a 6) counts, not the old 10
        "complained": "spurious",  # a promoter who complained in the window
        "fan": "latent",           # happy, but bought once, long ago
        "gone": "none",            # a second order 400 days ago is outside the window
        "loyal": "loyal",
        "regular": "spurious",     # buys often, would switch
        "silent": "spurious",      # no answer: attitude unknown, counted as low
    }
    assert m.loc["silent", "attitude_known"] == False and m.loc["complained", "attitude_known"] == True  # noqa: E712
    assert m.loc["loyal", ["orders_in_window", "days_since_last", "tenure_days"]].tolist() == [3, 10, 200]
    assert m.loc["gone", "orders_in_window"] == 1


def test_the_thresholds_are_parameters():
    m = loyalty_matrix(ORDERS, "customer", "placed_at", as_of=AS_OF, min_orders=1, min_tenure_days=0, surveys=SURVEYS)
    assert m.loc["gone", "behavioural"] and m.loc["gone", "quadrant"] == "spurious"
    with pytest.raises(AnalyticsError, match="min_orders"):
        loyalty_matrix(ORDERS, "customer", "placed_at", min_orders=-1)
    with pytest.raises(AnalyticsError, match="surveys has no column 'customer_id'"):
        loyalty_matrix(ORDERS, "customer", "placed_at", surveys=SURVEYS.rename(columns={"customer_id": "who"}))


@pytest.mark.spark
def test_spark_gives_the_same_matrix(spark):
    args = dict(as_of=AS_OF, surveys=SURVEYS, complaints=COMPLAINTS)
    pd.testing.assert_frame_equal(loyalty_matrix(ORDERS, "customer", "placed_at", engine="spark", spark=spark, **args),
                                  loyalty_matrix(ORDERS, "customer", "placed_at", **args))
