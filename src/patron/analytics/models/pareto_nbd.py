"""Pareto/NBD: Schmittlein, Morrison and Colombo (1987), in the form of Fader and Hardie's note
"A Note on Deriving the Pareto/NBD Model and Related Expressions" (2005).

Purchases at Poisson rate lambda ~ Gamma(r, alpha) while alive; a lifetime exponential with rate
mu ~ Gamma(s, beta). The likelihood's Gauss hypergeometric terms are evaluated with the argument
kept in [0, 1) (by taking the larger of alpha and beta first) and combined in log space.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, expit, gammaln

from patron.analytics.models.base import TransactionModel, counts, history, horizon
from patron.analytics.models.special import log_hyp2f1


# Tanh-sinh (double exponential) quadrature on [0, 1]: nodes and weights. Its nodes crowd both ends of the
# interval; for |k| <= 2.75 the nearest lies 2e-11 from an end, so it is still distinct from it.
_STEP = 1 / 8
_K = np.arange(-22, 23) * _STEP  # the weights beyond are below 1e-9 of the largest, for a smooth integrand
_U = np.pi / 2 * np.sinh(_K)
_FROM_0 = 1 / (1 + np.exp(-2 * _U))
_WEIGHTS = _STEP * np.pi / 4 * np.cosh(_K) / np.cosh(_U) ** 2


CHUNK = 2048  # rows per pass of the quadrature: its arrays stay in the processor's cache and are made once per fit


def _work(rows: int) -> np.ndarray:
    """The quadrature's buffers for up to four pieces per row, CHUNK rows at a time."""
    return np.empty((7, min(max(rows, 1), CHUNK) * 4 * len(_K)))


class ParetoNBD(TransactionModel):
    PARAMS = ("r", "alpha", "s", "beta")
    sampled_fit = True  # its gradient is a quadrature over every customer's time of death

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
            return (second * (np.log(big + age) - np.log(small + age)) + log_hyp2f1(1, second, rsx + 1, -gap / (small + age))
                    - rsx * np.log(big + age))

        log_1, log_2 = log_term(t), log_term(T)
        # log(exp(log_1) - exp(log_2)), with log_1 >= log_2
        with np.errstate(divide="ignore"):
            return log_1 + np.log1p(-np.exp(np.minimum(log_2 - log_1, 0)))

    def _branches(self, params, x, t, T) -> tuple[np.ndarray, np.ndarray]:
        """log of the likelihood's "alive at T" and "died between t and T" parts, less the common head."""
        r, alpha, s, beta = params
        alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
        with np.errstate(divide="ignore"):
            died = np.log(s) - np.log(r + s + x) + self._log_a0(params, x, t, T)
        return alive, died

    def _log_likelihood(self, params, data):
        r, alpha, s, beta = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        return head + np.logaddexp(*self._branches(params, x, t, T))

    def _total(self, params, data, weights, with_gradient):
        """As the base's, with the likelihood's two branches computed once for the value and the gradient."""
        r, alpha, s, beta = params
        x, t, T = data["frequency"], data["recency"], data["T"]
        alive, died = self._branches(params, x, t, T)
        head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        total = float(weights @ (head + np.logaddexp(alive, died)))
        return total, (weights @ self._row_gradient(params, x, t, T, alive, died, data.get("work")) if with_gradient else None)

    def _prepare(self, data, weights):
        return {**data, "work": _work(len(weights))}

    def _gradient(self, params, data):
        x, t, T = data["frequency"], data["recency"], data["T"]
        return self._row_gradient(params, x, t, T, *self._branches(params, x, t, T), data.get("work"))

    @staticmethod
    def _expectations(params, x, k, log_start, lows, highs, work) -> np.ndarray:
        """The died part's derivatives, as expectations of d log f under f(tau) on each row's pieces (in z, from
        lows to highs: rows x pieces), by tanh-sinh quadrature, CHUNK rows at a time in the `work` buffers."""
        r, alpha, s, beta = params
        rows, pieces = lows.shape
        work = _work(rows) if work is None else work
        width = pieces * len(_K)
        out = np.empty((rows, 4))
        for first in range(0, rows, CHUNK):
            chunk = slice(first, min(first + CHUNK, rows))
            n = chunk.stop - chunk.start
            z, quadrature, log_alpha_tau, alpha_tau, beta_tau, log_beta_tau, weight = (
                buffer[:n * width].reshape(n, width) for buffer in work)
            low, span = lows[chunk][:, :, None], (highs[chunk] - lows[chunk])[:, :, None]
            np.add(np.multiply(span, _FROM_0, out=z.reshape(n, pieces, -1)), low, out=z.reshape(n, pieces, -1))
            np.multiply(span, _WEIGHTS, out=quadrature.reshape(n, pieces, -1))
            np.multiply(z, (1 / k[chunk])[:, None], out=log_alpha_tau)
            log_alpha_tau += log_start[chunk][:, None]
            np.exp(log_alpha_tau, out=alpha_tau)
            np.add(alpha_tau, beta - alpha, out=beta_tau)
            np.log(beta_tau, out=log_beta_tau)
            # f(tau) dtau in z, up to a factor per row: exp(-z) ((alpha + tau) / (beta + tau))^(s+1), times the nodes' weights
            np.subtract(log_alpha_tau, log_beta_tau, out=weight)
            weight *= s + 1
            weight -= z
            weight -= weight.max(axis=1, keepdims=True)
            np.exp(weight, out=weight)
            weight *= quadrature
            total = weight.sum(axis=1)

            def expect(values):
                return np.einsum("ij,ij->i", values, weight)

            out[chunk] = np.column_stack([
                -expect(log_alpha_tau), -(r + x[chunk]) * expect(np.reciprocal(alpha_tau, out=alpha_tau)),
                total / s - expect(log_beta_tau), -(s + 1) * expect(np.reciprocal(beta_tau, out=beta_tau)),
            ]) / total[:, None]
        return out

    def _row_gradient(self, params, x, t, T, alive, died, work=None):
        """The exact partial derivatives of each row's log-likelihood.

        The "died between t and T" part is s times the integral over the time of death tau of
        f(tau) = (alpha + tau)^-(r+x) (beta + tau)^-(s+1), so its log's derivatives are expectations of
        d log f under f on [t, T], computed by quadrature to about 1e-9 (checked against differences of
        the exact likelihood over a wide range of parameters and histories, heavy buyers included).
        """
        r, alpha, s, beta = params
        k = r + s + x
        share = np.exp(died - np.logaddexp(alive, died))  # P(died before T | the history)
        # In z = (r+s+x) log((alpha + tau) / (alpha + t)), on [0, z(T)], f dtau is proportional to
        # exp(-z) ((alpha + tau) / (beta + tau))^(s+1) dz: a log-concave weight (when beta > alpha) whose one
        # peak is found in closed form, or a weight falling from z = 0. The interval is cut at the peak and
        # at about 30 of the weight's own scales on either side of it (from its slope at an end, its
        # curvature inside), so each piece holds one smooth stretch and tanh-sinh's nodes crowd the peak.
        log_start = np.log(alpha + t)
        end = k * (np.log(alpha + T) - log_start)
        top = (s + 1) * (beta - alpha) / k - beta  # the peak's tau: d/dz of the log weight is 0 there

        def slope(tau):
            return (s + 1) * (beta - alpha) / (k * (beta + tau)) - 1

        with np.errstate(invalid="ignore", divide="ignore"):
            inside = (top > t) & (top < T)
            peak = np.where(inside, k * (np.log(np.maximum(alpha + top, alpha + t)) - log_start), np.where(top >= T, end, 0))
            curvature = (alpha + top) / (k * (beta + top))
            scale = np.where(inside, 1 / np.sqrt(curvature), 1 / np.abs(np.where(top >= T, slope(T), slope(t))))
        reach = 30 * np.nan_to_num(scale, nan=np.inf)
        cuts = [np.zeros_like(end), np.clip(peak - reach, 0, end), peak, np.clip(peak + reach, 0, end), end]
        pieces = [i for i in range(4) if np.any(cuts[i + 1] > cuts[i])]  # all peaks at 0: two
        if not pieces:  # nothing to integrate anywhere (parameters where the likelihood is not finite): no gradient
            return np.full((len(x), len(params)), np.nan)
        with np.errstate(invalid="ignore", divide="ignore"):  # rows with t = T have nothing to integrate (and no weight: share 0)
            died_grad = self._expectations(params, x, k, log_start, np.column_stack([cuts[i] for i in pieces]),
                                           np.column_stack([cuts[i + 1] for i in pieces]), work)
        alive_grad = np.column_stack([-np.log(alpha + T), -(r + x) / (alpha + T), -np.log(beta + T), -s / (beta + T)])
        head = np.column_stack([digamma(r + x) - digamma(r) + np.log(alpha), np.full_like(x, r / alpha),
                                np.full_like(x, np.log(beta)), np.full_like(x, s / beta)])
        mixed = (1 - share)[:, None] * alive_grad + share[:, None] * np.nan_to_num(died_grad)
        return head + mixed

    def probability_alive(self, frequency, recency, T):
        x, t, T = history(frequency, recency, T)
        alive, died = self._branches(self._require_fit(), x, t, T)
        return expit(alive - died)

    def expected_purchases_new(self, t):
        r, alpha, s, beta = self._require_fit()
        t = horizon(t)
        if abs(s - 1) < 1e-9:
            return r * beta / alpha * np.log((beta + t) / beta)
        return r * beta / (alpha * (s - 1)) * (1 - np.exp((s - 1) * (np.log(beta) - np.log(beta + t))))

    def expected_purchases(self, t, frequency, recency, T):
        r, alpha, s, beta = self._require_fit()
        t = horizon(t)
        x, tx, T = history(frequency, recency, T)
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
        n, t = np.broadcast_arrays(counts(n), horizon(t))

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
