"""Decisions on small lists: conversion rates that pool what several journeys (or variants, or periods) say.

Pure: counts in, a dict out. A hierarchical beta-binomial in each pool of like arms (the control groups of all
journeys are one pool, their treated groups another): every arm's rate is drawn from one Beta with mean mu and
strength kappa, and mu and kappa are themselves uncertain (a flat prior on logit mu and on log kappa, integrated on a
grid rather than fixed at their best values, which would make the intervals too narrow with a handful of arms). A
small arm borrows strength from the others in its pool; a large one speaks for itself.

From posterior draws, for each (arm, against) pair: the difference of rates with its central interval, the
probability that the arm is better, and the expected loss of choosing it (the conversion given up, on average, if it
is in fact the worse). These answer "is it better, and what does being wrong cost" where a two-proportion z-test on a
few hundred recipients can only say "not significant".

Revenue per recipient is the rate times what a converter spends. Spend is heavy-tailed (most orders small, a few
large), so it is modelled as log-normal: the log of each converter's spend is normal with unknown mean and variance
(normal-inverse-gamma), each arm with its own mean and the pool's arms sharing one spread, the prior centred on the
whole pool's spend and worth one converter; the mean spend is exp(mu + sigma^2 / 2). One very large order moves
that estimate far less than it moves the plain mean of what was spent.

Pooling across time: an arm can be split into cells (a journey's treated entrants by month, each its own member of
the pool) and `combine` names the whole as the recipients-weighted mean of its cells, so this month borrows from the
months before without being taken for them.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from patron.analytics.frames import AnalyticsError

DRAWS = 20_000
MU_GRID = special.expit(np.linspace(-7.0, 3.0, 81))
KAPPA_GRID = np.exp(np.linspace(np.log(1.0), np.log(1e5), 81))
# The log-normal spread of spend is at most 3 (a standard deviation of 20 times): beyond any shop's orders, and it keeps
# exp(sigma^2 / 2) finite where a cell has one or two converters.
SIGMA2_MAX = 9.0


def _check(arms: dict[str, tuple[int, int]]) -> None:
    if not arms:
        raise AnalyticsError("pooling needs at least one arm")
    for name, (n, x) in arms.items():
        if not (isinstance(n, (int, np.integer)) and isinstance(x, (int, np.integer))) or n < 0 or x < 0 or x > n:
            raise AnalyticsError(f"arm {name!r}: conversions must be whole numbers between 0 and the recipients, not {x!r} of {n!r}")


def _pool_draws(arms: dict[str, tuple[int, int]], rng: np.random.Generator, draws: int) -> dict[str, np.ndarray]:
    """Posterior draws of each arm's rate, the pool's hyperparameters integrated over the grid."""
    n = np.array([v[0] for v in arms.values()], dtype=float)
    x = np.array([v[1] for v in arms.values()], dtype=float)
    mu, kappa = np.meshgrid(MU_GRID, KAPPA_GRID, indexing="ij")
    a, b = (mu * kappa)[..., None], ((1 - mu) * kappa)[..., None]
    loglik = np.sum(special.betaln(x + a, n - x + b) - special.betaln(a, b), axis=-1)  # every arm's marginal
    weights = np.exp(loglik - loglik.max()).ravel()
    picked = rng.choice(weights.size, size=draws, p=weights / weights.sum())
    a_draw, b_draw = (mu * kappa).ravel()[picked], ((1 - mu) * kappa).ravel()[picked]
    return {name: rng.beta(a_draw + xi, b_draw + ni - xi) for name, ni, xi in zip(arms, n, x)}


def _spend_draws(pool: dict[str, np.ndarray], rng: np.random.Generator, draws: int) -> dict[str, np.ndarray]:
    """Posterior draws of each arm's mean spend per converter under the log-normal model: each arm its own log-mean,
    the arms of a pool one spread (how far orders range is the shop's, not the variant's), the prior centred on the
    pool's log spend and worth one converter, the spread bounded by SIGMA2_MAX."""
    logs = {name: np.log(np.asarray(v, dtype=float)) for name, v in pool.items()}
    every = np.concatenate([v for v in logs.values()] or [np.zeros(0)])
    if every.size == 0:
        return {name: np.full(draws, np.nan) for name in pool}
    m0, k0, nu0 = float(every.mean()), 1.0, 2.0
    s0 = float(every.var()) if every.size > 1 and every.var() > 0 else 1.0
    means = {name: (float(y.mean()) if y.size else m0) for name, y in logs.items()}
    ss = nu0 * s0 + sum(float(((y - means[name]) ** 2).sum()) + k0 * y.size / (k0 + y.size) * (means[name] - m0) ** 2
                        for name, y in logs.items())
    sigma2 = np.minimum(ss / rng.chisquare(nu0 + every.size, draws), SIGMA2_MAX)
    out = {}
    for name, y in logs.items():
        kn = k0 + y.size
        mu = rng.normal((k0 * m0 + y.size * means[name]) / kn, np.sqrt(sigma2 / kn))
        out[name] = np.exp(mu + sigma2 / 2)
    return out


def _row(first: str, second: str, d: np.ndarray, tail: float) -> dict:
    return {"arm": first, "against": second, "difference": float(d.mean()),
            "low": float(np.quantile(d, tail)), "high": float(np.quantile(d, 1 - tail)),
            "probability_better": float((d > 0).mean()), "expected_loss": float(np.maximum(-d, 0).mean())}


def compare(pools: list[dict[str, tuple[int, int]]], pairs: list[tuple[str, str]], *, level: float = 0.90,
            seed: int = 0, draws: int = DRAWS, spend: dict[str, np.ndarray] | None = None,
            combine: dict[str, list[str]] | None = None, rank: list[str] | None = None) -> dict:
    """`pools`: groups of like arms, each mapping an arm's name to (recipients, conversions); names are unique across
    pools. For each (arm, against) in `pairs`: the posterior difference of rates (arm minus against) with its
    central `level` interval, the probability the arm is better, and the expected loss of choosing it.

    `spend` (each arm's converters' spend, every amount above zero) adds the same for revenue per recipient under
    `revenue`. `combine` names wholes made of cells ({"winback": ["winback-2026-10", "winback-2026-11"]}), which
    `pairs` may then compare. `rank` (arms or wholes, three or more variants) adds under `best` each one's probability
    of having the highest rate and the expected loss of choosing it (the rate given up against the best)."""
    names = [name for pool in pools for name in pool]
    if len(names) != len(set(names)):
        raise AnalyticsError("an arm's name must be unique across the pools")
    for pool in pools:
        _check(pool)
    combine = combine or {}
    for whole, cells in combine.items():
        if whole in names or not cells or any(cell not in names for cell in cells):
            raise AnalyticsError(f"{whole!r} must be a new name made of arms among the pools")
    for pair in [*pairs, *[(name,) for name in rank or []]]:
        for name in pair:
            if name not in names and name not in combine:
                raise AnalyticsError(f"no arm {name!r} among {sorted(names)}")
    if spend is not None:
        for name, values in spend.items():
            values = np.asarray(values, dtype=float)
            if name not in names or not np.all(np.isfinite(values)) or np.any(values <= 0):
                raise AnalyticsError(f"spend of {name!r}: every amount must be above zero, for an arm among the pools")
    rng = np.random.default_rng(seed)
    samples: dict[str, np.ndarray] = {}
    revenue: dict[str, np.ndarray] = {}
    for pool in pools:
        samples |= _pool_draws(pool, rng, draws)
        if spend is not None:
            spent = _spend_draws({name: spend.get(name, np.zeros(0)) for name in pool}, rng, draws)
            revenue |= {name: samples[name] * spent[name] for name in pool}
    sizes = {name: n for pool in pools for name, (n, _x) in pool.items()}
    for whole, cells in combine.items():
        weights = np.array([sizes[cell] for cell in cells], dtype=float)
        weights = weights / weights.sum() if weights.sum() else np.full(len(cells), 1 / len(cells))
        samples[whole] = sum(w * samples[cell] for w, cell in zip(weights, cells))
        if spend is not None:
            revenue[whole] = sum(w * revenue[cell] for w, cell in zip(weights, cells))
        sizes[whole] = sum(sizes[cell] for cell in cells)
    tail = (1 - level) / 2
    rows = []
    for first, second in pairs:
        row = _row(first, second, samples[first] - samples[second], tail)
        if spend is not None:
            d = revenue[first] - revenue[second]  # not known where neither pool has a converter yet
            row["revenue"] = _row(first, second, d, tail) if np.isfinite(d).all() else None
        rows.append(row)
    rates = {name: {"recipients": sizes[name], "posterior_mean": float(s.mean())} for name, s in samples.items()}
    for name, r in revenue.items():
        rates[name]["revenue_per_recipient"] = float(np.nanmean(r)) if np.isfinite(r).any() else None
    result = {"level": level, "rates": rates, "comparisons": rows}
    if rank:
        stacked = np.stack([samples[name] for name in rank])
        top = stacked.max(axis=0)
        result["best"] = {name: {"probability_best": float((stacked.argmax(axis=0) == i).mean()),
                                 "expected_loss": float((top - stacked[i]).mean())} for i, name in enumerate(rank)}
    return result


def winner(result: dict, *, threshold: float = 0.95, minimum: int = 100) -> str | None:
    """The arm to choose automatically: the first compared arm whose probability of being better passes `threshold`,
    both arms having at least `minimum` recipients (with `rank`: the arm whose probability of being the best passes
    it, every ranked arm having the minimum); None while it is too early to say."""
    if "best" in result:
        if min(result["rates"][name]["recipients"] for name in result["best"]) < minimum:
            return None
        return next((name for name, row in result["best"].items() if row["probability_best"] >= threshold), None)
    for row in result["comparisons"]:
        if row["probability_better"] >= threshold and min(result["rates"][row["arm"]]["recipients"],
                                                           result["rates"][row["against"]]["recipients"]) >= minimum:
            return row["arm"]
    return None
