"""Student's t distribution (``jax.scipy.stats.t``) with ``df`` degrees of freedom;
``df <= 0`` or ``scale <= 0`` gives NaN.  cdf / sf (not in JAX) use the incomplete beta."""
from __future__ import annotations

import math

from ... import lax
from ... import numpy as fnp
from .. import special
from ._util import bad_scale, nan_where, promote_args_inexact, safe

__all__ = ["logpdf", "pdf", "cdf", "sf"]


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote_args_inexact("t.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    half = 0.5 * (df + 1)
    log_norm = (lax.lgamma(0.5 * df) + 0.5 * fnp.log(df * math.pi) + fnp.log(scale)
                - lax.lgamma(half))
    return nan_where((df <= 0) | bad_scale(scale), -half * fnp.log1p(z * z / df) - log_norm)


def pdf(x, df, loc=0, scale=1):
    return fnp.exp(logpdf(x, df, loc, scale))


def _tail(name, x, df, loc, scale):
    """``(z, P(T > |z|), invalid)``.  Far out the tail is ``I_{df/(df+z^2)}(df/2, 1/2) / 2``;
    near the centre ``(1 - I_{z^2/(df+z^2)}(1/2, df/2)) / 2``, whose argument keeps its
    precision where ``df / (df + z^2)`` rounds to 1."""
    x, df, loc, scale = promote_args_inexact(name, x, df, loc, scale)
    z = (x - loc) / scale
    invalid = (df <= 0) | bad_scale(scale)
    df_ok = safe(~invalid, df, 1.0)
    z2 = z * z
    far = z2 > df_ok
    far_tail = 0.5 * special.betainc(0.5 * df_ok, fnp.full_like(z, 0.5), df_ok / (df_ok + z2))
    near_tail = 0.5 - 0.5 * special.betainc(fnp.full_like(z, 0.5), 0.5 * df_ok, z2 / (df_ok + z2))
    tail = fnp.where(far, far_tail, near_tail)
    return z, tail, invalid


def cdf(x, df, loc=0, scale=1):
    z, tail, invalid = _tail("t.cdf", x, df, loc, scale)
    return nan_where(invalid, fnp.where(z < 0, tail, 1 - tail))


def sf(x, df, loc=0, scale=1):
    z, tail, invalid = _tail("t.sf", x, df, loc, scale)
    return nan_where(invalid, fnp.where(z < 0, 1 - tail, tail))
