"""The geometric distribution on k = 1, 2, ... (``jax.scipy.stats.geom``): the trial of the
first success; ``p`` outside (0, 1] gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from .. import special
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpmf", "pmf"]


def logpmf(k, p, loc=0):
    k, p, loc = promote_args_inexact("geom.logpmf", k, p, loc)
    k = k - loc
    support = (k >= 1) & (k == fnp.floor(k))
    ks = safe(support, k, 1.0)
    value = special.xlog1py(ks - 1, -p) + fnp.log(p)
    return nan_where((p <= 0) | (p > 1), outside(~support, value, -math.inf))


def pmf(k, p, loc=0):
    return fnp.exp(logpmf(k, p, loc))
