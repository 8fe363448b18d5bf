"""The negative binomial distribution (``jax.scipy.stats.nbinom``): the number of failures
before the ``n``-th success, success probability ``p``; ``n <= 0`` or ``p`` outside (0, 1]
gives NaN (scipy's)."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote_args_inexact("nbinom.logpmf", k, n, p, loc)
    k = k - loc
    support = (k >= 0) & (k == fnp.floor(k))
    ks = safe(support, k, 0.0)
    log_choose = lax.lgamma(ks + n) - lax.lgamma(ks + 1) - lax.lgamma(n)
    value = log_choose + special.xlogy(n, p) + special.xlog1py(ks, -p)
    return nan_where((n <= 0) | (p <= 0) | (p > 1), outside(~support, value, -math.inf))


def pmf(k, n, p, loc=0):
    return fnp.exp(logpmf(k, n, p, loc))
