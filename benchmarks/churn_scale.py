"""The churn backtest and next best offers on 1M customers, beside the BG/NBD baseline and the most
popular items, in the same run.

    python benchmarks/churn_scale.py [--customers 1000000] [--categories 20]

The shop is simulated so that there is something to find: 1M customers join over two years and buy
as a BG/NBD process in days with the CDNOW estimates (r 0.243, alpha 30.9 days, a 0.793, b 2.426),
each from 20 categories after a taste of their own (Dirichlet, concentration 0.3), spending Gamma
amounts. Timed as a user runs them, from the Parquet file: `backtest` (features at two cut-offs,
labels, training the classifier, scoring, the BG/NBD baseline, calibration and lift) and `hit_rate`
(history before the cut-off, item-to-item similarities, the top 3 per customer, against the
purchases of the next 90 days). Peak memory is the process's resident maximum.
"""

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path

import numpy as np
import pandas as pd

from patron.analytics.churn import backtest
from patron.analytics.recommend import hit_rate

OUT = Path(__file__).parent / "out"
START = dt.datetime(2024, 1, 1)
DAYS = 730


def simulate(customers: int, categories: int, seed: int = 7) -> Path:
    path = OUT / f"churn_{customers}_{categories}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.243, 1 / 30.9, customers)  # purchases per day while active
    drop = rng.beta(0.793, 2.426, customers)
    taste = rng.dirichlet(np.full(categories, 0.3), customers).cumsum(axis=1)
    clock = rng.uniform(0, DAYS, customers)  # the first purchase
    who, when = [np.arange(customers)], [clock.copy()]
    active = np.arange(customers)
    while len(active):
        active = active[rng.random(len(active)) >= drop[active]]  # dropped out after the last purchase
        clock[active] += rng.exponential(1 / rate[active])
        active = active[clock[active] < DAYS]
        who.append(active)
        when.append(clock[active].copy())
    who, when = np.concatenate(who), np.concatenate(when)
    pick = rng.random(len(who))
    category = np.empty(len(who), dtype=np.int64)
    for start in range(0, len(who), 1_000_000):  # in slices: rows x categories of comparisons at once
        part = slice(start, start + 1_000_000)
        category[part] = (pick[part, None] > taste[who[part]]).sum(axis=1)
    frame = pd.DataFrame({
        "customer_id": who, "placed_at": pd.Timestamp(START) + pd.to_timedelta(when, unit="D"),
        "total": np.round(rng.gamma(6.25, 15.44 / 3.74, len(who)), 2),
        "category": np.char.add("category-", np.minimum(category, categories - 1).astype(str)),
    })
    OUT.mkdir(exist_ok=True)
    frame.to_parquet(path)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--categories", type=int, default=20)
    args = parser.parse_args()
    path = simulate(args.customers, args.categories)
    rows = len(pd.read_parquet(path, columns=["customer_id"]))
    report = {"customers": args.customers, "purchases": rows}
    cutoff = (START + dt.timedelta(days=DAYS - 90)).date()

    start = time.perf_counter()
    result = backtest(str(path), "customer_id", "placed_at", "total", cutoff, horizon_days=90)
    shown = result.as_dict()
    report["backtest"] = {
        "seconds": round(time.perf_counter() - start, 1),
        **{key: value for key, value in shown.items() if key not in ("cutoff", "calibration", "lift")},
        "top_decile_lift": shown["lift"][0]["lift"], "baseline_top_decile_lift": shown["lift"][0]["baseline_lift"],
    }
    start = time.perf_counter()
    hits = hit_rate(str(path), "customer_id", "placed_at", "category", cutoff, horizon_days=90, k=3)
    report["next_best_offer"] = {"seconds": round(time.perf_counter() - start, 1), **hits}
    report["peak_memory_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
