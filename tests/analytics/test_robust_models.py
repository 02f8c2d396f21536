"""Models that never return nonsense: the hypergeometric function right where SciPy's is not (checked against
mpmath), heavy buyers and odd histories that used to give NaN or an internal error, predictions that refuse bad input
by name, and Hypothesis properties over wide ranges (x up to 1e5, T up to 1e4 periods)."""

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from scipy.special import hyp2f1

from patron.analytics import AnalyticsError
from patron.analytics.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD
from patron.analytics.models.base import ModelError
from patron.analytics.models.special import log_hyp2f1

# CDNOW's fits (Fader, Hardie and Lee 2005; CLVTools' and BTYD's documentation use the same values).
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MBG = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PARETO = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}


def _truth(a, b, c, z) -> float:
    with mpmath.workdps(30):
        return float(mpmath.log(mpmath.hyp2f1(a, b, c, z, maxterms=10**5)))


@pytest.mark.parametrize("a, b, c, z, expected", [
    (1, 510.5, 514.5, -2.79, 0.2654), (1, 29.57, 73.29, -22.49, 0.1009)])
def test_the_hypergeometric_function_is_right_where_scipys_is_not(a, b, c, z, expected):
    assert not abs(hyp2f1(a, b, c, z) - expected) < 1e-3  # SciPy: NaN, and 85,859 for 0.1009
    assert np.exp(log_hyp2f1(a, b, c, z)) == pytest.approx(np.exp(_truth(a, b, c, z)), rel=1e-12)
    assert np.exp(log_hyp2f1(a, b, c, z)) == pytest.approx(expected, abs=1e-4)


def test_the_hypergeometric_function_agrees_with_mpmath_over_the_range_the_models_reach():
    rng = np.random.default_rng(26)
    cases = []
    for _ in range(60):
        x = float(np.floor(10 ** rng.uniform(0, 4.5)))
        r, alpha, a, b, s = 10 ** rng.uniform(-1.5, 1.2, 5)
        T, t = 10 ** rng.uniform(-1, 4, 2)
        cases.append((r + x, b + x, a + 1 + b + x - 1, t / (alpha + T + t)))  # BG/NBD's expected purchases (a > 1)
        cases.append((1.0, s + r + x, r + s + x + 1, -(10 ** rng.uniform(-3, 3.5)) / (alpha + T)))  # Pareto/NBD's A0
    a, b, c, z = np.array(cases).T
    got = log_hyp2f1(a, b, c, z)
    truth = np.array([_truth(*case) for case in cases])
    assert np.all(np.isfinite(got))
    assert np.max(np.abs(got - truth) / np.maximum(1, np.abs(truth))) < 1e-9


def test_a_value_mpmath_would_take_minutes_over_is_nan_at_once():
    # Where an optimiser passed through fitting one customer: mpmath ran for minutes on it (8 s already at 1e8).
    assert np.isnan(log_hyp2f1(1.0, 605632362057.4406, 605632362058.4406, -2593.8)).all()
    # The same family at parameters a customer reaches is still computed.
    assert np.isfinite(log_hyp2f1(1.0, 1e5, 1e5 + 1, -2593.8)).all()


def test_heavy_buyers_get_finite_forecasts_where_they_got_nan():
    bg, mbg, pareto = BetaGeo(BG), ModifiedBetaGeo(MBG), ParetoNBD(PARETO)
    x, recency, T = np.array([5000, 20000, 200, 1]), np.array([38.0, 38.0, 30.0, 1.0]), np.full(4, 38.0)
    for model in (bg, mbg, pareto):
        expected = model.expected_purchases(10, x, recency, T)
        alive = model.probability_alive(x, recency, T)
        assert np.all(np.isfinite(expected)) and np.all(expected >= 0), type(model).__name__
        assert np.all((alive >= 0) & (alive <= 1)), type(model).__name__
    # Found by the property below: a horizon of a moment left 1 - exp(tiny) to rounding, a hair below zero.
    assert bg.expected_purchases(1e-9, 187, 28.0, 1457.5) >= 0 and mbg.expected_purchases(1.192092896e-07, 6071, 4095.0, 4610.0) >= 0
    # Someone who bought 5,000 times in 38 weeks, the last this week, buys on: about 130 a week for the next 10.
    assert 1000 < bg.expected_purchases(10, 5000, 38, 38) < 1400
    assert np.isfinite(pareto._log_likelihood(np.array(list(PARETO.values())),
                                              {"frequency": np.array([100.0]), "recency": np.array([20.0]), "T": np.array([38.0])})).all()


# CDNOW's whole cohort fitted ten weeks in (weeks): a + b < 1, so a customer without repeats reaches 2F1(r, b; a + b - 1; z)
# with a negative c, where the series turns negative and has no logarithm. It gave NaN.
YOUNG = {"r": 0.275580376408841, "alpha": 4.390012371226768, "a": 0.26759265623610295, "b": 0.6212077518986318}


def test_bg_nbd_forecasts_a_one_time_buyer_of_a_young_shop():
    bg = BetaGeo(YOUNG)
    r, alpha, a, b = YOUNG.values()
    T, t = 9.57, 29.25
    # By mpmath, from the paper's formula: a customer with x = 0 is alive, so this is the whole expectation.
    truth = float((a + b - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** r * mpmath.hyp2f1(r, b, a + b - 1, t / (alpha + T + t))))
    assert bg.expected_purchases(t, 0, 0, T) == pytest.approx(truth, rel=1e-10)
    assert truth == pytest.approx(0.455707, abs=1e-6)
    new = float((a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * mpmath.hyp2f1(r, b, a + b - 1, t / (alpha + t))))
    assert bg.expected_purchases_new(t) == pytest.approx(new, rel=1e-10)


def test_pareto_nbd_fits_a_heavy_buyer_or_names_why_it_cannot(cdnow_paper):
    heavy = cdnow_paper.rename(columns={"x": "frequency", "t_x": "recency"})[["frequency", "recency", "T"]].reset_index(drop=True)
    heavy.loc[len(heavy)] = [1200, 38.0, 39.0]
    model = ParetoNBD().fit(summary=heavy)
    assert all(np.isfinite(v) for v in model.params.values())
    with pytest.raises(ModelError):
        ParetoNBD().fit([3], [20.0], [39.0])  # one customer: nothing to pin four parameters down
    with pytest.raises(AnalyticsError, match="finite"):
        ParetoNBD().fit([3, 0], [20.0, 0.0], [np.inf, 39.0])


@pytest.mark.parametrize("call, message", [
    (lambda m: m.expected_purchases(-10, 2, 5, 10), "t must not be negative"),
    (lambda m: m.probability_alive(2, 12, 10), "recency must lie between 0 and T"),
    (lambda m: m.probability_alive(-1, 0, 10), "frequency must hold whole numbers"),
    (lambda m: m.probability_alive(2.5, 1, 10), "frequency must hold whole numbers"),
    (lambda m: m.probability_of_purchases(2.5, 10), "n must hold whole numbers"),
    (lambda m: m.expected_purchases(10, np.nan, 5, 10), "finite"),
    (lambda m: m.expected_purchases_new(np.inf), "finite"),
])
def test_predictions_refuse_bad_input_by_name(call, message):
    for model in (BetaGeo(BG), ModifiedBetaGeo(MBG), ParetoNBD(PARETO)):
        with pytest.raises(AnalyticsError, match=message):
            call(model)


def test_fits_refuse_negative_weights_and_unpriced_repeat_buyers():
    with pytest.raises(AnalyticsError, match="not negative"):
        BetaGeo().fit([1, 2, 0], [5.0, 8.0, 0.0], [10.0, 10.0, 10.0], weights=[1, -1, 1])
    with pytest.raises(AnalyticsError, match="all zero"):
        BetaGeo().fit([1, 2, 0], [5.0, 8.0, 0.0], [10.0, 10.0, 10.0], weights=[0, 0, 0])
    with pytest.raises(AnalyticsError, match="1 customer\\(s\\) with repeat purchases have no spend"):
        GammaGamma().fit([2, 3, 0], [10.0, 0.0, 0.0])
    spend = GammaGamma({"p": 6.25, "q": 3.74, "v": 15.44})
    with pytest.raises(AnalyticsError, match="positive amount"):
        spend.expected_average_value([2], [-5.0])
    # p v / (q - 1) and p (v + x m) / (p x + q - 1), by hand.
    assert spend.expected_average_value([0, 2], [0.0, 30.0]).tolist() == pytest.approx([35.219, 30.938], abs=0.001)


customers = st.integers(min_value=0, max_value=100_000).flatmap(
    lambda x: st.tuples(st.just(x), st.floats(min_value=0.0, max_value=1e4, allow_nan=False)).flatmap(
        lambda xT: st.tuples(st.just(xT[0]), st.floats(min_value=0.0 if xT[0] else 0.0, max_value=xT[1]) if xT[0] else st.just(0.0),
                             st.just(xT[1]))))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer=customers, t=st.floats(min_value=0.0, max_value=1e3, allow_nan=False))
def test_every_valid_customer_gets_finite_sane_predictions(customer, t):
    x, recency, T = customer
    for model in (BetaGeo(BG), BetaGeo(YOUNG), ModifiedBetaGeo(MBG), ParetoNBD(PARETO)):
        alive = float(model.probability_alive(x, recency, T))
        expected = float(model.expected_purchases(t, x, recency, T))
        assert 0 <= alive <= 1, (type(model).__name__, customer)
        assert np.isfinite(expected) and expected >= 0, (type(model).__name__, customer, t)


def test_scoring_leaves_an_unpriced_repeat_buyer_out_of_the_spend_model_and_says_so(cdnow_paper):
    from patron.insights.services import _predict

    summary = cdnow_paper.rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
    summary = summary[["frequency", "recency", "T", "monetary_value"]].copy()
    summary.loc[99_999] = [4, 30.0, 38.0, 0.0]  # four repeat purchases, all free
    out, (_transactions, spend), note = _predict(summary)
    assert spend is not None and note == "1 repeat buyers without spend have no CLV"
    assert np.isnan(out.loc[99_999, "clv_12m"]) and out["clv_12m"].drop(99_999).notna().all()
    assert np.isfinite(out.loc[99_999, "p_alive"])
