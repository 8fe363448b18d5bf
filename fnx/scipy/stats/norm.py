"""The normal distribution (``jax.scipy.stats.norm``): ``loc`` the mean, ``scale`` the standard
deviation; ``scale <= 0`` gives NaN as in scipy."""
from __future__ import annotations

from ... import numpy as fnp
from .. import special
from ._util import HALF_LOG_2PI, bad_scale, nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def _standardized(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    return (x - loc) / scale, scale


def logpdf(x, loc=0, scale=1):
    z, scale = _standardized("norm.logpdf", x, loc, scale)
    return nan_where(bad_scale(scale), -0.5 * z * z - fnp.log(scale) - HALF_LOG_2PI)


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    z, scale = _standardized("norm.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), special.ndtr(z))


def logcdf(x, loc=0, scale=1):
    z, scale = _standardized("norm.logcdf", x, loc, scale)
    return nan_where(bad_scale(scale), special.log_ndtr(z))


def sf(x, loc=0, scale=1):
    """``1 - cdf`` as ``ndtr(-z)``: accurate in the right tail."""
    z, scale = _standardized("norm.sf", x, loc, scale)
    return nan_where(bad_scale(scale), special.ndtr(-z))


def logsf(x, loc=0, scale=1):
    z, scale = _standardized("norm.logsf", x, loc, scale)
    return nan_where(bad_scale(scale), special.log_ndtr(-z))


def ppf(q, loc=0, scale=1):
    """The quantile function; NaN outside [0, 1], -inf / inf at 0 / 1."""
    q, loc, scale = promote_args_inexact("norm.ppf", q, loc, scale)
    return nan_where(bad_scale(scale), loc + scale * special.ndtri(q))


def isf(q, loc=0, scale=1):
    """``ppf(1 - q)`` as ``-ndtri(q)``: accurate for small ``q``."""
    q, loc, scale = promote_args_inexact("norm.isf", q, loc, scale)
    return nan_where(bad_scale(scale), loc - scale * special.ndtri(q))
