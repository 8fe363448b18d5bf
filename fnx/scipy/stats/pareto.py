"""The Pareto distribution with shape ``b`` on ``[loc + scale, inf)``
(``jax.scipy.stats.pareto``); ``b <= 0`` or ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf"]


def logpdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote_args_inexact("pareto.logpdf", x, b, loc, scale)
    y = (x - loc) / scale
    support = y >= 1
    ys = safe(support, y, 1.0)
    value = fnp.log(b) - (b + 1) * fnp.log(ys) - fnp.log(scale)
    return nan_where((b <= 0) | bad_scale(scale), outside(~support, value, -math.inf))


def pdf(x, b, loc=0, scale=1):
    return fnp.exp(logpdf(x, b, loc, scale))
