"""Order statistics and the NaN-ignoring statistics numpy has beyond _reductions: partition /
argpartition, nanquantile / nanpercentile / nanmedian, nanvar / nanstd, nanargmax /
nanargmin, nancumsum / nancumprod.

All of them have static output shapes, so they work under jit/vmap/grad.  The NaN-ignoring
quantiles sort each slice (NaN sorts last), count its non-NaN elements and interpolate
between the sorted values at ``q * (count - 1)``, read with a batched gather: the count may
differ from slice to slice, so the positions are data, not static indices.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, lax
from ..core import Tracer
from . import _complex as cx
from ._complex import reject_complex
from ._manipulation import ravel
from ._reductions import (_QUANTILE_METHODS, _check_q_range, _host_q, _interpolate,
                          _quantile_bracket, _quantile_weight, argmax,
                          argmin, cumprod, cumsum, max as _max, min as _min, sum as _sum)
from ._selection import argsort, sort
from ._ufuncs import isnan
from ._util import (asarray_arg, broadcast_to_shape, canonical_axes, canonical_axis, check_axis_types,
                    check_supported, full_scalar, keep_dims, to_dtype)

_I32 = dtypes.int32


# -- partition --------------------------------------------------------------------------------

def _kth_list(name, kth, n):
    """The static kth values (an int or a sequence of ints), checked against the axis length
    ``n`` as numpy does (negative kth counts from the end)."""
    if isinstance(kth, Tracer):
        kth._concretization_error(f"{name}: kth")
    ks = np.ravel(np.asarray(kth._value if hasattr(kth, "_value") else kth))
    if ks.dtype.kind not in "iu":
        raise TypeError(f"{name}: kth must be an integer or a sequence of integers, got "
                        f"{kth!r}")
    for k in ks.tolist():
        if not -n <= k < n:
            raise ValueError(f"{name}: kth(={k}) out of bounds ({n})")
    return ks


def _partition_operand(name, a, kth, axis):
    """``(a, axis)`` checked for ``name``: ``axis=None`` flattens; ``kth`` must fit the axis."""
    a = asarray_arg(name, a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = canonical_axis(name, axis, a.ndim)
    _kth_list(name, kth, a.shape[ax])
    return a, ax


def partition(a, kth, axis=-1):
    """A copy of ``a`` with the ``kth`` element of each slice along ``axis`` in its sorted
    place, every smaller element before it and every larger one after (NaN last).  fnx sorts
    the whole axis, which satisfies this for every kth at once; numpy (and jax.numpy) may
    order the two sides differently -- only the property and the multiset are promised.
    Differentiable (the JVP permutes the tangent as the values).  ``axis=None`` flattens."""
    a, ax = _partition_operand("partition", a, kth, axis)
    return sort(a, axis=ax)


def argpartition(a, kth, axis=-1):
    """Indices that partition ``a`` along ``axis`` (see partition: here a stable argsort, so
    ties keep their order); int32."""
    a, ax = _partition_operand("argpartition", a, kth, axis)
    return argsort(a, axis=ax)


# -- nanquantile / nanpercentile / nanmedian ----------------------------------------------------

def _nan_quantile(name, a, q, axis, method, keepdims):
    """The quantiles ``q`` (float64, scalar or 1-d, in [0, 1]) of the non-NaN elements of
    ``a`` along ``axis``; NaN for an all-NaN (or empty) slice."""
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"{name}: method must be one of {_QUANTILE_METHODS}, got {method!r}")
    a = asarray_arg(name, a)
    reject_complex(name, a)
    check_axis_types(name, axis)
    dt = a.dtype if a.dtype.kind == "f" else dtypes.default_float
    a = to_dtype(a, dt)
    ndim = a.ndim
    axes = canonical_axes(name, axis, ndim)
    rest = [i for i in range(ndim) if i not in axes]
    rest_shape = tuple(a.shape[i] for i in rest)
    n = math.prod(a.shape[i] for i in axes)
    qv = lax.reshape(q, (math.prod(q.shape),))
    nq = qv.shape[0]
    if n == 0 or nq == 0:
        r = full_scalar(np.nan, dt, rest_shape + (nq,))
    else:
        # the reduced axes last, flattened: rest + (n,)
        a_t = lax.reshape(lax.transpose(a, tuple(rest) + tuple(axes)), rest_shape + (n,))
        r = _sorted_nan_quantile(a_t, qv, n, method, dt, rest_shape)
    # rest + (nq,) -> q.shape + rest
    nr = len(rest_shape)
    r = lax.transpose(r, (nr,) + tuple(range(nr)))
    r = lax.reshape(r, tuple(q.shape) + rest_shape)
    if keepdims:
        r = lax.reshape(r, tuple(q.shape) + tuple(1 if i in axes else a.shape[i]
                                                  for i in range(ndim)))
    return r


def _sorted_nan_quantile(a_t, qv, n, method, dt, rest_shape):
    """``a_t``: rest + (n,); returns rest + (nq,)."""
    nr, nq = len(rest_shape), qv.shape[0]
    out_shape = rest_shape + (nq,)
    s = lax.sort(a_t, dimension=nr)
    valid = lax.reduce_sum(_to_i32(lax.bitwise_not(isnan(a_t))), (nr,))       # rest
    last = lax.convert_element_type(lax.sub(valid, full_scalar(1, _I32, rest_shape)),
                                    dtypes.float64)
    pos = lax.mul(lax.broadcast_in_dim(qv, out_shape, (nr,)),
                  lax.broadcast_in_dim(last, out_shape, tuple(range(nr))))
    i_lo, i_hi, lo, hi = _quantile_bracket(pos, method)

    def read(i):
        idx = lax.clamp(full_scalar(0, _I32), lax.convert_element_type(i, _I32),
                        full_scalar(n - 1, _I32))
        return lax.gather(s, idx, batch_dims=nr)

    v_lo = read(i_lo)
    if method in ("lower", "higher", "nearest"):
        r = v_lo
    else:
        v_hi = read(i_hi)
        r = _interpolate(v_lo, v_hi, _quantile_weight(pos, lo, hi, method, dt, out_shape), dt)
    empty = lax.broadcast_in_dim(lax.eq(valid, full_scalar(0, _I32, rest_shape)), out_shape,
                                 tuple(range(nr)))
    return lax.select(empty, full_scalar(np.nan, dt, out_shape), r)


def _to_i32(x):
    return lax.convert_element_type(x, _I32)


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, interpolation=None):
    """The q-th quantiles (q in [0, 1], scalar or 1-d; the q axis first) of the non-NaN
    elements along ``axis`` (None, int or tuple); NaN for an all-NaN slice (numpy also warns).
    Methods and interpolation as fnx.numpy.quantile.  Differentiable in ``a``."""
    _no_out("nanquantile", out)
    q = _host_q("nanquantile", q)
    _check_q_range("nanquantile", q, 1)
    return _nan_quantile("nanquantile", a, q, axis, interpolation or method, keepdims)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, interpolation=None):
    """The q-th percentiles (q in [0, 100]) ignoring NaN; see nanquantile."""
    _no_out("nanpercentile", out)
    q = _host_q("nanpercentile", q)
    _check_q_range("nanpercentile", q, 100)
    q = lax.div(q, full_scalar(100, dtypes.float64))
    return _nan_quantile("nanpercentile", a, q, axis, interpolation or method, keepdims)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """Median of the non-NaN elements along ``axis``; NaN for an all-NaN slice."""
    _no_out("nanmedian", out)
    q = full_scalar(0.5, dtypes.float64)
    return _nan_quantile("nanmedian", a, q, axis, "linear", keepdims)


def _no_out(name, out):
    if out is not None:
        raise NotImplementedError(f"{name}: out= is not supported (fnx arrays are immutable)")


# -- nanvar / nanstd ----------------------------------------------------------------------------

def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """Variance of the non-NaN elements along ``axis`` with ``ddof`` (or ``correction``)
    degrees of freedom removed; NaN where no degree of freedom is left (numpy also warns).
    Complex input gives a real variance."""
    _no_out("nanvar", out)
    check_axis_types("nanvar", axis)
    if correction is not None:
        ddof = correction
    a = asarray_arg("nanvar", a)
    dt = check_supported("nanvar", dtype) if dtype is not None else (
        a.dtype if dtypes.is_inexact(a.dtype) else dtypes.default_float)
    a = to_dtype(a, dt)
    rdt = dtypes.real_of(dt)
    axes = canonical_axes("nanvar", axis, a.ndim)
    ok = lax.bitwise_not(isnan(a))
    if where is not None:
        w = to_dtype(asarray_arg("nanvar", where), dtypes.bool_)
        ok = lax.bitwise_and(ok, broadcast_to_shape(w, a.shape))
    zero = full_scalar(0, dt, a.shape)
    x = lax.select(ok, a, zero)
    cnt = _sum(ok, axis=axes, dtype=rdt, keepdims=True)
    mean = lax.div(_sum(x, axis=axes, keepdims=True), to_dtype(cnt, dt))
    centered = lax.sub(x, lax.broadcast_in_dim(mean, a.shape, tuple(range(a.ndim))))
    sq = cx.abs_squared(centered) if cx.is_complex(a) else lax.integer_pow(centered, 2)
    sq = lax.select(ok, sq, full_scalar(0, rdt, a.shape))
    dof = lax.sub(cnt, full_scalar(ddof, rdt, cnt.shape))
    var = lax.div(_sum(sq, axis=axes, keepdims=True), dof)
    var = lax.select(lax.le(dof, full_scalar(0, rdt, dof.shape)),
                     full_scalar(np.nan, rdt, dof.shape), var)
    if not keepdims:
        var = lax.reshape(var, tuple(d for i, d in enumerate(var.shape) if i not in axes))
    return var


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None,
           correction=None):
    """Standard deviation ignoring NaN: sqrt(nanvar)."""
    check_axis_types("nanstd", axis)
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where=where,
                           correction=correction))


# -- nanargmax / nanargmin ----------------------------------------------------------------------

def _nanarg(name, is_max, a, axis, out, keepdims):
    _no_out(name, out)
    a = asarray_arg(name, a)
    if not dtypes.is_inexact(a.dtype):
        return (argmax if is_max else argmin)(a, axis, keepdims=keepdims)
    ndim = a.ndim
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = canonical_axis(name, axis, ndim)
    if a.shape[ax] == 0:
        raise ValueError(f"{name}: attempt to get {name} of an empty sequence")
    nan = isnan(a)
    ok = lax.bitwise_not(nan)
    fill = full_scalar(-np.inf if is_max else np.inf, a.dtype, a.shape)
    filled = lax.select(nan, fill, a)
    best = (_max if is_max else _min)(filled, axis=ax, keepdims=True)
    hit = lax.bitwise_and(ok, lax.eq(filled, lax.broadcast_in_dim(best, a.shape,
                                                                 tuple(range(a.ndim)))))
    idx = lax.argmax(_to_i32(hit), ax)      # the first hit
    all_nan = lax.reduce_and(nan, (ax,))
    idx = lax.select(all_nan, full_scalar(-1, _I32, idx.shape), idx)
    if keepdims:
        idx = keep_dims(idx, tuple(range(ndim)) if axis is None else (ax,), ndim)
    return idx


def nanargmax(a, axis=None, out=None, keepdims=False):
    """Index of the first maximum ignoring NaN (int32).  An all-NaN slice gives -1, as
    jax.numpy (numpy raises ValueError there; a traced slice cannot raise)."""
    return _nanarg("nanargmax", True, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, keepdims=False):
    """Index of the first minimum ignoring NaN (int32); -1 for an all-NaN slice (jax.numpy)."""
    return _nanarg("nanargmin", False, a, axis, out, keepdims)


# -- nancumsum / nancumprod ---------------------------------------------------------------------

def _nan_to(a, value):
    if not dtypes.is_inexact(a.dtype):
        return a
    return lax.select(isnan(a), full_scalar(value, a.dtype, a.shape), a)


def nancumsum(a, axis=None, dtype=None, out=None):
    """Running sum treating NaN as zero (dtypes and axis as cumsum)."""
    _no_out("nancumsum", out)
    return cumsum(_nan_to(asarray_arg("nancumsum", a), 0), axis, dtype)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Running product treating NaN as one (dtypes and axis as cumprod)."""
    _no_out("nancumprod", out)
    return cumprod(_nan_to(asarray_arg("nancumprod", a), 1), axis, dtype)


__all__ = ["partition", "argpartition", "nanquantile", "nanpercentile", "nanmedian", "nanvar",
           "nanstd", "nanargmax", "nanargmin", "nancumsum", "nancumprod"]
