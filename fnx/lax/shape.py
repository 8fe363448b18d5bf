"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims, rev, slice,
dynamic_slice, dynamic_update_slice, concatenate, pad and iota.

On the CPU most of them are zero-copy strided views over the operand's buffer (the C kernels
take strides); pad, concatenate, dynamic_update_slice and iota write new buffers in C.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, bind, get_aval
from ..interpreters import ad, batching
from ..errors import FnxIndexError, InvalidArgumentError, dtype_error, shape_error
from ._util import (INTEGER, as_int_tuple, as_operand, as_operands, canonical_axes,
                    check_axes_in_range, check_same_dtypes)


def _prod(shape) -> int:
    return math.prod(shape)


# -- helpers for the autodiff rules -----------------------------------------------------------

def _zero_scalar(dtype):
    return Array(np.zeros((), dtype))


def _zeros(aval):
    return ad.zeros_like_aval(aval)


def _aval_of(x):
    return x.aval if ad.is_undefined(x) else get_aval(x)


def _linear_transpose(rule):
    """Wrap a transpose rule so that a symbolic ``Zero`` cotangent gives ``Zero`` cotangents
    for the undefined operands (and None for the others) without running ``rule``."""
    def wrapped(ct, *operands, **params):
        if isinstance(ct, ad.Zero):
            return [ad.Zero(x.aval) if ad.is_undefined(x) else None for x in operands]
        return rule(ct, *operands, **params)
    wrapped.__name__ = rule.__name__
    wrapped.__doc__ = rule.__doc__
    return wrapped


# -- broadcast_in_dim -------------------------------------------------------------------------

broadcast_in_dim_p = Primitive("broadcast_in_dim", fusion=Fusion.MOVEMENT)


@broadcast_in_dim_p.def_abstract_eval
def _broadcast_in_dim_abstract_eval(x, *, shape, broadcast_dimensions):
    if len(broadcast_dimensions) != x.ndim:
        raise shape_error("broadcast_in_dim", f"broadcast_dimensions {broadcast_dimensions} must "
                          f"have one entry per operand dimension", x)
    if list(broadcast_dimensions) != sorted(set(broadcast_dimensions)):
        raise shape_error("broadcast_in_dim", f"broadcast_dimensions {broadcast_dimensions} must "
                          "be strictly increasing", x)
    for d, od in zip(x.shape, broadcast_dimensions):
        if not 0 <= od < len(shape):
            raise shape_error("broadcast_in_dim", f"broadcast dimension {od} is out of range for "
                              f"target shape {shape}", x)
        if d != 1 and d != shape[od]:
            raise shape_error("broadcast_in_dim", f"cannot broadcast operand dimension of size {d}"
                              f" to size {shape[od]} (target shape {shape})", x)
    return ShapedArray(shape, x.dtype, x.weak_type)


@_linear_transpose
def _broadcast_in_dim_transpose_rule(ct, x, *, shape, broadcast_dimensions):
    # Sum over the new axes and over the operand's size-1 axes that were stretched.
    stretched = tuple(od for d, od in zip(x.aval.shape, broadcast_dimensions)
                      if d == 1 and shape[od] != 1)
    new = tuple(i for i in range(len(shape)) if i not in broadcast_dimensions)
    from .reduction import reduce_sum
    summed = reduce_sum(ct, tuple(sorted(new + stretched)))
    return [reshape(summed, x.aval.shape)]


ad.deflinear(broadcast_in_dim_p, _broadcast_in_dim_transpose_rule)


def _broadcast_in_dim_batching_rule(axis_size, args, dims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return bind(broadcast_in_dim_p, x, shape=(axis_size,) + tuple(shape),
                broadcast_dimensions=(0,) + tuple(b + 1 for b in broadcast_dimensions)), 0


batching.batching_rules[broadcast_in_dim_p] = _broadcast_in_dim_batching_rule


def broadcast_in_dim(x, shape, broadcast_dimensions):
    """Broadcast ``x`` to ``shape``; operand dimension i maps to ``broadcast_dimensions[i]``."""
    x = as_operand(x)
    shape = as_int_tuple(shape, "broadcast_in_dim", "shape")
    broadcast_dimensions = as_int_tuple(broadcast_dimensions, "broadcast_in_dim",
                                        "broadcast_dimensions")
    if x.shape == shape and broadcast_dimensions == tuple(range(len(shape))):
        return x
    return bind(broadcast_in_dim_p, x, shape=shape, broadcast_dimensions=broadcast_dimensions)


def broadcast(x, sizes):
    """Add leading dimensions of ``sizes`` (lax.broadcast)."""
    x = as_operand(x)
    sizes = as_int_tuple(sizes, "broadcast", "sizes")
    n = len(sizes)
    return broadcast_in_dim(x, sizes + tuple(x.shape), tuple(range(n, n + x.ndim)))


# -- reshape ----------------------------------------------------------------------------------

reshape_p = Primitive("reshape", fusion=Fusion.MOVEMENT)


@reshape_p.def_abstract_eval
def _reshape_abstract_eval(x, *, new_sizes):
    if any(d < 0 for d in new_sizes) or _prod(new_sizes) != _prod(x.shape):
        raise shape_error("reshape", f"cannot reshape an array of shape {tuple(x.shape)} "
                          f"({_prod(x.shape)} elements) into shape {new_sizes}", x)
    return ShapedArray(new_sizes, x.dtype, x.weak_type)


@_linear_transpose
def _reshape_transpose_rule(ct, x, *, new_sizes):
    return [reshape(ct, x.aval.shape)]


ad.deflinear(reshape_p, _reshape_transpose_rule)


def _reshape_batching_rule(axis_size, args, dims, *, new_sizes):
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return bind(reshape_p, x, new_sizes=(axis_size,) + tuple(new_sizes)), 0


batching.batching_rules[reshape_p] = _reshape_batching_rule


def reshape(x, new_sizes, dimensions=None):
    """Reshape (row-major); ``dimensions`` optionally transposes the operand first."""
    x = as_operand(x)
    new_sizes = as_int_tuple(new_sizes, "reshape", "new_sizes")
    if dimensions is not None and tuple(dimensions) != tuple(range(x.ndim)):
        x = transpose(x, dimensions)
    if x.shape == new_sizes:
        return x
    return bind(reshape_p, x, new_sizes=new_sizes)


# -- transpose --------------------------------------------------------------------------------

transpose_p = Primitive("transpose", fusion=Fusion.MOVEMENT)


@transpose_p.def_abstract_eval
def _transpose_abstract_eval(x, *, permutation):
    if sorted(permutation) != list(range(x.ndim)):
        raise shape_error("transpose", f"permutation {permutation} is not a permutation of the "
                          f"operand's {x.ndim} axes", x)
    return ShapedArray(tuple(x.shape[p] for p in permutation), x.dtype, x.weak_type)


@_linear_transpose
def _transpose_transpose_rule(ct, x, *, permutation):
    return [transpose(ct, tuple(int(i) for i in np.argsort(permutation)))]


ad.deflinear(transpose_p, _transpose_transpose_rule)


def _transpose_batching_rule(axis_size, args, dims, *, permutation):
    # one transpose that also brings the batch axis to the front
    (x,), (d,) = args, dims
    perm = (d,) + batching.shift_axes(permutation, d)
    return bind(transpose_p, x, permutation=perm), 0


batching.batching_rules[transpose_p] = _transpose_batching_rule


def transpose(x, permutation):
    """Permute the axes of ``x``: output axis i is input axis ``permutation[i]``."""
    x = as_operand(x)
    permutation = as_int_tuple(permutation, "transpose", "permutation")
    if permutation == tuple(range(x.ndim)):
        return x
    return bind(transpose_p, x, permutation=permutation)


# -- squeeze / expand_dims --------------------------------------------------------------------

squeeze_p = Primitive("squeeze", fusion=Fusion.MOVEMENT)


@squeeze_p.def_abstract_eval
def _squeeze_abstract_eval(x, *, dimensions):
    check_axes_in_range("squeeze", dimensions, x.ndim, x)
    for d in dimensions:
        if x.shape[d] != 1:
            raise shape_error("squeeze", f"cannot squeeze axis {d} of size {x.shape[d]} "
                              "(only size-1 axes can be squeezed)", x)
    shape = tuple(s for i, s in enumerate(x.shape) if i not in dimensions)
    return ShapedArray(shape, x.dtype, x.weak_type)


@_linear_transpose
def _squeeze_transpose_rule(ct, x, *, dimensions):
    return [expand_dims(ct, dimensions)]


ad.deflinear(squeeze_p, _squeeze_transpose_rule)


def _squeeze_batching_rule(axis_size, args, dims, *, dimensions):
    (x,), (d,) = args, dims
    full = batching.shift_axes(dimensions, d)
    return bind(squeeze_p, x, dimensions=full), d - sum(1 for a in full if a < d)


batching.batching_rules[squeeze_p] = _squeeze_batching_rule


def squeeze(x, dimensions):
    """Remove the size-1 axes ``dimensions``."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim, "squeeze")
    if not dimensions:
        return x
    return bind(squeeze_p, x, dimensions=dimensions)


expand_dims_p = Primitive("expand_dims", fusion=Fusion.MOVEMENT)


@expand_dims_p.def_abstract_eval
def _expand_dims_abstract_eval(x, *, dimensions):
    check_axes_in_range("expand_dims", dimensions, x.ndim + len(dimensions), x)
    shape = list(x.shape)
    for d in dimensions:
        shape.insert(d, 1)
    return ShapedArray(shape, x.dtype, x.weak_type)


@_linear_transpose
def _expand_dims_transpose_rule(ct, x, *, dimensions):
    return [squeeze(ct, dimensions)]


ad.deflinear(expand_dims_p, _expand_dims_transpose_rule)


def _expand_dims_batching_rule(axis_size, args, dims, *, dimensions):
    # `dimensions` index the output: with the batch axis in front they all move up by one
    (x,), (d,) = args, dims
    x = batching.moveaxis(x, d, 0)
    return bind(expand_dims_p, x, dimensions=tuple(a + 1 for a in dimensions)), 0


batching.batching_rules[expand_dims_p] = _expand_dims_batching_rule


def expand_dims(x, dimensions):
    """Insert size-1 axes at ``dimensions`` (positions in the output)."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim + len(tuple(np.atleast_1d(dimensions))),
                                "expand_dims")
    return bind(expand_dims_p, x, dimensions=dimensions)


# -- rev --------------------------------------------------------------------------------------

rev_p = Primitive("rev", fusion=Fusion.MOVEMENT)


@rev_p.def_abstract_eval
def _rev_abstract_eval(x, *, dimensions):
    check_axes_in_range("rev", dimensions, x.ndim, x)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


@_linear_transpose
def _rev_transpose_rule(ct, x, *, dimensions):
    return [rev(ct, dimensions)]


ad.deflinear(rev_p, _rev_transpose_rule)


def _rev_batching_rule(axis_size, args, dims, *, dimensions):
    (x,), (d,) = args, dims
    return bind(rev_p, x, dimensions=batching.shift_axes(dimensions, d)), d


batching.batching_rules[rev_p] = _rev_batching_rule


def rev(x, dimensions):
    """Reverse ``x`` along ``dimensions``."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim, "rev")
    if not dimensions:
        return x
    return bind(rev_p, x, dimensions=dimensions)


# -- slice ------------------------------------------------------------------------------------

slice_p = Primitive("slice", fusion=Fusion.MOVEMENT)


@slice_p.def_abstract_eval
def _slice_abstract_eval(x, *, start_indices, limit_indices, strides):
    if not len(start_indices) == len(limit_indices) == len(strides) == x.ndim:
        raise shape_error("slice", f"start {start_indices}, limit {limit_indices} and strides "
                          f"{strides} need one entry per operand dimension", x)
    shape = []
    for d, lo, hi, st in zip(x.shape, start_indices, limit_indices, strides):
        if not 0 <= lo <= hi <= d or st < 1:
            raise FnxIndexError(f"slice: start {start_indices} / limit {limit_indices} / strides "
                                f"{strides} are out of range for shape {tuple(x.shape)}")
        shape.append(max(0, -(-(hi - lo) // st)))
    return ShapedArray(shape, x.dtype, x.weak_type)


@_linear_transpose
def _slice_transpose_rule(ct, x, *, start_indices, limit_indices, strides):
    # Scatter the cotangent back with zeros: low = start, interior = stride - 1, and the high
    # padding that restores the operand's size (the tail the slice never reached).
    config = []
    for d, n, lo, st in zip(x.aval.shape, ct.shape, start_indices, strides):
        used = n + max(n - 1, 0) * (st - 1)
        config.append((lo, d - lo - used, st - 1))
    return [pad(ct, _zero_scalar(x.aval.dtype), tuple(config))]


ad.deflinear(slice_p, _slice_transpose_rule)


def _slice_batching_rule(axis_size, args, dims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, dims
    strides = strides if strides is not None else (1,) * len(start_indices)

    def insert(seq, value):
        seq = list(seq)
        seq.insert(d, value)
        return tuple(seq)
    return bind(slice_p, x, start_indices=insert(start_indices, 0),
                limit_indices=insert(limit_indices, axis_size), strides=insert(strides, 1)), d


batching.batching_rules[slice_p] = _slice_batching_rule


def slice(x, start_indices, limit_indices, strides=None):
    """Static slice ``x[start:limit:stride]`` per dimension (0 <= start <= limit <= size)."""
    x = as_operand(x)
    start_indices = as_int_tuple(start_indices, "slice", "start_indices")
    limit_indices = as_int_tuple(limit_indices, "slice", "limit_indices")
    strides = (1,) * x.ndim if strides is None else as_int_tuple(strides, "slice", "strides")
    if start_indices == (0,) * x.ndim and limit_indices == tuple(x.shape) and \
            strides == (1,) * x.ndim:
        return x
    return bind(slice_p, x, start_indices=start_indices, limit_indices=limit_indices,
                strides=strides)


def slice_in_dim(x, start, limit, stride=1, axis=0):
    x = as_operand(x)
    starts = [0] * x.ndim
    limits = list(x.shape)
    strides = [1] * x.ndim
    starts[axis], limits[axis], strides[axis] = start, limit, stride
    return slice(x, starts, limits, strides)


# -- dynamic_slice / dynamic_update_slice -----------------------------------------------------

def _check_start_indices(op, x, starts):
    if len(starts) != x.ndim:
        raise shape_error(op, f"needs one start index per operand dimension, got {len(starts)}",
                          x)
    for s in starts:
        if s.shape != () or s.dtype not in INTEGER:
            raise dtype_error(op, "start indices must be integer scalars", *starts)


def _start_index_operands(op, start_indices):
    """The start indices as int32-defaulting operands.  A Python float or bool is refused here
    (as JAX does): converted to int32 it would be silently truncated (2.7 -> 2)."""
    out = []
    for k, s in enumerate(start_indices):
        if isinstance(s, (bool, float, complex)) or (
                isinstance(s, np.generic) and not np.issubdtype(type(s), np.integer)):
            raise dtype_error(op, f"start indices must be integer scalars, got "
                                  f"{type(s).__name__} {s!r} at position {k}")
        out.append(as_operand(s, dtypes.int32))
    return out


dynamic_slice_p = Primitive("dynamic_slice", fusion=Fusion.MOVEMENT)


@dynamic_slice_p.def_abstract_eval
def _dynamic_slice_abstract_eval(x, *starts, slice_sizes):
    _check_start_indices("dynamic_slice", x, starts)
    for d, s in zip(x.shape, slice_sizes):
        if not 0 <= s <= d:
            raise shape_error("dynamic_slice", f"slice_sizes {slice_sizes} do not fit the "
                              f"operand shape {tuple(x.shape)}", x)
    return ShapedArray(slice_sizes, x.dtype, x.weak_type)


# Linear in the operand only; the start indices are integers and never differentiated.
ad.defjvp(dynamic_slice_p,
          lambda g, x, *starts, slice_sizes: bind(dynamic_slice_p, g, *starts,
                                                   slice_sizes=slice_sizes))


@_linear_transpose
def _dynamic_slice_transpose_rule(ct, x, *starts, slice_sizes):
    # dynamic_update_slice clamps the starts exactly as dynamic_slice does.
    ct_x = dynamic_update_slice(_zeros(x.aval), ct, starts) if ad.is_undefined(x) else None
    return [ct_x] + [None] * len(starts)


ad.deftranspose(dynamic_slice_p, _dynamic_slice_transpose_rule)


def _window_indices(start, dim: int, size: int):
    """Per-example windows ``[s, s + size)`` of an axis of length ``dim`` as gather indices
    ``(B, size)``, for batched starts ``(B,)`` clamped as dynamic_slice clamps them."""
    from .elementwise import add, clamp, convert_element_type
    # int64 holds every start of every integer dtype: clamp there, then index in int64
    start = clamp(0, convert_element_type(start, dtypes.int64), dim - size)
    shape = (start.shape[0], size)
    return add(broadcast_in_dim(start, shape, (0,)), broadcasted_iota(dtypes.int64, shape, 1))


def _gather_axis(y, batched: bool, axis: int, indices):
    """Gather per-example ``indices`` (B, n) along per-example ``axis`` of ``y`` (batched at 0
    if ``batched``); the result is batched at 0."""
    from .indexing import gather
    if batched:
        y = batching.moveaxis(y, axis + 1, 1)
        out = gather(y, indices, batch_dims=1)
    else:
        y = batching.moveaxis(y, axis, 0)
        out = gather(y, indices, batch_dims=0)
    return batching.moveaxis(out, 1, axis + 1)


def _dynamic_slice_batching_rule(axis_size, args, dims, *, slice_sizes):
    (x, *starts), (xd, *sds) = args, dims
    batched_axes = [k for k, d in enumerate(sds) if d is not None]
    # Unbatched starts: one dynamic_slice, keeping whole the axes whose starts are batched.
    shape = tuple(x.shape) if xd is None else tuple(x.shape[:xd] + x.shape[xd + 1:])
    zero = Array(np.zeros((), dtypes.int32))
    static_starts = [zero if k in batched_axes else st for k, st in enumerate(starts)]
    static_sizes = [shape[k] if k in batched_axes else n for k, n in enumerate(slice_sizes)]
    if xd is not None:
        x = batching.moveaxis(x, xd, 0)
        static_starts, static_sizes = [zero] + static_starts, [axis_size] + static_sizes
    y = bind(dynamic_slice_p, x, *static_starts, slice_sizes=tuple(static_sizes))
    # Batched starts: a batched gather of each example's window, one axis at a time.
    batched = xd is not None
    for k in batched_axes:
        start = batching.moveaxis(starts[k], sds[k], 0)
        y = _gather_axis(y, batched, k, _window_indices(start, shape[k], slice_sizes[k]))
        batched = True
    return y, 0


batching.batching_rules[dynamic_slice_p] = _dynamic_slice_batching_rule


def dynamic_slice(x, start_indices, slice_sizes):
    """``x[s0:s0+n0, ...]`` with traced starts, clamped so that the slice fits (as JAX)."""
    x = as_operand(x)
    starts = _start_index_operands("dynamic_slice", start_indices)
    slice_sizes = as_int_tuple(slice_sizes, "dynamic_slice", "slice_sizes")
    return bind(dynamic_slice_p, x, *starts, slice_sizes=slice_sizes)


dynamic_update_slice_p = Primitive("dynamic_update_slice", fusion=Fusion.MOVEMENT)


@dynamic_update_slice_p.def_abstract_eval
def _dynamic_update_slice_abstract_eval(x, update, *starts):
    _check_start_indices("dynamic_update_slice", x, starts)
    check_same_dtypes("dynamic_update_slice", x, update)
    if update.ndim != x.ndim or any(u > d for u, d in zip(update.shape, x.shape)):
        raise shape_error("dynamic_update_slice", "the update must have the operand's rank and "
                          "fit inside it", x, update)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


def _dynamic_update_slice_jvp_rule(primals, tangents, **params):
    # Jointly linear in (operand, update); the starts are integer indices.
    x, update, *starts = primals
    t_x, t_update = tangents[:2]
    ans = bind(dynamic_update_slice_p, x, update, *starts, **params)
    if isinstance(t_x, ad.Zero) and isinstance(t_update, ad.Zero):
        return ans, ad.Zero.from_value(ans)
    t_out = bind(dynamic_update_slice_p, ad.instantiate_zeros(t_x),
                 ad.instantiate_zeros(t_update), *starts, **params)
    return ans, t_out


@_linear_transpose
def _dynamic_update_slice_transpose_rule(ct, x, update, *starts):
    ct_x = ct_update = None
    if ad.is_undefined(x):
        # The overwritten window did not come from the operand.
        ct_x = dynamic_update_slice(ct, _zeros(_aval_of(update)), starts)
    if ad.is_undefined(update):
        ct_update = dynamic_slice(ct, starts, update.aval.shape)
    return [ct_x, ct_update] + [None] * len(starts)


ad.jvp_rules[dynamic_update_slice_p] = _dynamic_update_slice_jvp_rule
ad.deftranspose(dynamic_update_slice_p, _dynamic_update_slice_transpose_rule)


def _dynamic_update_slice_batching_rule(axis_size, args, dims):
    (x, update, *starts), (xd, ud, *sds) = args, dims
    x = batching.at_front(x, xd, axis_size)
    update = batching.at_front(update, ud, axis_size)
    if all(d is None for d in sds):
        zero = Array(np.zeros((), dtypes.int32))
        return bind(dynamic_update_slice_p, x, update, zero, *starts), 0
    # Per-example positions: spread the update over the whole operand shape with a gather per
    # axis (each output position reads update[pos - start], clamped), and keep it only inside
    # each example's window.
    from .elementwise import and_, ge, lt, select, sub, clamp, convert_element_type
    shape, ushape = tuple(x.shape[1:]), tuple(update.shape[1:])
    if any(n == 0 for n in ushape):
        return x, 0     # an empty update writes nothing
    inside = None
    for k, (dim, size) in enumerate(zip(shape, ushape)):
        start = batching.at_front(convert_element_type(starts[k], dtypes.int64), sds[k],
                                  axis_size)
        start = clamp(0, start, dim - size)
        rel = sub(broadcasted_iota(dtypes.int64, (axis_size, dim), 1),
                  broadcast_in_dim(start, (axis_size, dim), (0,)))
        update = _gather_axis(update, True, k, clamp(0, rel, size - 1))
        in_k = and_(ge(rel, 0), lt(rel, size))
        in_k = broadcast_in_dim(in_k, (axis_size,) + shape, (0, k + 1))
        inside = in_k if inside is None else and_(inside, in_k)
    if inside is None:      # rank-0 operand: the update replaces it
        return _with_weak_type(update, x.weak_type), 0
    return _with_weak_type(select(inside, update, x), x.weak_type), 0


batching.batching_rules[dynamic_update_slice_p] = _dynamic_update_slice_batching_rule


def dynamic_update_slice(x, update, start_indices):
    """``x`` with ``update`` written at traced ``start_indices`` (clamped to fit)."""
    x, update = as_operands(x, update)
    starts = _start_index_operands("dynamic_update_slice", start_indices)
    return bind(dynamic_update_slice_p, x, update, *starts)


def clamp_start_indices(starts, operand_shape, sizes):
    """JAX's rule: each start is clamped into [0, dim - size]."""
    return tuple(int(np.clip(s, 0, d - n)) for s, d, n in zip(starts, operand_shape, sizes))


# -- concatenate ------------------------------------------------------------------------------

concatenate_p = Primitive("concatenate", fusion=Fusion.MOVEMENT)


@concatenate_p.def_abstract_eval
def _concatenate_abstract_eval(*xs, dimension):
    check_same_dtypes("concatenate", *xs)
    ref = xs[0]
    if not 0 <= dimension < max(ref.ndim, 1) or ref.ndim == 0:
        raise shape_error("concatenate", f"dimension {dimension} is out of range", *xs)
    for x in xs:
        if x.ndim != ref.ndim or any(a != b for i, (a, b) in enumerate(zip(x.shape, ref.shape))
                                     if i != dimension):
            raise shape_error("concatenate", "operands must agree on every dimension except "
                              f"dimension {dimension}", *xs)
    shape = list(ref.shape)
    shape[dimension] = sum(x.shape[dimension] for x in xs)
    return ShapedArray(shape, ref.dtype, all(x.weak_type for x in xs))


@_linear_transpose
def _concatenate_transpose_rule(ct, *xs, dimension):
    cts, offset = [], 0
    for x in xs:
        shape = tuple(_aval_of(x).shape)
        size = shape[dimension]
        if ad.is_undefined(x):
            start = [0] * len(shape)
            limit = list(shape)
            start[dimension], limit[dimension] = offset, offset + size
            cts.append(slice(ct, start, limit))
        else:
            cts.append(None)
        offset += size
    return cts


ad.deflinear(concatenate_p, _concatenate_transpose_rule)


def _concatenate_batching_rule(axis_size, args, dims, *, dimension):
    xs = batching.same_batch_dim(axis_size, args, dims, 0)
    return bind(concatenate_p, *xs, dimension=dimension + 1), 0


batching.batching_rules[concatenate_p] = _concatenate_batching_rule


def concatenate(operands, dimension):
    """Join arrays of equal dtype along ``dimension``."""
    xs = as_operands(*operands)
    if not xs:
        raise InvalidArgumentError("concatenate: needs at least one operand")
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, dimension=operator.index(dimension))


# -- pad --------------------------------------------------------------------------------------

pad_p = Primitive("pad", fusion=Fusion.MOVEMENT)


@pad_p.def_abstract_eval
def _pad_abstract_eval(x, padding_value, *, padding_config):
    check_same_dtypes("pad", x, padding_value)
    if padding_value.shape != ():
        raise shape_error("pad", "padding_value must be a scalar", padding_value)
    if len(padding_config) != x.ndim:
        raise shape_error("pad", f"padding_config {padding_config} needs one (low, high, "
                          "interior) triple per dimension", x)
    shape = []
    for d, (lo, hi, interior) in zip(x.shape, padding_config):
        if interior < 0:
            raise InvalidArgumentError(f"pad: interior padding must be >= 0, got {padding_config}")
        n = lo + hi + d + max(d - 1, 0) * interior
        if n < 0:
            raise shape_error("pad", f"padding_config {padding_config} gives a negative size", x)
        shape.append(n)
    return ShapedArray(shape, x.dtype, x.weak_type)


@_linear_transpose
def _pad_transpose_rule(ct, x, padding_value, *, padding_config):
    # Operand cotangent: undo the padding.  Negating low/high turns cropping into zero padding
    # (cropped elements get a zero cotangent) and padding into cropping; a strided slice then
    # skips the interior padding.
    from .elementwise import sub
    from .reduction import reduce_sum
    unpad = tuple((-lo, -hi, 0) for lo, hi, _ in padding_config)
    unpadded = pad(ct, _zero_scalar(ct.dtype), unpad)
    ct_x = slice(unpadded, (0,) * ct.ndim, tuple(unpadded.shape),
                 tuple(interior + 1 for _, _, interior in padding_config))
    ct_pv = None
    if ad.is_undefined(padding_value):
        # Every output element that is not an operand element is the padding value.
        axes = tuple(range(ct.ndim))
        ct_pv = sub(reduce_sum(ct, axes), reduce_sum(ct_x, axes))
    return [ct_x if ad.is_undefined(x) else None, ct_pv]


ad.deflinear(pad_p, _pad_transpose_rule)


def _pad_batching_rule(axis_size, args, dims, *, padding_config):
    (x, padding_value), (xd, pd) = args, dims
    if pd is None:
        config = list(padding_config)
        config.insert(xd, (0, 0, 0))
        return bind(pad_p, x, padding_value, padding_config=tuple(config)), xd
    # A padding value per example: pad with anything, then select the padding positions
    # (a mask made by padding an all-True array with False) from the broadcast values.
    from .elementwise import select
    x = batching.at_front(x, xd, axis_size)
    padded = bind(pad_p, x, _zero_scalar(x.dtype), padding_config=((0, 0, 0),) + padding_config)
    example_shape = tuple(x.shape[1:])
    is_operand = pad(broadcast_in_dim(Array(np.ones((), np.bool_)), example_shape, ()),
                     Array(np.zeros((), np.bool_)), padding_config)
    is_operand = batching.broadcast_batched(is_operand, axis_size, 0)
    fill = broadcast_in_dim(padding_value, tuple(padded.shape), (0,))
    return _with_weak_type(select(is_operand, padded, fill), x.weak_type), 0


def _with_weak_type(y, weak: bool):
    """``y`` with the weak type its primitive would have given (a select of a weak and a
    strong operand is strong)."""
    if y.weak_type == weak:
        return y
    from .elementwise import convert_element_type
    return convert_element_type(y, y.dtype, weak_type=weak)


batching.batching_rules[pad_p] = _pad_batching_rule


def pad(x, padding_value, padding_config):
    """Pad with (low, high, interior) per dimension; low/high may be negative (cropping)."""
    x, padding_value = as_operands(x, padding_value)
    padding_config = tuple(as_int_tuple(c, "pad", "padding_config entries")
                           for c in padding_config)
    return bind(pad_p, x, padding_value, padding_config=padding_config)


# -- iota -------------------------------------------------------------------------------------

iota_p = Primitive("iota", fusion=Fusion.MOVEMENT)


@iota_p.def_abstract_eval
def _iota_abstract_eval(*, dtype, shape, dimension):
    if not 0 <= dimension < len(shape):
        raise shape_error("iota", f"dimension {dimension} is out of range for shape {shape}")
    if dtype == dtypes.bool_ or not dtypes.is_supported(dtype):
        raise dtype_error("iota", f"dtype must be a supported numeric dtype, got {dtype}")
    return ShapedArray(shape, dtype, False)


ad.defjvp_zero(iota_p)  # no operands: a constant


def iota(dtype, size: int):
    """``[0, 1, ..., size-1]`` of ``dtype``."""
    return broadcasted_iota(dtype, (operator.index(size),), 0)


def broadcasted_iota(dtype, shape, dimension: int):
    """An array of ``shape`` whose values count along ``dimension``."""
    dtype = dtypes.canonicalize(dtype, "iota")
    shape = as_int_tuple(shape, "iota", "shape")
    return bind(iota_p, dtype=dtype, shape=shape, dimension=operator.index(dimension))
