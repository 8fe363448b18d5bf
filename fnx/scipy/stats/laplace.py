"""The Laplace distribution (``jax.scipy.stats.laplace``); ``scale <= 0`` gives NaN."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import bad_scale, nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote_args_inexact("laplace.logpdf", x, loc, scale)
    z = (x - loc) / scale
    return nan_where(bad_scale(scale), -fnp.abs(z) - fnp.log(scale) - math.log(2))


def pdf(x, loc=0, scale=1):
    return fnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """``e^z / 2`` below loc, ``1 - e^-z / 2`` above; one exponential of ``-|z|`` written
    without abs, so the derivative at z = 0 is the density's 1/2, not abs's 0."""
    x, loc, scale = promote_args_inexact("laplace.cdf", x, loc, scale)
    z = (x - loc) / scale
    below = z < 0
    half_e = 0.5 * fnp.exp(fnp.where(below, z, -z))
    return nan_where(bad_scale(scale), fnp.where(below, half_e, 1 - half_e))
