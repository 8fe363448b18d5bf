"""Reductions, statistics and cumulative scans of fnx.numpy.

``axis`` may be None (all axes), an int or a tuple (negative counts from the end); ``keepdims``
keeps reduced axes with size 1.  Sums and products of bool / int8 accumulate in int32, of uint8
in uint32 (the array API's and jax.numpy's rule); wider integers keep their dtype; means of
integers are float32.  Complex operands give complex sums, products and means, and real
variances (the mean of |x - mean|^2), as numpy.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from .. import dtypes, lax
from ..core import Array, Tracer
from ..errors import DTypeError, ShapeError
from . import _complex as cx
from ._complex import reject_complex
from ._util import (asarray_arg, canonical_axes, canonical_axis, check_axis_types,
                    check_supported, full_scalar, host_to_array, is_array, keep_dims, promote,
                    to_dtype)
from ._ufuncs import isnan, where as _where


def _sum_dtype(dt):
    """The accumulator of sums/products (the array API's rule, jax.numpy's at 32 bits): integers
    narrower than the default width widen to it, keeping their signedness (uint8 -> uint32);
    bool counts in the default int."""
    if dt.kind == "b" or (dt.kind == "i" and dt.itemsize < 4):
        return dtypes.default_int
    if dt.kind == "u" and dt.itemsize < 4:
        return dtypes.uint32
    return dt


def _prep(name, a, axis, dtype, where, identity, acc_dtype_fn=None):
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    if dtype is not None:
        dt = check_supported(name, dtype)
    elif acc_dtype_fn is not None:
        dt = acc_dtype_fn(a.dtype)
    else:
        dt = a.dtype
    a = to_dtype(a, dt)
    if where is not None:
        a = _where(where, a, full_scalar(identity, dt))
    return a, axes


def _finish(r, axes, ndim, keepdims):
    return keep_dims(r, axes, ndim) if keepdims else r


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
        promote_integers=True):
    """Sum of elements over ``axis``.  ``fnp.sum(fnp.ones((2, 3)), axis=0) -> [2, 2, 2]``"""
    _no_out("sum", out)
    a, axes = _prep("sum", a, axis, dtype, where, 0,
                    _sum_dtype if promote_integers else None)
    ndim = a.ndim
    if a.dtype == dtypes.bool_:
        a = to_dtype(a, dtypes.default_int)
    r = lax.reduce_sum(a, axes)
    if initial is not None:
        r = lax.add(r, full_scalar(initial, r.dtype))
    return _finish(r, axes, ndim, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None,
         promote_integers=True):
    """Product of elements over ``axis``."""
    _no_out("prod", out)
    a, axes = _prep("prod", a, axis, dtype, where, 1,
                    _sum_dtype if promote_integers else None)
    ndim = a.ndim
    if a.dtype == dtypes.bool_:
        a = to_dtype(a, dtypes.default_int)
    r = lax.reduce_prod(a, axes)
    if initial is not None:
        r = lax.mul(r, full_scalar(initial, r.dtype))
    return _finish(r, axes, ndim, keepdims)


def _lowest(dt):
    if dt.kind in "fc":
        return -np.inf
    if dt.kind == "b":
        return False
    return np.iinfo(dt).min


def _highest(dt):
    if dt.kind in "fc":
        return np.inf
    if dt.kind == "b":
        return True
    return np.iinfo(dt).max


def _minmax(name, prim_fn, binop, ident_fn, a, axis, out, keepdims, initial, where):
    _no_out(name, out)
    a = asarray_arg(name, a)
    axes = canonical_axes(name, axis, a.ndim)
    if initial is None:
        if where is not None:
            raise ValueError(f"{name}: reduction with where= needs an initial value")
        if builtins.any(a.shape[i] == 0 for i in axes):
            raise ValueError(f"{name}: zero-size array to reduction operation {name} which has "
                             "no identity (pass initial=)")
    if where is not None:
        a = _where(where, a, full_scalar(ident_fn(a.dtype), a.dtype))
    r = prim_fn(a, axes)
    if initial is not None:
        r = binop(r, full_scalar(initial, r.dtype))
    return _finish(r, axes, a.ndim, keepdims)


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Maximum over ``axis`` (NaN propagates)."""
    return _minmax("max", lax.reduce_max, lax.max, _lowest, a, axis, out, keepdims, initial,
                   where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Minimum over ``axis`` (NaN propagates)."""
    return _minmax("min", lax.reduce_min, lax.min, _highest, a, axis, out, keepdims, initial,
                   where)


amax, amin = max, min


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    """True when every element along ``axis`` is nonzero."""
    _no_out("all", out)
    a = to_dtype(asarray_arg("all", a), dtypes.bool_)
    axes = canonical_axes("all", axis, a.ndim)
    if where is not None:
        a = _where(where, a, True)
    return _finish(lax.reduce_and(a, axes), axes, a.ndim, keepdims)


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    """True when some element along ``axis`` is nonzero."""
    _no_out("any", out)
    a = to_dtype(asarray_arg("any", a), dtypes.bool_)
    axes = canonical_axes("any", axis, a.ndim)
    if where is not None:
        a = _where(where, a, False)
    return _finish(lax.reduce_or(a, axes), axes, a.ndim, keepdims)


def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported (fnx arrays are immutable)")


def _float_dtype(name, a, dtype):
    if dtype is not None:
        return check_supported(name, dtype)
    return a.dtype if dtypes.is_inexact(a.dtype) else dtypes.default_float


def _count(a, axes, where):
    if where is None:
        return math.prod(a.shape[i] for i in axes)
    w = lax.broadcast_in_dim(to_dtype(asarray_arg("mean", where), dtypes.bool_), a.shape,
                             tuple(range(a.ndim - asarray_arg("mean", where).ndim, a.ndim)))
    return lax.reduce_sum(to_dtype(w, dtypes.default_int), axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Arithmetic mean over ``axis``; integers give float32."""
    _no_out("mean", out)
    a = asarray_arg("mean", a)
    dt = _float_dtype("mean", a, dtype)
    axes = canonical_axes("mean", axis, a.ndim)
    s = sum(a, axis=axes, dtype=dt, where=where)
    n = _count(a, axes, where)
    n = full_scalar(n, dt) if isinstance(n, int) else to_dtype(n, dt)
    return _finish(lax.div(s, n), axes, a.ndim, keepdims)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Variance over ``axis`` with ``ddof`` (or ``correction``) degrees of freedom removed."""
    _no_out("var", out)
    if correction is not None:
        ddof = correction
    a = asarray_arg("var", a)
    a = to_dtype(a, _float_dtype("var", a, dtype))
    dt = dtypes.real_of(a.dtype)  # the variance of complex numbers is real
    axes = canonical_axes("var", axis, a.ndim)
    m = mean(a, axis=axes, keepdims=True, where=where)
    centered = lax.sub(a, lax.broadcast_in_dim(m, a.shape, tuple(range(a.ndim))))
    sq = cx.abs_squared(centered) if cx.is_complex(a) else lax.integer_pow(centered, 2)
    s = sum(sq, axis=axes, where=where)
    n = _count(a, axes, where)
    if isinstance(n, int):
        denom = full_scalar(builtins.max(n - ddof, 0), dt)
    else:
        denom = lax.max(lax.sub(to_dtype(n, dt), full_scalar(ddof, dt)), full_scalar(0, dt))
    return _finish(lax.div(s, denom), axes, a.ndim, keepdims)


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
        correction=None):
    """Standard deviation: sqrt(var)."""
    check_axis_types("std", axis)
    return lax.sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, correction=correction))


def _argreduce(name, prim_fn, a, axis, out, keepdims):
    _no_out(name, out)
    a = asarray_arg(name, a)
    if axis is None:
        ndim = a.ndim
        flat = lax.reshape(a, (a.size,))
        if a.size == 0:
            raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
        r = prim_fn(flat, 0)
        return keep_dims(r, tuple(range(ndim)), ndim) if keepdims else r
    ax = canonical_axis(name, axis, a.ndim)
    if a.shape[ax] == 0:
        raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
    r = prim_fn(a, ax)
    return keep_dims(r, (ax,), a.ndim) if keepdims else r


def argmax(a, axis=None, out=None, keepdims=False):
    """Index of the first maximum (NaN counts as the maximum); int32."""
    return _argreduce("argmax", lax.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, keepdims=False):
    """Index of the first minimum (NaN counts as the minimum); int32."""
    return _argreduce("argmin", lax.argmin, a, axis, out, keepdims)


def ptp(a, axis=None, out=None, keepdims=False):
    """max - min along ``axis``."""
    from ._ufuncs import subtract
    check_axis_types("ptp", axis)
    return subtract(max(a, axis, keepdims=keepdims), min(a, axis, keepdims=keepdims))


def _cumulative(name, prim_fn, a, axis, dtype):
    a = asarray_arg(name, a)
    if axis is None:
        a = lax.reshape(a, (a.size,))
        axis = 0
    ax = canonical_axis(name, axis, a.ndim)
    dt = check_supported(name, dtype) if dtype is not None else _sum_dtype(a.dtype)
    a = to_dtype(a, dt) if dt != dtypes.bool_ else to_dtype(a, dtypes.default_int)
    return prim_fn(a, ax)


def cumsum(a, axis=None, dtype=None, out=None):
    """Running sum along ``axis`` (axis=None flattens first)."""
    _no_out("cumsum", out)
    return _cumulative("cumsum", lax.cumsum, a, axis, dtype)


def cumprod(a, axis=None, dtype=None, out=None):
    """Running product along ``axis`` (axis=None flattens first)."""
    _no_out("cumprod", out)
    return _cumulative("cumprod", lax.cumprod, a, axis, dtype)


# -- NaN-ignoring variants ------------------------------------------------------------------

def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Sum treating NaN as zero."""
    a = asarray_arg("nansum", a)
    check_axis_types("nansum", axis)
    if dtypes.is_inexact(a.dtype):
        a = _where(isnan(a), full_scalar(0, a.dtype), a)
    return sum(a, axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """Product treating NaN as one."""
    a = asarray_arg("nanprod", a)
    check_axis_types("nanprod", axis)
    if dtypes.is_inexact(a.dtype):
        a = _where(isnan(a), full_scalar(1, a.dtype), a)
    return prod(a, axis, dtype, out, keepdims, initial, where)


def _nanminmax(name, fn, fill, a, axis, out, keepdims, initial, where):
    a = asarray_arg(name, a)
    check_axis_types(name, axis)
    if not dtypes.is_inexact(a.dtype):
        return fn(a, axis, out, keepdims, initial, where)
    nan_mask = isnan(a)
    r = fn(_where(nan_mask, full_scalar(fill, a.dtype), a), axis, out, keepdims, initial, where)
    all_nan = all(nan_mask, axis=axis, keepdims=keepdims)
    return _where(all_nan, full_scalar(np.nan, a.dtype), r)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Maximum ignoring NaN (NaN where every element is NaN)."""
    return _nanminmax("nanmax", max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """Minimum ignoring NaN (NaN where every element is NaN)."""
    return _nanminmax("nanmin", min, np.inf, a, axis, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    """Mean ignoring NaN."""
    a = asarray_arg("nanmean", a)
    check_axis_types("nanmean", axis)
    if not dtypes.is_inexact(a.dtype):
        return mean(a, axis, dtype, out, keepdims, where=where)
    valid = lax.bitwise_not(isnan(a))
    if where is not None:
        valid = _where(where, valid, False)
    dt = _float_dtype("nanmean", a, dtype)
    s = sum(_where(valid, a, full_scalar(0, a.dtype)), axis, dt, keepdims=keepdims)
    n = sum(valid, axis, dt, keepdims=keepdims)
    return lax.div(s, n)


def count_nonzero(a, axis=None, keepdims=False):
    """Number of nonzero elements along ``axis`` (int32)."""
    a = to_dtype(asarray_arg("count_nonzero", a), dtypes.bool_)
    check_axis_types("count_nonzero", axis)
    return sum(a, axis, dtypes.default_int, keepdims=keepdims)


# -- logsumexp --------------------------------------------------------------------------------

def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False, where=None):
    """log(sum(b * exp(a))) over ``axis``, stable: the maximum is shifted out first."""
    if b is not None:
        a, b = promote("logsumexp", a, b, inexact=True)
    else:
        (a,) = promote("logsumexp", a, inexact=True)
    reject_complex("logsumexp", a)
    axes = canonical_axes("logsumexp", axis, a.ndim)
    if where is not None:
        a = _where(where, a, full_scalar(-np.inf, a.dtype))
    amax = lax.reduce_max(a, axes) if axes else a
    amax = lax.select(lax.is_finite(amax), amax, full_scalar(0, a.dtype, amax.shape))
    amax_k = keep_dims(amax, axes, a.ndim)
    shifted = lax.exp(lax.sub(a, lax.broadcast_in_dim(amax_k, a.shape, tuple(range(a.ndim)))))
    if b is not None:
        shifted = lax.mul(shifted, b)
    s = lax.reduce_sum(shifted, axes)
    sign = None
    if return_sign:
        sign = lax.sign(s)
        s = lax.abs(s)
    out = lax.add(lax.log(s), amax)
    if keepdims:
        out = keep_dims(out, axes, a.ndim)
        sign = keep_dims(sign, axes, a.ndim) if sign is not None else None
    return (out, sign) if return_sign else out


# -- average / quantiles ----------------------------------------------------------------------

def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """Weighted average along ``axis`` (``weights`` 1-d along the axis, or a's shape)."""
    a = asarray_arg("average", a)
    check_axis_types("average", axis)
    if weights is None:
        avg = mean(a, axis, keepdims=keepdims)
        if not returned:
            return avg
        axes = canonical_axes("average", axis, a.ndim)
        n = math.prod(a.shape[i] for i in axes)
        return avg, full_scalar(n, avg.dtype, avg.shape)
    w = asarray_arg("average", weights)
    if tuple(w.shape) == tuple(a.shape):
        a, w = promote("average", a, w, inexact=True)
    else:
        a, w = _weights_along_axis(a, w, axis)
    axes = canonical_axes("average", axis, a.ndim)
    wsum = sum(w, axes, keepdims=keepdims)
    avg = lax.div(sum(lax.mul(a, w), axes, keepdims=keepdims), wsum)
    if returned:
        return avg, wsum
    return avg


def _weights_along_axis(a, w, axis):
    if axis is None or w.ndim != 1:
        raise ShapeError(f"average: weights of shape {tuple(w.shape)} must have a's shape "
                         f"{tuple(a.shape)} or be 1-d along a single axis")
    ax = canonical_axis("average", axis, a.ndim)
    if w.shape[0] != a.shape[ax]:
        raise ShapeError("average: length of weights differs from the size of the axis")
    shape = tuple(a.shape[ax] if i == ax else 1 for i in range(a.ndim))
    a, w = promote("average", a, lax.reshape(w, shape), inexact=True)
    return a, w


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _host_q(name, q):
    """q as a float64 Array: host q (Python floats, lists) goes straight to float64 (a weak
    float32 would round 1/3)."""
    q = q if is_array(q) else host_to_array(name, np.asarray(q, dtype=np.float64))
    if q.ndim > 1:
        raise ValueError(f"{name}: q must be a scalar or 1-d")
    return to_dtype(q, dtypes.float64)


def _check_q_range(name, q, top):
    """numpy's check that every q lies in [0, top] (NaN fails).  A traced q (jit/vmap/grad)
    has no values to check: it is not checked, as in jax.numpy."""
    if isinstance(q, Tracer):
        q = q.concrete_value()
        if q is None:
            return
    host = np.asarray(q)
    if not ((host >= 0) & (host <= top)).all():
        what = "Quantiles" if top == 1 else "Percentiles"
        raise ValueError(f"{name}: {what} must be in the range [0, {top}], got q={host}")


def _interpolate(v_lo, v_hi, t, dt):
    """numpy's lerp between the neighbours ``v_lo <= v_hi`` with weight ``t`` in [0, 1), except
    where its ``inf - inf`` would give NaN: equal neighbours (an exact hit included) give their
    value, and an infinite neighbour gives ``v_lo + v_hi`` (that infinity; NaN for -inf, inf),
    which is what np.median's mean of the middle pair gives."""
    diff = lax.sub(v_hi, v_lo)
    half = full_scalar(0.5, dt)
    one = full_scalar(1, dt)
    r = lax.select(lax.ge(t, half), lax.sub(v_hi, lax.mul(diff, lax.sub(one, t))),
                   lax.add(v_lo, lax.mul(diff, t)))
    inf = full_scalar(np.inf, dt, r.shape)
    infinite = lax.bitwise_or(lax.eq(lax.abs(v_lo), inf), lax.eq(lax.abs(v_hi), inf))
    r = lax.select(infinite, lax.add(v_lo, v_hi), r)
    return lax.select(lax.eq(v_lo, v_hi), v_lo, r)


def _quantile(name, a, q, axis, method, keepdims, empty_is_nan=False):
    """The quantiles ``q`` (a float64 Array in [0, 1]) of ``a`` along ``axis``, by sorting."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{name}: method must be one of {_QUANTILE_METHODS}, got {method!r}")
    a = asarray_arg(name, a)
    reject_complex(name, a)  # as numpy's quantile (fnx has no complex median either)
    dt = a.dtype if a.dtype.kind == "f" else dtypes.default_float
    a = to_dtype(a, dt)
    ndim = a.ndim
    axes = canonical_axes(name, axis, ndim)
    rest = [i for i in range(ndim) if i not in axes]
    n = math.prod(a.shape[i] for i in axes)
    rest_shape = tuple(a.shape[i] for i in rest)
    if n == 0:
        if not empty_is_nan:
            raise ValueError(f"{name}: cannot take a quantile of an empty axis")
        r = full_scalar(np.nan, dt, tuple(q.shape) + rest_shape)
    else:
        # move the reduced axes to the front and flatten them: (n,) + rest
        a_t = lax.reshape(lax.transpose(a, tuple(axes) + tuple(rest)), (n,) + rest_shape)
        r = _sorted_quantile(lax.sort(a_t, dimension=0), q, n, method, dt, rest_shape)
    if keepdims:
        shape = list(q.shape) + [1 if i in axes else a.shape[i] for i in range(ndim)]
        r = lax.reshape(r, tuple(shape))
    return r


def _quantile_bracket(pos, method):
    """``(i_lo, i_hi, lo, hi)``: the (float) positions of the two sorted values ``method``
    reads at the fractional position ``pos``, and floor / ceil of ``pos``."""
    lo, hi = lax.floor(pos), lax.ceil(pos)
    if method == "lower":
        return lo, lo, lo, hi
    if method == "higher":
        return hi, hi, lo, hi
    if method == "nearest":
        near = lax.round(pos, lax.RoundingMethod.TO_NEAREST_EVEN)
        return near, near, lo, hi
    return lo, hi, lo, hi


def _quantile_weight(pos, lo, hi, method, dt, shape):
    """The weight of the upper value: 0.5 between two values for "midpoint" (0 on one), the
    fraction of ``pos`` for "linear"."""
    if method == "midpoint":
        return lax.select(lax.eq(lo, hi), full_scalar(0, dt, shape), full_scalar(0.5, dt, shape))
    return lax.convert_element_type(lax.sub(pos, lo), dt)


def _sorted_quantile(s, q, n, method, dt, rest_shape):
    pos = lax.mul(q, full_scalar(n - 1, dtypes.float64))
    idx_lo, idx_hi, lo, hi = _quantile_bracket(pos, method)
    clamp = lambda i: lax.clamp(full_scalar(0, dtypes.int32),  # noqa: E731
                                lax.convert_element_type(i, dtypes.int32),
                                full_scalar(n - 1, dtypes.int32))
    v_lo = lax.gather(s, clamp(idx_lo))
    v_hi = lax.gather(s, clamp(idx_hi))
    if method in ("lower", "higher", "nearest"):
        r = v_lo
    else:
        t = _quantile_weight(pos, lo, hi, method, dt, q.shape)
        t = lax.broadcast_in_dim(t, tuple(q.shape) + rest_shape, tuple(range(q.ndim)))
        r = _interpolate(v_lo, v_hi, t, dt)
    # NaN anywhere along the axis gives NaN (sort puts NaN last; numpy propagates it)
    last = lax.slice_in_dim(s, n - 1, n, axis=0)
    has_nan = lax.broadcast_in_dim(lax.reshape(lax.ne(last, last), rest_shape), r.shape,
                                   tuple(range(q.ndim, q.ndim + len(rest_shape))))
    return lax.select(has_nan, full_scalar(np.nan, dt, r.shape), r)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, interpolation=None):
    """The q-th quantiles (q in [0, 1]; ValueError otherwise, as numpy -- a traced q is not
    checked, as in jax.numpy) along ``axis``, by sorting.  ``q`` may be a scalar or a 1-d
    array; the quantile axis comes first in the result, as in numpy.  Linear interpolation is
    numpy's, except that equal neighbours give their value and an infinite neighbour gives
    that infinity (numpy's ``inf - inf`` gives NaN there)."""
    _no_out("quantile", out)
    q = _host_q("quantile", q)
    _check_q_range("quantile", q, 1)
    return _quantile("quantile", a, q, axis, interpolation or method, keepdims)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, interpolation=None):
    """The q-th percentiles (q in [0, 100]; ValueError otherwise, unchecked when traced); see
    quantile."""
    _no_out("percentile", out)
    q = _host_q("percentile", q)
    _check_q_range("percentile", q, 100)
    q = lax.div(q, full_scalar(100, dtypes.float64))
    return _quantile("percentile", a, q, axis, interpolation or method, keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median along ``axis`` (NaN propagates; NaN for an empty axis, as numpy and jax.numpy;
    an infinite middle value gives that infinity, as np.median)."""
    _no_out("median", out)
    q = full_scalar(0.5, dtypes.float64)
    return _quantile("median", a, q, axis, "linear", keepdims, empty_is_nan=True)


__all__ = ["sum", "prod", "max", "min", "amax", "amin", "all", "any", "mean", "var", "std",
           "argmax", "argmin", "ptp", "cumsum", "cumprod",
           "nansum", "nanprod", "nanmax", "nanmin", "nanmean", "count_nonzero", "logsumexp",
           "average", "quantile", "percentile", "median"]
