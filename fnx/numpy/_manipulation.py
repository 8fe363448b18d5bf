"""Shape manipulation: reshape, transpose, joins and splits, tile/repeat, flips, pad, sort...

All of it lowers to fnx.lax shape primitives (views on the CPU backend where possible);
``take``/``take_along_axis`` use one ``lax.gather`` in fnx's normalised form.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer, concrete_or_error
from ..errors import ConcretizationTypeError, ShapeError
from ._util import (asarray_arg, broadcast_shapes_named, broadcast_to_shape, canonical_axes,
                    canonical_axis, full_scalar, promote_dtypes, static_int, to_dtype)


def ndim(a):
    return asarray_arg("ndim", a).ndim if not isinstance(a, ArrayBase) else a.ndim


def shape(a):
    return tuple(a.shape) if isinstance(a, ArrayBase) else tuple(np.shape(a))


def size(a, axis=None):
    s = shape(a)
    return math.prod(s) if axis is None else s[axis]


# -- reshape family ---------------------------------------------------------------------------

def _resolve_shape(name, size_, newshape):
    if isinstance(newshape, (int, np.integer)) or (isinstance(newshape, ArrayBase)
                                                     and newshape.ndim == 0):
        newshape = (newshape,)
    newshape = [static_int(name, d, "shape") for d in newshape]
    unknown = [i for i, d in enumerate(newshape) if d == -1]
    if len(unknown) > 1:
        raise ValueError(f"{name}: can only specify one unknown dimension (-1)")
    if unknown:
        known = math.prod(d for d in newshape if d != -1)
        if known == 0 or size_ % known:
            raise ShapeError(f"{name}: cannot reshape array of size {size_} into shape "
                             f"{tuple(newshape)}")
        newshape[unknown[0]] = size_ // known
    if math.prod(newshape) != size_ or any(d < 0 for d in newshape):
        raise ShapeError(f"{name}: cannot reshape array of size {size_} into shape "
                         f"{tuple(newshape)}")
    return tuple(newshape)


def reshape(a, shape=None, order="C", *, newshape=None, copy=None):
    """Row-major reshape; one dimension may be -1.  ``fnp.reshape(x, (2, -1))``"""
    if shape is None:
        shape = newshape
    if order != "C":
        raise NotImplementedError("reshape: only order='C' is supported")
    a = asarray_arg("reshape", a)
    return lax.reshape(a, _resolve_shape("reshape", a.size, shape))


def ravel(a, order="C"):
    if order != "C":
        raise NotImplementedError("ravel: only order='C' is supported")
    a = asarray_arg("ravel", a)
    return a if a.ndim == 1 else lax.reshape(a, (a.size,))


def transpose(a, axes=None):
    """Permute axes (reverse them by default)."""
    a = asarray_arg("transpose", a)
    if axes is None:
        axes = tuple(range(a.ndim))[::-1]
    axes = tuple(canonical_axis("transpose", ax, a.ndim) for ax in axes)
    if sorted(axes) != list(range(a.ndim)):
        raise ValueError(f"transpose: axes {axes} don't match array of dimension {a.ndim}")
    return lax.transpose(a, axes)


permute_dims = transpose


def matrix_transpose(x):
    x = asarray_arg("matrix_transpose", x)
    if x.ndim < 2:
        raise ValueError("matrix_transpose: input must be at least 2-d")
    return swapaxes(x, -1, -2)


def moveaxis(a, source, destination):
    """Move axes ``source`` to positions ``destination``, keeping the others in order."""
    a = asarray_arg("moveaxis", a)
    src = (source,) if isinstance(source, (int, np.integer)) else tuple(source)
    dst = (destination,) if isinstance(destination, (int, np.integer)) else tuple(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same length")
    src = [canonical_axis("moveaxis", s, a.ndim) for s in src]
    dst = [canonical_axis("moveaxis", d, a.ndim) for d in dst]
    order = [i for i in range(a.ndim) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lax.transpose(a, tuple(order))


def swapaxes(a, axis1, axis2):
    a = asarray_arg("swapaxes", a)
    i = canonical_axis("swapaxes", axis1, a.ndim)
    j = canonical_axis("swapaxes", axis2, a.ndim)
    perm = list(range(a.ndim))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def squeeze(a, axis=None):
    """Remove size-1 axes (all of them, or those in ``axis``)."""
    a = asarray_arg("squeeze", a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = canonical_axes("squeeze", axis, a.ndim)
        for ax in axes:
            if a.shape[ax] != 1:
                raise ValueError(f"squeeze: cannot select an axis to squeeze out which has size "
                                 f"not equal to one (axis {ax} of shape {tuple(a.shape)})")
    return lax.squeeze(a, axes) if axes else a


def expand_dims(a, axis):
    """Insert size-1 axes at positions ``axis`` (int or tuple) of the result."""
    a = asarray_arg("expand_dims", a)
    axis = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    out_ndim = a.ndim + len(axis)
    axes = canonical_axes("expand_dims", axis, out_ndim)
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return lax.reshape(a, tuple(shape))


def broadcast_shapes(*shapes):
    return broadcast_shapes_named("broadcast_shapes",
                                  *((s,) if isinstance(s, int) else tuple(s) for s in shapes))


def broadcast_to(array, shape):
    """Broadcast ``array`` to ``shape`` (numpy rules; no copy on the CPU backend)."""
    a = asarray_arg("broadcast_to", array)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(
        static_int("broadcast_to", d, "shape") for d in shape)
    if len(shape) < a.ndim or broadcast_shapes_named("broadcast_to", a.shape, shape) != shape:
        raise ShapeError(f"broadcast_to: cannot broadcast an array of shape {tuple(a.shape)} "
                         f"to shape {shape}")
    return broadcast_to_shape(a, shape)


def broadcast_arrays(*args):
    arrs = [asarray_arg("broadcast_arrays", a) for a in args]
    shp = broadcast_shapes_named("broadcast_arrays", *(a.shape for a in arrs))
    return [broadcast_to_shape(a, shp) for a in arrs]


def _atleast(name, n, arys):
    out = []
    for a in arys:
        a = asarray_arg(name, a)
        if a.ndim < n:
            if n == 3 and a.ndim == 2:
                a = lax.reshape(a, tuple(a.shape) + (1,))
            elif n == 3 and a.ndim == 1:
                a = lax.reshape(a, (1, a.shape[0], 1))
            else:
                a = lax.reshape(a, (1,) * (n - a.ndim) + tuple(a.shape))
        out.append(a)
    return out[0] if len(out) == 1 else out


def atleast_1d(*arys):
    return _atleast("atleast_1d", 1, arys)


def atleast_2d(*arys):
    return _atleast("atleast_2d", 2, arys)


def atleast_3d(*arys):
    return _atleast("atleast_3d", 3, arys)


# -- joining and splitting --------------------------------------------------------------------

def _promote_all(name, arrays, dtype=None):
    arrays = [asarray_arg(name, a) for a in arrays]
    if not arrays:
        raise ValueError(f"{name}: need at least one array")
    if dtype is not None:
        from ._util import check_supported
        dt, weak = check_supported(name, dtype), False
    else:
        _, dt, weak = promote_dtypes(name, *arrays)
    return [to_dtype(a, dt, weak) for a in arrays]


def concatenate(arrays, axis=0, dtype=None):
    """Join arrays along an existing axis (axis=None flattens them first)."""
    if isinstance(arrays, ArrayBase):
        arrays = [arrays[i] for i in range(arrays.shape[0])]
    arrays = _promote_all("concatenate", arrays, dtype)
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    if any(a.ndim == 0 for a in arrays):
        raise ValueError("concatenate: zero-dimensional arrays cannot be concatenated")
    nd = arrays[0].ndim
    ax = canonical_axis("concatenate", axis, nd)
    for a in arrays:
        if a.ndim != nd or any(a.shape[i] != arrays[0].shape[i] for i in range(nd) if i != ax):
            raise ShapeError("concatenate: all input array dimensions except for the "
                             f"concatenation axis must match exactly; got shapes "
                             f"{[tuple(x.shape) for x in arrays]} along axis {ax}")
    arrays = [a for a in arrays if a.shape[ax] != 0] or arrays[:1]
    return lax.concatenate(arrays, ax)


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    """Join arrays of one shape along a new axis."""
    arrays = _promote_all("stack", list(arrays), dtype)
    shp = tuple(arrays[0].shape)
    if any(tuple(a.shape) != shp for a in arrays):
        raise ShapeError(f"stack: all input arrays must have the same shape, got "
                         f"{[tuple(a.shape) for a in arrays]}")
    ax = canonical_axis("stack", axis, len(shp) + 1)
    new_shape = shp[:ax] + (1,) + shp[ax:]
    return lax.concatenate([lax.reshape(a, new_shape) for a in arrays], ax) \
        if len(arrays) > 1 else lax.reshape(arrays[0], new_shape)


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, 0 if arrs and arrs[0].ndim == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], 0, dtype=dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], 2, dtype=dtype)


def column_stack(tup):
    """Stack 1-d arrays as columns (0-d ones as 1x1) and 2-d arrays as they are, along axis 1."""
    arrs = []
    for a in tup:
        a = asarray_arg("column_stack", a)
        arrs.append(lax.reshape(a, (a.size, 1)) if a.ndim < 2 else a)
    return concatenate(arrs, 1)


def _split(name, ary, indices_or_sections, axis, even):
    a = asarray_arg(name, ary)
    ax = canonical_axis(name, axis, a.ndim)
    n = a.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)) or (
            isinstance(indices_or_sections, ArrayBase) and indices_or_sections.ndim == 0):
        k = static_int(name, indices_or_sections, "sections")
        if k <= 0:
            raise ValueError(f"{name}: number of sections must be larger than 0")
        if even and n % k:
            raise ValueError(f"{name}: array split does not result in an equal division "
                             f"({n} into {k})")
        q, r = divmod(n, k)
        sizes = [q + 1] * r + [q] * (k - r)
        bounds = np.cumsum([0] + sizes).tolist()
    else:
        idx = [static_int(name, i, "indices") for i in indices_or_sections]
        bounds = [0] + idx + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        lo = builtins.min(builtins.max(lo if lo >= 0 else lo + n, 0), n)
        hi = builtins.min(builtins.max(hi if hi >= 0 else hi + n, 0), n)
        hi = builtins.max(hi, lo)
        out.append(lax.slice_in_dim(a, lo, hi, 1, ax))
    return out


def split(ary, indices_or_sections, axis=0):
    """Split into equal sections (an int) or at the given indices."""
    return _split("split", ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    """Like split, but an int need not divide the axis (the first pieces get one more)."""
    return _split("array_split", ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    a = asarray_arg("hsplit", ary)
    return split(a, indices_or_sections, 1 if a.ndim > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 2)


# -- tile / repeat ----------------------------------------------------------------------------

def tile(A, reps):
    """Repeat ``A`` ``reps`` times along each axis (one broadcast + one reshape)."""
    a = asarray_arg("tile", A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    reps = tuple(static_int("tile", r, "reps") for r in reps)
    nd = builtins.max(a.ndim, len(reps))
    reps = (1,) * (nd - len(reps)) + reps
    a = lax.reshape(a, (1,) * (nd - a.ndim) + tuple(a.shape))
    inter = []
    for r, d in zip(reps, a.shape):
        inter += [r, d]
    b = lax.broadcast_in_dim(a, tuple(inter), tuple(range(1, 2 * nd, 2)))
    return lax.reshape(b, tuple(r * d for r, d in zip(reps, a.shape)))


def repeat(a, repeats, axis=None, *, total_repeat_length=None):
    """Repeat each element ``repeats`` times (an int, or static per-element counts)."""
    a = asarray_arg("repeat", a)
    if axis is None:
        a = ravel(a)
        axis = 0
    ax = canonical_axis("repeat", axis, a.ndim)
    if isinstance(repeats, Tracer):
        raise ConcretizationTypeError(
            "repeat: traced `repeats` are not supported (the output shape would depend on "
            "them); pass a Python int or concrete counts")
    reps = np.asarray(repeats if not isinstance(repeats, Array) else repeats._value)
    n = a.shape[ax]
    if reps.ndim == 0 or reps.size == 1:
        r = int(reps.reshape(()))
        shp = list(a.shape)
        b = lax.broadcast_in_dim(a, tuple(shp[:ax + 1]) + (r,) + tuple(shp[ax + 1:]),
                                 tuple(range(ax + 1)) + tuple(range(ax + 2, a.ndim + 1)))
        shp[ax] = n * r
        return lax.reshape(b, tuple(shp))
    if reps.shape != (n,):
        raise ValueError(f"repeat: repeats of shape {reps.shape} do not match axis size {n}")
    idx = np.repeat(np.arange(n, dtype=np.int32), reps.astype(np.int64))
    return _take_static(a, idx, ax)


def _take_static(a, idx: np.ndarray, ax: int):
    """a indexed along ``ax`` by a static integer vector (one gather)."""
    perm = (ax,) + tuple(i for i in range(a.ndim) if i != ax)
    moved = lax.transpose(a, perm)
    out = lax.gather(moved, Array(np.ascontiguousarray(idx, dtype=np.int32)))
    inv = list(range(1, a.ndim))
    inv.insert(ax, 0)
    return lax.transpose(out, tuple(inv))


# -- flips / rolls / rotations ----------------------------------------------------------------

def flip(m, axis=None):
    m = asarray_arg("flip", m)
    return lax.rev(m, canonical_axes("flip", axis, m.ndim))


def fliplr(m):
    m = asarray_arg("fliplr", m)
    if m.ndim < 2:
        raise ValueError("fliplr: input must be at least 2-d")
    return lax.rev(m, (1,))


def flipud(m):
    m = asarray_arg("flipud", m)
    if m.ndim < 1:
        raise ValueError("flipud: input must be at least 1-d")
    return lax.rev(m, (0,))


def _roll_axis(a, shift, ax):
    n = a.shape[ax]
    if n == 0:
        return a
    if isinstance(shift, Tracer):
        from ._ufuncs import remainder
        s = remainder(to_dtype(shift, dtypes.int32), n)
        doubled = lax.concatenate([a, a], ax)
        start = lax.sub(full_scalar(n, dtypes.int32), s)
        starts = [full_scalar(0, dtypes.int32)] * a.ndim
        starts[ax] = start
        return lax.dynamic_slice(doubled, starts, a.shape)
    s = operator.index(shift) % n
    if s == 0:
        return a
    return lax.concatenate([lax.slice_in_dim(a, n - s, n, 1, ax),
                            lax.slice_in_dim(a, 0, n - s, 1, ax)], ax)


def roll(a, shift, axis=None):
    """Roll elements along ``axis`` (shift/axis may be tuples; axis=None rolls the flat array)."""
    a = asarray_arg("roll", a)
    if isinstance(shift, Array) and shift.ndim == 0:
        shift = int(shift)
    if axis is None:
        return lax.reshape(_roll_axis(ravel(a), shift, 0), tuple(a.shape))
    shifts = shift if isinstance(shift, (tuple, list)) else None
    axes = axis if isinstance(axis, (tuple, list)) else None
    if shifts is None and axes is None:
        return _roll_axis(a, shift, canonical_axis("roll", axis, a.ndim))
    if shifts is None:
        shifts = [shift] * len(axes)
    if axes is None:
        axes = [axis] * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: shift and axis must have the same length")
    for s, ax in zip(shifts, axes):
        a = _roll_axis(a, s, canonical_axis("roll", ax, a.ndim))
    return a


def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``."""
    m = asarray_arg("rot90", m)
    if len(axes) != 2:
        raise ValueError("rot90: len(axes) must be 2")
    a0 = canonical_axis("rot90", axes[0], m.ndim)
    a1 = canonical_axis("rot90", axes[1], m.ndim)
    if a0 == a1:
        raise ValueError("rot90: axes must be different")
    k = operator.index(k) % 4
    if k == 0:
        return m
    if k == 2:
        return lax.rev(m, (a0, a1))
    perm = list(range(m.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return lax.transpose(lax.rev(m, (a1,)), tuple(perm))
    return lax.rev(lax.transpose(m, tuple(perm)), (a1,))


# -- pad --------------------------------------------------------------------------------------

def _pad_index(n, before, after, mode):
    """Static source indices along one axis for the non-constant pad modes."""
    idx = np.arange(-before, n + after)
    if mode == "wrap":
        return idx % n
    if mode == "edge":
        return np.clip(idx, 0, n - 1)
    if mode == "reflect":
        if n == 1:
            return np.zeros_like(idx)
        period = 2 * n - 2
        m = idx % period
        return np.where(m < n, m, period - m)
    if mode == "symmetric":
        period = 2 * n
        m = idx % period
        return np.where(m < n, m, period - 1 - m)
    raise NotImplementedError(mode)


def pad(array, pad_width, mode="constant", **kwargs):
    """Pad an array.  Modes: constant (lax.pad), edge, reflect, symmetric, wrap (static index
    plans), empty (like constant 0)."""
    a = asarray_arg("pad", array)
    pw = np.asarray(pad_width if not isinstance(pad_width, Array) else pad_width._value)
    if isinstance(pad_width, Tracer):
        raise ConcretizationTypeError("pad: pad_width must be static")
    pw = np.broadcast_to(pw, (a.ndim, 2)).astype(np.int64)
    if (pw < 0).any():
        raise ValueError("pad: pad_width must be non-negative")
    if callable(mode):
        raise NotImplementedError("pad: callable modes are not supported")
    if mode in ("constant", "empty"):
        cv = kwargs.get("constant_values", 0) if mode == "constant" else 0
        if isinstance(cv, ArrayBase) and cv.ndim == 0:
            cvs = None
        else:
            cv_np = np.asarray(cv)
            if cv_np.ndim == 0:
                cvs = None
                cv = cv_np.item()
            else:
                cvs = np.broadcast_to(cv_np, (a.ndim, 2))
        if cvs is None:
            val = to_dtype(cv if not isinstance(cv, ArrayBase) else cv, a.dtype)
            return lax.pad(a, val, tuple((int(lo), int(hi), 0) for lo, hi in pw))
        for ax in range(a.ndim):
            for side in range(2):
                cfg = [(0, 0, 0)] * a.ndim
                cfg[ax] = (int(pw[ax, 0]), 0, 0) if side == 0 else (0, int(pw[ax, 1]), 0)
                a = lax.pad(a, to_dtype(cvs[ax, side].item(), a.dtype), tuple(cfg))
        return a
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    if kwargs.get("reflect_type", "even") != "even":
        raise NotImplementedError("pad: reflect_type='odd' is not supported")
    for ax in range(a.ndim):
        lo, hi = int(pw[ax, 0]), int(pw[ax, 1])
        if lo == 0 and hi == 0:
            continue
        n = a.shape[ax]
        if n == 0:
            raise ValueError(f"pad: can't extend empty axis {ax} using modes other than "
                             "'constant' or 'empty'")
        a = _take_static(a, _pad_index(n, lo, hi, mode), ax)
    return a


__all__ = ["ndim", "shape", "size", "reshape", "ravel", "transpose", "permute_dims",
           "matrix_transpose", "moveaxis", "swapaxes", "squeeze", "expand_dims",
           "broadcast_shapes", "broadcast_to", "broadcast_arrays", "atleast_1d", "atleast_2d",
           "atleast_3d", "concatenate", "concat", "stack", "hstack", "vstack", "row_stack",
           "dstack", "column_stack", "split", "array_split", "hsplit", "vsplit", "dsplit", "tile",
           "repeat", "flip", "fliplr", "flipud", "roll", "rot90", "pad"]
_unused = (concrete_or_error, canonical_axes)
