"""The Bernoulli distribution (``jax.scipy.stats.bernoulli``): P(k = 1) = p; ``p`` outside
[0, 1] gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import nan_where, promote_args_inexact

__all__ = ["logpmf", "pmf", "cdf", "ppf"]


def _invalid_p(p):
    return (p < 0) | (p > 1)


def logpmf(k, p, loc=0):
    k, p, loc = promote_args_inexact("bernoulli.logpmf", k, p, loc)
    k = k - loc
    value = fnp.where(k == 0, fnp.log1p(-p),
                      fnp.where(k == 1, fnp.log(p), fnp.full_like(p, -math.inf)))
    return nan_where(_invalid_p(p) | fnp.isnan(k), value)


def pmf(k, p, loc=0):
    return fnp.exp(logpmf(k, p, loc))


def cdf(k, p):
    k, p = promote_args_inexact("bernoulli.cdf", k, p)
    value = fnp.where(k < 0, fnp.zeros_like(p), fnp.where(k < 1, 1 - p, fnp.ones_like(p)))
    return nan_where(_invalid_p(p) | fnp.isnan(k), value)


def ppf(q, p):
    """The smallest k with ``cdf(k) >= q``: 0 for q <= 1 - p, else 1; -1 at q = 0 (scipy's
    ``a - 1``); NaN for q outside [0, 1]."""
    q, p = promote_args_inexact("bernoulli.ppf", q, p)
    value = fnp.where(q <= 1 - p, fnp.zeros_like(q), fnp.ones_like(q))
    value = fnp.where(q == 0, fnp.full_like(q, -1.0), value)
    return nan_where(_invalid_p(p) | (q < 0) | (q > 1) | fnp.isnan(q), value)
