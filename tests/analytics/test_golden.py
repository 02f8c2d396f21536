"""The peers' own expectations, ported with their sources, on the CDNOW sample's calibration summary (weeks).

- lifetimes, tests/test_estimation.py (CamDavidsonPilon/lifetimes): Hardie's Excel values for BG/NBD, P(alive)
  limits, the Pareto/NBD A0 overflow case, and rescaled time.
- CLVTools, tests/testthat/test_correctness_bgnbd.R and test_correctness_pnbd.R (bachmannpatrick/CLVTools): their
  estimates, log-likelihoods and standard errors, and P(alive) for heavy buyers that once gave NaN.
- BTYDplus's own MBG/CNBD-k test is tests/analytics/test_erlang.py.
"""

import numpy as np
import pandas as pd
import pytest

from patron.analytics.models import BetaGeo, ModifiedBetaGeo, ParetoNBD
from tests.analytics.conftest import CDNOW


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


@pytest.fixture(scope="module")
def fitted(summary):
    return {kind: kind().fit(summary=summary) for kind in (BetaGeo, ModifiedBetaGeo, ParetoNBD)}


# -- lifetimes ---------------------------------------------------------------------------------------------------
def test_lifetimes_bg_nbd_matches_hardies_excel_sheet(fitted):
    bg = fitted[BetaGeo]
    assert abs(bg.expected_purchases(39, 2, 30.43, 38.86) - 1.226) < 0.001
    times = np.array([0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00])
    assert bg.expected_purchases_new(times) == pytest.approx([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], abs=1.5e-3)
    # MBG/NBD against the same sheet, to lifetimes' looser tolerances.
    mbg = fitted[ModifiedBetaGeo]
    assert abs(mbg.expected_purchases(39, 2, 30.43, 38.86) - 1.226) < 0.05
    assert mbg.expected_purchases_new(times) == pytest.approx([0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], rel=0.05)


def test_lifetimes_probability_alive_limits(fitted):
    assert fitted[BetaGeo].probability_alive(0, 0, 1) == 1.0  # BG/NBD: no repeat purchase, no chance to drop out
    assert fitted[ModifiedBetaGeo].probability_alive(0, 0, 1) < 1.0  # MBG/NBD may drop out after the first
    grid = np.array([(x, t, T) for x in range(0, 100, 10) for t in range(0, 100, 10) for T in range(t, 100, 10)
                     if x or not t], dtype=float)  # lifetimes' grid, where a history is possible
    for model in fitted.values():
        alive = model.probability_alive(grid[:, 0], grid[:, 1], grid[:, 2])
        assert np.all((alive >= 0) & (alive <= 1)), type(model).__name__


def test_lifetimes_pareto_nbd_a0_does_not_overflow():
    params = np.array([10.465, 7.98565181e-03, 3.0516, 2.820])
    log_a0 = ParetoNBD._log_a0(params, np.array([400.0, 500.0, 500.0]), np.array([5.0, 1.0, 4.0]), np.array([6.0, 37.0, 37.0]))
    assert np.all(np.isfinite(log_a0)) and np.all(log_a0 < 0)


def test_lifetimes_rescaled_time_gives_the_same_probabilities(summary, fitted):
    scaled = BetaGeo().fit(summary["frequency"], 10 * summary["recency"], 10 * summary["T"])
    bg = fitted[BetaGeo]
    assert abs(scaled.probability_alive(1, 10, 20) - bg.probability_alive(1, 1, 2)) < 1e-4
    assert abs(scaled.probability_alive(1, 20, 100) - bg.probability_alive(1, 2, 10)) < 1e-4


# -- CLVTools ----------------------------------------------------------------------------------------------------
def test_clvtools_bg_nbd_estimates(fitted):
    bg = fitted[BetaGeo]
    assert bg.params == pytest.approx({"r": 0.2425945, "alpha": 4.4136019, "a": 0.7929199, "b": 2.4258881}, rel=1e-4)
    # CLVTools builds its summary from the dates; this one has T rounded to two decimals: 0.0034 apart.
    assert bg.log_likelihood == pytest.approx(-9582.429, abs=0.005)


def test_clvtools_pareto_nbd_estimates_and_standard_errors(fitted):
    pareto = fitted[ParetoNBD]
    assert pareto.params == pytest.approx({"r": 0.55315, "alpha": 10.57633, "s": 0.60625, "beta": 11.67150}, rel=1e-3)
    assert pareto.log_likelihood == pytest.approx(-9594.976, abs=0.005)
    assert pareto.standard_errors == pytest.approx({"r": 0.0476264, "alpha": 0.8427222, "s": 0.1872594, "beta": 6.2105448}, rel=0.02)


def test_clvtools_pareto_nbd_probability_alive_of_heavy_buyers_is_finite():
    pareto = ParetoNBD({"r": 0.5143, "alpha": 2.8845, "s": 0.2856, "beta": 14.1087})
    alive = pareto.probability_alive([221, 254, 161, 204], [103.42857, 97.14286, 94.71429, 98.57143],
                                     [103.57143, 97.28571, 98.00000, 99.42857])
    assert np.all(np.isfinite(alive)) and np.all((alive > 0) & (alive <= 1))
    assert alive.argmin() == 2  # the one quiet for the longest against their own pace
