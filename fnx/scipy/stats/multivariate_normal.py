"""The multivariate normal distribution (``jax.scipy.stats.multivariate_normal``).  ``x`` and
``mean`` have the components on their last axis and broadcast against each other (and
against ``cov``'s batch axes); ``cov`` is a scalar (a multiple of the identity) or a
``(..., n, n)`` positive definite matrix of which only the lower triangle is read (after
symmetrizing, as JAX's Cholesky does).  A scalar ``mean`` is the one-dimensional case."""
from __future__ import annotations

from ... import numpy as fnp
from ...errors import ShapeError
from ...lax import linalg as lax_linalg
from ...numpy._util import broadcast_shapes_named, promote_no_broadcast
from ._util import HALF_LOG_2PI

__all__ = ["logpdf", "pdf"]


def _check_allow_singular(name, allow_singular):
    if allow_singular is not None:
        raise NotImplementedError(f"{name}: allow_singular is not supported (JAX's neither); "
                                  "pass None")


def _quadratic_and_logdet(name, diff, cov):
    """``(diff^T cov^-1 diff, log det cov / 2)`` through the Cholesky factor ``L``:
    ``|L^-1 diff|^2`` and ``sum(log diag L)``."""
    n = diff.shape[-1]
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise ShapeError(f"{name}: cov must be a scalar or have shape (..., {n}, {n}) to match "
                         f"x / mean's last axis of {n}, got cov.shape={cov.shape}")
    batch = broadcast_shapes_named(name, diff.shape[:-1], cov.shape[:-2])
    low = lax_linalg.cholesky(fnp.broadcast_to(cov, batch + (n, n)))
    rhs = fnp.broadcast_to(diff, batch + (n,))[..., None]
    solved = lax_linalg.triangular_solve(low, rhs, left_side=True, lower=True)[..., 0]
    half_logdet = fnp.sum(fnp.log(fnp.diagonal(low, axis1=-2, axis2=-1)), axis=-1)
    return fnp.sum(solved * solved, axis=-1), half_logdet


def logpdf(x, mean, cov, allow_singular=None):
    name = "multivariate_normal.logpdf"
    _check_allow_singular(name, allow_singular)
    x, mean, cov = promote_no_broadcast(name, x, mean, cov, inexact=True)
    if mean.ndim == 0:                              # one dimension: cov is the variance
        diff = x - mean
        return -0.5 * diff * diff / cov - 0.5 * fnp.log(cov) - HALF_LOG_2PI
    if x.ndim == 0 or x.shape[-1] != mean.shape[-1]:
        raise ShapeError(f"{name}: x and mean must have the same last axis, got "
                         f"x.shape={x.shape}, mean.shape={mean.shape}")
    broadcast_shapes_named(name, x.shape, mean.shape)
    diff = x - mean
    n = diff.shape[-1]
    if cov.ndim == 0:                               # cov * identity
        quadratic = fnp.sum(diff * diff, axis=-1) / cov
        half_logdet = 0.5 * n * fnp.log(cov)
    else:
        quadratic, half_logdet = _quadratic_and_logdet(name, diff, cov)
    return -0.5 * quadratic - half_logdet - n * HALF_LOG_2PI


def pdf(x, mean, cov):
    return fnp.exp(logpdf(x, mean, cov))
