"""The Poisson distribution (``jax.scipy.stats.poisson``) with mean ``mu``; ``mu < 0`` gives
NaN, a non-integer ``k`` probability 0 (scipy's)."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf", "cdf", "entropy"]


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


# entropy: a direct sum of -p log p over a window of W consecutive k below the switch, the
# asymptotic series above it.  The window starts 12 standard deviations below the mean (or at
# 0) and is W wide: at the switch that still reaches 20 sigma above the mean, where the terms
# are far below float64's resolution of the sum.  (The sum's own rounding grows with mu: the
# log-probabilities cancel k log mu against lgamma(k + 1), ~1e-13 relative at mu = 500.)
_ENTROPY_SWITCH = 500.0
_ENTROPY_WINDOW = 800
# H(mu) = log(2 pi e mu) / 2 - 1 / (12 mu) - 1 / (24 mu^2) - 19 / (360 mu^3) - 9 / (80 mu^4)
# + O(mu^-5) (the mu^-5 coefficient is about -0.35): at mu >= 500 the truncation is ~1e-14
_ENTROPY_SERIES = (-1.0 / 12, -1.0 / 24, -19.0 / 360, -9.0 / 80)


def _entropy_sum(mu):
    start = fnp.maximum(fnp.floor(mu - 12.0 * fnp.sqrt(mu) - 10.0), 0.0)
    k = start[..., None] + fnp.arange(_ENTROPY_WINDOW, dtype=mu.dtype)
    m = mu[..., None]
    log_p = special.xlogy(k, m) - lax.lgamma(k + 1) - m
    return -fnp.sum(fnp.exp(log_p) * log_p, axis=-1)


def _entropy_series(mu):
    inv = 1.0 / mu
    tail = fnp.zeros_like(mu)
    for c in reversed(_ENTROPY_SERIES):
        tail = inv * (c + tail)
    return 0.5 * fnp.log(2 * math.pi * math.e * mu) + tail


def entropy(mu, loc=0):
    """The Shannon entropy (nats) of Poisson(mu): 0 at mu = 0, NaN for mu < 0; ``loc`` only
    shifts the support (it broadcasts, as in JAX)."""
    mu, loc = promote_args_inexact("poisson.entropy", mu, loc)
    positive = mu > 0
    large = mu >= _ENTROPY_SWITCH
    mu_sum = safe(positive & ~large, mu, 1.0)
    mu_big = safe(large, mu, _ENTROPY_SWITCH)
    value = fnp.where(large, _entropy_series(mu_big), _entropy_sum(mu_sum))
    value = outside(mu == 0, value, 0.0)
    return nan_where((mu < 0) | fnp.isnan(mu), value)
