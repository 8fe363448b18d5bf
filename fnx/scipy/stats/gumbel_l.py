"""The left-skewed Gumbel (extreme value type I, minimum) distribution
(``jax.scipy.stats.gumbel_l``): the mirror image of gumbel_r,
``cdf = 1 - exp(-exp((x - loc) / scale))``; ``scale <= 0`` gives NaN.  logcdf stays accurate
far in the left tail (``logcdf(-800) = -800``, where the cdf underflows)."""
from __future__ import annotations

from ... import numpy as fnp
from ._util import bad_scale, nan_where, promote_args_inexact
from ._gumbel import log_one_minus_exp_neg_exp, quantile_argument

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def _standardized(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    return (x - loc) / scale, scale


def logpdf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_l.logpdf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.log(scale) + z - fnp.exp(z))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_l.logcdf", x, loc, scale)
    return nan_where(bad_scale(scale), log_one_minus_exp_neg_exp(z))


def cdf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_l.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.expm1(-fnp.exp(z)))


def logsf(x, loc=0, scale=1):
    z, scale = _standardized("gumbel_l.logsf", x, loc, scale)
    return nan_where(bad_scale(scale), -fnp.exp(z))


def sf(x, loc=0, scale=1):
    return fnp.exp(logsf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    """``loc + scale log(-log(1 - q))``; NaN outside [0, 1]."""
    q, loc, scale = promote_args_inexact("gumbel_l.ppf", q, loc, scale)
    return nan_where(bad_scale(scale), loc + scale * fnp.log(quantile_argument(q, _log1m)))


def _log1m(q):
    return fnp.log1p(-q)
