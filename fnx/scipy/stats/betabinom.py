"""The beta-binomial distribution (``jax.scipy.stats.betabinom``): ``n`` trials whose success
probability is Beta(a, b) distributed, ``pmf = C(n, k) B(k + a, n - k + b) / B(a, b)``.
``n`` negative or non-integer, ``a <= 0`` or ``b <= 0`` give NaN; ``k`` outside 0..n or not an
integer probability 0 (scipy's)."""
from __future__ import annotations

import math

from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = promote_args_inexact("betabinom.logpmf", k, n, a, b, loc)
    k = k - loc
    support = (k >= 0) & (k <= n) & (k == fnp.floor(k))
    invalid = (n < 0) | (n != fnp.floor(n)) | (a <= 0) | (b <= 0)
    ks = safe(support & ~invalid, k, 0.0)
    ns = safe(~invalid, n, 0.0)
    a_s, b_s = safe(~invalid, a, 1.0), safe(~invalid, b, 1.0)
    # log C(n, k) = -log(n + 1) - log B(n - k + 1, k + 1)
    log_choose = -fnp.log1p(ns) - special.betaln(ns - ks + 1, ks + 1)
    value = log_choose + special.betaln(ks + a_s, ns - ks + b_s) - special.betaln(a_s, b_s)
    return nan_where(invalid, outside(~support, value, -math.inf))


def pmf(k, n, a, b, loc=0):
    return fnp.exp(logpmf(k, n, a, b, loc))
