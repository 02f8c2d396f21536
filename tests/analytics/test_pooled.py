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


def _spending(rng, per_arm: int, rate: float, mu: float, sigma: float) -> tuple[tuple[int, int], np.ndarray]:
    converted = int(rng.binomial(per_arm, rate))
    return (per_arm, converted), rng.lognormal(mu, sigma, converted)


def test_revenue_per_recipient_intervals_cover_the_truth_with_heavy_tailed_spend():
    # Spend log-normal with sigma 1.2: a few orders are ten times the typical one.
    truth = {"a": (0.08, 3.5), "b": (0.10, 3.6)}
    true_rpr = {arm: rate * np.exp(mu + 1.2 ** 2 / 2) for arm, (rate, mu) in truth.items()}
    rng = np.random.default_rng(11)
    covered = 0
    runs = 120
    for run in range(runs):
        arms, spend = {}, {}
        for arm, (rate, mu) in truth.items():
            arms[arm], spend[arm] = _spending(rng, 1500, rate, mu, 1.2)
        row = compare([arms], [("b", "a")], level=0.90, seed=run, draws=4000, spend=spend)["comparisons"][0]["revenue"]
        covered += row["low"] <= true_rpr["b"] - true_rpr["a"] <= row["high"]
    assert 0.84 <= covered / runs <= 0.97, covered / runs


def test_one_very_large_order_moves_the_estimate_far_less_than_the_plain_mean():
    rng = np.random.default_rng(5)
    spend = {"a": rng.lognormal(3.5, 0.8, 40), "b": np.append(rng.lognormal(3.5, 0.8, 39), 20_000.0)}
    result = compare([{"a": (500, 40), "b": (500, 40)}], [("b", "a")], spend=spend)
    plain = spend["b"].sum() / 500  # 43 per recipient, 16 times a's
    b, a = result["rates"]["b"]["revenue_per_recipient"], result["rates"]["a"]["revenue_per_recipient"]
    assert b < plain / 4 and a < b < 4 * a
    with pytest.raises(AnalyticsError, match="above zero"):
        compare([{"a": (5, 1)}], [], spend={"a": np.array([-3.0])})


def test_cells_by_month_combine_into_a_whole_that_borrows_from_each_month():
    months = {"t-09": (400, 48), "t-10": (400, 52), "t-11": (60, 3)}
    controls = {"c-09": (400, 40), "c-10": (400, 38), "c-11": (60, 2)}
    result = compare([months, controls], [("t", "c"), ("t-11", "c-11")],
                     combine={"t": list(months), "c": list(controls)})
    assert result["rates"]["t"]["recipients"] == 860
    whole, latest = result["comparisons"]
    assert whole["high"] - whole["low"] < latest["high"] - latest["low"]  # the whole knows more than its last month
    assert 0.10 < result["rates"]["t-11"]["posterior_mean"] < 0.13  # the small month is pulled towards the others' 12 %
    with pytest.raises(AnalyticsError, match="new name"):
        compare([months], [], combine={"t": ["nope"]})


def test_with_three_variants_the_winner_is_the_one_likely_best_of_all():
    arms = {"A": (3000, 300), "B": (3000, 390), "C": (3000, 400)}
    result = compare([arms], [], rank=list(arms))
    best = result["best"]
    assert abs(sum(row["probability_best"] for row in best.values()) - 1) < 1e-9
    assert best["A"]["probability_best"] < 0.01 and best["A"]["expected_loss"] > 0.02
    assert winner(result, threshold=0.95, minimum=100) is None  # B and C are too close to call
    clear = compare([{"A": (3000, 300), "B": (3000, 330), "C": (3000, 450)}], [], rank=["A", "B", "C"])
    assert winner(clear, threshold=0.95, minimum=100) == "C"
    assert winner(clear, threshold=0.95, minimum=5000) is None
