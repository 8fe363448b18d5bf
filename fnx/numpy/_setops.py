"""Functions whose result size depends on values: the nonzero family, unique, the set operations.

Their output shapes depend on the data, so under tracing (jit/vmap) they need a static
``size=`` (jax.numpy's API): the result is truncated or padded to ``size`` rows.  On concrete
inputs ``size`` may be left out; it is then counted on the host and the same lax program runs,
so eager and traced results agree bit for bit.  Without ``size=`` under tracing they raise
ConcretizationTypeError.

Everything is built on one step, *compaction*: the rows where a mask holds, in order, written
to the front of a ``(size, ...)`` buffer by a scatter whose targets are ``cumsum(mask) - 1``
(rows past ``size`` and unmasked rows are scattered out of bounds, which drops them).  unique
and the set operations sort first (stably, NaN last), mark the first row of each run of equal
values, and compact.

Padding (jax.numpy's rules): nonzero / argwhere / flatnonzero pad with ``fill_value``
(default 0); extract / compress with ``fill_value`` (default 0); unique and the set operations
with ``fill_value``, by default the first (smallest) element of the result -- 0 for an empty
result -- and their index outputs point at that element in the padding (so ``x[indices] ==
values`` holds there too), counts pad with 0.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from .. import dtypes, lax
from ..core import Array, Tracer
from ..errors import ConcretizationTypeError
from ._manipulation import concatenate, ravel
from ._util import (asarray_arg, canonical_axis, full_scalar, promote_dtypes, static_int,
                    to_dtype)

_I32 = dtypes.int32


# -- the compaction core ------------------------------------------------------------------------

def _i32(x):
    return lax.convert_element_type(x, _I32)


def _host(name, x):
    """``x``'s values as a numpy array, for counting a result's size on the host; a traced
    ``x`` (jit/vmap) has none: ConcretizationTypeError pointing at size=."""
    if isinstance(x, Tracer):
        c = x.concrete_value()
        if c is None:
            raise ConcretizationTypeError(
                f"{name}: the size of the result depends on the values of a traced array "
                f"{x.aval.str_short()}; pass a static size= (and fill_value=) to use it under "
                "jit/vmap, or call it outside jit/vmap/grad (on concrete arrays)")
        x = c
    if isinstance(x, Array):
        return np.asarray(x._value)
    return np.asarray(asarray_arg(name, x)._value)


def _size_arg(name, size):
    if size is None:
        return None
    size = static_int(name, size, "size")
    if size < 0:
        raise ValueError(f"{name}: size must be non-negative, got {size}")
    return size


def _const_rows(value, dtype, shape):
    """A buffer of ``shape`` filled with ``value`` (a Python / numpy scalar, or a 0-d array,
    possibly traced) in ``dtype``."""
    if isinstance(value, (Array, Tracer)) or hasattr(value, "aval"):
        v = to_dtype(value, dtype)
        return lax.broadcast_in_dim(v, tuple(shape), ()) if shape else v
    return full_scalar(value, dtype, shape)


def _compact(mask, values, size, fill):
    """The rows of ``values`` (n, ...) where ``mask`` (n,) holds, in order, at the front of
    ``fill`` (size, ...); rows beyond ``size`` are dropped."""
    n = mask.shape[0]
    if size == 0 or n == 0:
        return fill
    slot = lax.sub(lax.cumsum(_i32(mask), 0), full_scalar(1, _I32, (n,)))
    slot = lax.select(mask, slot, full_scalar(size, _I32, (n,)))
    return lax.scatter(fill, slot, values)


def _count(mask):
    return lax.reduce_sum(_i32(mask), (0,)) if mask.shape[0] else full_scalar(0, _I32)


def _pad_with_first(out, count, fill_value):
    """Slots at or past ``count`` get ``fill_value``, or (None) the result's first element
    (0 for an empty result)."""
    size = out.shape[0]
    if size == 0:
        return out
    if fill_value is None:
        first = lax.squeeze(lax.slice_in_dim(out, 0, 1, axis=0), (0,))
        fill_value = lax.select(lax.gt(count, full_scalar(0, _I32)), first,
                                full_scalar(0, out.dtype))
    valid = lax.lt(lax.iota(_I32, size), lax.broadcast_in_dim(count, (size,), ()))
    return lax.select(valid, out, _const_rows(fill_value, out.dtype, (size,)))


def _fill_scalar(name, fill_value):
    if fill_value is None:
        return None
    if np.ndim(fill_value) != 0:
        raise ValueError(f"{name}: fill_value must be a scalar, got shape "
                         f"{np.shape(fill_value)}")
    return fill_value


# -- nonzero, argwhere, flatnonzero, extract, compress ------------------------------------------

def _coords(shape):
    """(prod(shape), ndim) int32: the coordinates of every element in C order."""
    n = int(np.prod(shape))
    cols = [lax.reshape(lax.broadcasted_iota(_I32, tuple(shape), d), (n, 1))
            for d in range(len(shape))]
    return lax.concatenate(cols, 1) if len(cols) > 1 else cols[0]


def _nonzero_fill(name, fill_value, ndim):
    """jax.numpy's fill of nonzero: a scalar, or one scalar per axis."""
    if fill_value is None:
        return np.zeros(ndim, np.int32)
    if isinstance(fill_value, (tuple, list)):
        if len(fill_value) != ndim:
            raise ValueError(f"{name}: fill_value must be a scalar or a tuple of length "
                             f"{ndim} (the number of axes), got length {len(fill_value)}")
        return np.asarray([static_int(name, f, "fill_value") for f in fill_value], np.int32)
    return np.full(ndim, static_int(name, fill_value, "fill_value"), np.int32)


def _argwhere(name, a, size, fill_value):
    """(size, ndim) int32 coordinates of the nonzero elements of ``a`` (ndim >= 1)."""
    size = _size_arg(name, size)
    if size is None and type(a) is Array and type(a._value) is np.ndarray:
        # a concrete host array and no size: numpy's answer directly (the lax path below
        # computes the same, 25x slower on 100k elements, for traced arrays and for size=)
        return Array(np.argwhere(a._value).astype(np.int32))
    if size is None:
        size = int(np.count_nonzero(_host(name, a)))
    fill = _nonzero_fill(name, fill_value, a.ndim)
    buf = lax.broadcast_in_dim(Array(fill), (size, a.ndim), (1,))
    mask = ravel(to_dtype(a, dtypes.bool_))
    return _compact(mask, _coords(a.shape), size, buf)


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements, one int32 array per axis.  Under jit/vmap pass a static
    ``size``: the result is truncated or padded to it with ``fill_value`` (default 0; a tuple
    gives one value per axis), as jax.numpy."""
    a = asarray_arg("nonzero", a)
    if a.ndim == 0:
        raise ValueError("nonzero: calling nonzero on 0-d arrays is not allowed; use "
                         "atleast_1d(a).nonzero()")
    rows = _argwhere("nonzero", a, size, fill_value)
    n = rows.shape[0]
    return tuple(lax.reshape(lax.slice_in_dim(rows, d, d + 1, axis=1), (n,))
                 for d in range(a.ndim))


def argwhere(a, *, size=None, fill_value=None):
    """(N, a.ndim) int32 indices of the nonzero elements (``size``/``fill_value`` as nonzero;
    a 0-d ``a`` gives (1, 0) or (0, 0), as numpy)."""
    a = asarray_arg("argwhere", a)
    if a.ndim == 0:
        rows = _argwhere("argwhere", lax.reshape(a, (1,)), size, fill_value)
        return lax.slice_in_dim(rows, 0, 0, axis=1)
    return _argwhere("argwhere", a, size, fill_value)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of ``ravel(a)`` (``size``/``fill_value`` as nonzero)."""
    rows = _argwhere("flatnonzero", ravel(asarray_arg("flatnonzero", a)), size, fill_value)
    return lax.reshape(rows, (rows.shape[0],))


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of ``a`` along ``axis`` (None: the flattened ``a``) where the 1-d
    ``condition`` is true.  A shorter ``condition`` selects from the leading slices only; a
    longer one may only be False past the end (IndexError otherwise, as numpy; under tracing
    the extra entries are ignored).  ``size``/``fill_value`` (default 0) pad or truncate the
    result along ``axis``, as jax.numpy."""
    if out is not None:
        raise NotImplementedError("compress: out= is not supported (fnx arrays are immutable)")
    return _compress("compress", condition, a, axis, size, fill_value)


def _compress(name, condition, a, axis, size, fill_value):
    c = asarray_arg(name, condition)
    if c.ndim != 1:
        raise ValueError(f"{name}: condition must be 1-d, got shape {tuple(c.shape)}")
    a = asarray_arg(name, a)
    if axis is None:
        a, ax = ravel(a), 0
    else:
        ax = canonical_axis(name, axis, a.ndim)
    n = a.shape[ax]
    c = to_dtype(c, dtypes.bool_)
    if c.shape[0] > n:
        host = _host_or_none(condition)
        if host is not None and np.asarray(host, bool)[n:].any():
            first = n + int(np.flatnonzero(np.asarray(host, bool)[n:])[0])
            raise IndexError(f"{name}: index {first} is out of bounds for axis {ax} with "
                             f"size {n}")
        c = lax.slice_in_dim(c, 0, n, axis=0)
    size = _size_arg(name, size)
    if size is None:
        size = int(np.count_nonzero(np.ravel(_host(name, condition))[:n]))
    moved = _moveaxis0(a, ax)
    sub = lax.slice_in_dim(moved, 0, c.shape[0], axis=0)
    fill = _const_rows(_fill_scalar(name, fill_value), a.dtype,
                       (size,) + tuple(moved.shape[1:]))
    res = _compact(c, sub, size, fill)
    return _moveaxis0(res, ax, inverse=True)


def _host_or_none(x):
    if isinstance(x, Tracer):
        x = x.concrete_value()
        if x is None:
            return None
    return np.asarray(x._value) if isinstance(x, Array) else np.asarray(x)


def _moveaxis0(x, ax, inverse=False):
    if ax == 0:
        return x
    perm = [ax] + [i for i in range(x.ndim) if i != ax]
    if inverse:
        perm = [int(i) for i in np.argsort(perm)]
    return lax.transpose(x, tuple(perm))


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of ``ravel(arr)`` where ``ravel(condition)`` is true (``size`` /
    ``fill_value`` as compress)."""
    return _compress("extract", ravel(asarray_arg("extract", condition)),
                     ravel(asarray_arg("extract", arr)), None, size, fill_value)


# -- unique -------------------------------------------------------------------------------------

def _isnan(x):
    if x.dtype.kind not in "fc":
        return None
    from ._ufuncs import isnan
    return isnan(x)


def _run_starts(s, equal_nan):
    """(n,) bool: True where the sorted ``s`` starts a run of equal values (NaNs equal to each
    other when ``equal_nan``, distinct otherwise)."""
    n = s.shape[0]
    if n == 0:
        return full_scalar(True, dtypes.bool_, (0,))
    head = full_scalar(True, dtypes.bool_, (1,))
    if n == 1:
        return head
    cur, prev = lax.slice_in_dim(s, 1, n), lax.slice_in_dim(s, 0, n - 1)
    differs = lax.ne(cur, prev)
    nan = _isnan(s)
    if equal_nan and nan is not None:
        both = lax.bitwise_and(lax.slice_in_dim(nan, 1, n), lax.slice_in_dim(nan, 0, n - 1))
        differs = lax.bitwise_and(differs, lax.bitwise_not(both))
    return lax.concatenate([head, differs], 0)


def _host_unique_count(h, equal_nan):
    """The host mirror of ``_run_starts(...).sum()`` (numpy sorts as lax.sort does)."""
    s = np.sort(np.ravel(h))
    if s.size == 0:
        return 0
    differs = s[1:] != s[:-1]
    if equal_nan and s.dtype.kind in "fc":
        differs &= ~(np.isnan(s[1:]) & np.isnan(s[:-1]))
    return 1 + int(np.count_nonzero(differs))


def _sorted_with_perm(x):
    """Stable sort of the 1-d ``x`` with the permutation that sorts it."""
    n = x.shape[0]
    if n == 0:
        return x, full_scalar(0, _I32, (0,))
    return lax.sort((x, lax.iota(_I32, n)), dimension=0, is_stable=True, num_keys=1)


def _unique_flat(name, ar, size, fill_value, equal_nan, want_index, want_inverse,
                 want_counts):
    """unique along the flattened ``ar``: [values, (index), (inverse of ar's shape),
    (counts)]."""
    x = ravel(ar)
    n = x.shape[0]
    size = _size_arg(name, size)
    if size is None:
        size = _host_unique_count(_host(name, ar), equal_nan)
    fill_value = _fill_scalar(name, fill_value)
    s, perm = _sorted_with_perm(x)
    starts = _run_starts(s, equal_nan)
    count = _count(starts)
    values = _compact(starts, s, size, full_scalar(0, x.dtype, (size,)))
    out = [_pad_with_first(values, count, fill_value)]
    if want_index:
        index = _compact(starts, perm, size, full_scalar(0, _I32, (size,)))
        out.append(_pad_with_first(index, count, None))
    run = lax.sub(lax.cumsum(_i32(starts), 0), full_scalar(1, _I32, (n,))) if n else perm
    if want_inverse:
        inv = lax.scatter(full_scalar(0, _I32, (n,)), perm, run) if n else perm
        out.append(lax.reshape(inv, tuple(ar.shape)))
    if want_counts:
        zeros = full_scalar(0, _I32, (size,))
        counts = lax.scatter_add(zeros, run, full_scalar(1, _I32, (n,))) if n and size \
            else zeros
        out.append(counts)
    return out


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None,
           *, equal_nan=True, size=None, fill_value=None):
    """Sorted unique elements of ``ar`` (flattened when ``axis`` is None), optionally with the
    index of each one's first occurrence, the inverse (of ``ar``'s shape, numpy 2's rule) and
    the counts (all int32).  ``size``/``fill_value`` make it work under jit/vmap (module
    docstring).  ``axis`` given: concrete inputs only, and no ``size``."""
    ar = asarray_arg("unique", ar)
    if axis is not None:
        return _unique_axis(ar, return_index, return_inverse, return_counts, axis,
                            equal_nan, size, fill_value)
    out = _unique_flat("unique", ar, size, fill_value, equal_nan, return_index,
                       return_inverse, return_counts)
    return out[0] if len(out) == 1 else tuple(out)


def _unique_axis(ar, return_index, return_inverse, return_counts, axis, equal_nan, size,
                 fill_value):
    """unique of whole slices along ``axis``: numpy on the host (concrete inputs only)."""
    if size is not None:
        raise NotImplementedError("unique: size= is only supported with axis=None")
    ax = canonical_axis("unique", axis, ar.ndim)
    v = _host("unique", ar)
    res = np.unique(v, return_index=return_index, return_inverse=return_inverse,
                    return_counts=return_counts, axis=ax, equal_nan=equal_nan)
    if not isinstance(res, tuple):
        return Array(res)
    return (Array(res[0]),) + tuple(Array(np.asarray(r).astype(np.int32)) for r in res[1:])


UniqueAllResult = namedtuple("UniqueAllResult", ["values", "indices", "inverse_indices",
                                                 "counts"])
UniqueCountsResult = namedtuple("UniqueCountsResult", ["values", "counts"])
UniqueInverseResult = namedtuple("UniqueInverseResult", ["values", "inverse_indices"])


def unique_all(x, /, *, size=None, fill_value=None):
    """The array API's unique_all: values, first-occurrence indices, inverse indices (of x's
    shape) and counts; NaNs are distinct (each its own value), as the standard says (so
    ``jax.numpy``'s equal_nan=True differs).  ``size``/``fill_value`` as ``unique``."""
    v, i, inv, c = _unique_flat("unique_all", asarray_arg("unique_all", x), size, fill_value,
                                False, True, True, True)
    return UniqueAllResult(v, i, inv, c)


def unique_counts(x, /, *, size=None, fill_value=None):
    """The array API's unique_counts (values, counts); NaNs distinct (see unique_all)."""
    v, c = _unique_flat("unique_counts", asarray_arg("unique_counts", x), size, fill_value,
                        False, False, False, True)
    return UniqueCountsResult(v, c)


def unique_inverse(x, /, *, size=None, fill_value=None):
    """The array API's unique_inverse (values, inverse_indices of x's shape); NaNs distinct."""
    v, inv = _unique_flat("unique_inverse", asarray_arg("unique_inverse", x), size,
                          fill_value, False, False, True, False)
    return UniqueInverseResult(v, inv)


def unique_values(x, /, *, size=None, fill_value=None):
    """The array API's unique_values: sorted unique values; NaNs distinct (see unique_all)."""
    return _unique_flat("unique_values", asarray_arg("unique_values", x), size, fill_value,
                        False, False, False, False)[0]


# -- isin and the set operations ----------------------------------------------------------------

def _nan_last_less(a, b):
    """``a < b`` in lax.sort's order: NaN (for complex: a NaN part) after every number,
    complex numbers lexicographic.  Monotone along a sorted array, so binary search works."""
    if a.dtype.kind == "b":
        return lax.lt(_i32(a), _i32(b))
    if a.dtype.kind not in "fc":
        return lax.lt(a, b)
    na, nb = _isnan(a), _isnan(b)
    if a.dtype.kind == "c":
        ra, rb, ia, ib = lax.real(a), lax.real(b), lax.imag(a), lax.imag(b)
        lt = lax.bitwise_or(lax.lt(ra, rb), lax.bitwise_and(lax.eq(ra, rb), lax.lt(ia, ib)))
    else:
        lt = lax.lt(a, b)
    not_na = lax.bitwise_not(na)
    return lax.bitwise_and(not_na, lax.bitwise_or(nb, lt))


def _search_left(st, v):
    """For the sorted 1-d ``st`` (m > 0) and 1-d ``v``: the first i with not st[i] < v[j],
    by ``m.bit_length()`` unrolled halvings (static trip count: works under jit/vmap)."""
    m, k = st.shape[0], v.shape[0]
    lo = full_scalar(0, _I32, (k,))
    hi = full_scalar(m, _I32, (k,))
    one, top = full_scalar(1, _I32, (k,)), full_scalar(m - 1, _I32)
    for _ in range(m.bit_length()):
        mid = lax.shift_right_logical(lax.add(lo, hi), one)
        smid = lax.gather(st, lax.clamp(full_scalar(0, _I32), mid, top))
        active = lax.lt(lo, hi)
        right = lax.bitwise_and(active, _nan_last_less(smid, v))
        left = lax.bitwise_and(active, lax.bitwise_not(right))
        lo = lax.select(right, lax.add(mid, one), lo)
        hi = lax.select(left, mid, hi)
    return lo


def _member(v, t, method):
    """(k,) bool: v[j] equals some element of the 1-d ``t`` (NaN equals nothing)."""
    k, m = v.shape[0], t.shape[0]
    if m == 0 or k == 0:
        return full_scalar(False, dtypes.bool_, (k,))
    if method == "auto":
        method = "compare_all" if k * m <= 1 << 14 else "binary_search"
    if method == "compare_all":
        eq = lax.eq(lax.broadcast_in_dim(v, (k, m), (0,)), lax.broadcast_in_dim(t, (k, m), (1,)))
        return lax.reduce_or(eq, (1,))
    st = lax.sort(t, dimension=0)
    pos = lax.clamp(full_scalar(0, _I32), _search_left(st, v), full_scalar(m - 1, _I32))
    return lax.eq(lax.gather(st, pos), v)


_ISIN_METHODS = ("auto", "compare_all", "binary_search", "sort")


def _promote_flat(name, *arrays):
    args, dt, weak = promote_dtypes(name, *arrays)
    return [ravel(to_dtype(asarray_arg(name, a), dt, weak, name)) for a in args], dt


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """``element`` (any shape) is equal to some element of ``test_elements``, compared in
    their promoted dtype (fnx's lattice, as jax.numpy; NaN matches nothing).  The result has
    ``element``'s shape, so it works under jit/vmap.  ``method``: "compare_all" (every pair,
    O(n m) memory), "binary_search" (sort test_elements, O(n log m)), "sort" (the same as
    binary_search here), "auto" (compare_all for small inputs).  ``assume_unique`` is
    accepted and not needed."""
    if method not in _ISIN_METHODS:
        raise ValueError(f"isin: method must be one of {_ISIN_METHODS}, got {method!r}")
    e = asarray_arg("isin", element)
    (v, t), _ = _promote_flat("isin", e, test_elements)
    if method == "sort":
        method = "binary_search"
    hit = _member(v, t, method)
    if invert:
        hit = lax.bitwise_not(hit)
    return lax.reshape(hit, tuple(e.shape))


def _set_size(name, size, count_fn, dt, *arrays):
    size = _size_arg(name, size)
    if size is not None:
        return size
    hosts = [_host(name, a).astype(dt) for a in arrays]
    return int(np.size(count_fn(*hosts)))


def _finish_set(name, keep, vals, size, fill_value):
    fill_value = _fill_scalar(name, fill_value)
    out = _compact(keep, vals, size, full_scalar(0, vals.dtype, (size,)))
    return _pad_with_first(out, _count(keep), fill_value)


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """Sorted unique elements of both (flattened) arrays (``size``/``fill_value`` as unique)."""
    (a1, a2), dt = _promote_flat("union1d", ar1, ar2)
    size = _set_size("union1d", size, np.union1d, dt, ar1, ar2)
    return _unique_flat("union1d", concatenate([a1, a2]), size, fill_value, True, False,
                        False, False)[0]


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """Sorted unique elements found in both arrays; ``return_indices`` adds the index of
    each one's first occurrence in each (flattened) input.  ``assume_unique`` is accepted
    and not needed.  ``size``/``fill_value`` as unique (the index outputs pad with the first
    result's indices)."""
    (a1, a2), dt = _promote_flat("intersect1d", ar1, ar2)
    size = _set_size("intersect1d", size, np.intersect1d, dt, ar1, ar2)
    s1, p1 = _sorted_with_perm(a1)
    keep = lax.bitwise_and(_run_starts(s1, True), _member(s1, a2, "auto"))
    vals = _finish_set("intersect1d", keep, s1, size, fill_value)
    if not return_indices:
        return vals
    count = _count(keep)
    i1 = _pad_with_first(_compact(keep, p1, size, full_scalar(0, _I32, (size,))), count, None)
    if a2.shape[0] == 0 or a1.shape[0] == 0:
        return vals, i1, full_scalar(0, _I32, (size,))
    s2, p2 = _sorted_with_perm(a2)
    at = lax.clamp(full_scalar(0, _I32), _search_left(s2, s1), full_scalar(a2.shape[0] - 1,
                                                                           _I32))
    i2 = _compact(keep, lax.gather(p2, at), size, full_scalar(0, _I32, (size,)))
    return vals, i1, _pad_with_first(i2, count, None)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted unique elements of ``ar1`` not in ``ar2``; with ``assume_unique`` the elements
    of ``ravel(ar1)`` not in ``ar2`` in their order (numpy).  ``size``/``fill_value`` as
    unique."""
    (a1, a2), dt = _promote_flat("setdiff1d", ar1, ar2)
    size = _set_size("setdiff1d",  size,
                     lambda x, y: np.setdiff1d(x, y, assume_unique=assume_unique), dt, ar1, ar2)
    if assume_unique:
        vals, keep = a1, lax.bitwise_not(_member(a1, a2, "auto"))
    else:
        vals, _ = _sorted_with_perm(a1)
        keep = lax.bitwise_and(_run_starts(vals, True),
                               lax.bitwise_not(_member(vals, a2, "auto")))
    return _finish_set("setdiff1d", keep, vals, size, fill_value)


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """Sorted elements in exactly one of the arrays (unique'd first unless
    ``assume_unique``; two NaNs never cancel, as numpy).  ``size``/``fill_value`` as
    unique."""
    (a1, a2), dt = _promote_flat("setxor1d", ar1, ar2)
    size = _set_size("setxor1d", size,
                     lambda x, y: np.setxor1d(x, y, assume_unique=assume_unique), dt, ar1, ar2)
    parts, valid = [], []
    for a in (a1, a2):
        s, _ = _sorted_with_perm(a)
        parts.append(s)
        valid.append(full_scalar(True, dtypes.bool_, s.shape) if assume_unique
                     else _run_starts(s, True))
    v, ok = concatenate(parts), concatenate(valid)
    n = v.shape[0]
    if n == 0:
        return _finish_set("setxor1d", ok, v, size, fill_value)
    # the valid (unique'd) values first, sorted; invalid ones after them
    _, sv = lax.sort((_i32(lax.bitwise_not(ok)), v), dimension=0, is_stable=True, num_keys=2)
    k = lax.broadcast_in_dim(_count(ok), (n,), ())
    new = _run_starts(sv, False)           # differs from the previous (NaNs never equal)
    if n > 1:
        nxt = lax.concatenate([lax.slice_in_dim(new, 1, n), full_scalar(True, dtypes.bool_,
                                                                         (1,))], 0)
    else:
        nxt = full_scalar(True, dtypes.bool_, (1,))
    i = lax.iota(_I32, n)
    last_valid = lax.ge(lax.add(i, full_scalar(1, _I32, (n,))), k)
    keep = lax.bitwise_and(lax.bitwise_and(new, lax.bitwise_or(nxt, last_valid)), lax.lt(i, k))
    return _finish_set("setxor1d", keep, sv, size, fill_value)


__all__ = ["nonzero", "argwhere", "flatnonzero", "compress", "extract", "unique",
           "unique_all", "unique_counts", "unique_inverse", "unique_values", "isin",
           "union1d", "intersect1d", "setdiff1d", "setxor1d"]
