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
"""

from __future__ import annotations

import numpy as np
from scipy import special

from patron.analytics.frames import AnalyticsError

DRAWS = 20_000
MU_GRID = special.expit(np.linspace(-7.0, 3.0, 81))
KAPPA_GRID = np.exp(np.linspace(np.log(1.0), np.log(1e5), 81))


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


def compare(pools: list[dict[str, tuple[int, int]]], pairs: list[tuple[str, str]], *, level: float = 0.90,
            seed: int = 0, draws: int = DRAWS) -> dict:
    """`pools`: groups of like arms, each mapping an arm's name to (recipients, conversions); names are unique across
    pools. For each (arm, against) in `pairs`: the posterior difference of rates (arm minus against) with its
    central `level` interval, the probability the arm is better, and the expected loss of choosing it."""
    names = [name for pool in pools for name in pool]
    if len(names) != len(set(names)):
        raise AnalyticsError("an arm's name must be unique across the pools")
    for pool in pools:
        _check(pool)
    for pair in pairs:
        for name in pair:
            if name not in names:
                raise AnalyticsError(f"no arm {name!r} among {sorted(names)}")
    rng = np.random.default_rng(seed)
    samples: dict[str, np.ndarray] = {}
    for pool in pools:
        samples |= _pool_draws(pool, rng, draws)
    tail = (1 - level) / 2
    rows = []
    for first, second in pairs:
        d = samples[first] - samples[second]
        rows.append({"arm": first, "against": second, "difference": float(d.mean()),
                     "low": float(np.quantile(d, tail)), "high": float(np.quantile(d, 1 - tail)),
                     "probability_better": float((d > 0).mean()), "expected_loss": float(np.maximum(-d, 0).mean())})
    sizes = {name: n for pool in pools for name, (n, _x) in pool.items()}
    return {"level": level, "rates": {name: {"recipients": sizes[name], "posterior_mean": float(s.mean())}
                                      for name, s in samples.items()}, "comparisons": rows}


def winner(result: dict, *, threshold: float = 0.95, minimum: int = 100) -> str | None:
    """The arm to choose automatically: the first compared arm whose probability of being better passes `threshold`,
    both arms having at least `minimum` recipients; None while it is too early to say."""
    for row in result["comparisons"]:
        if row["probability_better"] >= threshold and min(result["rates"][row["arm"]]["recipients"],
                                                           result["rates"][row["against"]]["recipients"]) >= minimum:
            return row["arm"]
    return None
