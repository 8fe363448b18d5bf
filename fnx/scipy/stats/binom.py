"""The binomial distribution of ``n`` trials with success probability ``p``
(``jax.scipy.stats.binom``); ``n < 0`` or ``p`` outside [0, 1] gives NaN."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact("binom.logpmf", k, n, p, loc)
    k = k - loc
    support = (k >= 0) & (k <= n) & (k == fnp.floor(k))
    ks = safe(support, k, 0.0)
    log_choose = lax.lgamma(n + 1) - lax.lgamma(ks + 1) - lax.lgamma(n - ks + 1)
    value = log_choose + special.xlogy(ks, p) + special.xlog1py(n - ks, -p)
    invalid = (n < 0) | (n != fnp.floor(n)) | (p < 0) | (p > 1)
    return nan_where(invalid, outside(~support, value, -math.inf))


def pmf(k, n, p, loc=0):
    return fnp.exp(logpmf(k, n, p, loc))
