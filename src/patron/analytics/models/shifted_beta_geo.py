"""sBG: Fader and Hardie (2007), "How to Project Customer Retention" (contractual settings: paid memberships).

Each member renews each period with their own probability; the churn probability theta ~ Beta(alpha, beta)
across members, so the cohort's retention rises over time as the likely leavers go first.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma

from patron.analytics.frames import AnalyticsError
from patron.analytics.models.base import Model
from patron.analytics.models.special import log_hyp2f1


class ShiftedBetaGeometric(Model):
    PARAMS = ("alpha", "beta")
    _columns = ("period", "lost", "survivors")

    def fit(self, active, initial_params: dict | None = None) -> ShiftedBetaGeometric:
        """`active`: the members of one cohort still active at its start (period 0) and at the end of
        each period 1..n: counts or percentages (only the proportions matter)."""
        alive = np.asarray(active, dtype=float)
        if alive.ndim != 1 or len(alive) < 2:
            raise AnalyticsError("sBG needs the number active at the start and after at least one period")
        if np.any(alive < 0) or np.any(np.diff(alive) > 0):
            raise AnalyticsError("the number active can only stay or fall from one period to the next")
        n = len(alive) - 1
        periods = np.arange(1, n + 1, dtype=float)
        # One row per period of leaving, and one for those who survived all n periods (period n, lost 0).
        columns = {"period": np.append(periods, n), "lost": np.append(np.zeros(n), 1.0), "survivors": np.append(np.zeros(n), 1.0)}
        weights = np.append(-np.diff(alive), alive[-1])
        columns["lost"] = 1 - columns["survivors"]
        return self._fit(columns, weights, initial_params)

    def fit_cohorts(self, cohorts, initial_params: dict | None = None) -> ShiftedBetaGeometric:
        """One fit to several cohorts observed for different numbers of periods (each a list like `fit`'s,
        in members, not percentages): the later cohorts count for the periods they have lived."""
        periods, survivors, weights = [], [], []
        for active in cohorts:
            alive = np.asarray(active, dtype=float)
            if alive.ndim != 1 or len(alive) < 2 or alive[0] <= 0:
                continue
            if np.any(alive < 0) or np.any(np.diff(alive) > 0):
                raise AnalyticsError("the number active can only stay or fall from one period to the next")
            n = len(alive) - 1
            periods += [*range(1, n + 1), n]
            survivors += [0.0] * n + [1.0]
            weights += [*(-np.diff(alive)), alive[-1]]
        if not periods:
            raise AnalyticsError("sBG needs a cohort with members at its start and at least one period observed")
        columns = {"period": np.array(periods, dtype=float), "survivors": np.array(survivors)}
        columns["lost"] = 1 - columns["survivors"]
        return self._fit(columns, np.array(weights, dtype=float), initial_params)

    def _log_likelihood(self, params, data):
        alpha, beta = params
        t, survived = data["period"], data["survivors"]
        churned = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)  # P(T = t)
        still = betaln(alpha, beta + t) - betaln(alpha, beta)  # S(t)
        return np.where(survived > 0, still, churned)

    def _gradient(self, params, data):
        alpha, beta = params
        t, survived = data["period"], data["survivors"]
        base = digamma(alpha + beta)
        # d/d(alpha, beta) of betaln(alpha + 1, beta + t - 1) and of betaln(alpha, beta + t), less betaln(alpha, beta)'s
        churned_alpha = digamma(alpha + 1) - digamma(alpha) - digamma(alpha + beta + t) + base
        churned_beta = digamma(beta + t - 1) - digamma(beta) - digamma(alpha + beta + t) + base
        still_alpha = base - digamma(alpha + beta + t)
        still_beta = digamma(beta + t) - digamma(beta) - digamma(alpha + beta + t) + base
        keep = survived > 0
        return np.column_stack([np.where(keep, still_alpha, churned_alpha), np.where(keep, still_beta, churned_beta)])

    def survival(self, t):
        """S(t): the share of a new cohort still active after t periods."""
        alpha, beta = self._require_fit()
        return np.exp(betaln(alpha, beta + np.asarray(t, dtype=float)) - betaln(alpha, beta))

    def retention(self, t):
        """r(t) = S(t) / S(t - 1): the share of those active after t - 1 periods who renew in period t."""
        alpha, beta = self._require_fit()
        t = np.asarray(t, dtype=float)
        return (beta + t - 1) / (alpha + beta + t - 1)

    def expected_remaining_lifetime(self, renewals, discount_rate: float = 0.0):
        """DERL: the expected (discounted) number of further payments of a member who has renewed
        `renewals` times (Fader and Hardie, 2010), at `discount_rate` per period (0: undiscounted)."""
        alpha, beta = self._require_fit()
        n = np.asarray(renewals, dtype=float) + 1
        if discount_rate < 0:
            raise AnalyticsError("discount_rate must be 0 or more")
        return (beta + n - 1) / (alpha + beta + n - 1) * np.exp(log_hyp2f1(1, beta + n, alpha + beta + n, 1 / (1 + discount_rate)))
