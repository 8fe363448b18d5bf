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
from ..core import Array, Primitive, ShapedArray, bind, get_aval
from ..interpreters import ad
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

broadcast_in_dim_p = Primitive("broadcast_in_dim")


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

reshape_p = Primitive("reshape")


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

transpose_p = Primitive("transpose")


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


def transpose(x, permutation):
    """Permute the axes of ``x``: output axis i is input axis ``permutation[i]``."""
    x = as_operand(x)
    permutation = as_int_tuple(permutation, "transpose", "permutation")
    if permutation == tuple(range(x.ndim)):
        return x
    return bind(transpose_p, x, permutation=permutation)


# -- squeeze / expand_dims --------------------------------------------------------------------

squeeze_p = Primitive("squeeze")


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


def squeeze(x, dimensions):
    """Remove the size-1 axes ``dimensions``."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim, "squeeze")
    if not dimensions:
        return x
    return bind(squeeze_p, x, dimensions=dimensions)


expand_dims_p = Primitive("expand_dims")


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


def expand_dims(x, dimensions):
    """Insert size-1 axes at ``dimensions`` (positions in the output)."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim + len(tuple(np.atleast_1d(dimensions))),
                                "expand_dims")
    return bind(expand_dims_p, x, dimensions=dimensions)


# -- rev --------------------------------------------------------------------------------------

rev_p = Primitive("rev")


@rev_p.def_abstract_eval
def _rev_abstract_eval(x, *, dimensions):
    check_axes_in_range("rev", dimensions, x.ndim, x)
    return ShapedArray(x.shape, x.dtype, x.weak_type)


@_linear_transpose
def _rev_transpose_rule(ct, x, *, dimensions):
    return [rev(ct, dimensions)]


ad.deflinear(rev_p, _rev_transpose_rule)


def rev(x, dimensions):
    """Reverse ``x`` along ``dimensions``."""
    x = as_operand(x)
    dimensions = canonical_axes(dimensions, x.ndim, "rev")
    if not dimensions:
        return x
    return bind(rev_p, x, dimensions=dimensions)


# -- slice ------------------------------------------------------------------------------------

slice_p = Primitive("slice")


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


dynamic_slice_p = Primitive("dynamic_slice")


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


def dynamic_slice(x, start_indices, slice_sizes):
    """``x[s0:s0+n0, ...]`` with traced starts, clamped so that the slice fits (as JAX)."""
    x = as_operand(x)
    starts = [as_operand(s, dtypes.int32) for s in start_indices]
    slice_sizes = as_int_tuple(slice_sizes, "dynamic_slice", "slice_sizes")
    return bind(dynamic_slice_p, x, *starts, slice_sizes=slice_sizes)


dynamic_update_slice_p = Primitive("dynamic_update_slice")


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


def dynamic_update_slice(x, update, start_indices):
    """``x`` with ``update`` written at traced ``start_indices`` (clamped to fit)."""
    x, update = as_operands(x, update)
    starts = [as_operand(s, dtypes.int32) for s in start_indices]
    return bind(dynamic_update_slice_p, x, update, *starts)


def clamp_start_indices(starts, operand_shape, sizes):
    """JAX's rule: each start is clamped into [0, dim - size]."""
    return tuple(int(np.clip(s, 0, d - n)) for s, d, n in zip(starts, operand_shape, sizes))


# -- concatenate ------------------------------------------------------------------------------

concatenate_p = Primitive("concatenate")


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


def concatenate(operands, dimension):
    """Join arrays of equal dtype along ``dimension``."""
    xs = as_operands(*operands)
    if not xs:
        raise InvalidArgumentError("concatenate: needs at least one operand")
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, dimension=operator.index(dimension))


# -- pad --------------------------------------------------------------------------------------

pad_p = Primitive("pad")


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


def pad(x, padding_value, padding_config):
    """Pad with (low, high, interior) per dimension; low/high may be negative (cropping)."""
    x, padding_value = as_operands(x, padding_value)
    padding_config = tuple(as_int_tuple(c, "pad", "padding_config entries")
                           for c in padding_config)
    return bind(pad_p, x, padding_value, padding_config=padding_config)


# -- iota -------------------------------------------------------------------------------------

iota_p = Primitive("iota")


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
