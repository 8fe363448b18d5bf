"""The logistic distribution (``jax.scipy.stats.logistic``); ``scale <= 0`` gives NaN."""
from __future__ import annotations

from ... import numpy as fnp
from .. import special
from ._util import bad_scale, nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "sf", "isf", "ppf"]


def _standardized(name, x, loc, scale):
    x, loc, scale = promote_args_inexact(name, x, loc, scale)
    return (x - loc) / scale, loc, scale


def logpdf(x, loc=0, scale=1):
    """``-|z| - 2 log(1 + e^-|z|) - log(scale)``: the density is even, and |z| keeps the
    exponential from overflowing."""
    z, _, scale = _standardized("logistic.logpdf", x, loc, scale)
    a = fnp.abs(z)
    return nan_where(bad_scale(scale), -a - 2 * fnp.log1p(fnp.exp(-a)) - fnp.log(scale))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    z, _, scale = _standardized("logistic.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), special.expit(z))


def sf(x, loc=0, scale=1):
    z, _, scale = _standardized("logistic.sf", x, loc, scale)
    return nan_where(bad_scale(scale), special.expit(-z))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("logistic.ppf", q, loc, scale)
    return nan_where(bad_scale(scale), loc + scale * special.logit(q))


def isf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("logistic.isf", q, loc, scale)
    return nan_where(bad_scale(scale), loc - scale * special.logit(q))
