"""What every probability model shares: fitting by maximum likelihood on compressed sufficient
statistics, standard errors from the Hessian, a convergence check, and saving as plain data.

A model defines `PARAMS` (names, in the papers' order), `_columns` (the sufficient statistics it
fits on), `_log_likelihood(params, data)` (one value per row, in log space) and, where it has one,
`_gradient(params, data)` (one row of partial derivatives per data row). Parameters are optimised
on the log scale, so they stay positive without bounds.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import optimize

from patron.analytics.frames import AnalyticsError


class ModelError(AnalyticsError):
    """A fit that did not converge, a model used before fitting, or saved parameters that do not fit the model."""


class Model:
    PARAMS: ClassVar[tuple[str, ...]] = ()
    _columns: ClassVar[tuple[str, ...]] = ()
    _compress: ClassVar[bool] = True  # False where rows rarely repeat (amounts of money)
    _saved: ClassVar[tuple[str, ...]] = ()  # attributes besides the parameters that to_dict keeps and from_dict gives back
    # A fit slow enough per customer that a large shop's is made on a sample (sample_of): its few parameters need no more.
    sampled_fit: ClassVar[bool] = False

    def __init__(self, params: dict[str, float] | None = None):
        self.params: dict[str, float] | None = None
        self.log_likelihood: float | None = None
        self.standard_errors: dict[str, float] | None = None
        self.observations = 0
        if params is not None:
            self._set(params)

    # -- saving -----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self._require_fit()
        return {"model": type(self).__name__, "params": dict(self.params), "log_likelihood": self.log_likelihood,
                "standard_errors": self.standard_errors, "observations": self.observations,
                **{name: getattr(self, name) for name in self._saved}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if data.get("model") != cls.__name__:
            raise ModelError(f"saved parameters are for {data.get('model')!r}, not {cls.__name__}")
        model = cls(data["params"], **{name: data.get(name) for name in cls._saved})
        model.log_likelihood = data.get("log_likelihood")
        model.standard_errors = data.get("standard_errors")
        model.observations = data.get("observations", 0)
        return model

    def _set(self, params: dict[str, float]) -> None:
        missing = [p for p in self.PARAMS if p not in params]
        if missing:
            raise ModelError(f"{type(self).__name__} needs parameters {', '.join(self.PARAMS)}; missing {', '.join(missing)}")
        values = {p: float(params[p]) for p in self.PARAMS}
        bad = [p for p, v in values.items() if not (np.isfinite(v) and v > 0)]
        if bad:
            raise ModelError(f"{type(self).__name__} parameters must be positive numbers: {', '.join(bad)}")
        self.params = values

    def _require_fit(self) -> np.ndarray:
        if self.params is None:
            raise ModelError(f"{type(self).__name__} has no parameters yet: call fit() or from_dict() first")
        return np.array([self.params[p] for p in self.PARAMS])

    def __repr__(self) -> str:
        if self.params is None:
            return f"{type(self).__name__}(not fitted)"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return f"{type(self).__name__}({shown}, log_likelihood={self.log_likelihood:.2f})" if self.log_likelihood else f"{type(self).__name__}({shown})"

    def expected_purchases_at(self, horizons, frequency, recency, T) -> np.ndarray:
        """Expected purchases by each horizon, one row per horizon (models may compute this faster)."""
        return np.array([self.expected_purchases(h, frequency, recency, T) for h in horizons])

    def expected_purchases_combined(self, horizons, coefficients, frequency, recency, T) -> np.ndarray:
        """sum_i coefficients[i] x expected purchases by horizons[i], per customer (a discounted CLV is one)."""
        return np.tensordot(np.asarray(coefficients, dtype=float), self.expected_purchases_at(horizons, frequency, recency, T), axes=1)

    # -- fitting ----------------------------------------------------------------------------
    def _gradient(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray | None:
        return None

    def _log_likelihood(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _prepare(self, data: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, Any]:
        """A model may precompute what stays fixed during a fit (distinct values, index arrays)."""
        return data

    def _total(self, params: np.ndarray, data, weights: np.ndarray, with_gradient: bool):
        """The weighted total log-likelihood and, when asked and known, its gradient in the natural parameters."""
        total = float(np.dot(weights, self._log_likelihood(params, data)))
        if not with_gradient:
            return total, None
        grad = self._gradient(params, data)
        return total, (None if grad is None else weights @ grad)

    def _has_gradient(self) -> bool:
        return type(self)._gradient is not Model._gradient or type(self)._total is not Model._total

    def _initial(self, data: dict[str, np.ndarray], weights: np.ndarray) -> np.ndarray:
        return np.ones(len(self.PARAMS))

    def _fit(self, columns: dict[str, Any], weights=None, initial_params: dict[str, float] | None = None, tol: float = 1e-10):
        if self._compress:
            data, weights = compress(columns, weights)
        else:
            data = {name: np.asarray(values, dtype=float) for name, values in columns.items()}
            weights = np.ones(len(next(iter(data.values())))) if weights is None else np.asarray(weights, dtype=float)
            if any(np.isnan(a).any() for a in data.values()) or np.isnan(weights).any():
                raise AnalyticsError("fit() got missing values")
            _weights(weights)
        if not len(weights):
            raise ModelError(f"{type(self).__name__}.fit needs at least one customer")
        self.observations = int(round(weights.sum()))
        start = (np.array([initial_params[p] for p in self.PARAMS]) if initial_params
                 else self._initial(data, weights))
        if self._has_hessian() and not initial_params and len(weights) > 4 * START_ROWS:
            start = self._start_from_sample(data, weights, start)
        data = self._prepare(data, weights)
        scale = weights.sum()
        analytic = self._has_gradient()
        result = self._optimise(data, weights, start, tol)
        params = np.exp(result.x)
        if not np.all(np.isfinite(params)) or not np.isfinite(result.fun):
            raise ModelError(f"{type(self).__name__} fit failed: the likelihood is not finite ({result.message})")
        extreme = [f"{name}={value:.3g}" for name, value, log in zip(self.PARAMS, params, result.x) if abs(log) > 14]
        if extreme:
            raise ModelError(
                f"{type(self).__name__} fit ran off to {', '.join(extreme)}: the data cannot pin the parameters down "
                "(too few customers, or too few repeat purchases)"
            )
        if analytic:
            gradient = -np.asarray(result.jac) * scale / params  # the optimiser's last gradient, in natural parameters
        else:
            with np.errstate(all="ignore"):
                gradient = self._gradient_of(params, data, weights)
        gradient_norm = np.max(np.abs(gradient * params)) / scale
        if not np.isfinite(gradient_norm) or gradient_norm > 1e-3:
            raise ModelError(
                f"{type(self).__name__} fit did not converge (largest scaled gradient {gradient_norm:.2g}; {result.message}); "
                "try other initial_params or check the data"
            )
        self.params = dict(zip(self.PARAMS, params.tolist()))
        self.log_likelihood = float(-result.fun * scale)
        with np.errstate(all="ignore"):
            known = result.get("hess")  # Newton's, in the log parameters: back to the natural ones
            hessian = None if known is None else (known - np.diag(gradient * params)) / np.outer(params, params)
            self.standard_errors = self._standard_errors(params, data, weights, gradient if analytic else None, hessian)
        # A standard error ten times the estimate (or none at all) means the likelihood is flat there.
        flat = [name for name, error in self.standard_errors.items() if not np.isfinite(error) or error > 10 * self.params[name]]
        if flat:
            self.params = None
            raise ModelError(
                f"{type(self).__name__}: the likelihood is flat in {', '.join(flat)}, so the data cannot pin the parameters "
                "down (too few customers, or too few repeat purchases)"
            )
        return self

    def _optimise(self, data, weights: np.ndarray, start: np.ndarray, tol: float):
        if self._has_hessian():
            result = self._newton(data, weights, start)
            if result.success:
                return result
            # A ridge or a boundary (the data cannot pin a parameter down): the quasi-Newton method from the
            # start judges it, as for a model without a Hessian.
        scale = weights.sum()
        analytic = self._has_gradient()

        def objective(log_params: np.ndarray):
            params = np.exp(log_params)
            value, grad = self._total(params, data, weights, analytic)
            if not analytic:
                return -value / scale
            return -value / scale, -grad * params / scale

        with np.errstate(all="ignore"):
            return optimize.minimize(objective, np.log(start), jac=analytic, method="L-BFGS-B",
                                     options={"maxiter": 2000, "ftol": tol * 1e-3, "gtol": 1e-9})

    def _has_hessian(self) -> bool:
        return type(self)._total_hessian is not Model._total_hessian

    def _total_hessian(self, params: np.ndarray, data, weights: np.ndarray):
        """The total log-likelihood, its gradient and its Hessian in the natural parameters, where a model knows them."""
        raise NotImplementedError

    def _start_from_sample(self, data, weights: np.ndarray, start: np.ndarray) -> np.ndarray:
        """Where a fit from the sample lands: START_ROWS distinct rows drawn alike, each with its weight, whose
        total log-likelihood estimates the whole one's without bias. Newton's method then needs two or three
        passes over all the rows instead of six."""
        rows = np.random.default_rng(0).choice(len(weights), START_ROWS, replace=False)
        sample = {name: values[rows] for name, values in data.items()}
        result = self._newton(self._prepare(sample, weights[rows]), weights[rows], start)
        return np.exp(result.x) if result.success else start

    def _newton(self, data, weights: np.ndarray, start: np.ndarray) -> optimize.OptimizeResult:
        """Newton's method on the log parameters, with the analytic Hessian and step halving: five or six
        passes over the data where a quasi-Newton method takes twenty. Where it fails (success False, with the
        point reached: a ridge, a boundary, a value that is not finite), _optimise starts the quasi-Newton method
        over."""
        scale = weights.sum()

        def evaluate(log_params):
            params = np.exp(log_params)
            with np.errstate(all="ignore"):
                value, grad, hess = self._total_hessian(params, data, weights)
            # in log parameters: d/dθ = p d/dp; d2/dθ2 = p p' H + diag(p grad)
            return value, grad * params, hess * np.outer(params, params) + np.diag(grad * params)

        def result(log_params, value, grad, hess, success, message, iterations):
            return optimize.OptimizeResult(x=log_params, fun=-value / scale, jac=-grad / scale, hess=hess,
                                           success=success, message=message, nit=iterations)

        log_params = np.log(start)
        value, grad, hess = evaluate(log_params)
        stalled = 0
        for iteration in range(NEWTON_STEPS):
            if not (np.isfinite(value) and np.all(np.isfinite(grad)) and np.all(np.isfinite(hess))):
                return result(log_params, value, grad, hess, False, "not finite", iteration)
            if np.max(np.abs(log_params)) > 14 or stalled == 3:
                return result(log_params, value, grad, hess, False, "a parameter runs off", iteration)
            # Where the likelihood is not concave (far from the top), the Hessian is shifted until it is:
            # a step between Newton's and the gradient's, still uphill.
            lowest = np.linalg.eigvalsh(-hess)[0]
            concave = lowest > 1e-9 * scale
            shift = 0.0 if concave else 1e-3 * scale - lowest
            step = np.linalg.solve(-hess + shift * np.eye(len(grad)), grad)
            gain = grad @ step  # the increase a quadratic would give, twice over
            if concave and gain <= 1e-13 * scale:
                return result(log_params, value, grad, hess, True, "Newton: converged", iteration)
            step *= min(1.0, 2.0 / np.max(np.abs(step)))  # at most a factor e^2 in any parameter per step
            for _ in range(40):
                trial = evaluate(log_params + step)
                if np.isfinite(trial[0]) and trial[0] >= value + 1e-4 * (grad @ step):
                    break
                step /= 2
            else:
                return result(log_params, value, grad, hess, False, "the line search failed", iteration)
            log_params = log_params + step
            stalled = stalled + 1 if trial[0] - value <= 1e-12 * max(abs(value), 1) else 0
            value, grad, hess = trial
        return result(log_params, value, grad, hess, False, "Newton: too many iterations", NEWTON_STEPS)

    def _gradient_of(self, params: np.ndarray, data, weights) -> np.ndarray:
        if self._has_gradient():
            return self._total(params, data, weights, True)[1]
        return _numeric_gradient(lambda p: self._total(p, data, weights, False)[0], params)

    def _hessian_at(self, params: np.ndarray, data, weights, gradient=None) -> np.ndarray:
        if self._has_hessian():
            return self._total_hessian(params, data, weights)[2]
        if gradient is not None:
            # Forward differences of the analytic gradient, from the one known at the optimum.
            columns = []
            for i in range(len(params)):
                h = 1e-6 * params[i]
                step = params.copy()
                step[i] += h
                columns.append((self._gradient_of(step, data, weights) - gradient) / h)
            hessian = np.column_stack(columns)
            return (hessian + hessian.T) / 2
        return _numeric_hessian(lambda p: self._total(p, data, weights, False)[0], params)

    def _standard_errors(self, params: np.ndarray, data, weights, gradient=None, hessian=None) -> dict[str, float]:
        """From the inverse of the observed information (the negative Hessian of the total log-likelihood): the one
        given, the model's analytic one, differences of the analytic gradient, or differences of the likelihood."""
        if hessian is None:
            hessian = self._hessian_at(params, data, weights, gradient)
        try:
            covariance = np.linalg.inv(-hessian)
            errors = np.sqrt(np.diag(covariance))  # NaN where the likelihood is flat: not identified
        except np.linalg.LinAlgError:
            errors = np.full(len(params), np.nan)
        return {p: float(e) for p, e in zip(self.PARAMS, errors)}


class TransactionModel(Model):
    """A model of repeat purchases in continuous time, fitted on frequency, recency and T per customer."""

    _columns = ("frequency", "recency", "T")

    def fit(self, frequency=None, recency=None, T=None, *, summary: pd.DataFrame | None = None, weights=None,
            initial_params: dict | None = None):
        columns = summary_columns(summary, self._columns, {"frequency": frequency, "recency": recency, "T": T})
        check_history(columns)
        return self._fit(columns, weights, initial_params)

    def _initial(self, data, weights):
        return np.array([0.5, max(float(np.average(data["T"], weights=weights)) / 4, 1e-2), 1.0, 1.0])


SAMPLE = 10_000
NEWTON_STEPS = 40  # Newton's method converges in five to twelve where the data pin the parameters down
START_ROWS = 20_000  # the distinct rows a fit on many more starts from (Model._start_from_sample)


def sample_of(summary: pd.DataFrame, size: int = SAMPLE) -> pd.DataFrame:
    """At most `size` customers of a summary, drawn the same way every time: what a slow model is fitted on in a
    large shop (four or five parameters are pinned down by 10,000 customers; a million would take minutes)."""
    return summary.sample(n=size, random_state=0) if len(summary) > size else summary


def check_history(columns) -> None:
    x, t, T = history(*(columns[c] for c in ("frequency", "recency", "T")))
    if np.any((x == 0) & (t != 0)):
        raise AnalyticsError("a customer with frequency 0 must have recency 0")
    if not np.any(x > 0):
        raise AnalyticsError("no customer has a repeat purchase: the model has nothing to learn the purchase rate from")


def compress(columns: dict[str, Any], weights=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Identical rows once, with their weights summed: what makes a fit on a million customers cheap."""
    arrays = {name: np.asarray(values, dtype=float) for name, values in columns.items()}
    lengths = {len(a) for a in arrays.values()}
    if weights is not None:
        weights = np.asarray(weights, dtype=float)
        lengths.add(len(weights))
    if len(lengths) > 1:
        raise AnalyticsError("the columns and weights given to fit() must have the same length")
    bad = [name for name, a in arrays.items() if np.isnan(a).any()]
    if weights is not None and np.isnan(weights).any():
        bad.append("weights")
    if bad:
        raise AnalyticsError(f"fit() got missing values in {', '.join(bad)}")
    _weights(weights)
    codes, values = group_codes(*arrays.values())
    weights = np.ones(len(codes)) if weights is None else weights
    summed = np.bincount(codes, weights=weights, minlength=len(values[0]) if values else 0)
    return dict(zip(arrays, values)), summed


def _weights(weights) -> None:
    """Weights count customers: finite, none negative, and not all zero."""
    if weights is None:
        return
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise AnalyticsError("fit() weights must be finite and not negative (each counts customers)")
    if len(weights) and not np.any(weights > 0):
        raise AnalyticsError("fit() weights are all zero: there is no customer to fit on")


def _numeric_gradient(f, x: np.ndarray) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(len(x)):
        h = 1e-6 * max(abs(x[i]), 1e-3)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


def factorize(values) -> tuple[np.ndarray, np.ndarray]:
    """Codes into the distinct values and those values, like pandas.factorize (by hashing, no sort), but
    at a quarter of the cost where the values are small whole numbers (purchase counts)."""
    values = np.asarray(values)
    if values.dtype.kind == "f" and 0 < len(values) and 0 <= values.min() and values.max() < 4 * len(values):
        whole = values.astype(np.int64)
        if np.array_equal(whole, values):
            present = np.flatnonzero(np.bincount(whole))
            codes = np.zeros(present[-1] + 1, dtype=np.int64)
            codes[present] = np.arange(len(present))
            return codes[whole], present.astype(values.dtype)
    return pd.factorize(values)


def group_codes(*arrays: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Codes of the distinct rows of the given columns and those rows' values: evaluate once per row kind."""
    if not arrays or not len(arrays[0]):
        return np.zeros(0, dtype=np.int64), [np.asarray(a)[:0] for a in arrays]
    key = np.zeros(len(arrays[0]), dtype=np.int64)
    combinations = 1
    for array in arrays:
        codes, uniques = factorize(array)
        if combinations * (len(uniques) + 1) >= 2**62:  # mixed radix about to overflow: number the rows so far
            key = pd.factorize(key)[0]
            combinations = int(key.max()) + 1
        key = key * (len(uniques) + 1) + codes
        combinations *= len(uniques) + 1
    key = pd.factorize(key)[0]
    first = np.zeros(key.max() + 1, dtype=np.int64)
    first[key[::-1]] = np.arange(len(key))[::-1]
    return key, [np.asarray(a)[first] for a in arrays]


def _numeric_hessian(f, x: np.ndarray) -> np.ndarray:
    n = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 1e-3)
    hessian = np.empty((n, n))
    f0 = f(x)
    for i in range(n):
        for j in range(i, n):
            if i == j:
                up, down = x.copy(), x.copy()
                up[i] += h[i]
                down[i] -= h[i]
                hessian[i, i] = (f(up) - 2 * f0 + f(down)) / h[i] ** 2
            else:
                pp, pm, mp, mm = (x.copy() for _ in range(4))
                pp[i] += h[i]; pp[j] += h[j]  # noqa: E702
                pm[i] += h[i]; pm[j] -= h[j]  # noqa: E702
                mp[i] -= h[i]; mp[j] += h[j]  # noqa: E702
                mm[i] -= h[i]; mm[j] -= h[j]  # noqa: E702
                hessian[i, j] = hessian[j, i] = (f(pp) - f(pm) - f(mp) + f(mm)) / (4 * h[i] * h[j])
    return hessian


def as_arrays(*values) -> list[np.ndarray]:
    return [np.asarray(v, dtype=float) for v in values]


def _finite(name: str, value) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise AnalyticsError(f"{name} must be numbers, not {value!r}") from None
    if not np.all(np.isfinite(array)):
        raise AnalyticsError(f"{name} must be finite numbers (no missing values, no infinities)")
    return array


def history(frequency, recency, T) -> list[np.ndarray]:
    """A prediction's customers, checked: repeat purchases a whole number from 0, recency from 0 to T, all finite;
    AnalyticsError naming what is wrong otherwise."""
    x, t, T = (_finite(name, value) for name, value in (("frequency", frequency), ("recency", recency), ("T", T)))
    if np.any(x < 0) or np.any(x != np.floor(x)):
        raise AnalyticsError("frequency must hold whole numbers, 0 or more")
    if np.any(T < 0):
        raise AnalyticsError("T must not be negative")
    if np.any(t < 0) or np.any(t > T + 1e-9):
        raise AnalyticsError("recency must lie between 0 and T for every customer")
    return [x, t, T]


def horizon(t, name: str = "t") -> np.ndarray:
    """A span of time ahead, checked: finite and not negative."""
    t = _finite(name, t)
    if np.any(t < 0):
        raise AnalyticsError(f"{name} must not be negative: a prediction looks ahead")
    return t


def counts(n, name: str = "n") -> np.ndarray:
    """A number of purchases asked about, checked: whole numbers from 0."""
    n = _finite(name, n)
    if np.any(n < 0) or np.any(n != np.floor(n)):
        raise AnalyticsError(f"{name} must hold whole numbers, 0 or more")
    return n


def summary_columns(frame: pd.DataFrame | None, names: tuple[str, ...], given: dict[str, Any]) -> dict[str, Any]:
    """The sufficient statistics from keyword arrays, or from the columns of a summary frame."""
    if frame is not None:
        missing = [n for n in names if n not in frame.columns]
        if missing:
            raise AnalyticsError(f"the summary frame has no column {', '.join(repr(m) for m in missing)}; it has {', '.join(map(str, frame.columns))}")
        return {n: frame[n].to_numpy() for n in names}
    missing = [n for n in names if given.get(n) is None]
    if missing:
        raise AnalyticsError(f"fit() needs {', '.join(names)} (arrays) or a summary frame; missing {', '.join(missing)}")
    return {n: given[n] for n in names}
