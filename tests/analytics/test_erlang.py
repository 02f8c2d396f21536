"""MBG/CNBD-k against MBG/NBD (k = 1) and against BTYDplus's own test of it (tests/testthat/test-mbg-cnbd-k.R in
mplatzer/BTYDplus): data drawn from the model with k = 3, r = 0.85, alpha = 1.45, a = 0.79, b = 2.42 for 2,000
customers observed 12 to 96 weeks (in steps of 12) and 32 more; the fit must find k = 3 and the parameters within
10 % (R's all.equal: the mean relative difference), the expected holdout purchases and the number alive within 5 %."""

import numpy as np
import pandas as pd
import pytest

from patron.analytics import AnalyticsError, rfm_summary
from patron.analytics.models import ModelError, ModifiedBetaGeo, ModifiedBetaGeoCNBD

TRUE = {"r": 0.85, "alpha": 1.45, "a": 0.79, "b": 2.42}
MBG = {"r": 0.525, "alpha": 6.18, "a": 0.891, "b": 1.614}


def simulate(n: int = 2000, k: int = 3, params=TRUE, holdout: float = 32.0, seed: int = 1):
    """Each customer's calibration summary (with litt), holdout purchases and whether alive at the end of calibration."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(params["r"], 1 / params["alpha"], n)
    drop = rng.beta(params["a"], params["b"], n)
    T = np.round(rng.uniform(12, 96, n) / 12) * 12
    rows = []
    for i in range(n):
        now, times, alive_at_T = 0.0, [], True
        while True:
            if rng.random() < drop[i]:  # after every purchase, the first included
                alive_at_T = now > T[i]
                break
            now += rng.gamma(k, 1 / rate[i])
            if now > T[i] + holdout:
                break
            times.append(now)
        cal = [s for s in times if s <= T[i]]
        gaps = np.diff([0.0, *cal])
        rows.append({"frequency": len(cal), "recency": cal[-1] if cal else 0.0, "T": T[i], "litt": float(np.log(gaps).sum()),
                     "holdout": len(times) - len(cal), "alive": alive_at_T})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def cohort():
    return simulate()


def test_with_k_1_it_is_mbg_nbd():
    erlang, mbg = ModifiedBetaGeoCNBD(MBG, k=1), ModifiedBetaGeo(MBG)
    x, t, T = np.array([0.0, 1, 5, 20]), np.array([0.0, 10, 30, 38]), np.full(4, 38.0)
    assert erlang.probability_alive(x, t, T) == pytest.approx(mbg.probability_alive(x, t, T), rel=1e-12)
    assert erlang.expected_purchases(10, x, t, T) == pytest.approx(mbg.expected_purchases(10, x, t, T), rel=1e-12)
    # The exact unconditional expectation (a sum of incomplete beta functions) against MBG/NBD's closed form.
    assert erlang.expected_purchases_new(np.array([1.0, 10, 50, 500])) == pytest.approx(
        mbg.expected_purchases_new(np.array([1.0, 10, 50, 500])), rel=1e-9)
    data = {"frequency": x, "recency": t, "T": T, "litt": np.zeros(4)}
    params = np.array(list(MBG.values()))
    assert erlang._log_likelihood(params, data) == pytest.approx(mbg._log_likelihood(params, data), rel=1e-12)


def test_it_finds_the_regularity_and_the_parameters_as_btydplus_requires(cohort):
    model = ModifiedBetaGeoCNBD().fit(summary=cohort)
    assert model.k == 3
    found = np.array([model.params[p] for p in TRUE])
    truth = np.array(list(TRUE.values()))
    assert np.mean(np.abs(found - truth)) / np.mean(np.abs(truth)) < 0.1, model.params  # R's all.equal tolerance
    x, t, T = (cohort[c].to_numpy() for c in ("frequency", "recency", "T"))
    at_truth = ModifiedBetaGeoCNBD(TRUE, k=3)
    expected = at_truth.expected_purchases(32.0, x, t, T)
    assert abs(expected.sum() - cohort["holdout"].sum()) / cohort["holdout"].sum() < 0.05
    alive = at_truth.probability_alive(x, t, T)
    assert abs(alive.sum() - cohort["alive"].sum()) / cohort["alive"].sum() < 0.05
    assert np.all((alive >= 0) & (alive <= 1)) and np.all(expected >= 0)
    # With k fixed the fit keeps it; MBG/NBD's likelihood (k = 1) is lower on regular data.
    assert ModifiedBetaGeoCNBD(k=1).fit(summary=cohort).log_likelihood < model.log_likelihood
    assert ModifiedBetaGeoCNBD.from_dict(model.to_dict()).k == 3


def test_a_poisson_shop_gets_k_1(cohort):
    irregular = simulate(n=2000, k=1, params=MBG, seed=4)
    assert ModifiedBetaGeoCNBD().fit(summary=irregular).k == 1


def test_litt_comes_from_the_summary_and_bad_input_is_refused():
    orders = pd.DataFrame({"c": [1, 1, 1, 2, 2], "at": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-22", "2024-01-05", "2024-02-05"])})
    summary = rfm_summary(orders, "c", "at", freq="D", freq_multiplier=7, litt=True)
    assert summary["litt"].tolist() == pytest.approx([np.log(1) + np.log(2), np.log(31 / 7)])
    with pytest.raises(ModelError, match="k must be a whole number from 1 to 12"):
        ModifiedBetaGeoCNBD(k=0)
    with pytest.raises(ModelError, match="need k"):
        ModifiedBetaGeoCNBD(TRUE)
    with pytest.raises(AnalyticsError, match="litt must be a finite number"):
        ModifiedBetaGeoCNBD(k=2).fit([1, 0], [3, 0], [5, 5], [np.nan, 0])
