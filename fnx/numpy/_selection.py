"""take / take_along_axis, diagonals, sorting and searching (the nonzero family: _setops).

``take`` and ``take_along_axis`` lower to one ``lax.gather`` in fnx's normalised form
(operand ``B + (D,) + R``, indices ``B + I``).  Index modes (numpy's and jax.numpy's):

* ``None`` (default): numpy's rule on concrete indices -- negatives in ``[-n, 0)`` wrap, anything
  else out of range raises IndexError naming the index and the axis size.  Under tracing
  (jit/vmap/grad of the indices) the values are unknown, so it acts as ``"fill"``, as
  jax.numpy's default does;
* ``"raise"``: the same check; an error under tracing (there is nothing to check);
* ``"clip"``: clamp into ``[0, n-1]``: ``take`` clamps negatives to 0 (numpy / jax.numpy),
  ``take_along_axis`` wraps them once first (jax.numpy);
* ``"wrap"``: modulo ``n``;
* ``"fill"``: negatives in ``[-n, 0)`` wrap, other out-of-range positions give ``fill_value``
  (NaN for floats, the most negative value for signed ints, the largest for unsigned ints,
  True for bool -- jax.numpy's defaults);
* ``"promise_in_bounds"``: the caller promises valid indices (no check; negatives wrap and the
  gather clamps).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer
from ..errors import ConcretizationTypeError, FnxIndexError
from ._util import (asarray_arg, canonical_axis, fill_scalar, full_like_weak, full_scalar,
                    static_int, to_dtype, broadcast_shapes_named, broadcast_to_shape)
from ._manipulation import ravel

_INDEX_MODES = (None, "raise", "clip", "wrap", "fill", "promise_in_bounds")
_CHECKED_IN_RANGE = "checked"   # internal: concrete indices already known to be in [0, n)


def _index_operand(name, indices):
    idx = asarray_arg(name, indices)
    if idx.dtype.kind not in "iu":
        if idx.dtype.kind == "b":
            raise TypeError(f"{name}: indices must be integers, got bool")
        raise TypeError(f"{name}: indices must be integers, got {idx.dtype}")
    if idx.dtype == dtypes.uint32:
        # every uint32 value fits int64; int32 would turn 2**32 - 1 into -1 (a valid index)
        idx = lax.convert_element_type(idx, dtypes.int64)
    elif idx.dtype != dtypes.int32 and idx.dtype != dtypes.int64:
        idx = lax.convert_element_type(idx, dtypes.int32)
    return idx


def _check_mode(name, mode):
    if mode not in _INDEX_MODES:
        raise ValueError(f"{name}: mode must be one of {_INDEX_MODES}, got {mode!r}")


def _host_indices(idx):
    """The values of ``idx`` as a numpy array, or None when they are traced (unknown)."""
    if isinstance(idx, Tracer):
        idx = idx.concrete_value()
        if idx is None:
            return None
    return np.asarray(idx)


def _resolve_mode(name, mode, idx, n, axis):
    """numpy's bounds check for ``mode`` None / "raise" on concrete indices.  Returns the mode
    the gather then applies (None -> "fill" for traced indices, as jax.numpy) and the indices,
    whose negatives are wrapped here when their values are known (one numpy op on the host
    instead of five staged primitives: eager ``take`` is dispatch-bound)."""
    if mode not in (None, "raise"):
        return mode, idx
    host = _host_indices(idx)
    if host is None:
        if mode == "raise":
            raise ConcretizationTypeError(
                f"{name}: mode='raise' needs concrete indices to check, but they are traced "
                "(jit/vmap/grad); use mode='fill' or 'clip' there")
        return "fill", idx
    bad = (host < -n) | (host >= n)
    if bad.any():
        first = host[bad][0]
        raise FnxIndexError(f"{name}: index {first} is out of bounds for axis {axis} with "
                            f"size {n}")
    negative = host < 0
    if negative.any():
        idx = Array(np.where(negative, host + n, host).astype(host.dtype))
    return _CHECKED_IN_RANGE, idx


def _normalise(idx, n, mode, wrap_negatives_before_clip=False):
    """Apply the index mode; returns (indices for the gather, in-range mask or None)."""
    if mode == _CHECKED_IN_RANGE:
        return idx, None
    zero = full_scalar(0, idx.dtype, idx.shape)
    nn = full_scalar(n, idx.dtype, idx.shape)
    if mode == "wrap":
        from ._ufuncs import remainder
        return remainder(idx, nn) if n else idx, None
    if mode == "clip" and not wrap_negatives_before_clip:
        top = full_scalar(max(n - 1, 0), idx.dtype)
        return lax.clamp(full_scalar(0, idx.dtype), idx, top), None
    # fill / promise_in_bounds / take_along_axis's clip: wrap negatives once
    wrapped = lax.select(lax.lt(idx, zero), lax.add(idx, nn), idx)
    if mode == "fill":
        ok = lax.bitwise_and(lax.ge(wrapped, zero), lax.lt(wrapped, nn))
        return wrapped, ok
    return wrapped, None


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (flat when axis is None).

    ``mode`` (see the module docstring): None follows numpy -- negative indices wrap and an
    out-of-range index raises IndexError -- on concrete indices; on traced indices (under
    jit/vmap/grad) it returns ``fill_value`` for them, as jax.numpy.  "raise", "clip" (negatives
    clamp to 0), "wrap", "fill" and "promise_in_bounds" as in numpy / jax.numpy.
    ``fnp.take(x, [0, 2])``"""
    if out is not None:
        raise NotImplementedError("take: out= is not supported")
    _check_mode("take", mode)
    a = asarray_arg("take", a)
    idx = _index_operand("take", indices)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = canonical_axis("take", axis, a.ndim)
    n = a.shape[ax]
    out_shape = tuple(a.shape[:ax]) + tuple(idx.shape) + tuple(a.shape[ax + 1:])
    if math.prod(out_shape) == 0:   # nothing to read, so no index is checked (numpy)
        return full_like_weak(a, 0, out_shape)
    if n == 0:
        raise FnxIndexError(f"take: cannot do a non-empty take (indices of shape "
                            f"{tuple(idx.shape)}) from the empty axis {axis}")
    mode, idx = _resolve_mode("take", mode, idx, n, axis)
    gidx, ok = _normalise(idx, n, mode)
    perm = (ax,) + tuple(i for i in range(a.ndim) if i != ax)
    res = lax.gather(lax.transpose(a, perm), gidx)
    if ok is not None:
        fv = fill_scalar("take", fill_value, a.dtype)
        mask = lax.broadcast_in_dim(ok, res.shape, tuple(range(idx.ndim)))
        res = lax.select(mask, res, full_like_weak(res, fv))
    # result layout: a.shape[:ax] + idx.shape + a.shape[ax+1:]
    k = idx.ndim
    rest_before = list(range(k, k + ax))
    perm_out = rest_before + list(range(k)) + list(range(k + ax, res.ndim))
    return lax.transpose(res, tuple(perm_out))


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    """``out[..., i, ...] = arr[..., indices[..., i, ...], ...]`` along ``axis`` (numpy
    broadcasting of the other axes).  ``mode`` as ``take`` (module docstring), except that
    "clip" wraps negative indices once before clamping (jax.numpy)."""
    _check_mode("take_along_axis", mode)
    a = asarray_arg("take_along_axis", arr)
    idx = _index_operand("take_along_axis", indices)
    if axis is None:
        a = ravel(a)
        idx = ravel(idx)
        axis = 0
    if idx.ndim != a.ndim:
        raise ValueError(f"take_along_axis: indices and arr must have the same number of "
                         f"dimensions, got {idx.ndim} and {a.ndim}")
    ax = canonical_axis("take_along_axis", axis, a.ndim)
    n = a.shape[ax]
    others = [i for i in range(a.ndim) if i != ax]
    bshape = broadcast_shapes_named("take_along_axis", tuple(a.shape[i] for i in others),
                                    tuple(idx.shape[i] for i in others))
    nb = len(bshape)
    inv = list(range(nb))
    inv.insert(ax, nb)
    out_shape = bshape + (idx.shape[ax],)
    if math.prod(out_shape) == 0:   # nothing to read (numpy returns the empty array)
        return lax.transpose(full_like_weak(a, 0, out_shape), tuple(inv))
    mode, idx = _resolve_mode("take_along_axis", mode, idx, n, axis)
    if n == 0:
        if mode != "fill":
            raise FnxIndexError(f"take_along_axis: cannot take indices of shape "
                                f"{tuple(idx.shape)} from the empty axis {axis} of an array "
                                f"of shape {tuple(a.shape)}")
        fv = fill_scalar("take_along_axis", fill_value, a.dtype)
        return lax.transpose(full_like_weak(a, fv, out_shape), tuple(inv))
    gidx, ok = _normalise(idx, n, mode, wrap_negatives_before_clip=True)
    a_m = lax.transpose(a, tuple(others) + (ax,))
    i_m = lax.transpose(gidx, tuple(others) + (ax,))
    a_m = broadcast_to_shape(a_m, bshape + (n,))
    i_m = broadcast_to_shape(i_m, out_shape)
    res = lax.gather(a_m, i_m, batch_dims=nb)
    if ok is not None:
        okm = broadcast_to_shape(lax.transpose(ok, tuple(others) + (ax,)), res.shape)
        fv = fill_scalar("take_along_axis", fill_value, a.dtype)
        res = lax.select(okm, res, full_like_weak(res, fv))
    return lax.transpose(res, tuple(inv))


# -- diagonals --------------------------------------------------------------------------------

def diagonal(a, offset=0, axis1=0, axis2=1):
    """The ``offset`` diagonal of the ``axis1``/``axis2`` planes, as the last axis (a strided
    slice of the flattened plane, no gather)."""
    a = asarray_arg("diagonal", a)
    if a.ndim < 2:
        raise ValueError("diagonal: input must be at least 2-d")
    i = canonical_axis("diagonal", axis1, a.ndim)
    j = canonical_axis("diagonal", axis2, a.ndim)
    if i == j:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    offset = static_int("diagonal", offset, "offset")
    rest = [d for d in range(a.ndim) if d not in (i, j)]
    t = lax.transpose(a, tuple(rest) + (i, j))
    n, m = a.shape[i], a.shape[j]
    lead = tuple(a.shape[d] for d in rest)
    if offset >= 0:
        length = max(0, min(n, m - offset))
        start = offset
    else:
        length = max(0, min(n + offset, m))
        start = -offset * m
    flat = lax.reshape(t, lead + (n * m,))
    nd = len(lead)
    if length == 0:
        return full_scalar(0, a.dtype, lead + (0,))
    starts = (0,) * nd + (start,)
    limits = lead + (start + (length - 1) * (m + 1) + 1,)
    strides = (1,) * nd + (m + 1,)
    return lax.slice(flat, starts, limits, strides)


def diag(v, k=0):
    """Diagonal of a 2-d array, or a 2-d array with a 1-d ``v`` on its k-th diagonal."""
    v = asarray_arg("diag", v)
    k = static_int("diag", k, "k")
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ValueError("diag: input must be 1-d or 2-d")
    L = v.shape[0]
    n = L + abs(k)
    shape = (n, n)
    i = lax.broadcasted_iota(dtypes.int32, shape, 0)
    j = lax.broadcasted_iota(dtypes.int32, shape, 1)
    on = lax.eq(lax.sub(j, i), full_scalar(k, dtypes.int32, shape))
    vp = lax.pad(v, to_dtype(0, v.dtype), ((0, abs(k), 0),))
    src = lax.broadcast_in_dim(vp, shape, (0,) if k >= 0 else (1,))
    return lax.select(on, src, full_scalar(0, v.dtype, shape))


def diagflat(v, k=0):
    return diag(ravel(asarray_arg("diagflat", v)), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """Sum along a diagonal (integer sums accumulate in int32 as ``sum``)."""
    from ._reductions import sum as _sum
    d = diagonal(a, offset, axis1, axis2)
    return _sum(d, axis=-1, dtype=dtype)


# -- sorting and searching --------------------------------------------------------------------

def sort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Sorted copy along ``axis`` (NaN last; axis=None flattens)."""
    if order is not None:
        raise NotImplementedError("sort: order= is not supported")
    a = asarray_arg("sort", a)
    if axis is None:
        a = ravel(a)
        axis = 0
    if a.ndim == 0:
        return a
    ax = canonical_axis("sort", axis, a.ndim)
    s = lax.sort(a, dimension=ax, is_stable=True)
    return lax.rev(s, (ax,)) if descending else s


def argsort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    """Indices that sort ``a`` along ``axis`` (stable; int32)."""
    if order is not None:
        raise NotImplementedError("argsort: order= is not supported")
    a = asarray_arg("argsort", a)
    if axis is None:
        a = ravel(a)
        axis = 0
    if a.ndim == 0:
        return full_scalar(0, dtypes.int32)
    ax = canonical_axis("argsort", axis, a.ndim)
    n = a.shape[ax]
    iota = lax.broadcasted_iota(dtypes.int32, a.shape, ax)
    if descending:
        # stable descending: sort the reversed array stably, then map back and reverse
        _, idx = lax.sort((lax.rev(a, (ax,)), iota), dimension=ax, is_stable=True, num_keys=1)
        idx = lax.sub(full_scalar(n - 1, dtypes.int32, a.shape), idx)
        return lax.rev(idx, (ax,))
    _, idx = lax.sort((a, iota), dimension=ax, is_stable=True, num_keys=1)
    return idx


def searchsorted(a, v, side="left", sorter=None, *, method=None):
    """Insertion indices of ``v`` into the sorted 1-d ``a`` (by comparison and a sum)."""
    a = asarray_arg("searchsorted", a)
    if a.ndim != 1:
        raise ValueError("searchsorted: a must be 1-d")
    if sorter is not None:
        a = take(a, sorter)
    v = asarray_arg("searchsorted", v)
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    from ._util import promote_dtypes
    _, dt, _ = promote_dtypes("searchsorted", a, v)
    a, v = to_dtype(a, dt), to_dtype(v, dt)
    shape = tuple(v.shape) + (a.shape[0],)
    ab = lax.broadcast_in_dim(a, shape, (v.ndim,))
    vb = lax.broadcast_in_dim(v, shape, tuple(range(v.ndim)))
    cmp = lax.lt(ab, vb) if side == "left" else lax.le(ab, vb)
    if dt.kind == "f":
        # NaN sorts last: every non-NaN element is below a NaN query
        vnan = lax.ne(vb, vb)
        anan = lax.ne(ab, ab)
        below = lax.bitwise_and(vnan, lax.bitwise_not(anan))
        if side == "right":
            below = lax.bitwise_or(below, lax.bitwise_and(vnan, anan))
        cmp = lax.bitwise_or(cmp, below)
    counts = lax.convert_element_type(cmp, dtypes.int32)
    return lax.reduce_sum(counts, (v.ndim,))


# -- data-dependent sizes: nonzero, unique... live in _setops (size= / fill_value=) ---------------

from ._setops import (argwhere, compress, extract, flatnonzero, nonzero,  # noqa: E402
                      unique)


__all__ = ["take", "take_along_axis", "diagonal", "diag", "diagflat", "trace", "sort",
           "argsort", "searchsorted", "nonzero", "argwhere", "flatnonzero", "unique", "extract",
           "compress"]
_ = (math, ArrayBase)
