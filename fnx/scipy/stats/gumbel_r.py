"""The right-skewed Gumbel (extreme value type I, maximum) distribution
(``jax.scipy.stats.gumbel_r``): ``cdf = exp(-exp(-(x - loc) / scale))``; ``scale <= 0`` gives
NaN.  The tails use expm1 / the series of ``log(1 - exp(-e))`` so that logsf and sf keep
their relative precision far out."""
from __future__ import annotations

from ... import numpy as fnp
from ._util import bad_scale, nan_where, promote_args_inexact
from ._gumbel import log_one_minus_exp_neg_exp, quantile_argument

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def _standardized(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    return (x - loc) / scale, scale


def logpdf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_r.logpdf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.log(scale) - z - fnp.exp(-z))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_r.logcdf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.exp(-z))


def cdf(x, loc=0, scale=1):
    return fnp.exp(logcdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_r.logsf", x, loc, scale)
    return nan_where(bad_scale(scale), log_one_minus_exp_neg_exp(-z))


def sf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_r.sf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.expm1(-fnp.exp(-z)))


def ppf(q, loc=0, scale=1):
    """``loc - scale log(-log q)``; NaN outside [0, 1]."""
    q, loc, scale = promote_args_inexact("gumbel_r.ppf", q, loc, scale)
    return nan_where(bad_scale(scale), loc - scale * fnp.log(quantile_argument(q, fnp.log)))
