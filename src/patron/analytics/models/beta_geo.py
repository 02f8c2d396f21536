"""BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way".

While active a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b). Inputs per customer: frequency x (repeat purchases),
recency t_x and age T, in one time unit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln, hyp2f1

from patron.analytics.models.base import Model, as_arrays, summary_columns


class BetaGeo(Model):
    PARAMS = ("r", "alpha", "a", "b")
    _columns = ("frequency", "recency", "T")

    def fit(self, frequency=None, recency=None, T=None, *, summary: pd.DataFrame | None = None, weights=None,
            initial_params: dict | None = None) -> BetaGeo:
        columns = summary_columns(summary, self._columns, {"frequency": frequency, "recency": recency, "T": T})
        _check(columns)
        return self._fit(columns, weights, initial_params)

    def _initial(self, data, weights):
        return np.array([0.5, max(float(np.average(data["T"], weights=weights)) / 4, 1e-2), 1.0, 1.0])

    # log-likelihood of one customer, in log space: A1 + A2 + log(exp(A3) + [x > 0] exp(A4))
    def _terms(self, params, data):
        r, alpha, a, b = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        repeat = x > 0
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = betaln(a, b + x) - betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        with np.errstate(divide="ignore", invalid="ignore"):
            a4 = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + x - 1, 1)) - (r + x) * np.log(alpha + t), -np.inf)
        return a1, a2, a3, a4

    def _log_likelihood(self, params, data):
        a1, a2, a3, a4 = self._terms(params, data)
        return a1 + a2 + np.logaddexp(a3, a4)

    def _gradient(self, params, data):
        r, alpha, a, b = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        _, _, a3, a4 = self._terms(params, data)
        share = np.exp(a4 - np.logaddexp(a3, a4))  # the weight of the "dropped out after the last purchase" term
        rest = 1 - share
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - rest * np.log(alpha + T) - share * np.log(alpha + t)
        d_alpha = r / alpha - rest * (r + x) / (alpha + T) - share * (r + x) / (alpha + t)
        d_a = digamma(a + b) - digamma(a + b + x) + share / a
        with np.errstate(divide="ignore", invalid="ignore"):
            drop = np.where(x > 0, share / np.where(x > 0, b + x - 1, 1), 0.0)
        d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x) - drop
        return np.column_stack([d_r, d_alpha, d_a, d_b])

    def _prepare(self, data, weights):
        """Distinct frequencies, recencies and ages with each row's index into them: the special
        functions are then evaluated a few hundred times per step, not once per customer."""
        prepared = dict(data)
        for name in ("frequency", "recency", "T"):
            prepared[name + "_values"], prepared[name + "_index"] = np.unique(data[name], return_inverse=True)
        ux = prepared["frequency_values"]
        prepared["weight_by_x"] = np.bincount(prepared["frequency_index"], weights=weights, minlength=len(ux))
        return prepared

    def _total(self, params, data, weights, with_gradient):
        if "frequency_values" not in data:
            return super()._total(params, data, weights, with_gradient)
        r, alpha, a, b = params
        ux, ix = data["frequency_values"], data["frequency_index"]
        x = data["frequency"]
        log_T = np.log(alpha + data["T_values"])[data["T_index"]]
        log_t = np.log(alpha + data["recency_values"])[data["recency_index"]]
        repeat = ux > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            drop_x = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + ux - 1, 1)), -np.inf)
        by_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
        rx = r + x
        a3 = -rx * log_T
        a4 = drop_x[ix] - rx * log_t
        # log(exp(a3) + exp(a4)) and the share of the a4 term, from one exp and one log1p
        gap = a4 - a3
        small = np.exp(-np.abs(gap))
        both = np.maximum(a3, a4) + np.log1p(small)
        w_x = data["weight_by_x"]
        total = float(w_x @ by_x + weights @ both)
        if not with_gradient:
            return total, None
        share = np.where(gap > 0, 1, small) / (1 + small)
        ws, wr = weights * share, weights * (1 - share)
        d_r = w_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - wr @ log_T - ws @ log_t
        d_alpha = w_x.sum() * r / alpha - (wr * rx) @ (1 / (alpha + data["T_values"]))[data["T_index"]] \
            - (ws * rx) @ (1 / (alpha + data["recency_values"]))[data["recency_index"]]
        share_by_x = np.bincount(ix, weights=ws, minlength=len(ux))
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse_bx = np.where(repeat, 1 / np.where(repeat, b + ux - 1, 1), 0.0)
        d_a = w_x @ (digamma(a + b) - digamma(a + b + ux)) + share_by_x.sum() / a
        d_b = w_x @ (digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)) - share_by_x @ inverse_bx
        return total, np.array([d_r, d_alpha, d_a, d_b])

    # -- predictions --------------------------------------------------------------------------
    def probability_alive(self, frequency, recency, T):
        r, alpha, a, b = self._require_fit()
        x, t, T = as_arrays(frequency, recency, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(a) - np.log(np.where(x > 0, b + x - 1, 1)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t))
        return np.where(x > 0, 1 / (1 + np.exp(log_ratio)), 1.0)

    def expected_purchases_new(self, t):
        """Purchases a new customer makes in their first t units."""
        r, alpha, a, b = self._require_fit()
        t = np.asarray(t, dtype=float)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - np.exp(r * (np.log(alpha) - np.log(alpha + t))) * hyp2f1(r, b, a + b - 1, z))

    def expected_purchases(self, t, frequency, recency, T):
        """Purchases in the next t units of a customer with this history."""
        r, alpha, a, b = self._require_fit()
        t, x, tx, T = as_arrays(t, frequency, recency, T)
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        return head * tail * self.probability_alive(x, tx, T)

    def probability_of_purchases(self, n, t):
        """P(a new customer makes exactly n purchases in their first t units)."""
        r, alpha, a, b = self._require_fit()
        n, t = as_arrays(n, t)
        log_q = np.log(alpha) - np.log(alpha + t)
        log_p = np.log(t) - np.log(alpha + t) if np.all(t > 0) else np.where(t > 0, np.log(np.where(t > 0, t, 1)) - np.log(alpha + t), -np.inf)
        first = np.exp(betaln(a, b + n) - betaln(a, b) + gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_q + n * log_p)
        # sum_{j < n} Gamma(r + j) / (Gamma(r) j!) (t / (alpha + t))^j, term by term
        n_max = int(np.max(n)) if np.size(n) else 0
        partial = np.zeros(np.broadcast(n, t).shape)
        for j in range(n_max):
            term = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_q + j * log_p)
            partial = partial + np.where(j < n, term, 0.0)
        with np.errstate(invalid="ignore"):
            second = np.where(n > 0, np.exp(betaln(a + 1, b + np.maximum(n, 1) - 1) - betaln(a, b)) * (1 - partial), 0.0)
        return first + second


def _check(columns) -> None:
    from patron.analytics.frames import AnalyticsError

    x, t, T = (np.asarray(columns[c], dtype=float) for c in ("frequency", "recency", "T"))
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise AnalyticsError("frequency must hold whole numbers, 0 or more")
    if np.any(t < 0) or np.any(t > T + 1e-9):
        raise AnalyticsError("recency must lie between 0 and T for every customer")
    if np.any((x == 0) & (t != 0)):
        raise AnalyticsError("a customer with frequency 0 must have recency 0")
    if not np.any(x > 0):
        raise AnalyticsError("no customer has a repeat purchase: the model has nothing to learn the purchase rate from")
