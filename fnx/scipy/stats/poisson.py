"""The Poisson distribution (``jax.scipy.stats.poisson``) with mean ``mu``; ``mu < 0`` gives
NaN, a non-integer ``k`` probability 0 (scipy's)."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf", "cdf"]


def logpmf(k, mu, loc=0):
    k, mu, loc = promote_args_inexact("poisson.logpmf", k, mu, loc)
    k = k - loc
    support = (k >= 0) & (k == fnp.floor(k))
    ks = safe(support, k, 0.0)
    value = special.xlogy(ks, mu) - lax.lgamma(ks + 1) - mu
    return nan_where(mu < 0, outside(~support, value, -math.inf))


def pmf(k, mu, loc=0):
    return fnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    """``P(K <= k) = Q(floor(k) + 1, mu)`` (the regularized upper incomplete gamma)."""
    k, mu, loc = promote_args_inexact("poisson.cdf", k, mu, loc)
    k = k - loc
    below = k < 0
    everything = k == math.inf
    ks = safe(~below & ~everything, fnp.floor(k), 0.0)
    value = special.gammaincc(ks + 1, fnp.maximum(mu, 0))
    return nan_where(mu < 0, outside(below, outside(everything, value, 1.0), 0.0))
