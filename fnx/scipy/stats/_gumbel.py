"""Pieces shared by gumbel_l and gumbel_r."""
from __future__ import annotations

import math

from ... import numpy as fnp
from ._util import nan_where

# below this z, log(1 - exp(-e^z)) is z - e/2 + e^2/24 (e = e^z < 5e-5): the next term,
# e^4 / 2880, is below 1e-20, and exp(z) may underflow without harm
_SERIES_BELOW = -10.0
_LOG_LOG_2 = math.log(math.log(2.0))


def log_one_minus_exp_neg_exp(z):
    """``log(1 - exp(-exp(z)))``, accurate for every z (the log of gumbel_l's cdf)."""
    small = z < _SERIES_BELOW
    large = z > _LOG_LOG_2           # exp(-e^z) < 1/2: log1p keeps the tiny result's digits
    z_small = fnp.where(small, z, fnp.full_like(z, _SERIES_BELOW))
    z_mid = fnp.where(small | large, fnp.zeros_like(z), z)
    z_large = fnp.where(large, z, fnp.ones_like(z))
    e = fnp.exp(z_small)
    series = z_small - 0.5 * e + e * e / 24.0
    middle = fnp.log(-fnp.expm1(-fnp.exp(z_mid)))
    upper = fnp.log1p(-fnp.exp(-fnp.exp(z_large)))
    return fnp.where(small, series, fnp.where(large, upper, middle))


def quantile_argument(q, log_fn):
    """``-log_fn(q)`` with NaN for q outside [0, 1] (0 / 1 map to the infinite ends)."""
    value = -log_fn(q)
    return nan_where((q < 0) | (q > 1), value)
