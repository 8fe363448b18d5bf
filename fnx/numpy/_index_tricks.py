"""numpy's index tricks: ``r_`` / ``c_`` / ``s_`` / ``index_exp`` / ``mgrid`` / ``ogrid`` / ``ix_``,
flat-index conversions (``unravel_index``, ``ravel_multi_index``) and ``fill_diagonal``.

Everything whose *shape* the index expression decides (slices, directives, the diagonal
positions) is read on the host and must be static; the *values* go through fnx.numpy / fnx.lax,
so the results work under ``jit`` / ``vmap`` / ``grad`` wherever jax.numpy's do.

Deviations from numpy, shared with jax.numpy:

* dtypes follow fnx's lattice: ``r_[1, 2.5]`` and ``mgrid[0:1:0.5]`` are float32 (numpy:
  float64), integer grids and indices are int32 (numpy: int64);
* ``r_['r', ...]`` / ``r_['c', ...]`` give plain 2-d arrays (a row / a column), not
  ``np.matrix`` objects;
* ``fill_diagonal`` is functional: it returns the filled array, and needs ``inplace=False``;
* ``unravel_index`` on traced indices clips out-of-range values (jax.numpy); on concrete ones
  it raises ValueError as numpy does.  ``ravel_multi_index(mode='raise')`` needs concrete
  indices (jax.numpy's rule: use ``'wrap'`` or ``'clip'`` under jit).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer, concrete_or_error
from ..errors import ConcretizationTypeError, DTypeError
from ._util import (asarray_arg, broadcast_shapes_named, broadcast_to_shape, static_int,
                    to_dtype)

# -- s_ / index_exp ---------------------------------------------------------------------------


class _IndexExpression:
    """``s_[1:3, ::2]`` -> the index object itself; ``index_exp`` always returns a tuple."""

    __slots__ = ("maketuple",)

    def __init__(self, maketuple: bool):
        self.maketuple = maketuple

    def __getitem__(self, item):
        if self.maketuple and not isinstance(item, tuple):
            return (item,)
        return item


s_ = _IndexExpression(maketuple=False)
index_exp = _IndexExpression(maketuple=True)


# -- 1-d grids from slices --------------------------------------------------------------------

def _static_part(name, v, what):
    """A slice bound as a Python number (static: the grid's length depends on it)."""
    if isinstance(v, Tracer):
        v._concretization_error(f"{name}: slice {what}")
    if isinstance(v, (Array, np.ndarray, np.generic)):
        if np.ndim(v) != 0:
            raise TypeError(f"{name}: slice {what} must be a scalar, got shape {np.shape(v)}")
        v = v.item() if not isinstance(v, Array) else v._value.item()
    if v is not None and not isinstance(v, (int, float, complex)):
        raise TypeError(f"{name}: slice {what} must be a number, got {v!r}")
    return v


def _grid_1d(name, s: slice):
    """numpy's 1-d grid of a slice: ``start:stop:step`` is ``arange``; an imaginary step
    ``start:stop:nj`` is ``linspace(start, stop, n)`` (stop included)."""
    from ._creation import arange, linspace
    start = _static_part(name, s.start, "start")
    stop = _static_part(name, s.stop, "stop")
    step = _static_part(name, s.step, "step")
    start = 0 if start is None else start
    step = 1 if step is None else step
    if stop is None:
        raise ValueError(f"{name}: a slice needs a stop value, got {s!r}")
    if isinstance(step, complex):
        return linspace(start, stop, int(abs(step)))
    return arange(start, stop, step)


# -- r_ / c_ ----------------------------------------------------------------------------------

def _parse_directive(name, text, axis, ndmin, trans1d):
    """A leading string of ``r_`` / ``c_``: 'r' / 'c' (2-d row / column result), 'axis' or
    'axis,ndmin[,trans1d]'.  Returns (axis, ndmin, trans1d, matrix)."""
    if text in ("r", "c"):
        return axis, ndmin, trans1d, text
    parts = text.split(",")
    try:
        vals = [int(p) for p in parts]
    except ValueError:
        raise ValueError(f"{name}: unknown special directive {text!r} (expected 'r', 'c', "
                         "'axis' or 'axis,ndmin[,trans1d]')") from None
    if len(vals) > 3:
        raise ValueError(f"{name}: unknown special directive {text!r} (at most three "
                         "comma-separated integers)")
    axis = vals[0]
    if len(vals) > 1:
        ndmin = vals[1]
    if len(vals) > 2:
        trans1d = vals[2]
    return axis, ndmin, trans1d, None


def _upgrade(name, x, ndmin, trans1d):
    """numpy's ``array(x, ndmin=ndmin)`` then, for an input of fewer dims, the move of its own
    dims to start at ``trans1d`` (default -1: they stay last)."""
    d = x.ndim
    if d >= ndmin:
        return x
    x = lax.reshape(x, (1,) * (ndmin - d) + tuple(x.shape))
    if trans1d == -1:
        return x
    k2 = ndmin - d
    k1 = trans1d + k2 + 1 if trans1d < 0 else trans1d
    if not 0 <= k1 <= k2:
        raise ValueError(f"{name}: trans1d={trans1d} is out of range for ndmin={ndmin} and an "
                         f"item of dimension {d}")
    axes = list(range(k1)) + list(range(k2, ndmin)) + list(range(k1, k2))
    return lax.transpose(x, tuple(axes))


class _AxisConcatenator:
    """``r_`` / ``c_``: concatenate slices (as grids), scalars and arrays along an axis."""

    def __init__(self, name, axis, ndmin, trans1d):
        self._name, self._axis, self._ndmin, self._trans1d = name, axis, ndmin, trans1d

    def __getitem__(self, key):
        from ._manipulation import concatenate
        name = self._name
        items = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d, matrix = self._axis, self._ndmin, self._trans1d, None
        if items and isinstance(items[0], str):
            axis, ndmin, trans1d, matrix = _parse_directive(name, items[0], axis, ndmin,
                                                            trans1d)
            items = items[1:]
        parts = []
        for item in items:
            if isinstance(item, str):
                raise ValueError(f"{name}: special directives (strings) must be the first "
                                 f"entry, got {item!r} later")
            x = _grid_1d(name, item) if isinstance(item, slice) else asarray_arg(name, item)
            parts.append(_upgrade(name, x, ndmin, trans1d))
        if not parts:
            raise ValueError(f"{name}: need at least one array to concatenate")
        if any(p.ndim == 0 for p in parts):
            parts = [lax.reshape(p, (1,)) if p.ndim == 0 else p for p in parts]
        out = concatenate(parts, axis=axis)
        if out.weak_type:   # Python scalars promote weakly, but the result is a strong array
            out = lax.convert_element_type(out, out.dtype, weak_type=False)
        return _as_matrix(name, out, matrix)

    def __len__(self):
        return 0


def _as_matrix(name, out, matrix):
    if matrix is None:
        return out
    if out.ndim == 1:
        return lax.reshape(out, (1, out.shape[0]) if matrix == "r" else (out.shape[0], 1))
    if out.ndim != 2:
        raise ValueError(f"{name}: the '{matrix}' directive needs a 1-d or 2-d result, got "
                         f"shape {tuple(out.shape)}")
    return out


r_ = _AxisConcatenator("r_", axis=0, ndmin=1, trans1d=-1)
c_ = _AxisConcatenator("c_", axis=-1, ndmin=2, trans1d=0)


# -- mgrid / ogrid ----------------------------------------------------------------------------

class _Grid:
    """``mgrid[0:3, 0:4]`` (dense, stacked) / ``ogrid[0:3, 0:4]`` (open: a tuple of arrays
    shaped to broadcast).  All axes share one dtype (numpy's rule)."""

    def __init__(self, name, sparse):
        self._name, self._sparse = name, sparse

    def __getitem__(self, key):
        name = self._name
        if isinstance(key, slice):
            return _grid_1d(name, key)
        if not isinstance(key, tuple) or not all(isinstance(k, slice) for k in key):
            raise TypeError(f"{name}: expected slices (e.g. {name}[0:3, 0:4:0.5, 0:1:5j]), "
                            f"got {key!r}")
        grids = [_grid_1d(name, k) for k in key]
        if grids:
            dt = dtypes.result_type(*grids)
            grids = [to_dtype(g, dt) for g in grids]
        shape = tuple(g.shape[0] for g in grids)
        n = len(grids)
        if self._sparse:
            return tuple(lax.reshape(g, tuple(shape[i] if i == k else 1 for i in range(n)))
                         for k, g in enumerate(grids))
        if not grids:
            return Array(np.zeros((0,), np.int32))
        full = [lax.broadcast_in_dim(g, (1,) + shape, (k + 1,)) for k, g in enumerate(grids)]
        return lax.concatenate(full, 0) if n > 1 else full[0]


mgrid = _Grid("mgrid", sparse=False)
ogrid = _Grid("ogrid", sparse=True)


# -- ix_ --------------------------------------------------------------------------------------

def ix_(*args):
    """Open-mesh index arrays: ``x[ix_(rows, cols)]`` selects the cross product.  Boolean
    arguments become the positions of their True entries, so they need concrete values."""
    n = len(args)
    out = []
    for k, a in enumerate(args):
        is_seq = not isinstance(a, (ArrayBase, np.ndarray))
        if isinstance(a, Tracer) and a.dtype == dtypes.bool_:
            raise ConcretizationTypeError(
                f"ix_: boolean argument {k} is traced ({a.aval.str_short()}); its number of "
                "True entries decides the result's shape, so it must be concrete")
        x = asarray_arg("ix_", a)
        if x.ndim != 1:
            raise ValueError(f"ix_: cross index must be 1 dimensional, got argument {k} of "
                             f"shape {tuple(x.shape)}")
        if x.dtype == dtypes.bool_:
            x = Array(np.flatnonzero(concrete_or_error(x, "ix_")).astype(np.int32))
        elif x.size == 0 and is_seq:
            x = Array(np.zeros((0,), np.int32))   # an empty list: integer indices (numpy)
        elif x.dtype.kind not in "iu":
            raise DTypeError(f"ix_: arguments must be integer or boolean, got {x.dtype} "
                             f"for argument {k}")
        shape = [1] * n
        shape[k] = x.shape[0]
        out.append(lax.reshape(x, tuple(shape)))
    return tuple(out)


# -- unravel_index / ravel_multi_index --------------------------------------------------------

def _index_result_dtype(name, x):
    """Integer indices keep int32 / int64 / uint32; narrower ones widen to int32 (products of
    dims rarely fit int8).  Anything else is a TypeError, as numpy's."""
    if x.dtype.kind not in "iu":
        raise DTypeError(f"{name}: only integer indices are permitted, got {x.dtype}")
    if x.dtype.itemsize < 4:
        return dtypes.int32
    return x.dtype


def _static_dims(name, shape, what):
    try:
        dims = tuple(shape)
    except TypeError:
        dims = (shape,)
    dims = tuple(static_int(name, d, what) for d in dims)
    if any(d < 0 for d in dims):
        raise ValueError(f"{name}: {what} must be non-negative, got {dims}")
    return dims


def _known_values(x):
    """The values of ``x`` as numpy when they are known (concrete, or an autodiff tracer over
    concrete values), else None."""
    if isinstance(x, Tracer):
        x = x.concrete_value()
        if x is None:
            return None
    return np.asarray(x._value if isinstance(x, Array) else x)


def unravel_index(indices, shape):
    """Flat indices -> a tuple of coordinate arrays for an array of ``shape`` (C order).

    Concrete indices outside ``[0, prod(shape))`` raise ValueError (numpy).  Traced ones follow
    jax.numpy: a negative index in ``[-size, 0)`` wraps once, anything else out of range is
    clipped to the nearest valid coordinates."""
    name = "unravel_index"
    dims = _static_dims(name, shape, "shape")
    x = asarray_arg(name, indices)
    dt = _index_result_dtype(name, x)
    size = math.prod(dims)
    known = _known_values(x)
    if known is not None and known.size and ((known < 0) | (known >= size)).any():
        bad = known[(known < 0) | (known >= size)].ravel()[0]
        raise ValueError(f"{name}: index {bad} is out of bounds for array with size {size}")
    if not dims:
        return ()
    x = to_dtype(x, dt)
    if size == 0:
        return tuple(x for _ in dims)
    if dt.kind == "i" and known is None:
        x = _clip_flat(x, size)
    return _unravel_in_range(x, dims)


def _clip_flat(x, size):
    """jax.numpy's out-of-range rule: wrap [-size, 0) once, clip the rest into [0, size)."""
    from ._ufuncs import clip, where
    return clip(where(x < 0, x + size, x), 0, size - 1)


def _unravel_in_range(x, dims):
    """Coordinates of in-range flat indices, last axis fastest (one div / rem per axis)."""
    from ._ufuncs import floor_divide, remainder
    out = [None] * len(dims)
    rest = x
    for k in range(len(dims) - 1, 0, -1):
        out[k] = remainder(rest, dims[k])
        rest = floor_divide(rest, dims[k])
    out[0] = rest
    return tuple(out)


_MODES = ("raise", "wrap", "clip")


def _check_modes(name, mode, n):
    modes = tuple(mode) if isinstance(mode, (tuple, list)) else (mode,) * n
    if len(modes) != n:
        raise ValueError(f"{name}: mode must be one mode or one per dimension ({n}), got "
                         f"{len(modes)}")
    for m in modes:
        if m not in _MODES:
            raise ValueError(f"{name}: invalid mode {m!r}; expected 'raise', 'wrap' or 'clip'")
    return modes


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Coordinate arrays -> flat indices into an array of shape ``dims``.

    ``mode`` (one, or one per dimension): 'raise' (numpy's ValueError for an out-of-range
    coordinate; the coordinates must then be concrete, as in jax.numpy -- use 'wrap' or 'clip'
    under jit / vmap), 'wrap' (modulo the dimension) or 'clip'.  ``order`` 'C' or 'F'."""
    name = "ravel_multi_index"
    dims = _static_dims(name, dims, "dims")
    if order not in ("C", "F"):
        raise ValueError(f"{name}: order must be 'C' or 'F', got {order!r}")
    if isinstance(multi_index, ArrayBase):
        multi_index = [multi_index[i] for i in range(multi_index.shape[0])] \
            if multi_index.ndim else [multi_index]
    coords = [asarray_arg(name, c) for c in multi_index]
    if len(coords) != len(dims):
        raise ValueError(f"{name}: parameter multi_index must be a sequence of length "
                         f"{len(dims)} (one per dimension of {dims}), got {len(coords)}")
    modes = _check_modes(name, mode, len(dims))
    if not coords:
        raise ValueError(f"{name}: dims must have at least one dimension")
    dts = [_index_result_dtype(name, c) for c in coords]
    dt = dtypes.result_type(*dts)
    shape = broadcast_shapes_named(name, *(tuple(c.shape) for c in coords))
    coords = [broadcast_to_shape(to_dtype(c, dt), shape) for c in coords]
    coords = [_apply_mode(name, c, d, m) for c, d, m in zip(coords, dims, modes)]
    strides = _strides(dims, order)
    from ._ufuncs import add, multiply
    total = None
    for c, s in zip(coords, strides):
        term = multiply(c, s) if s != 1 else c
        total = term if total is None else add(total, term)
    return total


def _strides(dims, order):
    """Element strides of ``dims`` in C (last axis fastest) or F (first axis fastest) order."""
    out, acc = [0] * len(dims), 1
    for k in (range(len(dims) - 1, -1, -1) if order == "C" else range(len(dims))):
        out[k] = acc
        acc *= dims[k]
    return out


def _apply_mode(name, c, d, mode):
    from ._ufuncs import clip, remainder
    if mode == "wrap":
        if d == 0:
            raise ValueError(f"{name}: cannot wrap an index into a dimension of size 0")
        return remainder(c, d)
    if mode == "clip":
        return clip(c, 0, max(d - 1, 0))
    known = _known_values(c)
    if known is None:
        raise ConcretizationTypeError(
            f"{name}: mode='raise' needs concrete coordinates to check, but they are traced "
            f"({c.aval.str_short()}); use mode='wrap' or mode='clip' under jit/vmap/grad")
    if known.size and ((known < 0) | (known >= d)).any():
        raise ValueError(f"{name}: invalid entry in coordinates array (a coordinate outside "
                         f"[0, {d}))")
    return c


# -- fill_diagonal ----------------------------------------------------------------------------

def _diagonal_positions(name, shape, wrap):
    """Flat positions of the main diagonal of an array of ``shape`` (numpy's: every dim equal
    beyond 2-d; a tall 2-d matrix stops after its square part unless ``wrap``)."""
    if len(shape) < 2:
        raise ValueError(f"{name}: array must be at least 2-d, got shape {shape}")
    if len(shape) == 2:
        rows, cols = shape
        step = cols + 1
        end = rows * cols if wrap else min(rows * cols, cols * cols)
        return np.arange(0, end, step, dtype=np.int64)
    if any(d != shape[0] for d in shape[1:]):
        raise ValueError(f"{name}: all dimensions of input must be of equal length, got "
                         f"shape {shape}")
    step = 1 + sum(int(np.prod(shape[:k + 1])) for k in range(len(shape) - 1))
    return np.arange(0, math.prod(shape), step, dtype=np.int64)


def fill_diagonal(a, val, wrap=False, *, inplace=True):
    """``a`` with its main diagonal set to ``val`` (repeated cyclically when it has fewer
    elements, as numpy's ``a.flat[...] = val``; cast to ``a``'s dtype).

    fnx arrays are immutable, so this is jax.numpy's functional form: pass ``inplace=False``
    and use the returned array (``inplace=True``, numpy's default, is an error)."""
    name = "fill_diagonal"
    if inplace:
        raise NotImplementedError(
            f"{name}: fnx arrays are immutable and cannot be filled in place; call "
            f"{name}(a, val, inplace=False) and use the array it returns")
    a = asarray_arg(name, a)
    v = to_dtype(asarray_arg(name, val), a.dtype)  # before any reshape: a Python float stays exact
    pos = _diagonal_positions(name, tuple(a.shape), bool(wrap))
    if pos.size == 0 or v.size == 0:
        return a
    flat = lax.reshape(a, (a.size,))
    vals = lax.reshape(v, (v.size,))
    reps = -(-pos.size // v.size)
    if reps > 1:
        vals = lax.reshape(lax.broadcast_in_dim(vals, (reps, v.size), (1,)), (reps * v.size,))
    if vals.shape[0] != pos.size:
        vals = lax.slice(vals, (0,), (int(pos.size),))
    # one static gather from [a, vals]: position p reads a[p], or vals[k] for the k-th diagonal
    src = np.arange(a.size, dtype=np.int64)
    src[pos] = a.size + np.arange(pos.size)
    from ._manipulation import _take_static
    joined = lax.concatenate([flat, vals], 0)
    return lax.reshape(_take_static(joined, src, 0), tuple(a.shape))


__all__ = ["r_", "c_", "s_", "index_exp", "mgrid", "ogrid", "ix_", "unravel_index",
           "ravel_multi_index", "fill_diagonal"]
