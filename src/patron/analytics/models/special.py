"""The Gauss hypergeometric function where the models need it, right over the whole range they reach.

SciPy's `hyp2f1` returns NaN or wrong values at large parameters with a negative argument (2F1(1, 510.5; 514.5;
-2.79) is NaN, true 0.2654; 2F1(1, 29.57; 73.29; -22.49) gives 85859, true 0.1009), and overflows for heavy buyers
(2F1(r + x, b + x; a + b + x - 1; z) with x in the thousands). `log_hyp2f1` avoids both:

- The argument is moved into [0, 1) and the series' numerator parameters kept small, by the exact transformations
  (Pfaff for z < 0: (1 - z)^-a 2F1(a, c - b; c; z / (z - 1)) or (1 - z)^-b 2F1(c - a, b; c; z / (z - 1)); Euler for
  0 <= z < 1: (1 - z)^(c - a - b) 2F1(c - a, c - b; c; z)), choosing the form whose numerator parameters are
  smallest, and the value is returned as a logarithm, so the factor (1 - z)^e never overflows.
- With a, b, c > 0 and 0 <= w < 1 every term of the series is positive, so the value is at least 1: SciPy's answer
  there is taken when it is finite and at least 1.
- Where it is not, the series is summed here in log space until a term no longer changes the sum (at most
  SERIES_TERMS terms), and what still has not converged goes to mpmath at high precision.

A value nothing can compute is NaN; the models turn that into a ModelError naming the customer's history.
"""

from __future__ import annotations

import numpy as np
from scipy import special

SERIES_TERMS = 2_000
PRECISION_DIGITS = 30
PRECISE_LIMIT = 100
PARAMETER_LIMIT = 1e12
PRECISE_PARAMETER_LIMIT = 1e7


def log_hyp2f1(a, b, c, z) -> np.ndarray:
    """log 2F1(a, b; c; z) for z < 1, elementwise, with a, b and c positive."""
    a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, c, z)))
    neg = z < 0
    with np.errstate(all="ignore"):
        w = np.where(neg, z / (z - 1), z)
        log_factor = np.log1p(-z)
    # The two forms of each side: numerator parameters, and the exponent of (1 - z) in front.
    forms = [(a, np.where(neg, c - b, b), np.where(neg, -a, 0.0)),
             (c - a, np.where(neg, b, c - b), np.where(neg, -b, c - a - b))]
    smaller = np.abs(forms[0][0] * forms[0][1]) <= np.abs(forms[1][0] * forms[1][1])
    first = tuple(np.where(smaller, f0, f1) for f0, f1 in zip(*forms))
    second = tuple(np.where(smaller, f1, f0) for f0, f1 in zip(*forms))
    result = np.full(a.shape, np.nan)
    # Where an optimiser has wandered (parameters beyond PARAMETER_LIMIT, or not numbers) the value is NaN, and the fit
    # steps back: SciPy's hyp2f1 crashes the process on some such arguments (2.7e121 with a NaN argument).
    left = np.isfinite(w) & np.all([np.abs(v) < PARAMETER_LIMIT for v in (a, b, c)], axis=0)
    for p, q, e in (first, second):  # the smaller form first, then the other where it failed
        at = np.flatnonzero(left.ravel())
        if not at.size:
            break
        pp, qq, cc, ww, ee = (v.ravel()[at] for v in (p, q, c, w, e))
        with np.errstate(all="ignore"):
            value = special.hyp2f1(pp, qq, cc, ww)
            found = ee * log_factor.ravel()[at] + np.log(value)
        # With every parameter positive each term is positive, so the series is at least 1.
        sane = np.isfinite(found) & (value > 0) & (((pp <= 0) | (qq <= 0)) | (value >= 1 - 1e-12))
        result.ravel()[at[sane]] = found[sane]
        left.ravel()[at[sane]] = False
    at = np.flatnonzero(left.ravel())
    if at.size:  # summed here, from the form whose parameters are all positive
        positive = (forms[0][0] > 0) & (forms[0][1] > 0)
        p, q, e = (np.where(positive, f0, f1).ravel()[at] for f0, f1 in zip(*forms))
        series = _series(p, q, c.ravel()[at], w.ravel()[at])
        unconverged = np.flatnonzero(~np.isfinite(series))
        # mpmath takes about a millisecond a value: a few heavy buyers, not thousands of customers at parameters an
        # optimiser is only passing through (there the value is NaN, and the fit steps back or names why it failed).
        for i in unconverged if len(unconverged) <= PRECISE_LIMIT else ():
            series[i] = _precise(p[i], q[i], c.ravel()[at][i], w.ravel()[at][i])
        result.ravel()[at] = e * log_factor.ravel()[at] + series
    return result


def complement(log_front, a, b, c, z) -> np.ndarray:
    """1 - exp(log_front) 2F1(a, b; c; z), elementwise: what the models' expected purchases are made of.

    In log space where c > 0 (log_hyp2f1). BG/NBD reaches c = a + b - 1 < 0 for a customer without repeats when
    a + b < 1 (a young shop whose buyers mostly buy once), where the series can turn negative and has no logarithm:
    there the value itself is taken, from SciPy where it is finite and from mpmath where it is not."""
    log_front, a, b, c, z = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (log_front, a, b, c, z)))
    result = np.empty(a.shape)
    positive = c > 0
    with np.errstate(all="ignore"):
        result[positive] = -np.expm1(log_front[positive] + log_hyp2f1(a[positive], b[positive], c[positive], z[positive]))
        if not positive.all():
            direct = special.hyp2f1(a[~positive], b[~positive], c[~positive], z[~positive])
            for i in np.flatnonzero(~np.isfinite(direct)):
                direct[i] = _precise_value(*(v[~positive][i] for v in (a, b, c, z)))
            result[~positive] = 1 - np.exp(log_front[~positive]) * direct
    return result


def _series(p: np.ndarray, q: np.ndarray, c: np.ndarray, w: np.ndarray) -> np.ndarray:
    """log sum_k (p)_k (q)_k / ((c)_k k!) w^k for positive p, q, c and 0 <= w < 1, in log space; NaN where it has not
    converged within SERIES_TERMS terms (or the parameters are not positive)."""
    total = np.zeros(len(p))
    term = np.zeros(len(p))
    # The terms fall at last by a factor w each: one that needs more than SERIES_TERMS of them to fall by e^40 is
    # left to mpmath at once rather than summed for nothing.
    with np.errstate(divide="ignore"):
        hopeless = 40 / -np.log(np.clip(w, 1e-300, 1 - 1e-16)) > SERIES_TERMS
    done = ~((p > 0) & (q > 0) & (c > 0) & (w >= 0) & (w < 1)) | hopeless
    result = np.where(done, np.nan, 0.0)
    active = np.flatnonzero(~done)
    with np.errstate(divide="ignore"):
        log_w = np.log(w)
    for k in range(SERIES_TERMS):
        if not active.size:
            break
        pa, qa, ca = p[active], q[active], c[active]
        term[active] += np.log(pa + k) + np.log(qa + k) - np.log(ca + k) - np.log(k + 1) + log_w[active]
        total[active] = np.logaddexp(total[active], term[active])
        # Converged once the terms are falling and a term is below the last digit of the sum.
        falling = (pa + k) * (qa + k) * w[active] < (ca + k) * (k + 1)
        finished = falling & (term[active] - total[active] < -40)
        result[active[finished]] = total[active[finished]]
        active = active[~finished]
    result[active] = np.nan
    return result


def _precise(a: float, b: float, c: float, z: float) -> float:
    """log 2F1(a, b; c; z) by mpmath at PRECISION_DIGITS digits; NaN where even it does not converge."""
    import mpmath

    value = _mp_value(a, b, c, z)
    return float(mpmath.log(value)) if value is not None and value > 0 else float("nan")


def _precise_value(a: float, b: float, c: float, z: float) -> float:
    value = _mp_value(a, b, c, z)
    return float("nan") if value is None else float(value)


def _mp_value(a: float, b: float, c: float, z: float):
    """2F1(a, b; c; z) by mpmath at PRECISION_DIGITS digits; None where it does not converge or is not real, or where
    a parameter is beyond PRECISE_PARAMETER_LIMIT: there mpmath takes seconds to minutes a value (2F1(1, 1e8; 1e8 + 1;
    0.9996) ran 8 s and did not converge), at parameters only an optimiser passing through reaches."""
    import mpmath

    if max(abs(a), abs(b), abs(c)) > PRECISE_PARAMETER_LIMIT:
        return None
    with mpmath.workdps(PRECISION_DIGITS):
        try:
            value = mpmath.hyp2f1(a, b, c, z, maxterms=10**6)
        except (mpmath.libmp.NoConvergence, ValueError, ZeroDivisionError):
            return None
        return value.real if mpmath.im(value) == 0 else None
