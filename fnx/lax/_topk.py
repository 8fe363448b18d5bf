"""``lax.top_k`` and the approximate nearest-neighbour selections ``approx_max_k`` /
``approx_min_k``, computed exactly (an exact answer is a valid approximation: recall 1).

One stable ``sort`` along the axis of (order key, iota, operand), then the first k.  The key is
the operand as an integer in the total order XLA's comparators use (-NaN < -inf < ... < -0 <
+0 < ... < inf < NaN; a float's bits with the magnitude bits of negative values flipped), and
bit-inverted for a descending order, so equal elements keep their index order (lowest index
first) in both directions.  The operand rides along as a sorted operand, so the values'
derivative is sort's own (a gather of the tangent by the permutation); jit and vmap need
nothing more.
"""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from ..errors import DTypeError, InvalidArgumentError
from ._util import as_operand, canonical_axis
from .elementwise import (bitcast_convert_type, bitwise_and, bitwise_not, bitwise_xor,
                          convert_element_type, shift_right_arithmetic, stop_gradient)
from .reduction import sort
from .shape import broadcasted_iota, slice_in_dim

__all__ = ["top_k", "approx_max_k", "approx_min_k"]

_FLOAT_INT = {dtypes.float32: dtypes.int32, dtypes.float64: dtypes.int64}


def _total_order_key(x):
    """An integer array ordered as ``x`` is in XLA's total order (module docstring)."""
    if dtypes.is_bool(x.dtype):
        return convert_element_type(x, dtypes.int32)
    if x.dtype not in _FLOAT_INT:
        return x
    itype = _FLOAT_INT[x.dtype]
    bits = bitcast_convert_type(stop_gradient(x), itype)
    width = 8 * x.dtype.itemsize
    # negative floats: all ones (arithmetic shift of the sign), masked to the magnitude bits
    flip = bitwise_and(shift_right_arithmetic(bits, np.array(width - 1, itype)),
                       np.array((1 << (width - 1)) - 1, itype))
    return bitwise_xor(bits, flip)


def _select_k(op: str, operand, k, axis, largest: bool):
    x = as_operand(operand, op=op)
    if dtypes.is_complex(x.dtype):
        raise DTypeError(f"{op}: needs a real operand, got {x.dtype}")
    if x.ndim == 0:
        raise InvalidArgumentError(f"{op}: needs an operand of at least one dimension")
    axis = canonical_axis(axis, x.ndim, op)
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"{op}: k must be a Python integer, got {k!r}") from None
    if not 0 <= k <= x.shape[axis]:
        raise InvalidArgumentError(f"{op}: k={k} is out of range for a dimension of size "
                                   f"{x.shape[axis]} (shape {tuple(x.shape)}, axis {axis})")
    key = _total_order_key(x)
    if largest:
        key = bitwise_not(key)   # reverses the order exactly, for signed and unsigned ints
    index = broadcasted_iota(dtypes.int32, tuple(x.shape), axis)
    _, idx, values = sort((key, index, x), dimension=axis, is_stable=True, num_keys=1)
    return slice_in_dim(values, 0, k, axis=axis), slice_in_dim(idx, 0, k, axis=axis)


def top_k(operand, k, *, axis=-1, is_stable=True):
    """The ``k`` largest entries along ``axis`` (default the last) in descending order and
    their int32 indices; equal entries in index order (always: ``is_stable`` is accepted for
    JAX's signature), NaN above inf (``jax.lax.top_k``)."""
    return _select_k("top_k", operand, k, axis, largest=True)


def _check_approx(op, recall_target, reduction_input_size_override):
    if not 0 < float(recall_target) <= 1:
        raise InvalidArgumentError(f"{op}: recall_target must be in (0, 1], got "
                                   f"{recall_target!r}")
    operator.index(reduction_input_size_override)


def approx_max_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """``jax.lax.approx_max_k``: the ``k`` largest along ``reduction_dimension`` and their
    indices.  fnx answers exactly (recall 1 meets any ``recall_target``; with
    ``aggregate_to_topk=False`` JAX may return more than k candidates, exactly k is valid)."""
    _check_approx("approx_max_k", recall_target, reduction_input_size_override)
    return _select_k("approx_max_k", operand, k, reduction_dimension, largest=True)


def approx_min_k(operand, k, reduction_dimension=-1, recall_target=0.95,
                 reduction_input_size_override=-1, aggregate_to_topk=True):
    """``jax.lax.approx_min_k``: the ``k`` smallest along ``reduction_dimension`` (ascending)
    and their indices, computed exactly (see ``approx_max_k``)."""
    _check_approx("approx_min_k", recall_target, reduction_input_size_override)
    return _select_k("approx_min_k", operand, k, reduction_dimension, largest=False)
