import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patron.analytics import AnalyticsError
from patron.analytics.models import (
    BetaGeo, BetaGeoBetaBinom, GammaGamma, ModelError, ModifiedBetaGeo, ParetoNBD, ShiftedBetaGeometric,
)
from tests.analytics.conftest import CDNOW

DATA = CDNOW.parent


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


def close(model, expected: dict, places: int = 3) -> None:
    got = {k: round(v, places) for k, v in model.params.items()}
    assert got == pytest.approx(expected, abs=1.01 * 10 ** -places), got


def test_bg_nbd_reproduces_the_paper(summary):
    model = BetaGeo().fit(summary=summary)
    close(model, {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    assert round(model.log_likelihood, 1) == -9582.4
    # Standard errors from the Hessian, as lifetimes reports them for CDNOW.
    assert model.standard_errors == pytest.approx({"r": 0.0126, "alpha": 0.378, "a": 0.186, "b": 0.705}, rel=0.01)


def test_pareto_nbd_reproduces_the_paper(summary):
    model = ParetoNBD().fit(summary["frequency"], summary["recency"], summary["T"])
    close(model, {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    assert round(model.log_likelihood, 1) == -9595.0


def test_mbg_nbd_reproduces_the_published_fit(summary):
    close(ModifiedBetaGeo().fit(summary=summary), {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614})


def test_gamma_gamma_reproduces_the_paper():
    data = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    model = GammaGamma().fit(data["x"], data["zbar"])  # the 946 repeat buyers; the rest are left out
    assert model.observations == 946
    close(model, {"p": 6.25, "q": 3.74, "v": 15.44}, places=2)


def test_bg_bb_reproduces_the_paper():
    donations = pd.read_csv(CDNOW / "donations.csv")
    model = BetaGeoBetaBinom().fit(summary=donations, weights=donations["weights"])
    close(model, {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    assert model.observations == 11104


def test_sbg_reproduces_the_paper():
    survival = pd.read_csv(DATA / "sbg_survival.csv")
    regular = ShiftedBetaGeometric().fit(survival["regular_pct_alive"][:8])  # years 0-7
    high_end = ShiftedBetaGeometric().fit(survival["highend_pct_alive"][:8])
    close(regular, {"alpha": 0.704, "beta": 1.182})
    close(high_end, {"alpha": 0.668, "beta": 3.806})
    # The fit projects years 8-12 it never saw to within 1.5 points (the paper's figure 3).
    projected = 100 * regular.survival(np.arange(8, 13))
    assert np.abs(projected - survival["regular_pct_alive"][8:].to_numpy()).max() < 1.5
    assert regular.retention(1) == pytest.approx(regular.survival(1)) and regular.retention(5) > regular.retention(2)
    assert high_end.expected_remaining_lifetime(0, 0.1) > regular.expected_remaining_lifetime(0, 0.1) > 0


def _differences(model, params: np.ndarray, data: dict) -> np.ndarray:
    """Each row's gradient by Richardson-extrapolated central differences of the exact log-likelihood."""
    columns = []
    for j in range(len(params)):
        def central(h):
            up, down = params.copy(), params.copy()
            up[j] += h
            down[j] -= h
            return (model._log_likelihood(up, data) - model._log_likelihood(down, data)) / (2 * h)
        h = 1e-3 * params[j]
        columns.append((4 * central(h / 2) - central(h)) / 3)
    return np.column_stack(columns)


@pytest.mark.parametrize("model, params, data", [
    (ParetoNBD(), [0.553, 10.578, 0.606, 11.669], {"frequency": [0, 1, 5, 40, 300, 800, 2, 3], "recency": [0, 10, 30, 38.9, 20, 38, 39, 1],
                                                   "T": [39, 39, 39, 39, 300, 39, 39, 2000]}),
    (ParetoNBD(), [2.5, 0.8, 0.3, 40.0], {"frequency": [0, 4, 20, 800], "recency": [0, 1, 250, 184.5], "T": [300, 300, 300, 300]}),
    (ParetoNBD(), [0.3, 40.0, 3.0, 0.5], {"frequency": [0, 2, 7], "recency": [0, 0.5, 300], "T": [2000, 300, 300]}),
    (BetaGeoBetaBinom(), [1.204, 0.750, 0.657, 2.783], {"frequency": [0, 1, 3, 6, 2], "recency": [0, 4, 5, 6, 2], "periods": [6, 6, 6, 6, 11]}),
    (ShiftedBetaGeometric(), [0.704, 1.182], {"period": [1, 2, 7, 7], "survivors": [0, 0, 0, 1], "lost": [1, 1, 1, 0]}),
])
def test_analytic_gradients_match_differences_of_the_likelihood(model, params, data):
    params = np.array(params)
    data = {name: np.array(values, dtype=float) for name, values in data.items()}
    assert model._has_gradient()
    np.testing.assert_allclose(model._gradient(params, data), _differences(model, params, data), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("params", [[0.243, 4.414, 0.793, 2.426], [2.5, 0.3, 0.2, 0.4], [0.05, 60.0, 8.0, 0.9]])
def test_bg_nbd_hessian_matches_differences_of_its_gradient(summary, params):
    """Newton's method and the standard errors rest on it: a + b < 1 and heavy buyers included."""
    from patron.analytics.models.base import compress

    columns = {name: np.r_[summary[name].to_numpy(float), extra] for name, extra in
               (("frequency", [5_000, 300]), ("recency", [38.5, 2.0]), ("T", [38.9, 700.0]))}
    data, weights = compress(columns)
    model = BetaGeo()
    prepared = model._prepare(data, weights)
    params = np.array(params)
    total, gradient, hessian = model._total_hessian(params, prepared, weights)
    assert total == pytest.approx(weights @ model._log_likelihood(params, data), rel=1e-12)
    assert np.allclose(hessian, hessian.T)
    columns = []
    for j in range(4):
        h = 1e-5 * params[j]
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        columns.append((model._total(up, prepared, weights, True)[1] - model._total(down, prepared, weights, True)[1]) / (2 * h))
    np.testing.assert_allclose(hessian, np.column_stack(columns), rtol=1e-5, atol=1e-6 * np.abs(hessian).max())


def test_gamma_gamma_fits_by_newton_with_a_hessian_that_matches_differences_of_its_gradient():
    from patron.analytics.models.base import Model

    rng = np.random.default_rng(2)
    x = rng.integers(1, 30, 5000).astype(float)
    m = rng.gamma(6.0, 1 / rng.gamma(3.7, 1 / 15.4, 5000)) + 0.5
    model, weights = GammaGamma(), np.ones(5000)
    prepared = model._prepare({"frequency": x, "monetary_value": m}, weights)
    params = np.array([6.2, 3.7, 15.7])
    _, _, hessian = model._total_hessian(params, prepared, weights)
    steps = [1e-6 * params[j] * np.eye(3)[j] for j in range(3)]
    differences = np.column_stack([(model._total(params + h, prepared, weights, True)[1] - model._total(params - h, prepared, weights, True)[1])
                                   / (2 * h[j]) for j, h in enumerate(steps)])
    np.testing.assert_allclose(hessian, differences, rtol=1e-6, atol=1e-8 * np.abs(hessian).max())

    class QuasiNewton(GammaGamma):
        _total_hessian = Model._total_hessian

    newton, quasi = GammaGamma().fit(x, m), QuasiNewton().fit(x, m)
    assert newton.params == pytest.approx(quasi.params, rel=1e-5)
    assert newton.log_likelihood == pytest.approx(quasi.log_likelihood, rel=1e-12)
    assert newton.standard_errors == pytest.approx(quasi.standard_errors, rel=2e-3)


def test_bg_nbd_newton_fit_is_the_quasi_newton_one(summary):
    """Newton's steps and the quasi-Newton method find the same maximum, and the standard errors from the
    analytic Hessian are those of differences of the gradient."""
    from patron.analytics.models.base import Model

    newton = BetaGeo().fit(summary=summary)

    class QuasiNewton(BetaGeo):
        _total_hessian = Model._total_hessian  # as a model without a Hessian

    quasi = QuasiNewton().fit(summary=summary)
    assert not QuasiNewton()._has_hessian() and BetaGeo()._has_hessian()
    assert newton.params == pytest.approx(quasi.params, rel=1e-6)
    assert newton.log_likelihood >= quasi.log_likelihood - 1e-9
    assert newton.standard_errors == pytest.approx(quasi.standard_errors, rel=1e-4)


def _bg_nbd_shop(rng, n, r, alpha, a, b, days=365.0):
    """n customers buying as a BG/NBD process over up to `days` days, times to two decimals."""
    rate, drop, age = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), rng.uniform(1, days, n)
    count, last, clock, alive = np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, dtype=bool)
    while alive.any():  # purchases at the rate, a drop-out chance after each
        idx = np.flatnonzero(alive)
        clock[idx] += rng.exponential(1 / np.maximum(rate[idx], 1e-12))
        bought = idx[clock[idx] <= age[idx]]
        alive[idx[clock[idx] > age[idx]]] = False
        count[bought] += 1
        last[bought] = clock[bought]
        alive[bought[rng.random(len(bought)) < drop[bought]]] = False
    T = np.round(age, 2)
    return pd.DataFrame({"frequency": count, "recency": np.minimum(np.round(last, 2), T), "T": T})


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6), st.integers(30, 3000), st.floats(0.05, 5), st.floats(0.5, 200), st.floats(0.1, 5), st.floats(0.1, 10))
def test_bg_nbd_newton_fit_agrees_with_the_quasi_newton_one_or_both_refuse(seed, n, r, alpha, a, b):
    """Over shops small and large, buyers steady and fleeting: Newton's method (with its shifted steps and its
    hand-over on a ridge) finds the quasi-Newton method's maximum or a higher one. Measured over 400 such shops: both
    fitted 376, both refused 22, and Newton's refused 2 that the quasi-Newton method fitted with a and b near 1e6."""
    from patron.analytics.models.base import Model

    class QuasiNewton(BetaGeo):
        _total_hessian = Model._total_hessian

    shop = _bg_nbd_shop(np.random.default_rng(seed), n, r, alpha, a, b)
    if not (shop["frequency"] > 0).any():
        return
    outcomes = []
    for kind in (BetaGeo, QuasiNewton):
        try:
            outcomes.append(kind().fit(summary=shop))
        except ModelError as exc:
            outcomes.append(exc)
    newton, quasi = outcomes
    if isinstance(quasi, ModelError):  # what the quasi-Newton fit refuses, Newton's refuses too
        assert isinstance(newton, ModelError), (newton.params, quasi)
        return
    if isinstance(newton, ModelError):
        # Newton's refuses more only on a ridge (a and b far out with a / (a + b) fixed): there its exact Hessian calls
        # flat what differences of the gradient gave a standard error of half the estimate or more.
        assert max(quasi.standard_errors[p] / quasi.params[p] for p in ("a", "b")) > 0.3, (quasi.params, quasi.standard_errors)
        return
    assert newton.log_likelihood >= quasi.log_likelihood - 1e-6 * abs(quasi.log_likelihood)
    assert newton.params == pytest.approx(quasi.params, rel=1e-3)


def test_bg_nbd_on_many_distinct_rows_starts_from_a_sample_and_lands_where_a_plain_start_does():
    shop = _bg_nbd_shop(np.random.default_rng(3), 120_000, 0.243, 30.9, 0.793, 2.426, days=730.0)
    assert shop[["frequency", "recency", "T"]].drop_duplicates().shape[0] > 4 * 20_000  # the sample is used
    from_sample = BetaGeo().fit(summary=shop)
    plain = BetaGeo().fit(summary=shop, initial_params={"r": 0.5, "alpha": 50.0, "a": 1.0, "b": 1.0})
    assert from_sample.params == pytest.approx(plain.params, rel=1e-6)
    assert from_sample.params == pytest.approx({"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426}, rel=0.1)


def test_every_model_fits_with_an_analytic_gradient():
    assert all(cls()._has_gradient() for cls in (BetaGeo, ModifiedBetaGeo, ParetoNBD, BetaGeoBetaBinom, GammaGamma, ShiftedBetaGeometric))


def test_distributions_are_consistent_with_their_means(summary):
    for model in (BetaGeo().fit(summary=summary), ModifiedBetaGeo().fit(summary=summary), ParetoNBD().fit(summary=summary)):
        n = np.arange(400)
        p = model.probability_of_purchases(n, 39.0)
        assert p.sum() == pytest.approx(1, abs=1e-9) and (p >= 0).all()
        assert p @ n == pytest.approx(model.expected_purchases_new(39.0), rel=1e-6), type(model).__name__
    bgbb = BetaGeoBetaBinom({"alpha": 1.2, "beta": 0.75, "gamma": 0.66, "delta": 2.8})
    p = bgbb.probability_of_purchases(np.arange(7), 6)
    assert p.sum() == pytest.approx(1) and p @ np.arange(7) == pytest.approx(bgbb.expected_purchases_new(6))


def test_heavy_buyers_stay_finite(summary):
    heavy = pd.DataFrame({"frequency": [500, 800, 300], "recency": [38, 38.5, 30], "T": [38.86] * 3})
    data = pd.concat([summary[["frequency", "recency", "T"]], heavy])
    for model in (BetaGeo(), ModifiedBetaGeo(), ParetoNBD()):
        model.fit(summary=data)
        alive = model.probability_alive(heavy["frequency"], heavy["recency"], heavy["T"])
        expected = model.expected_purchases(10, heavy["frequency"], heavy["recency"], heavy["T"])
        assert np.isfinite(alive).all() and np.isfinite(expected).all(), type(model).__name__
        assert alive[1] > alive[2] and expected[1] > 50  # 800 purchases, the last a moment ago: alive and busy


def test_weights_are_the_same_as_repeated_rows(summary):
    rows = summary[["frequency", "recency", "T"]].head(600)
    expanded = pd.concat([rows, rows.head(100)])
    weights = np.r_[np.full(100, 2.0), np.ones(500)]
    by_weight = BetaGeo().fit(summary=rows, weights=weights)
    by_rows = BetaGeo().fit(summary=expanded)
    assert by_weight.params == pytest.approx(by_rows.params, rel=1e-5)
    assert by_weight.observations == by_rows.observations == 700


def test_saved_and_loaded_as_plain_data(summary):
    model = ParetoNBD().fit(summary=summary)
    saved = json.loads(json.dumps(model.to_dict()))
    loaded = ParetoNBD.from_dict(saved)
    assert loaded.params == model.params and loaded.log_likelihood == model.log_likelihood
    assert loaded.probability_alive(2, 30.43, 38.86) == model.probability_alive(2, 30.43, 38.86)
    with pytest.raises(ModelError, match="for 'ParetoNBD', not BetaGeo"):
        BetaGeo.from_dict(saved)
    with pytest.raises(ModelError, match="missing b"):
        BetaGeo({"r": 1, "alpha": 1, "a": 1})


def test_bad_data_and_failed_fits_raise_clear_errors(summary):
    with pytest.raises(ModelError, match="no parameters yet"):
        BetaGeo().probability_alive(1, 1, 2)
    with pytest.raises(AnalyticsError, match="recency must lie between 0 and T"):
        BetaGeo().fit([1], [5], [3])
    with pytest.raises(AnalyticsError, match="no customer has a repeat purchase"):
        BetaGeo().fit(np.zeros(50), np.zeros(50), np.full(50, 30.0))
    with pytest.raises(AnalyticsError, match="no column 'T'"):
        BetaGeo().fit(summary=summary.drop(columns="T"))
    with pytest.raises(ModelError, match="cannot pin the parameters down"):
        BetaGeo().fit([1, 0], [1, 0], [1, 1])
    with pytest.raises(AnalyticsError, match="repeat purchases"):
        GammaGamma().fit([0, 0], [0, 0])


def test_clv_discounts_monthly_expected_value(summary):
    spend = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    purchases = BetaGeo().fit(summary=summary)
    values = GammaGamma().fit(spend["x"], spend["zbar"])
    args = (purchases, spend["x"], spend["t_x"], spend["T"], spend["zbar"])
    clv = values.clv(*args, months=12, discount_rate=0.01, time_unit_days=7)
    undiscounted = values.clv(*args, months=12, discount_rate=0.0, time_unit_days=7)
    plain = purchases.expected_purchases(12 * 30 / 7, spend["x"], spend["t_x"], spend["T"]) * values.expected_average_value(spend["x"], spend["zbar"])
    assert np.allclose(undiscounted, plain) and (clv < undiscounted + 1e-12).all() and (clv >= 0).all()
    assert clv[spend["x"] > 5].mean() > clv[spend["x"] == 0].mean()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 50), st.floats(0, 1), st.floats(1, 100), st.floats(0.1, 50))
def test_predictions_are_probabilities_and_grow_with_time(x, share, T, t):
    recency = 0.0 if x == 0 else share * T
    for model in (BetaGeo({"r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4}), ModifiedBetaGeo({"r": 0.52, "alpha": 6.2, "a": 0.89, "b": 1.6}),
                  ParetoNBD({"r": 0.55, "alpha": 10.6, "s": 0.61, "beta": 11.7})):
        alive = model.probability_alive(x, recency, T)
        assert 0 <= alive <= 1
        sooner, later = model.expected_purchases(t, x, recency, T), model.expected_purchases(2 * t, x, recency, T)
        assert 0 <= sooner <= later
