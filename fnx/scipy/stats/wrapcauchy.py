"""The wrapped Cauchy distribution on [0, 2 pi] (``jax.scipy.stats.wrapcauchy``) with shape
``c``: density ``(1 - c^2) / (2 pi (1 + c^2 - 2 c cos x))``; ``c`` outside (0, 1) gives NaN,
``x`` outside [0, 2 pi] density 0."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import nan_where, outside, promote_args_inexact, safe

__all__ = ["logpdf", "pdf"]


def logpdf(x, c):
    x, c = promote_args_inexact("wrapcauchy.logpdf", x, c)
    invalid = (c <= 0) | (c >= 1)
    cs = safe(~invalid, c, 0.5)
    value = (fnp.log1p(-cs * cs) - math.log(2 * math.pi)
             - fnp.log(1 + cs * cs - 2 * cs * fnp.cos(x)))
    return nan_where(invalid, outside((x < 0) | (x > 2 * math.pi), value, -math.inf))


def pdf(x, c):
    return fnp.exp(logpdf(x, c))
