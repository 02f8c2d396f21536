"""The pooled conversion estimates (analytics.pooled), checked where the truth is known: simulated journeys with true
uplifts of 0, 2 and 5 points on a 10 % base. Pure functions: no database."""

import numpy as np
import pytest

from patron.analytics import AnalyticsError
from patron.analytics.pooled import compare, winner

TRUE = {"j0": (0.10, 0.10), "j2": (0.10, 0.12), "j5": (0.10, 0.15)}  # (control rate, treated rate)
PAIRS = [(f"{name}-treated", f"{name}-control") for name in TRUE]


def _simulate(rng, per_arm: int) -> list[dict]:
    controls = {f"{name}-control": (per_arm, int(rng.binomial(per_arm, c))) for name, (c, _t) in TRUE.items()}
    treated = {f"{name}-treated": (per_arm, int(rng.binomial(per_arm, t))) for name, (_c, t) in TRUE.items()}
    return [controls, treated]


def test_the_90_percent_intervals_cover_the_true_uplifts_about_90_percent_of_the_time():
    rng = np.random.default_rng(7)
    covered, total = 0, 0
    for run in range(150):
        result = compare(_simulate(rng, 2000), PAIRS, level=0.90, seed=run, draws=4000)
        for row in result["comparisons"]:
            control, treated = TRUE[row["arm"].split("-")[0]]
            covered += row["low"] <= treated - control <= row["high"]
            total += 1
    assert 0.85 <= covered / total <= 0.95, covered / total


def test_a_clear_uplift_is_called_better_and_no_uplift_is_not_claimed():
    rng = np.random.default_rng(3)
    result = compare(_simulate(rng, 2000), PAIRS, seed=1)
    by_arm = {row["arm"]: row for row in result["comparisons"]}
    assert by_arm["j5-treated"]["probability_better"] > 0.99 and by_arm["j5-treated"]["expected_loss"] < 0.001
    assert by_arm["j0-treated"]["probability_better"] < 0.99
    assert winner(result, threshold=0.99, minimum=500) in ("j5-treated", "j2-treated")
    assert winner(result, minimum=5000) is None  # not before the minimum sample


def test_a_small_arm_borrows_strength_and_bad_counts_are_refused():
    pools = [{"a": (5000, 500), "b": (5000, 520), "tiny": (12, 6)}]
    result = compare(pools, [("tiny", "a")])
    assert result["rates"]["tiny"]["posterior_mean"] < 0.3  # pulled towards the others' 10 %, far from its own 50 %
    with pytest.raises(AnalyticsError, match="between 0 and the recipients"):
        compare([{"x": (10, 11)}], [])
    with pytest.raises(AnalyticsError, match="no arm 'y'"):
        compare([{"x": (10, 1)}], [("x", "y")])
