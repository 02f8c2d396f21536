"""MBG/CNBD-k: MBG/NBD with Erlang-k times between purchases (Reutterer, Platzer and Schröder 2020, "Leveraging
purchase regularity for predicting customer behavior the easy way"; the R package BTYDplus, `mbgcnbd.*`).

A customer buys with Erlang-k gaps of rate lambda ~ Gamma(r, alpha) (k = 1 is the Poisson process of MBG/NBD; a
larger k is a more regular rhythm, as in grocery), and after every purchase, the first included, drops out with
probability p ~ Beta(a, b). Regularity is learned from `litt`, the sum of the logarithms of a customer's times
between purchases (`rfm_summary(..., litt=True)`); k is a whole number chosen by likelihood (1 to 12, stopping once
it has fallen twice), or given.

Given lambda and p, a history (x repeat purchases, the last at t_x, observed to T) has likelihood
(1 - p)^x lambda^(kx) e^(-lambda t_x) prod(gaps)^(k-1) / ((k-1)!)^x [p + (1 - p) P(no purchase in (t_x, T])], the
last probability the Erlang tail sum_{j<k} e^(-lambda d) (lambda d)^j / j!. Integrating over lambda and p gives the
log-likelihood below, which for k = 1 is MBG/NBD's. The expected purchases of a customer follow BTYDplus: MBG/NBD's
expression with alpha scaled by k, and for k > 1, over a whole cohort of at least 100 customers, rescaled so that
their sum equals the exact unconditional expectation's (sum over n of B(a, b + n) / B(a, b) I(t / (alpha + t); nk, r),
the regularized incomplete beta function).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, expit, gammaln, logsumexp

from patron.analytics.frames import AnalyticsError
from patron.analytics.models.base import ModelError, TransactionModel, check_history, history, horizon, summary_columns
from patron.analytics.models.special import complement

MAX_K = 12
COHORT = 100  # BTYDplus rescales a cohort's expectations from this many customers
MAX_TERMS = 1_000_000  # of the unconditional expectation's sum over purchases


class ModifiedBetaGeoCNBD(TransactionModel):
    PARAMS = ("r", "alpha", "a", "b")
    _columns = ("frequency", "recency", "T", "litt")
    _saved = ("k",)
    sampled_fit = True  # a numeric gradient, and a fit for every k it tries

    def __init__(self, params: dict[str, float] | None = None, k: int | None = None):
        if k is not None and (not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K):
            raise ModelError(f"k must be a whole number from 1 to {MAX_K}, not {k!r}")
        self.k = None if k is None else int(k)
        super().__init__(params)
        if params is not None and self.k is None:
            raise ModelError("MBG/CNBD-k's parameters need k as well")

    def __repr__(self) -> str:
        return super().__repr__().replace("(", f"(k={self.k}, ", 1) if self.params else super().__repr__()

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, frequency=None, recency=None, T=None, litt=None, *, summary=None, weights=None, initial_params=None):
        columns = summary_columns(summary, self._columns, {"frequency": frequency, "recency": recency, "T": T, "litt": litt})
        check_history(columns)
        gaps = np.asarray(columns["litt"], dtype=float)
        if not np.all(np.isfinite(gaps)):
            raise AnalyticsError("litt must be a finite number for every customer (0 for one without repeats)")
        if self.k is not None:
            return self._fit_k(self.k, columns, weights, initial_params)
        best, falling, last = None, 0, -np.inf
        for k in range(1, MAX_K + 1):
            try:
                fitted = type(self)(k=k)._fit_k(k, columns, weights, initial_params)
            except ModelError:
                break  # as BTYDplus: a k the data cannot fit ends the search
            if best is None or fitted.log_likelihood > best.log_likelihood:
                best = fitted
            falling = falling + 1 if fitted.log_likelihood < last else 0
            last = fitted.log_likelihood
            if falling == 2:
                break
        if best is None:
            raise ModelError("MBG/CNBD-k could not be fitted for any k")
        self.__dict__.update(best.__dict__)
        return self

    def _fit_k(self, k: int, columns, weights, initial_params):
        self.k = k
        return self._fit(columns, weights, initial_params)

    def _initial(self, data, weights):
        start = super()._initial(data, weights)
        start[1] *= self.k  # a gap's mean is k / lambda: the rate's scale grows with k
        return start

    def _log_likelihood(self, params, data):
        r, alpha, a, b = params
        k = self.k
        x, t, T, litt = data["frequency"], data["recency"], data["T"], data["litt"]
        head = ((k - 1) * litt - x * gammaln(k) + betaln(a, b + x + 1) - betaln(a, b) + gammaln(r + k * x) - gammaln(r)
                + r * np.log(alpha) - (r + k * x) * np.log(alpha + T))
        return head + np.logaddexp(self._log_dropped(params, x, t, T), self._log_quiet(params, x, t, T))

    def _log_dropped(self, params, x, t, T):
        """log of a / (b + x) ((alpha + T) / (alpha + t_x))^(r + kx): having dropped out, against being alive."""
        r, alpha, a, b = params
        return np.log(a) - np.log(b + x) + (r + self.k * x) * (np.log(alpha + T) - np.log(alpha + t))

    def _log_quiet(self, params, x, t, T):
        """log of sum_{j<k} (r + kx)_j (T - t_x)^j / (j! (alpha + T)^j): alive, yet no purchase since t_x."""
        r, alpha, a, b = params
        rise = r + self.k * x
        with np.errstate(divide="ignore"):
            log_gap = np.log(T - t) - np.log(alpha + T)
        terms = [gammaln(rise + j) - gammaln(rise) - gammaln(j + 1) + (j * log_gap if j else 0.0) for j in range(self.k)]
        return logsumexp(np.array(terms), axis=0)

    # -- predictions -----------------------------------------------------------------------
    def _known_k(self) -> int:
        if self.k is None:
            raise ModelError("MBG/CNBD-k has no k yet: call fit() or give k")
        return self.k

    def probability_alive(self, frequency, recency, T):
        params = self._require_fit()
        self._known_k()
        x, t, T = history(frequency, recency, T)
        return expit(self._log_quiet(params, x, t, T) - self._log_dropped(params, x, t, T))

    def expected_purchases_new(self, t):
        """Repeat purchases of a new customer in their first t units: the sum over n of P(still a customer after n - 1
        repeats, the first purchase's dropout included) P(the n-th came by t) = B(a, b + n) / B(a, b) I(z; nk, r)."""
        self._require_fit()
        self._known_k()
        t = horizon(t)
        values, inverse = np.unique(np.atleast_1d(t).ravel(), return_inverse=True)
        found = np.array([self._unconditional(float(v)) for v in values])
        return found[inverse].reshape(np.shape(t))

    def _unconditional(self, t: float) -> float:
        r, alpha, a, b = self._require_fit()
        if t <= 0:
            return 0.0
        z = t / (alpha + t)
        # I(z; nk, r) falls about as z^(nk): enough terms for it to fall by e^60.
        n = np.arange(1, int(min(MAX_TERMS, 60 / (self.k * -np.log(z)) + 100)) + 1)
        return float(np.sum(np.exp(betaln(a, b + n) - betaln(a, b)) * betainc(n * self.k, r, z)))

    def expected_purchases(self, t, frequency, recency, T):
        """BTYDplus's approximation: MBG/NBD's conditional expectation with alpha scaled by k, times P(alive); for
        k > 1 and a cohort of at least 100 customers (one horizon for all), rescaled so that the cohort's total equals the
        exact unconditional expectation's."""
        r, alpha, a, b = params = self._require_fit()
        k = self._known_k()
        t = horizon(t)
        x, tx, T = history(frequency, recency, T)
        if abs(a - 1) < 0.005:
            a += 0.01  # BTYDplus: the expression is not defined at a = 1
        scale = k * alpha + T
        head = (a + b + x) / (a - 1)
        tail = complement((r + x) * (np.log(scale) - np.log(scale + t)), r + x, b + x + 1, a + b + x, t / (scale + t))
        alive = expit(self._log_quiet(params, x, tx, T) - self._log_dropped(params, x, tx, T))
        expected = np.maximum(head * tail, 0.0) * alive
        if k > 1 and np.ndim(expected) and expected.size >= COHORT and np.ndim(t) == 0 and expected.sum() > 0:
            ages, counts = np.unique(T, return_counts=True)
            exact = np.sum(counts * (self.expected_purchases_new(ages + t) - self.expected_purchases_new(ages)))
            expected = expected * exact / expected.sum()
        return expected
