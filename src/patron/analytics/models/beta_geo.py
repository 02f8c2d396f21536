"""BG/NBD: Fader, Hardie and Lee (2005), "Counting your customers the easy way".

While active a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each purchase they
drop out with probability p ~ Beta(a, b). Inputs per customer: frequency x (repeat purchases),
recency t_x and age T, in one time unit.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, polygamma

from patron.analytics.models.base import TransactionModel, counts, factorize, group_codes, history, horizon
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
        """Distinct frequencies, recencies and ages, and the sums over customers that do not involve the
        parameters. Only repeat buyers' rows carry a per-row term (the odds of having dropped out after the
        last purchase), so a step evaluates the special functions a few hundred times and touches each
        repeat buyer's row a handful of times."""
        prepared = dict(data)
        index = {}
        for name in ("frequency", "recency", "T"):
            index[name], prepared[name + "_values"] = factorize(data[name])
        ux, uT = prepared["frequency_values"], prepared["T_values"]
        prepared["weight_by_x"] = np.bincount(index["frequency"], weights=weights, minlength=len(ux))
        prepared["weight_by_T"] = np.bincount(index["T"], weights=weights, minlength=len(uT))
        prepared["xweight_by_T"] = np.bincount(index["T"], weights=weights * data["frequency"], minlength=len(uT))
        repeat = data["frequency"] > 0
        prepared["repeat"] = {"x": data["frequency"][repeat], "weights": weights[repeat],
                              **{name: codes[repeat] for name, codes in index.items()},
                              "work": np.empty((10, int(repeat.sum())))}
        return prepared

    def _total(self, params, data, weights, with_gradient):
        total, grad, _ = self._evaluate(params, data, 1 if with_gradient else 0)
        return total, grad

    def _total_hessian(self, params, data, weights):
        return self._evaluate(params, data, 2)

    def _evaluate(self, params, data, order: int):
        """The total log-likelihood and, to the given order, its gradient and Hessian in (r, alpha, a, b):
        LL = A1 + A2 + A3 + softplus(gap), where A1 and A2 are summed by distinct frequency, A3 by distinct
        age, and gap = log(a / (b + x - 1)) + (r + x) log((alpha + T) / (alpha + t_x)) is per repeat buyer.
        The per-row arithmetic runs in buffers made once per fit: fresh arrays of a million rows cost more
        in page faults than in arithmetic."""
        r, alpha, a, b = params
        ux, w_x, w_T, xw_T = data["frequency_values"], data["weight_by_x"], data["weight_by_T"], data["xweight_by_T"]
        rows = data["repeat"]
        x, w, ix, iT, it = rows["x"], rows["weights"], rows["frequency"], rows["T"], rows["recency"]
        log_gap, rx, gap, small, share, ws, d_gap, ib, t1, t2 = rows["work"]
        log_T_values = np.log(alpha + data["T_values"])
        np.take(log_T_values, iT, out=log_gap)
        log_gap -= np.take(np.log(alpha + data["recency_values"]), it, out=t1)
        with np.errstate(divide="ignore", invalid="ignore"):
            inverse_bx = np.where(ux > 0, 1 / np.where(ux > 0, b + ux - 1, 1), 0.0)
        np.take(inverse_bx, ix, out=ib)  # 1 / (b + x - 1), per repeat buyer
        np.add(x, r, out=rx)
        np.log(ib, out=gap)
        gap += np.log(a) + np.multiply(rx, log_gap, out=t1)
        np.exp(np.negative(np.abs(gap, out=small), out=small), out=small)
        by_x = gammaln(r + ux) - gammaln(r) + r * np.log(alpha) + betaln(a, b + ux) - betaln(a, b)
        weighted_T = r * w_T + xw_T
        softplus = np.maximum(gap, 0, out=t1)
        softplus += np.log1p(small, out=t2)
        total = float(w_x @ by_x - log_T_values @ weighted_T + w @ softplus)
        if order == 0:
            return total, None, None
        # share: the weight of "dropped out after the last purchase", softplus'(gap)
        np.divide(small, np.add(small, 1, out=t1), out=share)
        np.divide(1.0, t1, out=share, where=gap > 0)
        np.multiply(w, share, out=ws)
        inverse_T_values = 1 / (alpha + data["T_values"])
        inverse_t_values = 1 / (alpha + data["recency_values"])
        np.take(inverse_T_values, iT, out=d_gap)
        d_gap -= np.take(inverse_t_values, it, out=t1)  # d log_gap / d alpha
        ws_rx = np.multiply(ws, rx, out=t1)
        n, share_sum, share_ib = w_x.sum(), ws.sum(), ws @ ib
        d_r = w_x @ (digamma(r + ux) - digamma(r) + np.log(alpha)) - log_T_values @ w_T + ws @ log_gap
        d_alpha = n * r / alpha - inverse_T_values @ weighted_T + ws_rx @ d_gap
        d_a = w_x @ (digamma(a + b) - digamma(a + b + ux)) + share_sum / a
        d_b = w_x @ (digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)) - share_ib
        grad = np.array([d_r, d_alpha, d_a, d_b])
        if order == 1:
            return total, grad, None
        # softplus'' = share (1 - share): H = sum w [share (1 - share) g_i g_j + share g_ij], g the gap's gradient.
        np.take(inverse_t_values**2, it, out=t2)
        t2 -= np.take(inverse_T_values**2, iT, out=small)  # d2 log_gap / d alpha2
        alpha_alpha = ws_rx @ t2
        q = np.multiply(ws, np.subtract(1, share, out=share), out=share)
        rx_d = np.multiply(rx, d_gap, out=t1)
        q_log = np.multiply(q, log_gap, out=t2)
        q_rx_d = np.multiply(q, rx_d, out=small)
        both = polygamma(1, a + b) - w_x @ polygamma(1, a + b + ux) / n
        h = np.empty((4, 4))
        h[0, 0] = w_x @ (polygamma(1, r + ux) - polygamma(1, r)) + q_log @ log_gap
        h[0, 1] = n / alpha - inverse_T_values @ w_T + q_log @ rx_d + ws @ d_gap
        h[1, 1] = -n * r / alpha**2 + inverse_T_values**2 @ weighted_T + q_rx_d @ rx_d + alpha_alpha
        h[0, 2] = q_log.sum() / a
        h[0, 3] = -(q_log @ ib)
        h[1, 2] = q_rx_d.sum() / a
        h[1, 3] = -(q_rx_d @ ib)
        h[2, 2] = n * both + (q.sum() - share_sum) / a**2
        h[2, 3] = n * both - (q @ ib) / a
        ib2 = np.multiply(ib, ib, out=t2)
        h[3, 3] = n * both + w_x @ (polygamma(1, b + ux) - polygamma(1, b)) + q @ ib2 + ws @ ib2
        lower = np.tril_indices(4, -1)
        h[lower] = h.T[lower]
        return total, grad, h

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

