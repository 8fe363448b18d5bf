"""The generalized normal distribution with shape ``beta`` (``jax.scipy.stats.gennorm``):
density ``beta / (2 Gamma(1 / beta)) exp(-|x|^beta)`` (beta = 2: a normal with variance 1/2,
beta = 1: Laplace); ``beta <= 0`` gives NaN.  JAX's signature: no loc / scale."""
from __future__ import annotations

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, beta):
    x, beta = promote_args_inexact("gennorm.logpdf", x, beta)
    value = fnp.log(0.5 * beta) - lax.lgamma(1.0 / beta) - fnp.abs(x) ** beta
    return nan_where(beta <= 0, value)


def pdf(x, beta):
    return fnp.exp(logpdf(x, beta))


def cdf(x, beta):
    """``(1 + sign(x) P(1 / beta, |x|^beta)) / 2`` (P the regularized lower incomplete gamma);
    the left tail as ``Q(...) / 2`` so it keeps relative precision."""
    x, beta = promote_args_inexact("gennorm.cdf", x, beta)
    invalid = beta <= 0
    safe_beta = fnp.where(invalid, fnp.ones_like(beta), beta)
    power = fnp.abs(x) ** safe_beta
    upper_half = 0.5 * special.gammaincc(1.0 / safe_beta, power)
    value = fnp.where(x < 0, upper_half, 1.0 - upper_half)
    return nan_where(invalid, value)
