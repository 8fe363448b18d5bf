"""The gamma distribution (``jax.scipy.stats.gamma``) with shape ``a`` on ``[loc, inf)``;
``a <= 0`` or ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import bad_scale, nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote_args_inexact("gamma.logpdf", x, a, loc, scale)
    y = (x - loc) / scale
    support = y >= 0                              # pdf(0) is 1 for a = 1, inf for a < 1
    ys = safe(support, y, 1.0)
    value = special.xlogy(a - 1, ys) - ys - lax.lgamma(a) - fnp.log(scale)
    return nan_where((a <= 0) | bad_scale(scale), outside(~support, value, -math.inf))


def pdf(x, a, loc=0, scale=1):
    return fnp.exp(logpdf(x, a, loc, scale))


def _standard(name, x, a, loc, scale):
    x, a, loc, scale = promote_args_inexact(name, x, a, loc, scale)
    y = fnp.maximum((x - loc) / scale, 0)
    return y, a, (a <= 0) | bad_scale(scale)


def cdf(x, a, loc=0, scale=1):
    y, a, invalid = _standard("gamma.cdf", x, a, loc, scale)
    return nan_where(invalid, special.gammainc(a, y))


def logcdf(x, a, loc=0, scale=1):
    return fnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    y, a, invalid = _standard("gamma.sf", x, a, loc, scale)
    return nan_where(invalid, special.gammaincc(a, y))


def logsf(x, a, loc=0, scale=1):
    return fnp.log(sf(x, a, loc, scale))
