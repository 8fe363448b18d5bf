"""The Cauchy distribution (``jax.scipy.stats.cauchy``); ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def _standardized(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    return (x - loc) / scale, loc, scale


def logpdf(x, loc=0, scale=1):
    z, _, scale = _standardized("cauchy.logpdf", x, loc, scale)
    return nan_where(bad_scale(scale), -math.log(math.pi) - fnp.log(scale) - fnp.log1p(z * z))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def _lower_tail(z):
    """``1/2 + atan(z)/pi`` as ``atan2(1, -z)/pi``: no cancellation for large negative z."""
    return fnp.arctan2(fnp.ones_like(z), -z) * (1 / math.pi)


def cdf(x, loc=0, scale=1):
    z, _, scale = _standardized("cauchy.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), _lower_tail(z))


def logcdf(x, loc=0, scale=1):
    return fnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    z, _, scale = _standardized("cauchy.sf", x, loc, scale)
    return nan_where(bad_scale(scale), _lower_tail(-z))


def logsf(x, loc=0, scale=1):
    return fnp.log(sf(x, loc, scale))


def _standard_ppf(q):
    """``tan(pi (q - 1/2))`` as ``-cot(pi q)`` below 1/2 and ``cot(pi (1 - q))`` above, so a
    small q (or 1 - q) keeps its digits; -inf / inf at 0 / 1, NaN outside [0, 1]."""
    lower = q < 0.5
    value = fnp.where(lower, -1 / fnp.tan(math.pi * q), 1 / fnp.tan(math.pi * (1 - q)))
    return nan_where((q < 0) | (q > 1), value)


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("cauchy.ppf", q, loc, scale)
    return nan_where(bad_scale(scale), loc + scale * _standard_ppf(q))


def isf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("cauchy.isf", q, loc, scale)
    return nan_where(bad_scale(scale), loc - scale * _standard_ppf(q))
