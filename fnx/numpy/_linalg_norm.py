"""Vector and matrix norms: ``norm`` (numpy.linalg.norm's every ord and axis), ``vector_norm``
and ``matrix_norm`` (the array API's), all computing in floating point (integer inputs in the
default float); complex inputs norm their absolute values, so every norm is real.

Vector orders: None / 2 (Euclidean), inf / -inf (max / min |x|), 0 (number of non-zeros), 1,
any other p (``sum(|x|**p) ** (1/p)``).  Matrix orders: None / 'fro', 'nuc' (sum of singular
values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column sum of |x|), inf
/ -inf (max / min row sum).
"""
from __future__ import annotations

import math
import operator

from .. import dtypes, lax
from ..errors import InvalidArgumentError, ShapeError
from ..lax import linalg as lax_linalg
from ._linalg_common import as_float
from ._manipulation import moveaxis
from ._reductions import max as _max
from ._reductions import min as _min
from ._reductions import sum as _sum
from ._ufuncs import abs as _abs
from ._ufuncs import multiply, not_equal, power, sqrt
from ._util import canonical_axes, canonical_axis


def _is(ord, value) -> bool:
    return not isinstance(ord, str) and ord == value


def _abs_squared(x):
    """|x|^2, real: re^2 + im^2 for complex ``x`` (no square root, so smooth at 0)."""
    if x.dtype.kind != "c":
        return multiply(x, x)
    re, im = lax.real(x), lax.imag(x)
    return lax.add(lax.mul(re, re), lax.mul(im, im))


def _vector(name, x, axes, ord, keepdims):
    """The ``ord`` vector norm of ``x`` over ``axes`` (a tuple)."""
    if ord is None or _is(ord, 2):
        return sqrt(_sum(_abs_squared(x), axis=axes, keepdims=keepdims))
    if isinstance(ord, str):
        raise InvalidArgumentError(f"{name}: invalid norm order {ord!r} for vectors")
    if _is(ord, math.inf):   # |x| >= 0: an empty norm is 0 (numpy's), a min has no identity
        return _max(_abs(x), axis=axes, keepdims=keepdims, initial=0.0)
    if _is(ord, -math.inf):
        return _min(_abs(x), axis=axes, keepdims=keepdims)
    if _is(ord, 0):
        return _sum(not_equal(x, 0), axis=axes, keepdims=keepdims).astype(
            dtypes.real_of(x.dtype))
    if _is(ord, 1):
        return _sum(_abs(x), axis=axes, keepdims=keepdims)
    try:
        p = float(ord)
    except (TypeError, ValueError):
        raise InvalidArgumentError(f"{name}: invalid norm order {ord!r} for vectors") from None
    return power(_sum(power(_abs(x), p), axis=axes, keepdims=keepdims), 1.0 / p)


def _restore_axes(r, x, axes, keepdims):
    """``r`` reduced over ``axes`` (in any order) back to ``x``'s rank with 1s when
    ``keepdims``."""
    if not keepdims:
        return r
    shape = [1 if i in axes else d for i, d in enumerate(x.shape)]
    return lax.reshape(r, tuple(shape))


def _singular_values(x, row, col):
    """The singular values of the (row, col) planes, over the other axes in order."""
    return lax_linalg.svd(moveaxis(x, (row, col), (-2, -1)), full_matrices=False,
                          compute_uv=False)


def _matrix(name, x, row, col, ord, keepdims):
    """The ``ord`` matrix norm of the planes of axes ``row`` and ``col`` of ``x``."""
    if row == col:
        raise InvalidArgumentError(f"{name}: duplicate axes given ({row}, {col})")
    axes = (row, col)
    if ord is None or ord == "fro":
        return sqrt(_sum(_abs_squared(x), axis=axes, keepdims=keepdims))
    if ord == "nuc":
        return _restore_axes(_sum(_singular_values(x, row, col), axis=-1), x, axes, keepdims)
    if _is(ord, 2) or _is(ord, -2):
        s = _singular_values(x, row, col)
        r = _max(s, axis=-1, initial=0.0) if ord == 2 else _min(s, axis=-1)
        return _restore_axes(r, x, axes, keepdims)
    if isinstance(ord, str) or not any(_is(ord, v) for v in (1, -1, math.inf, -math.inf)):
        raise InvalidArgumentError(f"{name}: invalid norm order {ord!r} for matrices")
    # 1 / -1: sum over rows (each column's sum), then max / min over columns; inf: the reverse
    summed, picked = (row, col) if abs(ord) == 1 else (col, row)
    sums = _sum(_abs(x), axis=summed, keepdims=True)
    r = _max(sums, axis=picked, keepdims=True, initial=0.0) if ord > 0 else \
        _min(sums, axis=picked, keepdims=True)
    return r if keepdims else lax.reshape(r, tuple(d for i, d in enumerate(x.shape)
                                                   if i not in axes))


def _axis_tuple(name, axis, ndim):
    if isinstance(axis, (tuple, list)):
        return tuple(canonical_axis(name, a, ndim) for a in axis)
    try:
        return (canonical_axis(name, operator.index(axis), ndim),)
    except TypeError:
        raise TypeError(f"{name}: axis must be None, an integer or a tuple of integers, got "
                        f"{axis!r}") from None


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy.linalg.norm: a vector norm (``axis`` an int, or ``x`` 1-d) or a matrix norm
    (``axis`` a pair, or ``x`` 2-d); with ``ord`` and ``axis`` both None, the 2-norm of
    ``x`` flattened whatever its rank."""
    (x,) = as_float("norm", x)
    if axis is None:
        if ord is None:
            return _vector("norm", x, tuple(range(x.ndim)), None, keepdims)
        if x.ndim not in (1, 2):
            raise ShapeError(f"norm: improper number of dimensions to norm: an order {ord!r} "
                             f"needs a 1-d or 2-d array or an axis, got shape {tuple(x.shape)}")
        axis = tuple(range(x.ndim))
    axes = _axis_tuple("norm", axis, x.ndim)
    if len(axes) == 1:
        return _vector("norm", x, axes, ord, keepdims)
    if len(axes) == 2:
        return _matrix("norm", x, axes[0], axes[1], ord, keepdims)
    raise ShapeError(f"norm: improper number of dimensions to norm: axis={axis!r} for shape "
                     f"{tuple(x.shape)} (one axis: a vector norm, two: a matrix norm)")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The ``ord`` vector norm over ``axis`` (None: all axes, as one flattened vector; a
    tuple: those axes together)."""
    (x,) = as_float("vector_norm", x)
    axes = canonical_axes("vector_norm", axis, x.ndim)
    return _vector("vector_norm", x, axes, ord, keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The ``ord`` matrix norm of the last two axes."""
    (x,) = as_float("matrix_norm", x)
    if x.ndim < 2:
        raise ShapeError(f"matrix_norm: the array must be at least two-dimensional, got shape "
                         f"{tuple(x.shape)}")
    return _matrix("matrix_norm", x, x.ndim - 2, x.ndim - 1, ord, keepdims)
