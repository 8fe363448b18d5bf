"""The normal distribution truncated to ``[a, b]`` (in standard deviations from ``loc``)
(``jax.scipy.stats.truncnorm``); ``a >= b`` or ``scale <= 0`` gives NaN.

Everything is built on the log of the Gaussian mass between two points, taken as a difference
of ``log_ndtr`` values in the tails (mirrored into the left tail, where log_ndtr keeps relative
precision) and as ``log1p(-ndtr(a) - ndtr(-b))`` when the interval straddles 0, so a window
like [30, 31] or [-40, -39] still has a finite, accurate log density and cdf."""
from __future__ import annotations

import math

from ... import numpy as fnp
from .. import special
from ._util import HALF_LOG_2PI, bad_scale, nan_where, promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _log_diff_exp(big, small):
    """``log(exp(big) - exp(small))`` for big > small (no overflow, no cancellation in
    exp(big)); -inf where they are equal."""
    return big + fnp.log(-fnp.expm1(small - big))


def _log_gauss_mass(lo, hi):
    """``log(Phi(hi) - Phi(lo))`` for lo < hi (broadcast arrays)."""
    left = hi <= 0
    right = lo > 0
    central = ~(left | right)
    # mirror the right tail into the left one: Phi(hi) - Phi(lo) = Phi(-lo) - Phi(-hi)
    tail_lo = fnp.where(right, -hi, lo)
    tail_hi = fnp.where(right, -lo, hi)
    # the tail branch never sees a straddling interval (log_ndtr(hi) ~ 0 there would cancel);
    # the stand-ins keep that branch's value and gradient finite where it is not taken
    tail_lo = fnp.where(central, fnp.full_like(lo, -2.0), tail_lo)
    tail_hi = fnp.where(central, fnp.full_like(hi, -1.0), tail_hi)
    tail = _log_diff_exp(special.log_ndtr(tail_hi), special.log_ndtr(tail_lo))
    mid_lo = fnp.where(central, lo, fnp.full_like(lo, -1.0))
    mid_hi = fnp.where(central, hi, fnp.full_like(hi, 1.0))
    middle = fnp.log1p(-special.ndtr(mid_lo) - special.ndtr(-mid_hi))
    return fnp.where(central, middle, tail)


def _interior_stand_in(a, b):
    """A point strictly inside (a, b) for every a < b, infinite ends included."""
    both = fnp.isfinite(a) & fnp.isfinite(b)
    a_only = fnp.isfinite(a) & ~fnp.isfinite(b)
    b_only = ~fnp.isfinite(a) & fnp.isfinite(b)
    mid = fnp.where(both, 0.5 * a + 0.5 * b, fnp.zeros_like(a))
    mid = fnp.where(a_only, a + 1.0, mid)
    return fnp.where(b_only, b - 1.0, mid)


def _setup(name, x, a, b, loc, scale):
    x, a, b, loc, scale = promote_args_inexact(name, x, a, b, loc, scale)
    z = (x - loc) / scale
    invalid = (a >= b) | bad_scale(scale) | fnp.isnan(a) | fnp.isnan(b)
    ok_a = fnp.where(invalid, fnp.full_like(a, -1.0), a)   # stand-ins: a valid interval
    ok_b = fnp.where(invalid, fnp.full_like(b, 1.0), b)
    return z, ok_a, ok_b, scale, invalid


def logpdf(x, a, b, loc=0, scale=1):
    z, a, b, scale, invalid = _setup("truncnorm.logpdf", x, a, b, loc, scale)
    inside = (z >= a) & (z <= b)
    zs = fnp.where(inside, z, _interior_stand_in(a, b))
    value = -0.5 * zs * zs - HALF_LOG_2PI - fnp.log(scale) - _log_gauss_mass(a, b)
    value = fnp.where(inside | fnp.isnan(z), value, fnp.full_like(value, -math.inf))
    return nan_where(invalid | fnp.isnan(z), value)


def pdf(x, a, b, loc=0, scale=1):
    return fnp.exp(logpdf(x, a, b, loc, scale))


def _logcdf_standard(z, a, b):
    """log P(Z <= z) for the truncated standard normal on [a, b] (valid a < b)."""
    inside = (z > a) & (z < b)
    zs = fnp.where(inside, z, _interior_stand_in(a, b))
    log_mass = _log_gauss_mass(a, b)
    log_cdf = _log_gauss_mass(a, zs) - log_mass
    log_sf = _log_gauss_mass(zs, b) - log_mass
    # near 1 the cdf is better known as 1 - sf (the sf keeps the digits there)
    near_one = log_cdf > -0.1
    sf_small = fnp.where(near_one, log_sf, fnp.full_like(log_sf, -1.0))
    value = fnp.where(near_one, fnp.log1p(-fnp.exp(sf_small)), log_cdf)
    value = fnp.where(z <= a, fnp.full_like(value, -math.inf), value)
    return fnp.where(z >= b, fnp.zeros_like(value), value)


def logcdf(x, a, b, loc=0, scale=1):
    z, a, b, _, invalid = _setup("truncnorm.logcdf", x, a, b, loc, scale)
    return nan_where(invalid | fnp.isnan(z), _logcdf_standard(z, a, b))


def cdf(x, a, b, loc=0, scale=1):
    return fnp.exp(logcdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    """``log(1 - cdf)`` as the mirrored distribution's logcdf at ``-z``: accurate where the
    cdf is near 1."""
    z, a, b, _, invalid = _setup("truncnorm.logsf", x, a, b, loc, scale)
    return nan_where(invalid | fnp.isnan(z), _logcdf_standard(-z, -b, -a))


def sf(x, a, b, loc=0, scale=1):
    return fnp.exp(logsf(x, a, b, loc, scale))
