"""BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way".

While active a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b). Inputs per customer: frequency x (repeat purchases),
recency t_x and age T, in one time unit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from patron.analytics.models.base import TransactionModel, counts, group_codes, history, horizon
from patron.analytics.models.special import complement


class BetaGeo(TransactionModel):
    PARAMS = ("r", "alpha", "a", "b")

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

    def _prepare(self, data, weights):
        """Distinct frequencies, recencies and ages with each row's index into them, and the sums over
        customers that do not involve the parameters: a step then evaluates the special functions a few
        hundred times and touches each customer row a handful of times."""
        prepared = dict(data)
        for name in ("frequency", "recency", "T"):
            prepared[name + "_values"], prepared[name + "_index"] = np.unique(data[name], return_inverse=True)
        ux, uT = prepared["frequency_values"], prepared["T_values"]
        prepared["weight_by_x"] = np.bincount(prepared["frequency_index"], weights=weights, minlength=len(ux))
        prepared["weight_by_T"] = np.bincount(prepared["T_index"], weights=weights, minlength=len(uT))
        prepared["xweight_by_T"] = np.bincount(prepared["T_index"], weights=weights * data["frequency"], minlength=len(uT))
        return prepared

    def _total(self, params, data, weights, with_gradient):
        r, alpha, a, b = params
        ux, ix, x = data["frequency_values"], data["frequency_index"], data["frequency"]
        w_x, w_T, xw_T = data["weight_by_x"], data["weight_by_T"], data["xweight_by_T"]
        log_T_values = np.log(alpha + data["T_values"])
        log_T = log_T_values[data["T_index"]]
        log_gap = log_T - np.log(alpha + data["recency_values"])[data["recency_index"]]
        repeat = ux > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            drop_x = np.where(repeat, np.log(a) - np.log(np.where(repeat, b + ux - 1, 1)), -np.inf)
        rx = r + x
        # LL = A1 + A2 + A3 + softplus(A4 - A3); A3 = -(r + x) log(alpha + T) is summed by distinct T.
        gap = drop_x[ix] + rx * log_gap
        small = np.exp(-np.abs(gap))
        softplus = np.maximum(gap, 0) + np.log1p(small)
        by_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
        total = float(w_x @ by_x - log_T_values @ (r * w_T + xw_T) + weights @ softplus)
        if not with_gradient:
            return total, None
        share = np.where(gap > 0, 1, small) / (1 + small)  # the weight of "dropped out after the last purchase"
        ws = weights * share
        inverse_T = (1 / (alpha + data["T_values"]))
        d_r = w_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - log_T_values @ w_T + ws @ log_gap
        d_alpha = (w_x.sum() * r / alpha - inverse_T @ (r * w_T + xw_T)
                   + (ws * rx) @ (inverse_T[data["T_index"]] - (1 / (alpha + data["recency_values"]))[data["recency_index"]]))
        share_by_x = np.bincount(ix, weights=ws, minlength=len(ux))
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse_bx = np.where(repeat, 1 / np.where(repeat, b + ux - 1, 1), 0.0)
        d_a = w_x @ (digamma(a + b) - digamma(a + b + ux)) + share_by_x.sum() / a
        d_b = w_x @ (digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)) - share_by_x @ inverse_bx
        return total, np.array([d_r, d_alpha, d_a, d_b])

    # -- predictions --------------------------------------------------------------------------
    def probability_alive(self, frequency, recency, T):
        r, alpha, a, b = self._require_fit()
        x, t, T = history(frequency, recency, T)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.log(a) - np.log(np.where(x > 0, b + x - 1, 1)) + (r + x) * (np.log(alpha + T) - np.log(alpha + t))
        return np.where(x > 0, expit(-log_ratio), 1.0)

    def expected_purchases_new(self, t):
        """Purchases a new customer makes in their first t units."""
        r, alpha, a, b = self._require_fit()
        t = horizon(t)
        z = t / (alpha + t)
        # Both factors change sign at a = 1; the product is never below 0 but for rounding at a horizon of a moment.
        return np.maximum((a + b - 1) / (a - 1) * complement(r * (np.log(alpha) - np.log(alpha + t)), r, b, a + b - 1, z), 0.0)

    def expected_purchases(self, t, frequency, recency, T):
        """Purchases in the next t units of a customer with this history."""
        t = horizon(t)
        if t.ndim == 0:
            return self.expected_purchases_at([float(t)], frequency, recency, T)[0]
        r, alpha, a, b = self._require_fit()
        x, tx, T = history(frequency, recency, T)
        return self._expected_given_alive(t, x, T) * self.probability_alive(x, tx, T)

    def expected_purchases_at(self, horizons, frequency, recency, T) -> np.ndarray:
        """Expected purchases by each horizon (one row per horizon): the hypergeometric term depends
        only on (frequency, T), so it is evaluated once per distinct pair, not once per customer."""
        x, tx, T = np.broadcast_arrays(*history(frequency, recency, T))
        alive = self.probability_alive(x, tx, T)
        codes, (ux, uT) = group_codes(x.ravel(), T.ravel())
        rows = [self._expected_given_alive(float(h), ux, uT)[codes].reshape(x.shape) * alive for h in horizon(horizons, "horizons")]
        return np.array(rows)

    def expected_purchases_combined(self, horizons, coefficients, frequency, recency, T) -> np.ndarray:
        x, tx, T = np.broadcast_arrays(*history(frequency, recency, T))
        codes, (ux, uT) = group_codes(x.ravel(), T.ravel())
        combined = sum(c * self._expected_given_alive(float(h), ux, uT) for h, c in zip(horizon(horizons, "horizons"), coefficients))
        return combined[codes].reshape(x.shape) * self.probability_alive(x, tx, T)

    def _expected_given_alive(self, t, x, T):
        r, alpha, a, b = self._require_fit()
        z = t / (alpha + T + t)
        head = (a + b + x - 1) / (a - 1)
        # In log space: for heavy buyers the hypergeometric term alone overflows while the product stays below 1.
        # Both factors change sign at a = 1; the product is never below 0 but for rounding at a horizon of a moment.
        return np.maximum(head * complement((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)), r + x, b + x, a + b + x - 1, z), 0.0)

    def probability_of_purchases(self, n, t):
        """P(a new customer makes exactly n purchases in their first t units)."""
        r, alpha, a, b = self._require_fit()
        n, t = counts(n), horizon(t)
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

