"""Decisions on small lists: the pooled model (analytics.pooled) against the two-proportion z-test, where the truth
is known.

1. Coverage: three journeys of 2,000 customers each (`--per-arm` 1,000 treated and 1,000 held out), true uplifts of
   0, 2 and 5 points on a 10 % base, simulated many times: how often each method's 90 % interval holds the true
   uplift, and how wide it is. The anchor is the interval the journey report prints (Newcombe's, analytics.uplift).
2. Recipients to a decision: two variants (A/B) of a message, looked at every `--step` recipients per variant up to
   `--max`. The pooled rule picks a variant once it is the best with probability `--threshold`, every variant having
   `--minimum` recipients (the journey's automatic winner). The anchor is the z-test looked at on the same schedule,
   its critical value set by simulation so that its error rate under no difference (A/A: any winner declared is an
   error) equals the pooled rule's; the same z-test at 1.96 (peeking); and the fixed-horizon z-test at 5 % with 80 %
   power, looked at once.

    .venv/bin/python benchmarks/pooled_decisions.py --runs 400
"""

import argparse
import json
import time

import numpy as np
from scipy import stats

from patron.analytics.pooled import compare, winner
from patron.analytics.uplift import proportion_difference

TRUE = {"j0": (0.10, 0.10), "j2": (0.10, 0.12), "j5": (0.10, 0.15)}


def coverage(runs: int, per_arm: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    hits = {"pooled": 0, "newcombe": 0}
    widths = {"pooled": [], "newcombe": []}
    started = time.perf_counter()
    fits = 0
    for run in range(runs):
        counts = {name: (int(rng.binomial(per_arm, c)), int(rng.binomial(per_arm, t))) for name, (c, t) in TRUE.items()}
        pools = [{f"{n}-control": (per_arm, x[0]) for n, x in counts.items()},
                 {f"{n}-treated": (per_arm, x[1]) for n, x in counts.items()}]
        result = compare(pools, [(f"{n}-treated", f"{n}-control") for n in TRUE], level=0.90, seed=run, draws=4000)
        fits += 1
        for row in result["comparisons"]:
            name = row["arm"].split("-")[0]
            truth = TRUE[name][1] - TRUE[name][0]
            hits["pooled"] += row["low"] <= truth <= row["high"]
            widths["pooled"].append(row["high"] - row["low"])
            x0, x1 = counts[name]
            n = proportion_difference(x1, per_arm, x0, per_arm, level=0.90)
            hits["newcombe"] += n["low"] <= truth <= n["high"]
            widths["newcombe"].append(n["high"] - n["low"])
    elapsed = time.perf_counter() - started
    total = runs * len(TRUE)
    return {"runs": runs, "per_arm": per_arm, "ms_per_fit": round(1000 * elapsed / fits, 1),
            **{f"{m}_coverage": round(hits[m] / total, 3) for m in hits},
            **{f"{m}_mean_width_pp": round(100 * float(np.mean(widths[m])), 2) for m in widths}}


def _paths(rng, runs: int, rates: tuple[float, float], looks: np.ndarray) -> np.ndarray:
    """Cumulative conversions at each look, shape (runs, looks, 2)."""
    step = np.diff(np.concatenate([[0], looks]))
    return np.stack([rng.binomial(step[None, :], rate, size=(runs, len(looks))).cumsum(axis=1) for rate in rates], axis=-1)


def _pooled(paths: np.ndarray, looks: np.ndarray, threshold: float, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    """(recipients per variant at the decision or the last look, the pick: 0 A, 1 B, -1 none)."""
    n_at = np.full(len(paths), looks[-1])
    pick = np.full(len(paths), -1)
    for run, path in enumerate(paths):
        for k, n in enumerate(looks):
            if n < minimum:
                continue
            arms = {"A": (int(n), int(path[k, 0])), "B": (int(n), int(path[k, 1]))}
            chosen = winner(compare([arms], [("B", "A"), ("A", "B")], seed=run * 1000 + k, draws=4000),
                            threshold=threshold, minimum=minimum)
            if chosen:
                n_at[run], pick[run] = n, "AB".index(chosen)
                break
    return n_at, pick


def _z(paths: np.ndarray, looks: np.ndarray) -> np.ndarray:
    n = looks[None, :].astype(float)
    p = paths / n[..., None]
    pooled = (paths[..., 0] + paths[..., 1]) / (2 * n)
    se = np.sqrt(np.maximum(pooled * (1 - pooled) * 2 / n, 1e-12))
    return (p[..., 1] - p[..., 0]) / se


def _sequential_z(z: np.ndarray, looks: np.ndarray, critical: float, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    allowed = looks >= minimum
    crossed = (np.abs(z) >= critical) & allowed[None, :]
    first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
    n_at = np.where(first >= 0, looks[np.maximum(first, 0)], looks[-1])
    sign = np.sign(z[np.arange(len(z)), np.maximum(first, 0)])
    pick = np.where(first >= 0, (sign > 0).astype(int), -1)
    return n_at, pick


def decisions(runs: int, base: float, lift: float, step: int, most: int, threshold: float, minimum: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    looks = np.arange(step, most + 1, step)
    null = _paths(rng, runs, (base, base), looks)
    alternative = _paths(rng, runs, (base, base + lift), looks)
    started = time.perf_counter()
    null_n, null_pick = _pooled(null, looks, threshold, minimum)
    alt_n, alt_pick = _pooled(alternative, looks, threshold, minimum)
    pooled_seconds = time.perf_counter() - started
    error_aa = float((null_pick >= 0).mean())
    # The z-test's critical value giving the same error under A/A on the same looks (at least 1.96, never laxer).
    z_null = np.abs(_z(null, looks))[:, looks >= minimum].max(axis=1)
    critical = max(float(np.quantile(z_null, 1 - error_aa)), 1.0)
    zn_null, zp_null = _sequential_z(_z(null, looks), looks, critical, minimum)
    zn_alt, zp_alt = _sequential_z(_z(alternative, looks), looks, critical, minimum)
    # The z-test at 1.96 looked at on the same schedule: what checking a dashboard every day does to it.
    pn_null, pp_null = _sequential_z(_z(null, looks), looks, 1.96, minimum)
    pn_alt, pp_alt = _sequential_z(_z(alternative, looks), looks, 1.96, minimum)
    # Fixed horizon: n per variant for 5 % two-sided and 80 % power, looked at once.
    p1, p2 = base, base + lift
    fixed = int(np.ceil((stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / lift ** 2))
    fixed_z = _z(_paths(rng, runs, (p1, p2), np.array([fixed])), np.array([fixed]))[:, 0]

    def summary(n_at, pick_alt, pick_null):
        decided = pick_alt >= 0
        return {"error_aa": round(float((pick_null >= 0).mean()), 3),
                "wrong_pick_ab": round(float((pick_alt == 0).mean()), 3),
                "right_pick_ab": round(float((pick_alt == 1).mean()), 3),
                "mean_recipients_per_variant_ab": round(float(n_at.mean()), 0),
                "median_recipients_when_right": float(np.median(n_at[pick_alt == 1])) if (pick_alt == 1).any() else None,
                "undecided_ab": round(float((~decided).mean()), 3)}

    return {"runs": runs, "rates": [p1, p2], "looks_every": step, "max_per_variant": most, "threshold": threshold,
            "minimum": minimum, "pooled": summary(alt_n, alt_pick, null_pick),
            "z_same_looks": {"critical_z": round(critical, 3), **summary(zn_alt, zp_alt, zp_null)},
            "z_peeking_at_1_96": summary(pn_alt, pp_alt, pp_null),
            "z_fixed_horizon": {"recipients_per_variant": fixed, "right_pick_ab": round(float((fixed_z >= 1.96).mean()), 3),
                                "wrong_pick_ab": round(float((fixed_z <= -1.96).mean()), 3), "error_aa": 0.05},
            "pooled_seconds": round(pooled_seconds, 1), "null_pooled_n_mean": round(float(null_n.mean()), 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--per-arm", type=int, default=1000, help="coverage: recipients per arm (treated, held out)")
    parser.add_argument("--base", type=float, default=0.10)
    parser.add_argument("--lift", type=float, default=0.03)
    parser.add_argument("--step", type=int, default=100)
    parser.add_argument("--max", type=int, default=3000)
    parser.add_argument("--threshold", type=float, default=0.95)
    parser.add_argument("--minimum", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    out = {"coverage": coverage(args.runs, args.per_arm, args.seed),
           "decisions": decisions(args.runs, args.base, args.lift, args.step, args.max, args.threshold, args.minimum,
                                  args.seed + 1)}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
