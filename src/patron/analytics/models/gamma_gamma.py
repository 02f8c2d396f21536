"""Gamma-Gamma spend: Fader, Hardie and Lee (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base Analysis".

Each purchase's value is Gamma(p, nu) around the customer's own mean; nu ~ Gamma(q, v) across
customers. Fitted on repeat buyers: frequency x > 0 and the mean value m of their repeat purchases.
Spend is assumed independent of the purchase process (check the correlation before relying on it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, polygamma

from patron.analytics.frames import AnalyticsError
from patron.analytics.models.base import Model, ModelError, as_arrays, counts, factorize, summary_columns

DAYS_PER_MONTH = 30  # lifetimes' convention, kept so that CLV figures carry over


class GammaGamma(Model):
    PARAMS = ("p", "q", "v")
    _columns = ("frequency", "monetary_value")
    _compress = False

    def fit(self, frequency=None, monetary_value=None, *, summary: pd.DataFrame | None = None, weights=None,
            initial_params: dict | None = None) -> GammaGamma:
        columns = summary_columns(summary, self._columns, {"frequency": frequency, "monetary_value": monetary_value})
        x, m = as_arrays(columns["frequency"], columns["monetary_value"])
        w = None if weights is None else np.asarray(weights, dtype=float)
        if np.any(m < 0):
            raise AnalyticsError("monetary_value must not be negative")
        unpriced = int(np.sum((x > 0) & ~(m > 0)))
        if unpriced:
            raise AnalyticsError(f"{unpriced} customer(s) with repeat purchases have no spend (monetary_value 0 or missing): "
                                 "price their orders or leave them out; they are not dropped silently")
        repeat = x > 0
        if not repeat.any():
            raise AnalyticsError("GammaGamma needs customers with repeat purchases (frequency > 0 and monetary_value > 0)")
        return self._fit({"frequency": x[repeat], "monetary_value": m[repeat]}, None if w is None else w[repeat], initial_params)

    def _initial(self, data, weights):
        return np.array([1.0, 1.0, float(np.average(data["monetary_value"], weights=weights))])

    def _log_likelihood(self, params, data):
        p, q, v = params
        x, m = data["frequency"], data["monetary_value"]
        return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
                + p * x * np.log(x) - (p * x + q) * np.log(v + x * m))

    def _prepare(self, data, weights):
        """What stays fixed during the fit, down to the sums over customers that do not involve the parameters."""
        x, m = data["frequency"], data["monetary_value"]
        ix, ux = factorize(x)
        xw = x * weights
        return {**data, "x_values": ux, "weight_by_x": np.bincount(ix, weights=weights, minlength=len(ux)), "xw": xw,
                "x_m": x * m, "xw_log_mx": float(xw @ (np.log(m) + np.log(x))), "w_log_m": float(weights @ np.log(m))}

    def _total(self, params, data, weights, with_gradient):
        total, grad, _ = self._evaluate(params, data, weights, 1 if with_gradient else 0)
        return total, grad

    def _total_hessian(self, params, data, weights):
        return self._evaluate(params, data, weights, 2)

    def _evaluate(self, params, data, weights, order: int):
        """The total log-likelihood and, to the given order, its gradient and Hessian in (p, q, v): the gamma
        functions summed by distinct frequency, and three passes over the customers for log(v + x m) and its powers."""
        p, q, v = params
        ux, w_x, xw = data["x_values"], data["weight_by_x"], data["xw"]
        log_vxm = np.log(v + data["x_m"])
        xw_log_vxm, w_log_vxm = float(xw @ log_vxm), float(weights @ log_vxm)
        by_x = gammaln(p * ux + q) - gammaln(p * ux) - gammaln(q) + q * np.log(v)
        total = float(w_x @ by_x) + p * data["xw_log_mx"] - data["w_log_m"] - p * xw_log_vxm - q * w_log_vxm
        if order == 0:
            return total, None, None
        inverse = 1 / (v + data["x_m"])
        xw_inverse, w_inverse, n = float(xw @ inverse), float(weights @ inverse), weights.sum()
        d_p = (w_x * ux) @ (digamma(p * ux + q) - digamma(p * ux)) + data["xw_log_mx"] - xw_log_vxm
        d_q = w_x @ (digamma(p * ux + q) - digamma(q) + np.log(v)) - w_log_vxm
        d_v = n * q / v - p * xw_inverse - q * w_inverse
        grad = np.array([d_p, d_q, d_v])
        if order == 1:
            return total, grad, None
        inverse *= inverse
        both = polygamma(1, p * ux + q)
        h = np.empty((3, 3))
        h[0, 0] = (w_x * ux**2) @ (both - polygamma(1, p * ux))
        h[0, 1] = h[1, 0] = (w_x * ux) @ both
        h[1, 1] = w_x @ (both - polygamma(1, q))
        h[0, 2] = h[2, 0] = -xw_inverse
        h[1, 2] = h[2, 1] = n / v - w_inverse
        h[2, 2] = -n * q / v**2 + p * float(xw @ inverse) + q * float(weights @ inverse)
        return total, grad, h

    def expected_average_value(self, frequency, monetary_value):
        """The expected value of a customer's future purchases, given their repeat purchases so far."""
        p, q, v = self._require_fit()
        x, m = np.broadcast_arrays(counts(frequency, "frequency"), np.asarray(monetary_value, dtype=float))
        spent = m[x > 0]
        if not np.all(np.isfinite(spent)) or np.any(spent <= 0):
            raise AnalyticsError("monetary_value must be a positive amount for every customer with repeat purchases")
        if q <= 1:
            raise ModelError("GammaGamma with q <= 1 has no finite expected value")
        return np.where(x > 0, p * (v + x * m) / (p * x + q - 1), p * v / (q - 1))

    def clv(self, transaction_model, frequency, recency, T, monetary_value, months: int = 12,
            discount_rate: float = 0.01, time_unit_days: float = 1.0):
        """Discounted value of the next `months` months: expected purchases each month (from the
        transaction model, conditional on history) x expected value, discounted monthly at `discount_rate`.
        `time_unit_days` is the length of the models' time unit in days (7 for weeks)."""
        if months < 1 or discount_rate < 0 or time_unit_days <= 0:
            raise AnalyticsError("clv needs months >= 1, discount_rate >= 0 and time_unit_days > 0")
        value = self.expected_average_value(frequency, monetary_value)
        x, t, T = as_arrays(frequency, recency, T)
        month = DAYS_PER_MONTH / time_unit_days
        # sum_i d_i (E_i - E_(i-1)) = sum_i E_i (d_i - d_(i+1)) + d_n E_n, with E_0 = 0
        discount = (1 + discount_rate) ** -np.arange(1, months + 1, dtype=float)
        coefficients = discount - np.append(discount[1:], 0.0)
        horizons = [i * month for i in range(1, months + 1)]
        return transaction_model.expected_purchases_combined(horizons, coefficients, x, t, T) * value
