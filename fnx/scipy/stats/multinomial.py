"""The multinomial distribution (``jax.scipy.stats.multinomial``): counts ``x`` (last axis:
the categories) of ``n`` draws with category probabilities ``p``.  ``x`` and ``n`` must be
integers (as JAX); counts that do not sum to ``n`` or are negative have probability 0.  ``p``
is used as given (scipy renormalizes the last entry; JAX does not)."""
from __future__ import annotations

import math

from ... import dtypes, lax
from ... import numpy as fnp
from .. import special
from ...errors import DTypeError, ShapeError
from ._util import promote_args_inexact

__all__ = ["logpmf", "pmf"]


def _check(name, x, n, p):
    x, n = fnp.asarray(x), fnp.asarray(n)
    for label, arg in (("x", x), ("n", n)):
        if not dtypes.is_integer(arg.dtype):
            raise DTypeError(f"{name}: {label} must be an integer array (counts), got "
                             f"{arg.dtype}")
    (p,) = promote_args_inexact(name, p)
    if dtypes.is_complex(p.dtype):
        raise DTypeError(f"{name}: p must be real, got {p.dtype}")
    if x.ndim < 1 or p.ndim < 1:
        raise ShapeError(f"{name}: x and p need a category axis (the last one), got shapes "
                         f"{x.shape} and {p.shape}")
    if x.shape[-1] != p.shape[-1]:
        raise ShapeError(f"{name}: x has {x.shape[-1]} categories but p has {p.shape[-1]} "
                         f"(shapes {x.shape} and {p.shape})")
    return x.astype(p.dtype), n.astype(p.dtype), p


def logpmf(x, n, p):
    x, n, p = _check("multinomial.logpmf", x, n, p)
    nonneg = fnp.all(x >= 0, axis=-1)
    xs = fnp.where(x >= 0, x, fnp.zeros_like(x))
    value = lax.lgamma(n + 1) + fnp.sum(special.xlogy(xs, p) - lax.lgamma(xs + 1), axis=-1)
    support = nonneg & (fnp.sum(x, axis=-1) == n)
    return fnp.where(support, value, fnp.full_like(value, -math.inf))


def pmf(x, n, p):
    return fnp.exp(logpmf(x, n, p))
