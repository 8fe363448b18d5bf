"""The uniform distribution on ``[loc, loc + scale]`` (``jax.scipy.stats.uniform``);
``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, outside, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("uniform.logpdf", x, loc, scale)
    y = (x - loc) / scale
    value = outside((y < 0) | (y > 1), -fnp.log(scale), -math.inf)
    return nan_where(bad_scale(scale) | fnp.isnan(x), value)


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("uniform.cdf", x, loc, scale)
    return nan_where(bad_scale(scale), fnp.clip((x - loc) / scale, 0, 1))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote_args_inexact("uniform.ppf", q, loc, scale)
    return nan_where(bad_scale(scale) | (q < 0) | (q > 1), loc + q * scale)
