"""The Dirichlet distribution (``jax.scipy.stats.dirichlet``) with concentrations ``alpha``
(shape ``(K,)``).  As in scipy and JAX the components of ``x`` run along its FIRST axis:
``x`` has shape ``(K, ...)`` or ``(K - 1, ...)`` (the last component is then ``1 - sum``),
and the result has shape ``x.shape[1:]``.  A point off the simplex has density 0 (-inf log:
JAX's answer, where scipy raises); a non-positive ``alpha`` gives NaN."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from ...errors import ShapeError
from .. import special
from ...numpy._util import promote_no_broadcast
from ._util import nan_where

__all__ = ["logpdf", "pdf"]


def _check_shapes(name, x, alpha):
    if alpha.ndim != 1:
        raise ShapeError(f"{name}: alpha must be one-dimensional, got alpha.shape={alpha.shape}")
    k = alpha.shape[0]
    if x.ndim == 0 or x.shape[0] not in (k, k - 1):
        raise ShapeError(f"{name}: x must have {k} or {k - 1} entries along its first axis "
                         f"(alpha.shape={alpha.shape}), got x.shape={x.shape}")


def _on_simplex(x):
    """Components non-negative and summing to 1 (to a tolerance that float32 rounding of a
    sum of a few terms stays within)."""
    tol = 1e-6 if x.dtype == fnp.float64 else 1e-5
    return fnp.all(x >= 0, axis=0) & (fnp.abs(fnp.sum(x, axis=0) - 1) <= tol)


def logpdf(x, alpha):
    name = "dirichlet.logpdf"
    x, alpha = promote_no_broadcast(name, x, alpha, inexact=True)
    _check_shapes(name, x, alpha)
    if x.shape[0] == alpha.shape[0] - 1:
        x = fnp.concatenate([x, 1 - fnp.sum(x, axis=0, keepdims=True)], axis=0)
    on_simplex = _on_simplex(x)
    # alpha along the first axis of x
    alpha_x = fnp.reshape(alpha, alpha.shape + (1,) * (x.ndim - 1))
    log_norm = fnp.sum(lax.lgamma(alpha)) - lax.lgamma(fnp.sum(alpha))
    value = fnp.sum(special.xlogy(alpha_x - 1, fnp.where(x >= 0, x, fnp.zeros_like(x))),
                    axis=0) - log_norm
    value = fnp.where(on_simplex, value, fnp.full_like(value, -math.inf))
    return nan_where(fnp.any(alpha <= 0), value)


def pdf(x, alpha):
    return fnp.exp(logpdf(x, alpha))
