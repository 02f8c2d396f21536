"""Pareto/NBD: Schmittlein, Morrison and Colombo (1987), in the form of Fader and Hardie's note
"A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).

Purchases at Poisson rate lambda ~ Gamma(r, alpha) while alive; a lifetime exponential with rate
mu ~ Gamma(s, beta). The likelihood's Gauss hypergeometric terms are evaluated with the argument
kept in [0, 1) (by taking the larger of alpha and beta first) and combined in log space.
"""

from __future__ import annotations

import numpy as np
from scipy.special import gammaln, hyp2f1

from patron.analytics.models.base import TransactionModel, as_arrays


class ParetoNBD(TransactionModel):
    PARAMS = ("r", "alpha", "s", "beta")

    def _initial(self, data, weights):
        scale = max(float(np.average(data["T"], weights=weights)) / 4, 1e-2)
        return np.array([0.5, scale, 0.5, scale])

    @staticmethod
    def _log_a0(params, x, t, T):
        """log A0, the integral over the customer having died between t and T (the note's eq. 19).

        Each 2F1(r+s+x, b; r+s+x+1; z) is taken through Pfaff's transformation to
        (1 - z)^-b 2F1(1, b; r+s+x+1; z / (z - 1)), whose value lies in (0, 1] for every history,
        so heavy buyers (hundreds of purchases) neither overflow nor lose precision.
        """
        r, alpha, s, beta = params
        if alpha >= beta:
            big, small, second = alpha, beta, s + 1
        else:
            big, small, second = beta, alpha, r + x
        rsx = r + s + x
        gap = big - small

        def log_term(age):
            # log of 2F1(rsx, second; rsx + 1; gap / (big + age)) / (big + age)^rsx
            return (second * (np.log(big + age) - np.log(small + age)) + np.log(hyp2f1(1, second, rsx + 1, -gap / (small + age)))
                    - rsx * np.log(big + age))

        log_1, log_2 = log_term(t), log_term(T)
        # log(exp(log_1) - exp(log_2)), with log_1 >= log_2
        with np.errstate(divide="ignore"):
            return log_1 + np.log1p(-np.exp(np.minimum(log_2 - log_1, 0)))

    def _log_likelihood(self, params, data):
        r, alpha, s, beta = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        with np.errstate(divide="ignore"):
            died = np.log(s) - np.log(r + s + x) + self._log_a0(params, x, t, T)
        return head + np.logaddexp(alive, died)

    def probability_alive(self, frequency, recency, T):
        params = self._require_fit()
        r, alpha, s, beta = params
        x, t, T = as_arrays(frequency, recency, T)
        with np.errstate(divide="ignore"):
            log_ratio = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + T) + s * np.log(beta + T)
                         + self._log_a0(params, x, t, T))
        return 1 / (1 + np.exp(log_ratio))

    def expected_purchases_new(self, t):
        r, alpha, s, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        if abs(s - 1) < 1e-9:
            return r * beta / alpha * np.log((beta + t) / beta)
        return r * beta / (alpha * (s - 1)) * (1 - np.exp((s - 1) * (np.log(beta) - np.log(beta + t))))

    def expected_purchases(self, t, frequency, recency, T):
        r, alpha, s, beta = self._require_fit()
        t, x, tx, T = as_arrays(t, frequency, recency, T)
        if abs(s - 1) < 1e-9:
            rate = (r + x) * (beta + T) / (alpha + T) * np.log((beta + T + t) / (beta + T))
        else:
            rate = (r + x) * (beta + T) / ((alpha + T) * (s - 1)) * (1 - np.exp((s - 1) * (np.log(beta + T) - np.log(beta + T + t))))
        return rate * self.probability_alive(x, tx, T)

    def probability_of_purchases(self, n, t, nodes: int = 256):
        """P(a new customer makes exactly n purchases in their first t units).

        Alive at t: (beta / (beta + t))^s times the NBD probability of n in t; died at tau < t: the
        lifetime's density times the NBD probability of n in tau, integrated by Gauss-Legendre quadrature.
        """
        r, alpha, s, beta = self._require_fit()
        n, t = np.broadcast_arrays(*as_arrays(n, t))

        def nbd(k, span):
            with np.errstate(divide="ignore"):
                return np.exp(gammaln(r + k) - gammaln(r) - gammaln(k + 1) + r * (np.log(alpha) - np.log(alpha + span))
                              + k * (np.log(span) - np.log(alpha + span)))

        alive = np.exp(s * (np.log(beta) - np.log(beta + t))) * nbd(n, t)
        points, weights = np.polynomial.legendre.leggauss(nodes)
        tau = (points[:, None] + 1) / 2 * t.ravel()[None, :]  # nodes mapped onto [0, t] for each t
        density = s * np.exp(s * np.log(beta) - (s + 1) * np.log(beta + tau))
        died = (weights[:, None] * density * nbd(n.ravel()[None, :], tau)).sum(axis=0) * t.ravel() / 2
        return alive + died.reshape(alive.shape)
