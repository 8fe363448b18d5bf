"""jax.lax's convenience functions, each a short composition of fnx.lax primitives (so jit,
vmap and grad need nothing of their own): array builders and reshapers (``full``,
``full_like``, ``empty``, ``collapse``, ``split``, ``stack``, ``unstack``, ``tile``,
``broadcast_to_rank``, ``broadcast_like``, ``broadcast_shapes``, ``dtype``), products
(``batch_matmul``, ``ragged_dot``, ``mulhi``), ``cumlogsumexp``, ``index_take`` and the
staging helpers ``composite`` and ``platform_dependent``.
"""
from __future__ import annotations

import builtins
import functools
import math
import operator

import numpy as np

from .. import dtypes
from ..core import get_aval
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ._util import as_operand, canonical_axis
from .elementwise import (abs, add, bitwise_and, convert_element_type, exp, ge, log1p, lt, max,
                          mul, ne, neg, rem, select, shift_right_arithmetic,
                          shift_right_logical, sub)
from .indexing import gather
from .linalg import dot_general
from .reduction import cumsum, reduce_sum
from .scan_util import associative_scan
from .shape import (broadcast_in_dim, broadcasted_iota, concatenate, expand_dims, reshape,
                    slice_in_dim, squeeze, transpose)

__all__ = ["full", "full_like", "empty", "collapse", "split", "stack", "unstack", "tile",
           "broadcast_to_rank", "broadcast_like", "broadcast_shapes", "dtype", "batch_matmul",
           "ragged_dot", "mulhi", "cumlogsumexp", "index_take", "composite",
           "platform_dependent"]


# ---------------------------------------------------------------------------------------------
# builders and reshapers
# ---------------------------------------------------------------------------------------------

def _shape(op: str, shape) -> tuple:
    try:
        shape = (operator.index(shape),) if np.ndim(shape) == 0 else tuple(
            operator.index(d) for d in shape)
    except TypeError:
        raise TypeError(f"{op}: shape must be a sequence of integers, got {shape!r}") from None
    if any(d < 0 for d in shape):
        raise ShapeError(f"{op}: negative dimension in shape {shape}")
    return shape


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with the scalar ``fill_value`` (of ``dtype``, else the
    fill value's dtype; a Python scalar's stays weak), as ``jax.lax.full``."""
    shape = _shape("full", shape)
    value = as_operand(fill_value, op="full")
    if value.ndim != 0:
        raise ShapeError(f"full: fill_value must be a scalar, got shape {tuple(value.shape)}")
    if dtype is not None:
        value = convert_element_type(value, dtypes.canonicalize(dtype, "full"))
    return broadcast_in_dim(value, shape, ())


def full_like(x, fill_value, dtype=None, shape=None):
    """``full`` with ``x``'s shape and dtype unless ``shape`` / ``dtype`` are given."""
    aval = get_aval(as_operand(x, op="full_like"))
    return full(aval.shape if shape is None else shape, fill_value,
                aval.dtype if dtype is None else dtype)


def empty(shape, dtype):
    """An array whose values are unspecified (``jax.lax.empty``); fnx gives zeros."""
    return full(shape, 0, dtypes.canonicalize(dtype, "empty"))


def collapse(operand, start_dimension, stop_dimension=None):
    """Dimensions ``[start_dimension, stop_dimension)`` merged into one (row-major)."""
    x = as_operand(operand, op="collapse")
    lo, hi, _ = slice(start_dimension, stop_dimension).indices(x.ndim)
    if hi < lo:
        raise ShapeError(f"collapse: invalid dimension range [{start_dimension}:"
                         f"{stop_dimension}] for shape {tuple(x.shape)}")
    shape = tuple(x.shape)
    return reshape(x, shape[:lo] + (math.prod(shape[lo:hi]),) + shape[hi:])


def split(operand, sizes, axis=0):
    """``operand`` cut along ``axis`` into consecutive pieces of ``sizes`` (summing to the
    axis' size), as ``jax.lax.split``."""
    x = as_operand(operand, op="split")
    axis = canonical_axis(axis, x.ndim, "split")
    sizes = [operator.index(s) for s in sizes]
    if any(s < 0 for s in sizes) or sum(sizes) != x.shape[axis]:
        raise ShapeError(f"split: sizes {sizes} must be non-negative and sum to the size of "
                         f"axis {axis} ({x.shape[axis]}, shape {tuple(x.shape)})")
    starts = np.cumsum([0] + sizes)
    return [slice_in_dim(x, int(a), int(b), axis=axis) for a, b in zip(starts[:-1], starts[1:])]


def stack(operands, axis=0):
    """Same-shaped arrays joined along a new ``axis``."""
    xs = [as_operand(x, op="stack") for x in operands]
    if not xs:
        raise InvalidArgumentError("stack: needs at least one array")
    axis = canonical_axis(axis, xs[0].ndim + 1, "stack")
    if any(tuple(x.shape) != tuple(xs[0].shape) for x in xs):
        raise ShapeError(f"stack: every array must have the same shape, got "
                         f"{[tuple(x.shape) for x in xs]}")
    return concatenate([expand_dims(x, (axis,)) for x in xs], axis)


def unstack(x, axis=0):
    """The slices of ``x`` along ``axis``, as a tuple."""
    x = as_operand(x, op="unstack")
    axis = canonical_axis(axis, x.ndim, "unstack")
    return tuple(squeeze(slice_in_dim(x, i, i + 1, axis=axis), (axis,))
                 for i in range(x.shape[axis]))


def tile(operand, reps):
    """``operand`` repeated ``reps[d]`` times along each dimension d (len(reps) == ndim)."""
    x = as_operand(operand, op="tile")
    reps = _shape("tile", reps)
    if len(reps) != x.ndim:
        raise ShapeError(f"tile: reps {reps} must have one entry per dimension of shape "
                         f"{tuple(x.shape)}")
    # broadcast to (r0, d0, r1, d1, ...), then merge each (r, d) pair
    interleaved = tuple(v for r, d in zip(reps, x.shape) for v in (r, d))
    y = broadcast_in_dim(x, interleaved, tuple(range(1, 2 * x.ndim, 2)))
    return reshape(y, tuple(r * d for r, d in zip(reps, x.shape)))


def broadcast_to_rank(x, rank):
    """``x`` with leading size-1 dimensions added up to ``rank``."""
    x = as_operand(x, op="broadcast_to_rank")
    rank = operator.index(rank)
    if rank < x.ndim:
        raise ShapeError(f"broadcast_to_rank: rank {rank} is below the operand's rank {x.ndim}")
    return reshape(x, (1,) * (rank - x.ndim) + tuple(x.shape))


def broadcast_shapes(*shapes):
    """The numpy broadcast of the shape tuples ``shapes``."""
    shapes = [_shape("broadcast_shapes", s) for s in shapes]
    if not shapes:
        return ()
    rank = builtins.max(len(s) for s in shapes)
    out = []
    for i in range(rank):
        dims = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0} - {1}
        if len(dims) > 1:
            raise ShapeError(f"broadcast_shapes: incompatible shapes for broadcasting: "
                             f"{tuple(shapes)}")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcast_like(arr, like_arr):
    """``arr`` broadcast (numpy rules) to the shape of ``like_arr``."""
    x = as_operand(arr, op="broadcast_like")
    shape = tuple(get_aval(as_operand(like_arr, op="broadcast_like")).shape)
    if broadcast_shapes(tuple(x.shape), shape) != shape:
        raise ShapeError(f"broadcast_like: cannot broadcast shape {tuple(x.shape)} to {shape}")
    lead = len(shape) - x.ndim
    keep = [i for i in range(x.ndim) if x.shape[i] == shape[lead + i]]
    x = reshape(x, tuple(x.shape[i] for i in keep))
    return broadcast_in_dim(x, shape, tuple(lead + i for i in keep))


def dtype(x):
    """The fnx dtype of a value or type: a Python scalar type or value gives the default
    dtype, an array its own (``jax.lax.dtype``)."""
    if x is None:
        raise InvalidArgumentError("dtype: got None")
    if isinstance(x, type) or isinstance(x, (str, np.dtype)):
        return dtypes.canonicalize(x, "dtype")
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic):
        return dtypes.canonicalize(type(x), "dtype")
    return dtypes.canonicalize(get_aval(as_operand(x, op="dtype")).dtype, "dtype")


# ---------------------------------------------------------------------------------------------
# products
# ---------------------------------------------------------------------------------------------

def batch_matmul(lhs, rhs, precision=None):
    """Matrix products over the last two axes, batched over the (equal) leading ones."""
    lhs, rhs = as_operand(lhs, op="batch_matmul"), as_operand(rhs, op="batch_matmul")
    if builtins.min(lhs.ndim, rhs.ndim) < 2 or lhs.ndim != rhs.ndim:
        raise ShapeError(f"batch_matmul: operands must have the same rank >= 2, got shapes "
                         f"{tuple(lhs.shape)} and {tuple(rhs.shape)}")
    batch = tuple(range(lhs.ndim - 2))
    return dot_general(lhs, rhs, (((lhs.ndim - 1,), (rhs.ndim - 2,)), (batch, batch)),
                       precision=precision)


def ragged_dot(lhs, rhs, group_sizes, precision=None, preferred_element_type=None,
               group_offset=None):
    """``jax.lax.ragged_dot``: rows of ``lhs`` (m, k) in consecutive groups of
    ``group_sizes`` (g,), each group times its matrix of ``rhs`` (g, k, n); rows past the
    groups give zeros.  Computed densely (every group's product, then each row's selected):
    g times the work of one product, simple and differentiable in lhs and rhs."""
    if group_offset is not None:
        raise NotImplementedError("ragged_dot: group_offset is not supported")
    lhs, rhs = as_operand(lhs, op="ragged_dot"), as_operand(rhs, op="ragged_dot")
    sizes = as_operand(group_sizes, op="ragged_dot")
    if lhs.ndim != 2 or rhs.ndim != 3 or sizes.ndim != 1 or lhs.shape[1] != rhs.shape[1] \
            or sizes.shape[0] != rhs.shape[0]:
        raise ShapeError(f"ragged_dot: needs lhs (m, k), rhs (g, k, n) and group_sizes (g,), "
                         f"got {tuple(lhs.shape)}, {tuple(rhs.shape)}, {tuple(sizes.shape)}")
    if not dtypes.is_integer(sizes.dtype):
        raise DTypeError(f"ragged_dot: group_sizes must be integers, got {sizes.dtype}")
    m, g = lhs.shape[0], rhs.shape[0]
    every = dot_general(lhs, rhs, (((1,), (1,)), ((), ())), precision,
                        preferred_element_type)                              # (m, g, n)
    ends = cumsum(convert_element_type(sizes, dtypes.int32), 0)              # (g,)
    rows = broadcasted_iota(dtypes.int32, (m, g), 0)
    starts = sub(ends, convert_element_type(sizes, dtypes.int32))
    in_group = bitwise_and(ge(rows, broadcast_in_dim(starts, (m, g), (1,))),
                           lt(rows, broadcast_in_dim(ends, (m, g), (1,))))    # (m, g)
    mask = broadcast_in_dim(in_group, tuple(every.shape), (0, 1))
    zeros = broadcast_in_dim(np.zeros((), every.dtype), tuple(every.shape), ())
    return reduce_sum(select(mask, every, zeros), (1,))


def _mulhi_64(x, y):
    """The high 64 bits of the 128-bit product of int64 ``x`` and ``y``: the unsigned
    product from 32-bit limbs (every partial sum fits in 64 bits), then the signed
    correction hi(x*y) = hi_u - (x < 0 ? y : 0) - (y < 0 ? x : 0), all modulo 2**64."""
    i64 = dtypes.int64
    low, k32 = np.array(0xFFFFFFFF, i64), np.array(32, i64)
    x0, x1 = bitwise_and(x, low), shift_right_logical(x, k32)
    y0, y1 = bitwise_and(y, low), shift_right_logical(y, k32)
    p00, p01, p10, p11 = mul(x0, y0), mul(x0, y1), mul(x1, y0), mul(x1, y1)
    mid = add(add(shift_right_logical(p00, k32), bitwise_and(p01, low)), bitwise_and(p10, low))
    hi = add(add(p11, shift_right_logical(p01, k32)),
             add(shift_right_logical(p10, k32), shift_right_logical(mid, k32)))
    zero = broadcast_in_dim(np.zeros((), i64), tuple(x.shape), ())
    neg_x = lt(x, np.array(0, i64))
    neg_y = lt(y, np.array(0, i64))
    return sub(sub(hi, select(neg_x, y, zero)), select(neg_y, x, zero))


def mulhi(x, y, /):
    """The high N bits of the 2N-bit product of N-bit integers (``jax.lax.mulhi``), in the
    operands' dtype: 8 / 32-bit operands multiply exactly in a wider integer and shift,
    int64 goes through 32-bit limbs."""
    x, y = as_operand(x, op="mulhi"), as_operand(y, op="mulhi")
    if x.dtype != y.dtype or not dtypes.is_integer(x.dtype):
        raise DTypeError(f"mulhi: needs two integer operands of one dtype, got {x.dtype} and "
                         f"{y.dtype}")
    if tuple(x.shape) != tuple(y.shape):
        raise ShapeError(f"mulhi: operands must have the same shape, got {tuple(x.shape)} and "
                         f"{tuple(y.shape)}")
    dt = x.dtype
    if dt == dtypes.int64:
        return _mulhi_64(x, y)
    bits = 8 * dt.itemsize
    wide = dtypes.int32 if bits == 8 else dtypes.int64
    prod = mul(convert_element_type(x, wide), convert_element_type(y, wide))
    shift = shift_right_arithmetic if dtypes.is_signed(dt) else shift_right_logical
    return convert_element_type(shift(prod, np.array(bits, wide)), dt)


# ---------------------------------------------------------------------------------------------
# scans, indexing, staging helpers
# ---------------------------------------------------------------------------------------------

def _logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow; -inf + -inf stays -inf (not NaN)."""
    top = max(a, b)
    delta = sub(a, b)
    safe = add(top, log1p(exp(neg(abs(delta)))))
    return select(ne(delta, delta), add(a, b), safe)


def cumlogsumexp(operand, axis=0, reverse=False):
    """Running log(sum(exp(x))) along ``axis`` (``jax.lax.cumlogsumexp``), a log-depth
    associative scan of logaddexp."""
    x = as_operand(operand, op="cumlogsumexp")
    if not dtypes.is_floating(x.dtype):
        raise DTypeError(f"cumlogsumexp: needs a float operand, got {x.dtype}")
    axis = canonical_axis(axis, x.ndim, "cumlogsumexp")
    return associative_scan(_logaddexp, x, reverse=bool(reverse), axis=axis)


def index_take(src, idxs, axes):
    """``src[idxs[0], idxs[1], ...]`` along ``axes`` (indices wrap modulo each axis' size,
    as JAX's): shape (n,) + the remaining dimensions of ``src`` in order."""
    src = as_operand(src, op="index_take")
    axes = [canonical_axis(a, src.ndim, "index_take") for a in axes]
    idxs = [as_operand(i, op="index_take") for i in idxs]
    if len(idxs) != len(axes) or len(set(axes)) != len(axes):
        raise InvalidArgumentError(f"index_take: needs one index array per distinct axis, got "
                                   f"{len(idxs)} index arrays for axes {axes}")
    rest = [d for d in range(src.ndim) if d not in axes]
    x = transpose(src, tuple(axes) + tuple(rest))
    x = reshape(x, (math.prod(src.shape[a] for a in axes),) + tuple(src.shape[d] for d in rest))
    flat = None
    for i, a in zip(idxs, axes):
        size = np.array(src.shape[a], dtypes.int32)
        i = rem(add(rem(convert_element_type(i, dtypes.int32), size), size), size)
        flat = i if flat is None else add(mul(flat, size), i)
    return gather(x, flat)


def composite(decomposition, name, version=0):
    """``jax.lax.composite``: marks ``decomposition`` as the named composite operation; fnx
    has no composite lowering, so the decorated function simply runs its decomposition."""
    if not isinstance(name, str):
        raise TypeError(f"composite: name must be a string, got {name!r}")

    @functools.wraps(decomposition)
    def run(*args, **kwargs):
        return decomposition(*args, **kwargs)
    return run


_PLATFORMS = ("cpu", "cuda", "rocm", "tpu")


def platform_dependent(*args, default=None, **per_platform):
    """``jax.lax.platform_dependent``: calls the branch for the platform the computation runs
    on.  fnx's programs are traced once for any device, so (as JAX promises every branch
    computes the same function) the ``cpu`` branch runs when given, else ``default``."""
    unknown = sorted(set(per_platform) - set(_PLATFORMS))
    if unknown:
        raise InvalidArgumentError(f"platform_dependent: unknown platforms {unknown}; known: "
                                   f"{list(_PLATFORMS)}")
    branch = per_platform.get("cpu", default)
    if branch is None:
        raise InvalidArgumentError("platform_dependent: no branch for cpu and no default")
    return branch(*args)
