"""The beta distribution (``jax.scipy.stats.beta``) with shapes ``a``, ``b`` on
``[loc, loc + scale]``; ``a <= 0``, ``b <= 0`` or ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import bad_scale, nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _invalid(a, b, scale):
    return (a <= 0) | (b <= 0) | bad_scale(scale)


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote_args_inexact("beta.logpdf", x, a, b, loc, scale)
    y = (x - loc) / scale
    support = (y >= 0) & (y <= 1)                 # closed, as scipy: pdf(0; a=1, b) = b
    ys = safe(support, y, 0.5)
    log_b = lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)
    value = special.xlogy(a - 1, ys) + special.xlog1py(b - 1, -ys) - log_b - fnp.log(scale)
    return nan_where(_invalid(a, b, scale), outside(~support, value, -math.inf))


def pdf(x, a, b, loc=0, scale=1):
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _cdf_sf(name, x, a, b, loc, scale):
    x, a, b, loc, scale = promote_args_inexact(name, x, a, b, loc, scale)
    y = fnp.clip((x - loc) / scale, 0, 1)
    lower = special.betainc(a, b, y)
    # the upper tail as I_{1-y}(b, a), except where 1 - lower is itself accurate and 1 - y
    # would round away y's low digits
    upper = fnp.where((y < 0.5) & (lower < 0.5), 1 - lower, special.betainc(b, a, 1 - y))
    invalid = _invalid(a, b, scale)
    return nan_where(invalid, lower), nan_where(invalid, upper)


def cdf(x, a, b, loc=0, scale=1):
    return _cdf_sf("beta.cdf", x, a, b, loc, scale)[0]


def logcdf(x, a, b, loc=0, scale=1):
    return fnp.log(_cdf_sf("beta.logcdf", x, a, b, loc, scale)[0])


def sf(x, a, b, loc=0, scale=1):
    return _cdf_sf("beta.sf", x, a, b, loc, scale)[1]


def logsf(x, a, b, loc=0, scale=1):
    return fnp.log(_cdf_sf("beta.logsf", x, a, b, loc, scale)[1])
