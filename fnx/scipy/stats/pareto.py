"""The Pareto distribution with shape ``b`` on ``[loc + scale, inf)``
(``jax.scipy.stats.pareto``); ``b <= 0`` or ``scale <= 0`` gives NaN.  With ``y = (x - loc) /
scale``, the sf is ``y^-b``; the cdf is written ``-expm1(-b log y)`` so it keeps its digits
just above the lower end."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def logpdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact("pareto.logpdf", x, b, loc, scale)
    y = (x - loc) / scale
    support = y >= 1
    ys = safe(support, y, 1.0)
    value = fnp.log(b) - (b + 1) * fnp.log(ys) - fnp.log(scale)
    return nan_where((b <= 0) | bad_scale(scale), outside(~support, value, -math.inf))


def pdf(x, b, loc=0, scale=1):
    return fnp.exp(logpdf(x, b, loc, scale))


def _log_sf_standard(name, x, b, loc, scale):
    """(-b log y with the support's lower end clipped, y < 1, invalid parameters)."""
    x, b, loc, scale = promote_args_inexact(name, x, b, loc, scale)
    y = (x - loc) / scale
    below = y < 1
    return -b * fnp.log(safe(~below, y, 1.0)), below, (b <= 0) | bad_scale(scale)


def logsf(x, b, loc=0, scale=1):
    log_sf, below, invalid = _log_sf_standard("pareto.logsf", x, b, loc, scale)
    return nan_where(invalid, outside(below, log_sf, 0.0))


def sf(x, b, loc=0, scale=1):
    return fnp.exp(logsf(x, b, loc, scale))


def cdf(x, b, loc=0, scale=1):
    log_sf, below, invalid = _log_sf_standard("pareto.cdf", x, b, loc, scale)
    return nan_where(invalid, outside(below, -fnp.expm1(log_sf), 0.0))


def logcdf(x, b, loc=0, scale=1):
    log_sf, below, invalid = _log_sf_standard("pareto.logcdf", x, b, loc, scale)
    # log(1 - exp(s)): log(-expm1(s)) near the lower end (s ~ 0), log1p(-exp(s)) far out
    near = log_sf > -math.log(2.0)
    s_near = fnp.where(near, log_sf, fnp.full_like(log_sf, -1.0))
    s_far = fnp.where(near, fnp.full_like(log_sf, -1.0), log_sf)
    value = fnp.where(near, fnp.log(-fnp.expm1(s_near)), fnp.log1p(-fnp.exp(s_far)))
    return nan_where(invalid, outside(below, value, -math.inf))


def ppf(q, b, loc=0, scale=1):
    """``loc + scale (1 - q)^(-1 / b)``; NaN outside [0, 1], inf at 1."""
    q, b, loc, scale = promote_args_inexact("pareto.ppf", q, b, loc, scale)
    value = loc + scale * fnp.exp(-fnp.log1p(-q) / b)
    return nan_where((b <= 0) | bad_scale(scale) | (q < 0) | (q > 1), value)
