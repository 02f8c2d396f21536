"""BG/BB: Fader, Hardie and Shang (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual Setting".

For shops with discrete occasions (a yearly event, a weekly market): in each of n periods an
alive customer buys with probability p ~ Beta(alpha, beta), and between periods dies with
probability theta ~ Beta(gamma, delta). Inputs: frequency x (periods with a purchase), recency t_x
(the last such period) and the number of periods n.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, digamma, gammaln

from patron.analytics.frames import AnalyticsError
from patron.analytics.models.base import Model, as_arrays, summary_columns


class BetaGeoBetaBinom(Model):
    PARAMS = ("alpha", "beta", "gamma", "delta")
    _columns = ("frequency", "recency", "periods")

    def fit(self, frequency=None, recency=None, periods=None, *, summary: pd.DataFrame | None = None, weights=None,
            initial_params: dict | None = None) -> BetaGeoBetaBinom:
        columns = summary_columns(summary, self._columns, {"frequency": frequency, "recency": recency, "periods": periods})
        x, t, n = as_arrays(*columns.values())
        if np.any(x < 0) or np.any(x > t) or np.any(t > n) or np.any(x != np.floor(x)) or np.any(n != np.floor(n)):
            raise AnalyticsError("BG/BB needs whole numbers with 0 <= frequency <= recency <= periods")
        return self._fit(columns, weights, initial_params)

    def _terms(self, params, data, with_gradient: bool = False):
        """The likelihood's terms in log space, one row each (survived all n periods; died after period
        t + i for each i) and, when asked, their gradients (terms x rows x 4)."""
        alpha, beta, gamma, delta = params
        x, t, n = data["frequency"], data["recency"], data["periods"]
        terms = [betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n) - betaln(gamma, delta)]
        for i in range(int(np.max(n - t)) if len(n) else 0):  # died after period t + i
            term = betaln(alpha + x, beta + t - x + i) - betaln(alpha, beta) + betaln(gamma + 1, delta + t + i) - betaln(gamma, delta)
            terms.append(np.where(i < n - t, term, -np.inf))
        if not with_gradient:
            return np.vstack(terms), None
        psi_ab, psi_gd = digamma(alpha + beta), digamma(gamma + delta)
        d_alpha = digamma(alpha + x) - digamma(alpha) + psi_ab
        grads = [np.stack([d_alpha - digamma(alpha + beta + n),
                           digamma(beta + n - x) - digamma(beta) - digamma(alpha + beta + n) + psi_ab,
                           psi_gd - digamma(gamma + delta + n),
                           digamma(delta + n) - digamma(delta) - digamma(gamma + delta + n) + psi_gd], axis=-1)]
        for i in range(len(terms) - 1):
            grads.append(np.stack([d_alpha - digamma(alpha + beta + t + i),
                                   digamma(beta + t - x + i) - digamma(beta) - digamma(alpha + beta + t + i) + psi_ab,
                                   digamma(gamma + 1) - digamma(gamma) - digamma(gamma + delta + t + i + 1) + psi_gd,
                                   digamma(delta + t + i) - digamma(delta) - digamma(gamma + delta + t + i + 1) + psi_gd], axis=-1))
        return np.vstack(terms), np.stack(grads)

    def _log_likelihood(self, params, data):
        return np.logaddexp.reduce(self._terms(params, data)[0], axis=0)

    def _gradient(self, params, data):
        terms, grads = self._terms(params, data, with_gradient=True)
        with np.errstate(invalid="ignore"):
            share = np.exp(terms - np.logaddexp.reduce(terms, axis=0))  # each term's part of the likelihood
        return np.einsum("kn,knp->np", share, np.nan_to_num(grads))

    def probability_alive(self, frequency, recency, periods, ahead: int = 1):
        """P(alive in period n + ahead), given the history over n periods."""
        alpha, beta, gamma, delta = params = self._require_fit()
        x, t, n = as_arrays(frequency, recency, periods)
        data = {"frequency": np.atleast_1d(x), "recency": np.atleast_1d(t), "periods": np.atleast_1d(n)}
        log_l = self._log_likelihood(params, data)
        alive = (betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n + ahead) - betaln(gamma, delta))
        return np.exp(alive - log_l).reshape(np.shape(x + t + n))

    def expected_purchases_new(self, periods):
        """Expected purchases of a new customer in the first n periods."""
        alpha, beta, gamma, delta = self._require_fit()
        n = np.asarray(periods, dtype=float)
        return alpha / (alpha + beta) * delta / (gamma - 1) * (
            1 - np.exp(gammaln(gamma + delta) - gammaln(gamma + delta + n) + gammaln(1 + delta + n) - gammaln(1 + delta)))

    def expected_purchases(self, t, frequency, recency, periods):
        """Expected purchases in the next t periods, given the history over n periods."""
        alpha, beta, gamma, delta = params = self._require_fit()
        t, x, tx, n = as_arrays(t, frequency, recency, periods)
        data = {"frequency": np.atleast_1d(x), "recency": np.atleast_1d(tx), "periods": np.atleast_1d(n)}
        log_l = self._log_likelihood(params, data).reshape(np.shape(x + tx + n))
        head = betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_l
        body = delta / (gamma - 1) * np.exp(gammaln(gamma + delta) - gammaln(1 + delta))
        tail = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n)) - np.exp(gammaln(1 + delta + n + t) - gammaln(gamma + delta + n + t))
        return np.exp(head) * body * tail

    def probability_of_purchases(self, x, periods):
        """P(a new customer buys in exactly x of the first n periods)."""
        alpha, beta, gamma, delta = self._require_fit()
        x, n = np.broadcast_arrays(*as_arrays(x, periods))

        def log_choose(a, b):
            return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

        total = np.exp(log_choose(n, x) + betaln(alpha + x, beta + n - x) - betaln(alpha, beta)
                       + betaln(gamma, delta + n) - betaln(gamma, delta))
        for i in range(int(np.max(n)) if n.size else 0):
            ok = (i >= x) & (i < n)
            i_safe = np.where(ok, i, x)
            term = np.exp(log_choose(i_safe, x) + betaln(alpha + x, beta + i_safe - x) - betaln(alpha, beta)
                          + betaln(gamma + 1, delta + i_safe) - betaln(gamma, delta))
            total = total + np.where(ok, term, 0.0)
        return total
