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
                "standard_errors": self.standard_errors, "observations": self.observations}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        if data.get("model") != cls.__name__:
            raise ModelError(f"saved parameters are for {data.get('model')!r}, not {cls.__name__}")
        model = cls(data["params"])
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

    # -- fitting ----------------------------------------------------------------------------
    def _gradient(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray | None:
        return None

    def _log_likelihood(self, params: np.ndarray, data: dict[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def _initial(self, data: dict[str, np.ndarray], weights: np.ndarray) -> np.ndarray:
        return np.ones(len(self.PARAMS))

    def _fit(self, columns: dict[str, Any], weights=None, initial_params: dict[str, float] | None = None, tol: float = 1e-10):
        data, weights = compress(columns, weights)
        if not len(weights):
            raise ModelError(f"{type(self).__name__}.fit needs at least one customer")
        self.observations = int(weights.sum())
        total = weights.sum()
        start = (np.array([initial_params[p] for p in self.PARAMS]) if initial_params
                 else self._initial(data, weights))

        def objective(log_params: np.ndarray):
            params = np.exp(log_params)
            ll = self._log_likelihood(params, data)
            value = -np.dot(weights, ll) / total
            grad = self._gradient(params, data)
            if grad is None:
                return value
            return value, -(weights @ grad) * params / total

        analytic = self._gradient(start, data) is not None
        with np.errstate(all="ignore"):
            result = optimize.minimize(objective, np.log(start), jac=analytic, method="L-BFGS-B",
                                       options={"maxiter": 2000, "ftol": tol * 1e-3, "gtol": 1e-9})
        params = np.exp(result.x)
        if not np.all(np.isfinite(params)) or not np.isfinite(result.fun):
            raise ModelError(f"{type(self).__name__} fit failed: the likelihood is not finite ({result.message})")
        extreme = [f"{name}={value:.3g}" for name, value, log in zip(self.PARAMS, params, result.x) if abs(log) > 14]
        if extreme:
            raise ModelError(
                f"{type(self).__name__} fit ran off to {', '.join(extreme)}: the data cannot pin the parameters down "
                "(too few customers, or too few repeat purchases)"
            )
        if not result.success and "ABNORMAL" not in str(result.message).upper():
            raise ModelError(f"{type(self).__name__} fit did not converge: {result.message}")
        gradient_norm = np.max(np.abs(_numeric_gradient(lambda p: np.dot(weights, self._log_likelihood(p, data)) / total, params) * params))
        if not np.isfinite(gradient_norm) or gradient_norm > 1e-3:
            raise ModelError(
                f"{type(self).__name__} fit did not converge (largest scaled gradient {gradient_norm:.2g}); "
                "try other initial_params or check the data"
            )
        self.params = dict(zip(self.PARAMS, params.tolist()))
        self.log_likelihood = float(np.dot(weights, self._log_likelihood(params, data)))
        self.standard_errors = self._standard_errors(params, data, weights)
        return self

    def _standard_errors(self, params: np.ndarray, data, weights) -> dict[str, float]:
        """From the inverse of the observed information (the negative Hessian of the total log-likelihood)."""
        def total(p):
            return np.dot(weights, self._log_likelihood(p, data))

        hessian = _numeric_hessian(total, params)
        try:
            covariance = np.linalg.inv(-hessian)
            with np.errstate(invalid="ignore"):
                errors = np.sqrt(np.diag(covariance))  # NaN where the likelihood is flat: not identified
        except np.linalg.LinAlgError:
            errors = np.full(len(params), np.nan)
        return {p: float(e) for p, e in zip(self.PARAMS, errors)}


def compress(columns: dict[str, Any], weights=None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Identical rows once, with their weights summed: what makes a fit on a million customers cheap."""
    frame = pd.DataFrame({name: np.asarray(values, dtype=float) for name, values in columns.items()})
    lengths = {len(frame)}
    if weights is None:
        frame["__w"] = 1.0
    else:
        weights = np.asarray(weights, dtype=float)
        lengths.add(len(weights))
        frame["__w"] = weights
    if len(lengths) > 1:
        raise AnalyticsError("the columns and weights given to fit() must have the same length")
    if frame.isna().any().any():
        bad = [c for c in frame.columns if frame[c].isna().any()]
        raise AnalyticsError(f"fit() got missing values in {', '.join(c.replace('__w', 'weights') for c in bad)}")
    grouped = frame.groupby(list(columns), sort=False, as_index=False)["__w"].sum()
    return {name: grouped[name].to_numpy() for name in columns}, grouped["__w"].to_numpy()


def _numeric_gradient(f, x: np.ndarray) -> np.ndarray:
    grad = np.empty_like(x)
    for i in range(len(x)):
        h = 1e-6 * max(abs(x[i]), 1e-3)
        up, down = x.copy(), x.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (f(up) - f(down)) / (2 * h)
    return grad


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
