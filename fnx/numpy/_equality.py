"""Approximate and exact equality of whole arrays: isclose, allclose, array_equal,
array_equiv (numpy's semantics; complex operands compare by the complex modulus)."""
from __future__ import annotations

import numpy as np

from .. import dtypes, lax
from ..core import Array
from ._ufuncs import isnan
from ._util import asarray_arg, promote, weak_scalar_like as _const


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| elementwise (infinities must match exactly; complex: the
    complex modulus).

    Integer inputs are compared in floating point, as numpy does."""
    a, b = promote("isclose", a, b, inexact=True)
    diff = lax.abs(lax.sub(a, b))  # real for complex operands
    tol = lax.add(_const(diff, atol), lax.mul(_const(diff, rtol), lax.abs(b)))
    close = lax.le(diff, tol)
    finite = lax.bitwise_and(lax.is_finite(a), lax.is_finite(b))
    r = lax.bitwise_or(lax.eq(a, b), lax.bitwise_and(finite, close))
    if equal_nan:
        r = lax.bitwise_or(r, lax.bitwise_and(isnan(a), isnan(b)))
    return r


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element of a and b is close (see isclose); a 0-d bool Array."""
    c = isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return lax.reduce_and(c, tuple(range(c.ndim)))


def array_equal(a1, a2, equal_nan=False):
    """True when a1 and a2 have the same shape and elements (a 0-d bool Array)."""
    a1, a2 = asarray_arg("array_equal", a1), asarray_arg("array_equal", a2)
    if tuple(a1.shape) != tuple(a2.shape):
        return Array(np.array(False))
    x, y = promote("array_equal", a1, a2)
    eq = lax.eq(x, y)
    if equal_nan and dtypes.is_inexact(x.dtype):
        eq = lax.bitwise_or(eq, lax.bitwise_and(isnan(x), isnan(y)))
    return lax.reduce_and(eq, tuple(range(eq.ndim)))


def array_equiv(a1, a2):
    """True when a1 and a2 are broadcast-compatible and equal."""
    a1, a2 = asarray_arg("array_equiv", a1), asarray_arg("array_equiv", a2)
    try:
        x, y = promote("array_equiv", a1, a2)
    except ValueError:
        return Array(np.array(False))
    eq = lax.eq(x, y)
    return lax.reduce_and(eq, tuple(range(eq.ndim)))


__all__ = ["isclose", "allclose", "array_equal", "array_equiv"]
