"""Fitting and scoring on 1M customers: Patron's models against lifetimes, in the same run.

    python benchmarks/models_scale.py [--lifetimes-python /path/to/python-with-lifetimes]

The customers are 1M histories drawn from a BG/NBD process in days with the CDNOW estimates
(r 0.243, alpha 30.9 days, a 0.793, b 2.426; ages up to two years) and Gamma-Gamma spend (p 6.25,
q 3.74, v 15.44), summarised as whole days: what a daily rfm_summary of a real shop looks like. Timed: the BG/NBD fit; the Gamma-Gamma fit plus a 12-month CLV of the repeat buyers;
scoring every customer (P(alive), expected purchases in 90 and 365 days, CLV). lifetimes 0.11.3
runs in an interpreter of its own (it pins old libraries), on the same summary file, timed around
each call; its parameters are compared with Patron's. Every figure is the best of --runs (3) runs.
"""

import argparse
import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

from patron.analytics.models import BetaGeo, GammaGamma  # noqa: E402

LIFETIMES = """
import json, sys, time, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
s = pd.read_parquet(sys.argv[1])
out = {"bgnbd_fit_s": 1e9, "gg_clv_s": 1e9, "score_s": 1e9}
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    bg = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
    out["bgnbd_fit_s"] = min(out["bgnbd_fit_s"], time.perf_counter() - start)
out["bgnbd"] = {k: float(v) for k, v in bg.params_.items()}
repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    clv = gg.customer_lifetime_value(bg, repeat["frequency"], repeat["recency"], repeat["T"], repeat["monetary_value"], time=12, discount_rate=0.01, freq=sys.argv[3])
    out["gg_clv_s"] = min(out["gg_clv_s"], time.perf_counter() - start)
out["gg"] = {k: float(v) for k, v in gg.params_.items()}
out["clv_sum"] = float(clv.sum())
out["repeat_buyers"] = len(repeat)
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    alive = bg.conditional_probability_alive(s["frequency"], s["recency"], s["T"])
    e90 = bg.conditional_expected_number_of_purchases_up_to_time(90, s["frequency"], s["recency"], s["T"])
    out["score_s"] = min(out["score_s"], time.perf_counter() - start)
print(json.dumps(out))
"""


def simulate(customers: int, seed: int = 7, weeks: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.243, 1 / 30.9, customers)
    drop = rng.beta(0.793, 2.426, customers)
    age = rng.uniform(1, 730, customers)
    count, last, clock = np.zeros(customers), np.zeros(customers), np.zeros(customers)
    alive = np.ones(customers, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        clock[idx] += rng.exponential(1 / np.maximum(rate[idx], 1e-12))
        bought = clock[idx] <= age[idx]
        done = idx[~bought]
        alive[done] = False
        buyers = idx[bought]
        count[buyers] += 1
        last[buyers] = clock[buyers]
        alive[buyers[rng.random(len(buyers)) < drop[buyers]]] = False
    nu = rng.gamma(3.74, 1 / 15.44, customers)
    spend = np.where(count > 0, rng.gamma(6.25 * np.maximum(count, 1), 1 / nu) / np.maximum(count, 1), 0.0)
    if weeks:  # times to two decimals of a week: few rows repeat (about 420k distinct of 1M)
        T = np.round(age / 7, 2)
        return pd.DataFrame({"frequency": count, "recency": np.minimum(np.round(last / 7, 2), T), "T": T,
                             "monetary_value": np.round(spend, 2)})
    T = np.floor(age)
    return pd.DataFrame({"frequency": count, "recency": np.minimum(np.floor(last), T), "T": T, "monetary_value": np.round(spend, 2)})


def load_summary(weeks: bool) -> tuple[Path, pd.DataFrame, dict]:
    """The 1M customers (drawn once, then kept under out/), and the report's first lines: how many, how many distinct."""
    path = Path(__file__).parent / "out" / f"bgnbd_customers_1m{'_weeks' if weeks else ''}.parquet"
    if not path.exists():
        path.parent.mkdir(exist_ok=True)
        simulate(1_000_000, weeks=weeks).to_parquet(path)
    s = pd.read_parquet(path)
    return path, s, {"customers": len(s), "distinct_rows": len(s[["frequency", "recency", "T"]].drop_duplicates())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifetimes-python")
    parser.add_argument("--runs", type=int, default=3, help="each figure is the best of this many runs, for both")
    parser.add_argument("--weeks", action="store_true", help="times to two decimals of a week instead of whole days")
    args = parser.parse_args()
    summary_path, s, report = load_summary(args.weeks)

    def best(fn):
        times, result = [], None
        for _ in range(args.runs):
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        return round(min(times), 3), result

    unit = 7 if args.weeks else 1
    report["bgnbd_fit_s"], bg = best(lambda: BetaGeo().fit(summary=s))
    report["bgnbd"] = {k: round(v, 5) for k, v in bg.params.items()}

    repeat = s[(s["frequency"] > 0) & (s["monetary_value"] > 0)]
    def spend():
        model = GammaGamma().fit(summary=repeat)
        return model, model.clv(bg, repeat["frequency"], repeat["recency"], repeat["T"], repeat["monetary_value"], months=12, discount_rate=0.01,
                                 time_unit_days=unit)

    report["gg_clv_s"], (gg, clv) = best(spend)
    report["gg"] = {k: round(v, 5) for k, v in gg.params.items()}
    report["repeat_buyers"] = len(repeat)
    report["clv_sum"] = round(float(clv.sum()), 2)

    x, t, T, m = (s[c].to_numpy() for c in ("frequency", "recency", "T", "monetary_value"))

    def score():
        bg.probability_alive(x, t, T)
        bg.expected_purchases_at([90, 365], x, t, T)
        gg.clv(bg, x, t, T, m, months=12, discount_rate=0.01, time_unit_days=unit)

    report["score_1m_s"], _ = best(score)

    if args.lifetimes_python:
        done = subprocess.run([args.lifetimes_python, "-c", LIFETIMES, str(summary_path), str(args.runs), "W" if args.weeks else "D"],
                              capture_output=True, text=True)
        if done.returncode:
            report["lifetimes_error"] = done.stderr.strip().splitlines()[-1]
        else:
            theirs = json.loads(done.stdout)
            report["lifetimes"] = theirs
            report["bgnbd_speedup"] = round(theirs["bgnbd_fit_s"] / report["bgnbd_fit_s"], 1)
            report["gg_clv_speedup"] = round(theirs["gg_clv_s"] / report["gg_clv_s"], 1)
            report["bgnbd_max_param_difference"] = max(abs(theirs["bgnbd"][k] - bg.params[k]) for k in bg.params)
            report["gg_max_param_difference"] = max(abs(theirs["gg"][k] - gg.params[k]) for k in gg.params)
            report["clv_sum_relative_difference"] = abs(theirs["clv_sum"] - float(clv.sum())) / abs(theirs["clv_sum"])
    print(json.dumps(report, indent=2, default=float))


if __name__ == "__main__":
    main()
