"""numpy's index-array helpers, choice / ordering functions and the functional forms of its
in-place writers.

* index arrays: ``indices`` (``sparse=``), ``diag_indices[_from]``, ``tril_indices[_from]``,
  ``triu_indices[_from]``, ``mask_indices`` -- shapes are static arguments, the results int32
  (the default int; numpy: int64);
* ``choose`` (``mode`` raise / wrap / clip), ``block``, ``lexsort``, ``top_k`` (jax.numpy's:
  the ``k`` largest or smallest along an axis, ties to the lower index), ``resize``,
  ``trim_zeros`` (a shape that depends on values: concrete input only);
* ``place``, ``put``, ``put_along_axis``: fnx arrays are immutable, so, as in jax.numpy, they
  take ``inplace=False`` and return the updated array (the default ``inplace=True`` raises).

Deviations from numpy that tracing forces: ``choose`` and ``put`` check their indices with
``mode="raise"`` only on concrete values -- traced indices are clipped (``choose``) or, for
``put``, treated as ``mode=None``, jax.numpy's default: negative ones wrap once, ones past the
end are dropped.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes, lax
from ..core import ArrayBase, Tracer
from ..errors import ConcretizationTypeError, DTypeError, ShapeError
from ._util import asarray_arg, canonical_axis, promote, static_int, static_shape, to_dtype

__all__ = ["indices", "diag_indices", "diag_indices_from", "tril_indices",
           "tril_indices_from", "triu_indices", "triu_indices_from", "mask_indices", "choose",
           "block", "lexsort", "top_k", "resize", "trim_zeros", "place", "put",
           "put_along_axis"]


def _fnp():
    from .. import numpy as fnp
    return fnp


def _concrete(x):
    """The numpy value of an Array, or of a tracer whose value is known; None when traced."""
    if isinstance(x, Tracer):
        v = x.concrete_value()
        return None if v is None else np.asarray(v)
    return np.asarray(x)


def _host_indices(arrays):
    """numpy index arrays -> fnx int32 arrays (static shapes: constants under jit)."""
    fnp = _fnp()
    return tuple(fnp.asarray(np.asarray(a, dtype=np.int32)) for a in arrays)


# -- index arrays --------------------------------------------------------------------------------

def indices(dimensions, dtype=None, sparse=False):
    """The index grid of a shape: ``out[i][idx] = idx[i]`` (stacked, or one broadcastable
    array per axis with ``sparse=True``)."""
    fnp = _fnp()
    dims = static_shape("indices", dimensions)
    dt = dtypes.default_int if dtype is None else dtypes.canonicalize(dtype, "indices")
    n = len(dims)
    grids = []
    for i, d in enumerate(dims):
        shape = (1,) * i + (d,) + (1,) * (n - i - 1) if sparse else dims
        grids.append(lax.broadcasted_iota(dt, shape, i))
    if sparse:
        return tuple(grids)
    return fnp.stack(grids) if grids else fnp.zeros((0,), dt)


def _sparse_grid(shape):
    return indices(shape, sparse=True)


def diag_indices(n, ndim=2):
    """``ndim`` copies of ``arange(n)``: the indices of the main diagonal of an n^ndim array."""
    n = static_int("diag_indices", n, "n")
    ndim = static_int("diag_indices", ndim, "ndim")
    if n < 0 or ndim < 0:
        raise ValueError(f"diag_indices: n and ndim must be non-negative, got n={n}, "
                         f"ndim={ndim}")
    return (lax.iota(dtypes.default_int, n),) * ndim


def _shape_of(name, arr):
    return tuple(arr.shape) if hasattr(arr, "shape") else tuple(np.shape(arr))


def diag_indices_from(arr):
    """``diag_indices`` of a square array of any rank >= 2."""
    shape = _shape_of("diag_indices_from", arr)
    if len(shape) < 2:
        raise ValueError(f"diag_indices_from: input array must be at least 2-d, got shape "
                         f"{shape}")
    if len(set(shape)) != 1:
        raise ValueError(f"diag_indices_from: all dimensions of input must be of equal "
                         f"length, got shape {shape}")
    return diag_indices(shape[0], len(shape))


def _triangle_args(name, n, k, m):
    n = static_int(name, n, "n")
    k = static_int(name, k, "k")
    m = n if m is None else static_int(name, m, "m")
    if n < 0 or m < 0:
        raise ValueError(f"{name}: n and m must be non-negative, got n={n}, m={m}")
    return n, k, m


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (diagonal ``k``) of an (n, m) array, in
    row-major order."""
    n, k, m = _triangle_args("tril_indices", n, k, m)
    return _host_indices(np.nonzero(np.tri(n, m, k, dtype=bool)))


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (from diagonal ``k``) of an (n, m) array,
    in row-major order."""
    n, k, m = _triangle_args("triu_indices", n, k, m)
    return _host_indices(np.nonzero(~np.tri(n, m, k - 1, dtype=bool)))


def _matrix_shape(name, arr):
    shape = _shape_of(name, arr)
    if len(shape) != 2:
        raise ValueError(f"{name}: only 2-d inputs are accepted, got shape {shape}")
    return shape


def tril_indices_from(arr, k=0):
    n, m = _matrix_shape("tril_indices_from", arr)
    return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
    n, m = _matrix_shape("triu_indices_from", arr)
    return triu_indices(n, k, m)


def mask_indices(n, mask_func, k=0, *, size=None):
    """The indices where ``mask_func(ones((n, n)), k)`` is nonzero (``size=``: a static
    length for tracing, as ``nonzero``'s)."""
    fnp = _fnp()
    n = static_int("mask_indices", n, "n")
    mask = mask_func(fnp.ones((n, n)), k)
    if tuple(np.shape(mask)) != (n, n):
        raise ShapeError(f"mask_indices: mask_func must return an ({n}, {n}) array, got shape "
                         f"{tuple(np.shape(mask))}")
    return fnp.nonzero(mask, size=size)


# -- choosing and ordering -------------------------------------------------------------------

def _choose_index(a, count, mode):
    """``a`` with ``mode`` applied: wrap, clip, or (raise) checked when concrete, clipped when
    traced."""
    fnp = _fnp()
    if mode == "wrap":
        return a % count
    if mode == "raise":
        v = _concrete(a)
        if v is not None and v.size and (v.min() < 0 or v.max() >= count):
            raise ValueError(f"choose: invalid entry in choice array: indices must lie in "
                             f"[0, {count}), got values in [{v.min()}, {v.max()}]")
    elif mode != "clip":
        raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return fnp.clip(a, 0, count - 1)


def choose(a, choices, out=None, mode="raise"):
    """``out[idx] = choices[a[idx]][idx]`` with ``a`` and every choice broadcast together
    (numpy's ``choose``); differentiable in the choices."""
    fnp = _fnp()
    if out is not None:
        raise NotImplementedError("choose: the 'out' argument is not supported (fnx arrays "
                                  "are immutable)")
    a = asarray_arg("choose", a)
    if a.dtype.kind not in "iu":
        raise DTypeError(f"choose: a must be an integer array, got {a.dtype}")
    if isinstance(choices, ArrayBase) or isinstance(choices, np.ndarray):
        choices = [choices[i] for i in range(choices.shape[0])] if np.ndim(choices) else [
            choices]
    choices = list(choices)
    if not choices:
        raise ValueError("choose: choices must not be empty")
    choices = promote("choose", *[asarray_arg("choose", c) for c in choices])
    shape = tuple(np.broadcast_shapes(tuple(a.shape), tuple(choices[0].shape)))
    index = fnp.broadcast_to(_choose_index(a, len(choices), mode), shape)
    stacked = fnp.stack([fnp.broadcast_to(c, shape) for c in choices])
    return fnp.take_along_axis(stacked, index[None], axis=0)[0]


def _block_depth_and_rank(arrays, path="arrays"):
    """(list depth, max ndim of the leaves), checking numpy's rules: lists only, none empty,
    every leaf at the same depth."""
    if isinstance(arrays, tuple):
        raise TypeError(f"block: {path} is a tuple; only lists can be used to arrange blocks")
    if not isinstance(arrays, list):
        return 0, np.ndim(arrays)
    if not arrays:
        raise ValueError(f"block: list at {path} cannot be empty")
    depths, ranks = zip(*(_block_depth_and_rank(x, f"{path}[{i}]")
                          for i, x in enumerate(arrays)))
    if len(set(depths)) != 1:
        raise ValueError(f"block: list depths are mismatched under {path}: the elements are "
                         f"at depths {sorted(set(d + 1 for d in depths))}")
    return depths[0] + 1, max(ranks)


def _block_concat(arrays, depth, rank):
    """Concatenate the innermost lists along the last axis, the next ones along the one
    before, and so on (leaves padded to ``rank`` with leading axes)."""
    fnp = _fnp()
    if depth == 0:
        x = asarray_arg("block", arrays)
        return fnp.reshape(x, (1,) * (rank - x.ndim) + tuple(x.shape))
    parts = [_block_concat(x, depth - 1, rank) for x in arrays]
    return fnp.concatenate(parts, axis=-depth)


def block(arrays):
    """An array assembled from nested lists of blocks (numpy's ``block``)."""
    depth, rank = _block_depth_and_rank(arrays)
    return _block_concat(arrays, depth, max(depth, rank))


def lexsort(keys, axis=-1):
    """The indices that sort by the last key, then the one before, ... (stable)."""
    fnp = _fnp()
    keys = [asarray_arg("lexsort", k) for k in keys]
    if not keys:
        raise TypeError("lexsort: need a sequence of keys with len > 0")
    shapes = {tuple(k.shape) for k in keys}
    if len(shapes) > 1:
        raise ShapeError(f"lexsort: all keys need to be the same shape, got {sorted(shapes)}")
    for k in keys:
        if k.dtype.kind == "c":
            raise DTypeError(f"lexsort: complex keys are not supported, got {k.dtype}")
    shape = tuple(keys[0].shape)
    if not shape:
        return fnp.zeros((), dtypes.default_int)
    axis = canonical_axis("lexsort", axis, len(shape))
    iota = lax.broadcasted_iota(dtypes.default_int, shape, axis)
    return lax.sort(tuple(keys[::-1]) + (iota,), dimension=axis, num_keys=len(keys))[-1]


def top_k(a, k, /, *, axis=-1, mode="largest", sorted=True):
    """``(values, indices)`` of the ``k`` largest (or, ``mode="smallest"``, smallest) entries
    along ``axis``, best first; equal entries in index order (jax.numpy's ``top_k``; NaN
    counts as the largest value).  ``sorted=False`` is accepted and gives the sorted order."""
    fnp = _fnp()
    a = asarray_arg("top_k", a)
    if a.dtype.kind == "c":
        raise DTypeError(f"top_k: complex inputs are not supported, got {a.dtype}")
    if mode not in ("largest", "smallest"):
        raise ValueError(f"top_k: mode must be 'largest' or 'smallest', got {mode!r}")
    if a.ndim == 0:
        raise ShapeError("top_k: the input must have at least one axis, got a 0-d array")
    axis = canonical_axis("top_k", axis, a.ndim)
    k = static_int("top_k", k, "k")
    if not 0 <= k <= a.shape[axis]:
        raise ValueError(f"top_k: k must lie in [0, {a.shape[axis]}] (the size of axis "
                         f"{axis}), got {k}")
    order = fnp.argsort(a, axis=axis, stable=True, descending=mode == "largest")
    idx = lax.slice_in_dim(order, 0, k, 1, axis)
    return fnp.take_along_axis(a, idx, axis=axis), to_dtype(idx, dtypes.int32)


def resize(a, new_shape):
    """``a`` flattened, repeated as often as needed and cut to ``new_shape`` (zeros when
    ``a`` is empty; numpy's ``resize``)."""
    fnp = _fnp()
    a = asarray_arg("resize", a)
    if isinstance(new_shape, (int, np.integer)):
        new_shape = (new_shape,)
    try:
        new_shape = tuple(operator.index(d) for d in new_shape)
    except TypeError:
        raise TypeError(f"resize: new_shape must be an int or a tuple of ints, got "
                        f"{new_shape!r}") from None
    if any(d < 0 for d in new_shape):
        raise ValueError(f"resize: all elements of new_shape must be non-negative, got "
                         f"{new_shape}")
    flat = fnp.ravel(a)
    size = int(np.prod(new_shape, dtype=np.int64))
    if flat.shape[0] == 0 or size == 0:
        return fnp.zeros(new_shape, a.dtype)
    repeats = -(-size // flat.shape[0])
    return fnp.reshape(fnp.tile(flat, repeats)[:size], new_shape)


def trim_zeros(filt, trim="fb", axis=None):
    """``filt`` without its leading (``"f"``) and / or trailing (``"b"``) all-zero slices
    along ``axis`` (every axis by default); needs concrete values: the result's shape depends
    on them."""
    filt = asarray_arg("trim_zeros", filt)
    bad = set(trim.lower()) - set("fb")
    if bad or not trim:        # numpy rejects an empty trim as well
        raise ValueError(f"trim_zeros: unexpected character(s) in trim: "
                         f"{''.join(sorted(bad))!r} (use 'f', 'b' or 'fb')")
    v = _concrete(filt)
    if v is None:
        raise ConcretizationTypeError(
            f"trim_zeros: the output shape depends on the values of filt, which is traced "
            f"{filt.aval.str_short()}; call it outside jit / vmap")
    if v.ndim == 0:
        raise ShapeError("trim_zeros: filt must have at least one axis, got a 0-d array")
    axes = range(v.ndim) if axis is None else [
        canonical_axis("trim_zeros", ax, v.ndim)
        for ax in (axis if isinstance(axis, (tuple, list)) else (axis,))]
    front, back = "f" in trim.lower(), "b" in trim.lower()
    index = [slice(None)] * v.ndim
    for ax in axes:
        others = tuple(i for i in range(v.ndim) if i != ax)
        nonzero = np.flatnonzero(np.any(v != 0, axis=others))
        if nonzero.size == 0:
            index[ax] = slice(0, 0)
            continue
        index[ax] = slice(int(nonzero[0]) if front else None,
                          int(nonzero[-1]) + 1 if back else None)
    return filt[tuple(index)]


# -- functional forms of numpy's in-place writers ---------------------------------------------

def _no_inplace(name, inplace):
    if inplace:
        raise ValueError(f"{name}: fnx arrays are immutable, so {name} cannot modify its "
                         f"argument in place; pass inplace=False to get the updated array")


def _cycled(values, count):
    """``values`` (flattened) repeated cyclically to ``count`` entries, numpy's rule for
    ``put`` / ``place``."""
    fnp = _fnp()
    flat = fnp.ravel(values)
    if flat.shape[0] == count:
        return flat
    return flat[fnp.arange(count) % flat.shape[0]]


def place(arr, mask, vals, *, inplace=True):
    """``arr`` with its entries where ``mask`` holds replaced, in order, by ``vals``
    (cycled); jittable: the positions come from a ``nonzero`` of static size."""
    fnp = _fnp()
    _no_inplace("place", inplace)
    arr = asarray_arg("place", arr)
    mask = asarray_arg("place", mask)
    vals = asarray_arg("place", vals)
    if mask.size != arr.size:
        raise ShapeError(f"place: arr and mask must be the same size, got shapes "
                         f"{tuple(arr.shape)} and {tuple(mask.shape)}")
    if vals.size == 0:
        raise ValueError("place: cannot place values from an empty array")
    if arr.size == 0:
        return arr
    where, = fnp.nonzero(fnp.ravel(mask), size=mask.size, fill_value=mask.size)
    flat = fnp.ravel(arr).at[where].set(to_dtype(_cycled(vals, mask.size), arr.dtype),
                                        mode="drop")
    return fnp.reshape(flat, arr.shape)


def _put_index(ind, size, mode):
    fnp = _fnp()
    if mode == "wrap":
        return ind % size
    if mode == "clip":
        return fnp.clip(ind, 0, size - 1)
    if mode not in (None, "raise"):
        raise ValueError(f"put: mode must be None, 'raise', 'wrap' or 'clip', got {mode!r}")
    v = _concrete(ind) if mode == "raise" else None
    if v is not None and v.size and (v.min() < -size or v.max() >= size):
        bad = v[(v < -size) | (v >= size)][0]
        raise IndexError(f"put: index {bad} is out of bounds for size {size}")
    return ind   # negatives wrap once, past the end dropped (the scatter's rule)


def put(a, ind, v, mode=None, *, inplace=True):
    """``a`` with ``a.flat[ind] = v`` (``v`` cycled; later writes win); ``mode``: None
    (jax.numpy's default: out-of-range indices dropped), "raise" (numpy's: IndexError on
    concrete indices), "wrap", "clip"."""
    fnp = _fnp()
    _no_inplace("put", inplace)
    a = asarray_arg("put", a)
    ind = fnp.ravel(asarray_arg("put", ind))
    v = asarray_arg("put", v)
    if ind.dtype.kind not in "iu":
        raise DTypeError(f"put: indices must be integers, got {ind.dtype}")
    if a.size == 0 or ind.shape[0] == 0 or v.size == 0:
        return a
    ind = _put_index(ind, a.size, mode)
    flat = fnp.ravel(a).at[ind].set(to_dtype(_cycled(v, ind.shape[0]), a.dtype))
    return fnp.reshape(flat, a.shape)


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """``arr`` with ``values`` written at ``indices`` along ``axis``: the scatter that
    ``take_along_axis`` is the gather of (``axis=None``: of the flattened array)."""
    fnp = _fnp()
    _no_inplace("put_along_axis", inplace)
    arr = asarray_arg("put_along_axis", arr)
    indices = asarray_arg("put_along_axis", indices)
    values = asarray_arg("put_along_axis", values)
    if indices.dtype.kind not in "iu":
        raise DTypeError(f"put_along_axis: indices must be integers, got {indices.dtype}")
    shape = tuple(arr.shape)
    if axis is None:
        arr, axis = fnp.ravel(arr), 0
    axis = canonical_axis("put_along_axis", axis, arr.ndim)
    if indices.ndim != arr.ndim:
        raise ShapeError(f"put_along_axis: arr and indices must have the same number of "
                         f"dimensions, got shapes {tuple(arr.shape)} and "
                         f"{tuple(indices.shape)}")
    grids = list(_sparse_grid(arr.shape))   # (the parameter ``indices`` hides the function)
    grids[axis] = indices
    target = tuple(np.broadcast_shapes(*(tuple(g.shape) for g in grids)))
    try:
        np.broadcast_shapes(target, tuple(values.shape))
        if len(values.shape) > len(target) or np.broadcast_shapes(
                target, tuple(values.shape)) != target:
            raise ValueError
    except ValueError:
        raise ShapeError(f"put_along_axis: values {tuple(values.shape)} must be "
                         f"broadcastable to the indices' shape {target} (indices "
                         f"{tuple(indices.shape)} along axis {axis} of arr "
                         f"{tuple(arr.shape)})") from None
    out = arr.at[tuple(grids)].set(fnp.broadcast_to(to_dtype(values, arr.dtype), target),
                                   mode=mode)
    return fnp.reshape(out, shape)
