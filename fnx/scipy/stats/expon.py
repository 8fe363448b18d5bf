"""The exponential distribution on ``[loc, inf)`` with mean ``scale``
(``jax.scipy.stats.expon``); ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def _standard(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    y = (x - loc) / scale
    below = y < 0
    return safe(~below, y, 0.0), below, scale


def logpdf(x, loc=0, scale=1):
    y, below, scale = _standard("expon.logpdf", x, loc, scale)
    return nan_where(bad_scale(scale), outside(below, -y - fnp.log(scale), -math.inf))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    y, below, scale = _standard("expon.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), outside(below, -fnp.expm1(-y), 0.0))


def logcdf(x, loc=0, scale=1):
    """``log(1 - e^-y)``: through expm1 near 0, through log1p far out."""
    y, below, scale = _standard("expon.logcdf", x, loc, scale)
    near = y <= math.log(2)
    value = fnp.where(near, fnp.log(-fnp.expm1(-safe(near, y, 1.0))),
                      fnp.log1p(-fnp.exp(-y)))
    return nan_where(bad_scale(scale), outside(below, value, -math.inf))


def sf(x, loc=0, scale=1):
    y, below, scale = _standard("expon.sf", x, loc, scale)
    return nan_where(bad_scale(scale), outside(below, fnp.exp(-y), 1.0))


def logsf(x, loc=0, scale=1):
    y, below, scale = _standard("expon.logsf", x, loc, scale)
    return nan_where(bad_scale(scale), outside(below, -y, 0.0))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("expon.ppf", q, loc, scale)
    return nan_where(bad_scale(scale) | (q < 0) | (q > 1), loc - scale * fnp.log1p(-q))
