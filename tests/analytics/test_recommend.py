import datetime as dt

import numpy as np
import pandas as pd
import pytest

from patron.analytics import AnalyticsError
from patron.analytics.recommend import hit_rate, recommend

START = dt.datetime(2024, 1, 1)
TASTES = {"reader": ["books", "comics", "stationery", "magazines"], "cook": ["kitchen", "spices", "tea", "coffee"],
          "gardener": ["seeds", "tools", "plants", "soil"]}


def simulate(customers: int = 1500, seed: int = 5) -> pd.DataFrame:
    """Customers with one taste buy mostly within it; "coffee" and "tea" are bought by everyone now and then."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        taste = list(TASTES)[i % 3]
        favourites = rng.permutation(TASTES[taste])[:3]
        for _ in range(rng.integers(3, 12)):
            if rng.random() < 0.85:
                item = rng.choice(favourites)
            else:
                item = rng.choice(["coffee", "tea", "books"])
            rows.append((f"c{i}", START + dt.timedelta(days=float(rng.uniform(0, 360))), item))
    return pd.DataFrame(rows, columns=["customer", "at", "category"])


def test_recommendations_follow_taste_and_history():
    purchases = simulate()
    picks = recommend(purchases, "customer", "at", "category", k=3)
    assert set(picks.columns) == {"customer", "rank", "item", "score"}
    per = picks.groupby("customer")
    assert per.size().max() == 3 and (per["rank"].apply(list).apply(lambda r: r == sorted(r))).all()
    assert (per["score"].apply(lambda s: s.is_monotonic_decreasing)).all()
    # A gardener is offered garden things first.
    first = picks[(picks["rank"] == 1)].set_index("customer")["item"]
    gardeners = [f"c{i}" for i in range(2, 1500, 3)]
    assert first.reindex(gardeners).isin(TASTES["gardener"]).mean() > 0.9
    # Nothing known about a customer before as_of: no offers for them.
    early = recommend(purchases, "customer", "at", "category", as_of=START + dt.timedelta(days=10))
    assert set(early["customer"]) <= set(purchases[purchases["at"] < START + dt.timedelta(days=10)]["customer"])


def test_hit_rate_beats_the_most_popular_items():
    purchases = simulate()
    result = hit_rate(purchases, "customer", "at", "category", START + dt.timedelta(days=270), horizon_days=90, k=3)
    assert result["customers"] > 500
    assert result["hit_rate"] > 0.7 and result["hit_rate"] > result["popular_hit_rate"] + 0.1
    with pytest.raises(AnalyticsError, match="k must be"):
        recommend(purchases, "customer", "at", "category", k=0)
    with pytest.raises(AnalyticsError, match="no column 'sku'"):
        recommend(purchases, "customer", "at", "sku")
