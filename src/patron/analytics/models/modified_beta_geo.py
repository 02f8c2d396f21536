"""MBG/NBD: Batislam, Denizel and Filiztekin (2007): BG/NBD in which a customer may also drop out
right after the first purchase, so that customers with no repeat purchases are not all alive."""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln

from patron.analytics.models.base import TransactionModel, counts, history, horizon
from patron.analytics.models.special import log_hyp2f1


class ModifiedBetaGeo(TransactionModel):
    PARAMS = ("r", "alpha", "a", "b")

    def _dropout_term(self, params, x, t, T):
        """log of a / (b + x) ((alpha + T) / (alpha + t))^(r + x): the odds of having dropped out."""
        r, alpha, a, b = params
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t))

    def _log_likelihood(self, params, data):
        r, alpha, a, b = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
        a2 = betaln(a, b + x + 1) - betaln(a, b)
        a3 = -(r + x) * np.log(alpha + T)
        return a1 + a2 + a3 + np.logaddexp(0, self._dropout_term(params, x, t, T))

    def _gradient(self, params, data):
        r, alpha, a, b = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        odds = self._dropout_term(params, x, t, T)
        share = np.exp(odds - np.logaddexp(0, odds))
        d_r = digamma(r + x) - digamma(r) + np.log(alpha) - np.log(alpha + T) + share * (np.log(alpha + T) - np.log(alpha + t))
        d_alpha = r / alpha - (r + x) / (alpha + T) + share * (r + x) * (1 / (alpha + T) - 1 / (alpha + t))
        d_a = digamma(a + b) - digamma(a + b + x + 1) + share / a
        d_b = digamma(a + b) + digamma(b + x + 1) - digamma(b) - digamma(a + b + x + 1) - share / (b + x)
        return np.column_stack([d_r, d_alpha, d_a, d_b])

    def probability_alive(self, frequency, recency, T):
        params = self._require_fit()
        x, t, T = history(frequency, recency, T)
        return expit(-self._dropout_term(params, x, t, T))

    def expected_purchases_new(self, t):
        r, alpha, a, b = self._require_fit()
        t = horizon(t)
        return np.maximum(b / (a - 1) * -np.expm1(log_hyp2f1(r, b + 1, a + b, t / (alpha + t)) + r * (np.log(alpha) - np.log(alpha + t))), 0.0)

    def expected_purchases(self, t, frequency, recency, T):
        r, alpha, a, b = params = self._require_fit()
        t = horizon(t)
        x, tx, T = history(frequency, recency, T)
        head = (a + b + x) / (a - 1)
        tail = -np.expm1(log_hyp2f1(r + x, b + x + 1, a + b + x, t / (alpha + T + t)) + (r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
        # head and tail change sign together at a = 1; the product is never below 0 but for rounding.
        return np.maximum(head * tail, 0.0) * expit(-self._dropout_term(params, x, tx, T))

    def probability_of_purchases(self, n, t):
        """P(a new customer makes exactly n repeat purchases in their first t units)."""
        r, alpha, a, b = self._require_fit()
        n, t = counts(n), horizon(t)
        log_q = np.log(alpha) - np.log(alpha + t)
        log_p = np.log(t) - np.log(alpha + t)
        first = np.exp(betaln(a, b + n + 1) - betaln(a, b) + gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_q + n * log_p)
        partial = np.zeros(np.broadcast(n, t).shape)
        # Died right after the n-th purchase (or at the start, for n = 0): the n-th purchase came before t.
        for j in range(int(np.max(n)) if np.size(n) else 0):
            term = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_q + j * log_p)
            partial = partial + np.where(j < n, term, 0.0)
        return first + np.exp(betaln(a + 1, b + n) - betaln(a, b)) * (1 - partial)
