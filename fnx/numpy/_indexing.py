"""numpy indexing of fnx arrays (``x[idx]``) and functional updates (``x.at[idx].set(v)``).

Supported index entries: Python ints, slices (any step, negative too), ``None``, ``...``,
integer arrays (numpy advanced indexing: index arrays broadcast together; when the advanced
entries are adjacent their result dims replace them in place, otherwise they go first), boolean
masks (only on concrete masks: converted to integer indices on the host) and 0-d integer arrays
(concrete ones act as ints, traced ones are dynamic).

Lowering:

* basic indexing -> ``lax.slice`` + ``lax.rev`` + ``lax.squeeze`` + reshape (for ``None``);
  traced scalar ints -> ``lax.dynamic_slice``;
* integer-array indexing -> ONE ``lax.gather`` in fnx's normalised form: the advanced axes are
  transposed to the front and flattened into one axis, the combined flat index is built from
  the broadcast index arrays, and the result is transposed into numpy's layout;
* ``x.at[idx].op(v)`` -> ONE ``lax.scatter*`` in the same form: every indexed axis (slices
  become ``iota`` index vectors) is flattened into one axis; untouched ``:`` axes stay trailing.

Out-of-bounds rule (JAX's): negative indices wrap once, numpy-style (``i < 0 -> i + n``); then a
*gather clamps* each index into ``[0, n-1]`` per dimension, while a *scatter drops* updates whose
index is outside ``[0, n)``.  Static Python ints out of range in ``x[i]`` raise IndexError (as
numpy); traced ints are clamped (``lax.dynamic_slice``).  ``x.at[idx]`` takes jax's ``mode``:
"clip" clamps every index (gathers and scatters), "fill" / "drop" make a gather return
``fill_value`` at out-of-range positions (and a scatter drop them, its default anyway); an
integer index into an axis of size 0 raises IndexError whatever the mode.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes, lax
from ..core import Array, ArrayBase, Tracer
from ..errors import ConcretizationTypeError, FnxIndexError
from ._util import (asarray_arg, broadcast_shapes_named, broadcast_to_shape, fill_scalar,
                    full_like_weak, full_scalar, host_to_array, to_dtype)

_INT32_MAX = 2 ** 31 - 1


# ---------------------------------------------------------------------------------------------
# Parsing an index into entries
# ---------------------------------------------------------------------------------------------
# ("none", empty)  ("slice", slice)  ("int", int)  ("dyn", tracer)  ("adv", int array)

def _static_slice_part(v):
    if v is None:
        return None
    if isinstance(v, Tracer):
        raise ConcretizationTypeError(
            "indexing: slice bounds must be static; got a traced value. Use "
            "fnx.lax.dynamic_slice for traced starts with a static size")
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError(f"indexing: slice indices must be integers or None, got {v!r}") from None


def _mask_entries(mask, what="indexing"):
    if isinstance(mask, Tracer):
        raise ConcretizationTypeError(
            f"{what}: boolean mask indexing needs a concrete mask, but got a traced array "
            f"{mask.aval.str_short()} (the result size would depend on its values). Use "
            "fnx.numpy.where(mask, x, other) instead, or index outside jit/vmap/grad")
    value = mask._value if isinstance(mask, Array) else np.asarray(mask)
    if value.ndim == 0:
        return [("none", not bool(value))]
    return [("adv", Array(ix.astype(np.int32)), value.shape[k]) for k, ix in
            enumerate(np.nonzero(value))]


def _entry(e):
    if e is None:
        return [("none", False)]
    if e is Ellipsis:
        return [("ellipsis",)]
    if isinstance(e, slice):
        return [("slice", slice(_static_slice_part(e.start), _static_slice_part(e.stop),
                                _static_slice_part(e.step)))]
    if isinstance(e, (bool, np.bool_)):
        return [("none", not bool(e))]
    if isinstance(e, (int, np.integer)):
        return [("int", int(e))]
    if isinstance(e, (list, tuple, np.ndarray)):
        if isinstance(e, (list, tuple)) and any(isinstance(v, ArrayBase) for v in e):
            from ._creation import asarray
            e = asarray(e)
        else:
            arr = np.asarray(e)
            if arr.dtype == object:
                raise TypeError(f"indexing: unsupported index {e!r}")
            if arr.size == 0 and arr.dtype.kind == "f":
                arr = arr.astype(np.int32)
            e = arr
    if isinstance(e, np.ndarray):
        if e.dtype.kind == "b":
            return _mask_entries(e)
        if e.dtype.kind not in "iu":
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and integer "
                             f"or boolean arrays are valid indices (got dtype {e.dtype})")
        e = host_to_array("indexing", e if e.dtype != np.uint64 else e.astype(np.int64))
    if isinstance(e, ArrayBase):
        if e.dtype == dtypes.bool_:
            return _mask_entries(e)
        if e.dtype.kind not in "iu":
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and integer "
                             f"or boolean arrays are valid indices (got dtype {e.dtype})")
        if e.ndim == 0:
            if isinstance(e, Tracer):
                return [("dyn", e)]
            return [("cint", int(e._value))]  # a concrete 0-d array: clamped like a gather
        return [("adv", e)]
    raise TypeError(f"indexing: unsupported index {e!r} of type {type(e).__name__}")


def _parse(shape, idx):
    """Entries with the array dimension each one consumes (after expanding ``...``)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = []
    for e in idx:
        entries += _entry(e)
    n_ell = sum(1 for e in entries if e[0] == "ellipsis")
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for e in entries if e[0] not in ("none", "ellipsis"))
    ndim = len(shape)
    if consumed > ndim:
        raise FnxIndexError(f"too many indices for array: array is {ndim}-dimensional, but "
                            f"{consumed} were indexed")
    adv_kinds = ("adv", "int", "dyn", "cint")
    pos = [i for i, e in enumerate(entries) if e[0] in adv_kinds]
    # numpy: advanced entries (ints included) are adjacent only if nothing separates them in
    # the index as written -- an Ellipsis separates them even when it expands to no dims
    adjacent = pos == list(range(pos[0], pos[-1] + 1)) if pos else True
    fill = [("slice", slice(None))] * (ndim - consumed)
    if n_ell:
        k = next(i for i, e in enumerate(entries) if e[0] == "ellipsis")
        entries = entries[:k] + fill + entries[k + 1:]
    else:
        entries = entries + fill
    out, dim = [], 0
    for e in entries:
        if e[0] == "none":
            out.append((e, None))
        else:
            # a boolean axis of size 0 selects nothing whatever the axis' size (numpy's and
            # the array API's rule)
            if e[0] == "adv" and len(e) == 3 and e[2] not in (shape[dim], 0):
                raise FnxIndexError(f"boolean index did not match indexed array along axis "
                                    f"{dim}; size of axis is {shape[dim]} but size of the "
                                    f"boolean index is {e[2]}")
            out.append((e[:2], dim))
            dim += 1
    has_adv = any(e[0] == "adv" for e, _ in out)
    if has_adv:  # numpy: with any advanced index, integer scalars are advanced too
        out = [(("adv", Array(np.array(e[1], np.int32)) if e[0] == "cint" else e[1]), d)
               if e[0] in ("int", "dyn", "cint") else (e, d) for e, d in out]
    return out, has_adv, adjacent


def _check_static_int(i, n, dim):
    if not -n <= i < n:
        raise FnxIndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
    return i + n if i < 0 else i


# ---------------------------------------------------------------------------------------------
# Gather: x[idx]
# ---------------------------------------------------------------------------------------------

def _index_dtype(total):
    return dtypes.int32 if total <= _INT32_MAX else dtypes.int64


def _normalise_index(i, n, dtype, clamp: bool):
    """Wrap negative once; then clamp (gather) -- or return the validity mask (scatter)."""
    if isinstance(i, int):
        j = i + n if i < 0 else i
        if clamp:
            return full_scalar(min(max(j, 0), max(n - 1, 0)), dtype), None
        return full_scalar(j, dtype), (0 <= j < n)
    if type(i) is Array and type(i._value) is np.ndarray:
        return _normalise_host_index(i._value, n, dtype, clamp)
    if i.dtype == dtypes.uint32:   # int32 would turn 2**32 - 1 into -1 (a valid index)
        i = lax.convert_element_type(i, dtypes.int64)
    elif i.dtype.kind == "u" or i.dtype == dtypes.int8:
        i = lax.convert_element_type(i, dtypes.int32)
    zero = full_scalar(0, i.dtype, i.shape)
    nn = full_scalar(n, i.dtype, i.shape)
    j = lax.select(lax.lt(i, zero), lax.add(i, nn), i)
    if clamp:
        j = lax.clamp(full_scalar(0, i.dtype), j, full_scalar(max(n - 1, 0), i.dtype))
        return to_dtype(j, dtype), None
    ok = lax.bitwise_and(lax.ge(j, zero), lax.lt(j, nn))
    return to_dtype(j, dtype), ok


def _normalise_host_index(h, n, dtype, clamp: bool):
    """``_normalise_index`` of a concrete CPU index array, in numpy: the same values as the
    staged version, without its six small primitives (eager ``x[idx]`` is dispatch-bound)."""
    j = h.astype(np.int64)            # uint32 / int64 values all fit; no wrap-around
    j = np.where(j < 0, j + n, j)     # np.where / np.clip of a 0-d array give numpy scalars:
    if clamp:                         # np.asarray keeps every result an ndarray
        return Array(np.asarray(np.clip(j, 0, max(n - 1, 0)), dtype=dtype)), None
    ok = np.asarray((j >= 0) & (j < n))
    return Array(np.asarray(j, dtype=dtype)), Array(ok)


def _basic(x, entries, has_adv):
    """Apply slices / ints / None; returns (y, layout) where layout tags y's dims."""
    shape = tuple(x.shape)
    starts, limits, strides, rev, squeeze_dims = [], [], [], [], []
    dyn = {}
    for e, d in entries:
        if d is None:
            continue
        n = shape[d]
        kind = e[0]
        if kind == "slice":
            start, stop, step = e[1].indices(n)
            count = len(range(start, stop, step))
            if count == 0:
                starts.append(0), limits.append(0), strides.append(1)
            elif step > 0:
                starts.append(start), limits.append(start + (count - 1) * step + 1)
                strides.append(step)
            else:
                first = start + (count - 1) * step
                starts.append(first), limits.append(start + 1), strides.append(-step)
                rev.append(d)
        elif kind in ("int", "cint"):
            if kind == "int":
                i = _check_static_int(e[1], n, d)
            else:
                if n == 0:
                    raise FnxIndexError(f"index {e[1]} is out of bounds for axis {d} with size 0")
                i = min(max(e[1] + n if e[1] < 0 else e[1], 0), n - 1)
            starts.append(i), limits.append(i + 1), strides.append(1)
            squeeze_dims.append(d)
        elif kind == "dyn":
            if n == 0:
                raise FnxIndexError(f"index (traced {e[1].aval.str_short()}) is out of bounds "
                                    f"for axis {d} with size 0")
            starts.append(0), limits.append(n), strides.append(1)
            dyn[d] = e[1]
            squeeze_dims.append(d)
        else:  # adv: kept whole here
            starts.append(0), limits.append(n), strides.append(1)
    y = lax.slice(x, starts, limits, strides)
    if dyn:
        zero = full_scalar(0, dtypes.int32)
        st, sizes = [], []
        for d in range(y.ndim):
            if d in dyn:
                i = dyn[d]
                i = to_dtype(i, dtypes.int32) if i.dtype != dtypes.int64 else i
                n = full_scalar(shape[d], i.dtype)
                st.append(lax.select(lax.lt(i, full_scalar(0, i.dtype)), lax.add(i, n), i))
                sizes.append(1)
            else:
                st.append(zero)
                sizes.append(y.shape[d])
        if any(s.dtype == dtypes.int64 for s in st):
            st = [to_dtype(s, dtypes.int64) for s in st]
        y = lax.dynamic_slice(y, st, sizes)
    if rev:
        y = lax.rev(y, tuple(rev))
    # final shape: drop int dims, insert None dims
    new_shape, layout = [], []
    for e, d in entries:
        if d is None:
            new_shape.append(0 if e[1] else 1)
            layout.append(("none",))
        elif e[0] in ("int", "dyn", "cint"):
            continue
        else:
            new_shape.append(y.shape[d])
            layout.append((e[0], d, e[1] if e[0] == "adv" else None))
    if any(s == 0 for s in new_shape) and y.size != 0:
        # x[False]: an empty new axis
        y = lax.slice(lax.reshape(y, tuple(1 if s == 0 else s for s in new_shape)),
                      (0,) * len(new_shape), tuple(new_shape))
    elif tuple(new_shape) != tuple(y.shape):
        y = lax.reshape(y, tuple(new_shape))
    return y, layout


_AT_MODES = (None, "promise_in_bounds", "clip", "fill", "drop")


def _check_at_mode(name, mode):
    if mode not in _AT_MODES:
        raise ValueError(f"{name}: mode must be one of {_AT_MODES}, got {mode!r}")


def _scalar_ints_as_arrays(entries):
    """Integer entries as 0-d advanced indices, so that the gather applies the index mode to
    them too (the result's layout is the same: a 0-d index adds no dimensions)."""
    out = []
    for e, d in entries:
        if e[0] in ("int", "cint"):
            dt = np.int32 if -_INT32_MAX <= e[1] <= _INT32_MAX else np.int64
            e = ("adv", Array(np.array(e[1], dt)))
        elif e[0] == "dyn":
            e = ("adv", e[1])
        out.append((e, d))
    return out


def getitem(x, idx, mode=None, fill_value=None):
    """``x[idx]`` with numpy semantics (see the module docstring for the lowering).

    ``mode`` (``x.at[idx].get``, jax's semantics): None / "promise_in_bounds": out-of-range
    integer arrays clamp, static ints raise IndexError; "clip": every index clamps; "fill" /
    "drop": positions with an out-of-range index give ``fill_value`` (NaN for floats, the
    dtype's extreme for ints, True for bool)."""
    x = asarray_arg("getitem", x)
    if isinstance(idx, slice) and idx == slice(None):
        return x
    entries, has_adv, adjacent = _parse(tuple(x.shape), idx)
    fill = mode in ("fill", "drop")
    if mode in ("clip", "fill", "drop") and any(e[0] in ("int", "cint", "dyn")
                                                for e, _ in entries):
        entries = _scalar_ints_as_arrays(entries)
        has_adv = True
    y, layout = _basic(x, entries, has_adv)
    if not has_adv:
        return y
    adv_pos = [k for k, t in enumerate(layout) if t[0] == "adv"]
    rest_pos = [k for k, t in enumerate(layout) if t[0] != "adv"]
    adv_sizes = [y.shape[k] for k in adv_pos]
    idx_arrays = [layout[k][2] for k in adv_pos]
    bshape = broadcast_shapes_named(
        "getitem", *(() if isinstance(i, int) else tuple(i.shape) for i in idx_arrays))
    total = math.prod(adv_sizes)
    rest_shape = tuple(y.shape[k] for k in rest_pos)
    if math.prod(bshape) == 0:
        res = full_scalar(0, x.dtype, bshape + rest_shape)
    elif total == 0:
        if not fill:
            raise FnxIndexError(f"index is out of bounds: cannot take a non-empty selection "
                                f"from an empty axis (shape {tuple(x.shape)})")
        res = full_like_weak(x, fill_scalar("at.get", fill_value, x.dtype), bshape + rest_shape)
    else:
        if mode in (None, "promise_in_bounds"):
            for i, n in zip(idx_arrays, adv_sizes):
                if isinstance(i, int):
                    _check_static_int(i, n, "advanced")
        res = _gather_flat(y, adv_pos, rest_pos, idx_arrays, adv_sizes, bshape, fill)
        if fill:
            res, valid = res
            if valid is not None:
                valid = lax.broadcast_in_dim(valid, res.shape, tuple(range(len(bshape))))
                fv = fill_scalar("at.get", fill_value, x.dtype)
                res = lax.select(valid, res, full_like_weak(res, fv))
    nb = len(bshape)
    if adjacent:
        p = sum(1 for k in rest_pos if k < adv_pos[0])
        perm = list(range(nb, nb + p)) + list(range(nb)) + list(range(nb + p, res.ndim))
        res = lax.transpose(res, tuple(perm))
    return res


def _gather_flat(y, adv_pos, rest_pos, idx_arrays, adv_sizes, bshape, fill):
    """One gather of ``y``'s advanced axes flattened into one; with ``fill`` also returns the
    mask (of ``bshape``, or None when every index is known in range) of valid positions."""
    total = math.prod(adv_sizes)
    dt = _index_dtype(total)
    flat, valid = None, None
    stride = total
    for i, n in zip(idx_arrays, adv_sizes):
        stride //= n
        if fill:
            j, ok = _normalise_index(i, n, dt, clamp=False)
            # clamped all the same: an out-of-range component must not carry into the flat
            # index of another axis (its position is masked out afterwards)
            j = lax.clamp(full_scalar(0, dt), j, full_scalar(n - 1, dt))
            valid = _and_mask(valid, ok, bshape)
        else:
            j, _ = _normalise_index(i, n, dt, clamp=True)
        j = broadcast_to_shape(j, bshape)
        if stride != 1:
            j = lax.mul(j, full_scalar(stride, dt, bshape))
        flat = j if flat is None else lax.add(flat, j)
    moved = lax.transpose(y, tuple(adv_pos + rest_pos))
    moved = lax.reshape(moved, (total,) + tuple(y.shape[k] for k in rest_pos))
    res = lax.gather(moved, flat)
    return (res, valid) if fill else res


def _and_mask(valid, ok, shape):
    """``valid & ok`` of ``shape``; ``ok`` is a bool (a static index) or a bool array."""
    if ok is True:
        return valid
    ok = full_scalar(False, dtypes.bool_, shape) if ok is False else broadcast_to_shape(ok, shape)
    return ok if valid is None else lax.bitwise_and(valid, ok)


# ---------------------------------------------------------------------------------------------
# Scatter: x.at[idx].set / add / multiply / min / max
# ---------------------------------------------------------------------------------------------

def _scatter(x, idx, values, prim_fn, name, mode=None):
    """``x`` with ``prim_fn`` applied at ``x[idx]``; ``mode`` "clip" clamps out-of-range indices,
    every other mode drops their updates (jax's rule)."""
    _check_at_mode(name, mode)
    x = asarray_arg(name, x)
    v = asarray_arg(name, values)
    if x.dtype != v.dtype:
        v = to_dtype(v, x.dtype)
    shape = tuple(x.shape)
    entries, has_adv, adjacent = _parse(shape, idx)
    entries_t = entries
    # classify consumed dims
    indexed = []      # (dim, component) component: int | array (adv/dyn) | ("iota", start, step, n)
    full_dims = []
    view = []         # tags of x[idx]'s dims: ("B",) block, ("S", j), ("F", d), ("N", size)
    s_lens = []
    adv_components = []
    b_inserted = False
    adjacent = has_adv and adjacent
    for e, d in entries_t:
        kind = e[0]
        if d is None:
            view.append(("N", 0 if e[1] else 1))
            continue
        n = shape[d]
        if kind == "slice":
            start, stop, step = e[1].indices(n)
            count = len(range(start, stop, step))
            if start == 0 and step == 1 and count == n:
                full_dims.append(d)
                view.append(("F", d))
            else:
                indexed.append((d, ("iota", start, step, count, len(s_lens))))
                view.append(("S", len(s_lens)))
                s_lens.append(count)
        elif kind in ("int", "dyn", "cint"):
            indexed.append((d, e[1]))
        else:
            indexed.append((d, e[1]))
            adv_components.append(e[1])
            if not b_inserted and adjacent:
                view.append(("B",))
                b_inserted = True
    bshape = broadcast_shapes_named(
        name, *(() if isinstance(i, int) else tuple(i.shape) for i in adv_components)) \
        if has_adv else ()
    if has_adv and not adjacent:
        view.insert(0, ("B",))
    view_shape = []
    for t in view:
        if t[0] == "B":
            view_shape += list(bshape)
        elif t[0] == "S":
            view_shape.append(s_lens[t[1]])
        elif t[0] == "F":
            view_shape.append(shape[t[1]])
        else:
            view_shape.append(t[1])
    view_shape = tuple(view_shape)
    # numpy lets the update carry extra leading size-1 dims
    while v.ndim > len(view_shape) and v.shape[0] == 1:
        v = lax.reshape(v, tuple(v.shape[1:]))
    v = broadcast_to_shape(v, broadcast_shapes_named(name, tuple(v.shape), view_shape)) \
        if tuple(v.shape) != view_shape else v
    if tuple(v.shape) != view_shape:
        from ..errors import ShapeError
        raise ShapeError(f"{name}: cannot broadcast update of shape {tuple(v.shape)} to the "
                         f"indexed shape {view_shape}")
    _check_scalar_index_on_empty_axis(name, indexed, shape)
    if any(t[0] == "N" and t[1] == 0 for t in view):
        return x  # x.at[False]: selects nothing
    grid = tuple(bshape) + tuple(s_lens)
    n_grid = math.prod(grid)
    if n_grid == 0 or not indexed:
        if not indexed:  # x.at[...] / x.at[:, :] : every element
            return _whole(x, v, view, view_shape, prim_fn, name)
        return x
    if any(shape[d] == 0 for d, _ in indexed):
        return x  # index arrays into an empty axis: every update is out of range, dropped
    # updates -> grid + R  (drop N dims, order B, S..., F...)
    tags_full = _expand_tags(view, bshape)
    v = lax.reshape(v, tuple(sz for t, sz in zip(tags_full, view_shape) if t[0] != "N"))
    tags = [t for t in tags_full if t[0] != "N"]
    order = ([k for k, t in enumerate(tags) if t[0] == "Bd"]
             + sorted((k for k, t in enumerate(tags) if t[0] == "S"), key=lambda k: tags[k][1])
             + [k for k, t in enumerate(tags) if t[0] == "F"])
    v = lax.transpose(v, tuple(order))
    r_shape = tuple(shape[d] for d in full_dims)
    v = lax.reshape(v, (n_grid,) + r_shape)
    # the combined flat index over the indexed dims (in x order)
    indexed.sort(key=lambda t: t[0])
    sizes = [shape[d] for d, _ in indexed]
    total = math.prod(sizes)
    dt = _index_dtype(total)
    flat, valid, stride = None, None, total
    nb = len(bshape)
    for (d, comp), n in zip(indexed, sizes):
        stride //= n
        if isinstance(comp, tuple) and comp[0] == "iota":
            _, start, step, count, j = comp
            vec = lax.iota(dt, count)
            if step != 1:
                vec = lax.mul(vec, full_scalar(step, dt, (count,)))
            if start:
                vec = lax.add(vec, full_scalar(start, dt, (count,)))
            comp_g = lax.broadcast_in_dim(vec, grid, (nb + j,))
            ok = None
        else:
            c, ok = _normalise_index(comp, n, dt, clamp=mode == "clip")
            if isinstance(ok, bool):
                if not ok:
                    return x  # a static out-of-range int: every update is dropped
                ok = None
            # adv arrays broadcast (right-aligned) into the B block of the grid
            c_nd = c.ndim
            comp_g = lax.broadcast_in_dim(c, grid, tuple(range(nb - c_nd, nb))) \
                if c_nd else lax.broadcast_in_dim(c, grid, ())
            if ok is not None:
                ok = lax.broadcast_in_dim(ok, grid, tuple(range(nb - c_nd, nb)))
        if stride != 1:
            comp_g = lax.mul(comp_g, full_scalar(stride, dt, grid))
        flat = comp_g if flat is None else lax.add(flat, comp_g)
        if ok is not None:
            valid = ok if valid is None else lax.bitwise_and(valid, ok)
    if valid is not None:
        flat = lax.select(valid, flat, full_scalar(total, dt, grid))
    flat = lax.reshape(flat, (n_grid,))
    idx_dims = [d for d, _ in indexed]
    perm = tuple(idx_dims + full_dims)
    xt = lax.transpose(x, perm)
    xt = lax.reshape(xt, (total,) + r_shape)
    out = prim_fn(xt, flat, v)
    out = lax.reshape(out, tuple(shape[d] for d in perm))
    inv = [0] * len(perm)
    for k, p in enumerate(perm):
        inv[p] = k
    return lax.transpose(out, tuple(inv))


def _check_scalar_index_on_empty_axis(name, indexed, shape):
    """An integer index into an axis of size 0 has nothing to address, whatever the mode (jax
    raises too); index arrays there only drop their updates."""
    for d, comp in indexed:
        if shape[d] == 0 and (isinstance(comp, int) or (isinstance(comp, ArrayBase)
                                                        and comp.ndim == 0)):
            shown = comp if isinstance(comp, int) else f"(traced {comp.aval.str_short()})"
            raise FnxIndexError(f"{name}: index {shown} is out of bounds for axis {d} with "
                                "size 0")


def _expand_tags(view, bshape):
    out = []
    for t in view:
        if t[0] == "B":
            out += [("Bd",)] * len(bshape)
        else:
            out.append(t)
    return out


def _whole(x, v, view, view_shape, prim_fn, name):
    """Update of every element (x.at[...] or all-full slices): elementwise, no scatter."""
    v = lax.reshape(v, tuple(x.shape))
    if prim_fn is lax.scatter:
        return v
    op = {lax.scatter_add: lax.add, lax.scatter_mul: lax.mul, lax.scatter_min: lax.min,
          lax.scatter_max: lax.max}[prim_fn]
    if x.dtype == dtypes.bool_ and op in (lax.add, lax.mul):
        op = lax.bitwise_or if op is lax.add else lax.bitwise_and
    return op(x, v)


class _IndexUpdateRef:
    """``x.at[idx]``: functional updates of the elements ``x[idx]`` selects."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None,
            fill_value=None):
        """``x[idx]``; ``mode`` "clip" clamps every index, "fill" / "drop" give ``fill_value``
        (default NaN / the int dtype's extreme / True) where an index is out of range; None /
        "promise_in_bounds" clamp index arrays and raise for static ints (numpy)."""
        _check_at_mode("at.get", mode)
        return getitem(self.array, self.index, mode=mode, fill_value=fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] = values`` (last write wins for repeated indices).  Out-of-range
        indices: "clip" clamps them; None / "drop" / "fill" / "promise_in_bounds" drop the
        update (jax's rule); every update method takes the same ``mode``."""
        return _scatter(self.array, self.index, values, lax.scatter, "at.set", mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``values`` added at ``idx`` (repeated indices accumulate, as np.add.at)."""
        fn = lax.scatter_add
        if self.array.dtype == dtypes.bool_:
            fn = lax.scatter_max
        return _scatter(self.array, self.index, values, fn, "at.add", mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] *= values`` (repeated indices accumulate)."""
        fn = lax.scatter_mul
        if self.array.dtype == dtypes.bool_:
            fn = lax.scatter_min
        return _scatter(self.array, self.index, values, fn, "at.multiply", mode)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x / (1 at untouched positions, ``values`` at ``idx``) -- float result."""
        from ._ufuncs import divide
        from ._creation import ones_like
        x = self.array
        dt = x.dtype if x.dtype.kind == "f" else dtypes.default_float
        denom = _scatter(ones_like(x, dtype=dt), self.index, values, lax.scatter_mul,
                         "at.divide", mode)
        return divide(x, denom)

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] **= values``."""
        from ._ufuncs import power
        from ._creation import ones_like
        x = self.array
        expo = _scatter(ones_like(x), self.index, values, lax.scatter, "at.power", mode)
        return power(x, expo)

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] = minimum(x[idx], values)``."""
        return _scatter(self.array, self.index, values, lax.scatter_min, "at.min", mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] = maximum(x[idx], values)``."""
        return _scatter(self.array, self.index, values, lax.scatter_max, "at.max", mode)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        """x with ``x[idx] = func(x[idx])`` (func elementwise)."""
        _check_at_mode("at.apply", mode)
        # the read must see the same positions the write reaches: clamped for "clip"; any
        # other mode drops an out-of-range position (jax), so the read's fill there is moot
        read_mode = "clip" if mode == "clip" else "fill"
        return self.set(func(self.get(mode=read_mode)), mode=mode)


class _IndexUpdateHelper:
    """The ``x.at`` property: ``x.at[idx].set(v)`` instead of numpy's ``x[idx] = v``."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"


__all__ = ["getitem"]
