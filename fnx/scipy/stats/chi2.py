"""The chi-squared distribution with ``df`` degrees of freedom (``jax.scipy.stats.chi2``): a
gamma distribution of shape ``df / 2`` and scale ``2 scale``."""
from __future__ import annotations

from ... import numpy as fnp
from . import gamma as _gamma
from ._util import promote_args_inexact

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def _as_gamma(name, x, df, loc, scale):
    x, df, loc, scale = promote_args_inexact(name, x, df, loc, scale)
    return x, 0.5 * df, loc, 2 * scale


def logpdf(x, df, loc=0, scale=1):
    return _gamma.logpdf(*_as_gamma("chi2.logpdf", x, df, loc, scale))


def pdf(x, df, loc=0, scale=1):
    return fnp.exp(logpdf(x, df, loc, scale))


def cdf(x, df, loc=0, scale=1):
    return _gamma.cdf(*_as_gamma("chi2.cdf", x, df, loc, scale))


def logcdf(x, df, loc=0, scale=1):
    return _gamma.logcdf(*_as_gamma("chi2.logcdf", x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    return _gamma.sf(*_as_gamma("chi2.sf", x, df, loc, scale))


def logsf(x, df, loc=0, scale=1):
    return _gamma.logsf(*_as_gamma("chi2.logsf", x, df, loc, scale))
