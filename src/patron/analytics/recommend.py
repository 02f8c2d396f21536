"""Next best offer: the items (categories or products) each customer is most likely to buy next.

Two signals, added up: the customer's own history (what they bought, recent purchases weighing
more, so consumables come back) and what similar customers bought (item-to-item cosine similarity
of who bought what, the co-occurrence method of Amazon's recommendations, Linden et al. 2003).
`hit_rate` measures it on a time split against the most popular items.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from patron.analytics import engine as eng
from patron.analytics import frames
from patron.analytics.frames import AnalyticsError


def _history(purchases, customer_id_col, datetime_col, item_col, before: dt.datetime | None, half_life_days: float):
    purchases = frames.materialize(purchases)
    schema = frames.arrow_schema(purchases)
    frames.check_columns(schema, "purchases", customer_id_col=(customer_id_col, "any"), datetime_col=(datetime_col, "time"),
                         item_col=(item_col, "any"))
    d = eng.dialect("duckdb")
    ts = frames.time_expression(schema, datetime_col, None)
    cid, item = frames.quote(customer_id_col), frames.quote(item_col)
    reference = d.timestamp(before) if before else f"(SELECT MAX({ts}) FROM purchases)"
    limit = f"AND {ts} < {d.timestamp(before)}" if before else ""
    # Each (customer, item): a recency-weighted count, halving every half_life_days.
    sql = (f"SELECT {cid} AS customer_id, CAST({item} AS VARCHAR) AS item,"
           f" SUM(pow(0.5, (epoch({reference}) - epoch({ts})) / 86400.0 / {float(half_life_days)!r})) AS weight"
           f" FROM purchases WHERE {cid} IS NOT NULL AND {item} IS NOT NULL {limit} GROUP BY 1, 2")
    return eng.run("duckdb", sql, {"purchases": purchases})


@dataclass
class _Fitted:
    customers: pd.Index
    items: pd.Index
    history: sparse.csr_matrix  # customers x items, recency-weighted counts
    similarity: sparse.csr_matrix  # items x items, cosine, no diagonal


def _fit(history: pd.DataFrame, neighbours: int) -> _Fitted:
    customer_codes, customers = pd.factorize(history["customer_id"])
    item_codes, items = pd.factorize(history["item"])
    weights = sparse.csr_matrix((history["weight"].to_numpy(), (customer_codes, item_codes)), shape=(len(customers), len(items)))
    bought = weights.copy()
    bought.data[:] = 1.0
    co = (bought.T @ bought).tocsr().astype(float)
    norms = np.sqrt(co.diagonal())
    norms[norms == 0] = 1.0
    scale = sparse.diags(1 / norms)
    similarity = (scale @ co @ scale).tolil()
    similarity.setdiag(0)
    similarity = similarity.tocsr()
    similarity.eliminate_zeros()
    if neighbours and len(items) > neighbours:  # keep each item's strongest neighbours
        rows = []
        for i in range(similarity.shape[0]):
            start, end = similarity.indptr[i], similarity.indptr[i + 1]
            keep = np.argsort(-similarity.data[start:end])[:neighbours]
            rows.append((np.full(len(keep), i), similarity.indices[start:end][keep], similarity.data[start:end][keep]))
        r, c, v = (np.concatenate(parts) if parts else np.array([]) for parts in zip(*rows)) if rows else ([], [], [])
        similarity = sparse.csr_matrix((v, (r, c)), shape=similarity.shape)
    return _Fitted(customers, items, weights, similarity)


def recommend(
    purchases: Any,
    customer_id_col: str,
    datetime_col: str,
    item_col: str,
    k: int = 3,
    as_of=None,
    own_weight: float = 1.0,
    half_life_days: float = 180.0,
    neighbours: int = 50,
) -> pd.DataFrame:
    """Top `k` items per customer with a purchase before `as_of`: columns customer, rank (1 = best), item, score.

    score = own_weight x the customer's recency-weighted history of the item (normalised to their
    total) + the similarity of the item to everything they bought, weighted the same way.
    """
    if not isinstance(k, int) or k < 1:
        raise AnalyticsError(f"k must be a whole number, at least 1, not {k!r}")
    history = _history(purchases, customer_id_col, datetime_col, item_col, eng.as_datetime(as_of, "as_of"), half_life_days)
    if history.empty:
        return pd.DataFrame(columns=[customer_id_col, "rank", "item", "score"])
    fitted = _fit(history, neighbours)
    totals = np.asarray(fitted.history.sum(axis=1)).ravel()
    totals[totals == 0] = 1.0
    profile = sparse.diags(1 / totals) @ fitted.history
    scores = (profile @ fitted.similarity) + own_weight * profile
    return _top(scores, fitted, k, customer_id_col)


def _top(scores, fitted: _Fitted, k: int, customer_id_col: str) -> pd.DataFrame:
    customers, ranks, items, values = [], [], [], []
    scores = scores.tocsr()
    take = min(k, scores.shape[1])
    step = max(1, 20_000_000 // max(scores.shape[1], 1))  # rows per dense block: about 160 MB at most
    for start in range(0, scores.shape[0], step):
        block = scores[start:start + step].toarray()
        top = np.argpartition(-block, take - 1, axis=1)[:, :take]
        top_scores = np.take_along_axis(block, top, axis=1)
        order = np.argsort(-top_scores, axis=1, kind="stable")
        top, top_scores = np.take_along_axis(top, order, axis=1), np.take_along_axis(top_scores, order, axis=1)
        rows = np.repeat(np.arange(start, start + block.shape[0]), take)
        keep = top_scores.ravel() > 0
        customers.append(fitted.customers[rows[keep]])
        ranks.append(np.tile(np.arange(1, take + 1), block.shape[0])[keep])
        items.append(fitted.items[top.ravel()[keep]])
        values.append(top_scores.ravel()[keep])
    return pd.DataFrame({customer_id_col: np.concatenate(customers), "rank": np.concatenate(ranks),
                         "item": np.concatenate(items), "score": np.concatenate(values)})


def hit_rate(purchases: Any, customer_id_col: str, datetime_col: str, item_col: str, cutoff, horizon_days: int = 90,
             k: int = 3, **options) -> dict:
    """Share of the customers who bought in [cutoff, cutoff + horizon) whose top k (from history before
    the cutoff) held something they then bought; beside the same for the k most popular items."""
    when = eng.as_datetime(cutoff, "cutoff")
    purchases = frames.materialize(purchases)
    d = eng.dialect("duckdb")
    schema = frames.arrow_schema(purchases)
    ts = frames.time_expression(schema, datetime_col, None)
    cid, item = frames.quote(customer_id_col), frames.quote(item_col)
    later = eng.run("duckdb", (
        f"SELECT DISTINCT {cid} AS customer_id, CAST({item} AS VARCHAR) AS item FROM purchases "
        f"WHERE {ts} >= {d.timestamp(when)} AND {ts} < {d.timestamp(when + dt.timedelta(days=horizon_days))}"), {"purchases": purchases})
    picks = recommend(purchases, customer_id_col, datetime_col, item_col, k=k, as_of=when, **options)
    known = set(picks[customer_id_col])
    later = later[later["customer_id"].isin(known)]
    if later.empty:
        raise AnalyticsError(f"no customer with history before {when:%Y-%m-%d} bought in the {horizon_days} days after it")
    bought = later.groupby("customer_id")["item"].apply(set)
    chosen = picks.groupby(customer_id_col)["item"].apply(set)
    hits = np.mean([bool(bought[c] & chosen.get(c, set())) for c in bought.index])
    popular = eng.run("duckdb", (
        f"SELECT CAST({item} AS VARCHAR) AS item, COUNT(DISTINCT {cid}) AS n FROM purchases WHERE {ts} < {d.timestamp(when)} "
        f"GROUP BY 1 ORDER BY n DESC, item LIMIT {int(k)}"), {"purchases": purchases})["item"]
    baseline = np.mean([bool(bought[c] & set(popular)) for c in bought.index])
    return {"customers": int(len(bought)), "k": k, "hit_rate": float(hits), "popular_hit_rate": float(baseline)}
