"""Reductions (sum, prod, max, min, and, or, argmax, argmin), cumulative scans and sort."""
from __future__ import annotations

import operator

from .. import dtypes
from ..core import Primitive, ShapedArray, bind
from ..errors import InvalidArgumentError, dtype_error, shape_error
from ._util import (ALL, BOOL_OR_INT, NUMERIC, as_operand, as_operands, canonical_axes,
                    canonical_axis, check_dtype, check_same_shapes)

# -- reductions over a set of axes ------------------------------------------------------------

REDUCE_PRIMITIVES: dict[str, Primitive] = {}


def _define_reduce(name: str, allowed, kind: str) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(x, *, axes):
        check_dtype(name, x, allowed, kind)
        if any(not 0 <= a < x.ndim for a in axes):
            raise shape_error(name, f"axes {axes} out of range", x)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    REDUCE_PRIMITIVES[name] = prim
    return prim


reduce_sum_p = _define_reduce("reduce_sum", NUMERIC, "a numeric dtype")
reduce_prod_p = _define_reduce("reduce_prod", NUMERIC, "a numeric dtype")
reduce_max_p = _define_reduce("reduce_max", ALL, "any dtype")
reduce_min_p = _define_reduce("reduce_min", ALL, "any dtype")
reduce_and_p = _define_reduce("reduce_and", BOOL_OR_INT, "a bool or integer dtype")
reduce_or_p = _define_reduce("reduce_or", BOOL_OR_INT, "a bool or integer dtype")


def _reduce_fn(prim: Primitive, doc: str):
    def fn(x, axes):
        x = as_operand(x)
        axes = canonical_axes(axes, x.ndim, prim.name)
        if not axes:
            return x
        return bind(prim, x, axes=axes)
    fn.__name__ = prim.name
    fn.__doc__ = doc
    return fn


reduce_sum = _reduce_fn(reduce_sum_p, "Sum over ``axes`` (float32 accumulates accurately).")
reduce_prod = _reduce_fn(reduce_prod_p, "Product over ``axes``.")
reduce_max = _reduce_fn(reduce_max_p, "Maximum over ``axes``; NaN propagates; empty -> -inf.")
reduce_min = _reduce_fn(reduce_min_p, "Minimum over ``axes``; NaN propagates; empty -> +inf.")
reduce_and = _reduce_fn(reduce_and_p, "Logical/bitwise and over ``axes``.")
reduce_or = _reduce_fn(reduce_or_p, "Logical/bitwise or over ``axes``.")


# -- argmax / argmin --------------------------------------------------------------------------

def _define_argreduce(name: str) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(x, *, axes, index_dtype):
        if len(axes) != 1 or not 0 <= axes[0] < x.ndim:
            raise shape_error(name, f"needs exactly one in-range axis, got {axes}", x)
        if x.shape[axes[0]] == 0:
            raise shape_error(name, f"attempt to get {name} of an empty axis {axes[0]}", x)
        if index_dtype not in (dtypes.int32, dtypes.int64):
            raise dtype_error(name, f"index_dtype must be int32 or int64, got {index_dtype}")
        shape = tuple(d for i, d in enumerate(x.shape) if i != axes[0])
        return ShapedArray(shape, index_dtype, False)

    prim.def_abstract_eval(abstract_eval)
    return prim


argmax_p = _define_argreduce("argmax")
argmin_p = _define_argreduce("argmin")


def argmax(x, axis: int, index_dtype=dtypes.int32):
    """Index of the first maximum along ``axis`` (a NaN counts as the maximum)."""
    x = as_operand(x)
    axis = canonical_axis(axis, x.ndim, "argmax")
    return bind(argmax_p, x, axes=(axis,), index_dtype=dtypes.canonicalize(index_dtype))


def argmin(x, axis: int, index_dtype=dtypes.int32):
    """Index of the first minimum along ``axis`` (a NaN counts as the minimum)."""
    x = as_operand(x)
    axis = canonical_axis(axis, x.ndim, "argmin")
    return bind(argmin_p, x, axes=(axis,), index_dtype=dtypes.canonicalize(index_dtype))


# -- cumulative scans -------------------------------------------------------------------------

CUMULATIVE_PRIMITIVES: dict[str, Primitive] = {}


def _define_cumulative(name: str, allowed, kind: str) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(x, *, axis, reverse):
        check_dtype(name, x, allowed, kind)
        if not 0 <= axis < max(x.ndim, 1) or x.ndim == 0:
            raise shape_error(name, f"axis {axis} out of range", x)
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    CUMULATIVE_PRIMITIVES[name] = prim
    return prim


cumsum_p = _define_cumulative("cumsum", NUMERIC, "a numeric dtype")
cumprod_p = _define_cumulative("cumprod", NUMERIC, "a numeric dtype")
cummax_p = _define_cumulative("cummax", NUMERIC, "a numeric dtype")
cummin_p = _define_cumulative("cummin", NUMERIC, "a numeric dtype")


def _cumulative_fn(prim: Primitive, doc: str):
    def fn(x, axis: int = 0, reverse: bool = False):
        x = as_operand(x)
        axis = canonical_axis(axis, x.ndim, prim.name)
        return bind(prim, x, axis=axis, reverse=bool(reverse))
    fn.__name__ = prim.name
    fn.__doc__ = doc
    return fn


cumsum = _cumulative_fn(cumsum_p, "Inclusive running sum along ``axis``.")
cumprod = _cumulative_fn(cumprod_p, "Inclusive running product along ``axis``.")
cummax = _cumulative_fn(cummax_p, "Inclusive running maximum along ``axis`` (NaN propagates).")
cummin = _cumulative_fn(cummin_p, "Inclusive running minimum along ``axis`` (NaN propagates).")


# -- sort -------------------------------------------------------------------------------------

sort_p = Primitive("sort", multiple_results=True)


@sort_p.def_abstract_eval
def _sort_abstract_eval(*operands, dimension, is_stable, num_keys):
    check_same_shapes("sort", *operands)
    if not 1 <= num_keys <= len(operands):
        raise InvalidArgumentError(f"sort: num_keys={num_keys} must be between 1 and the number of "
                         f"operands ({len(operands)})")
    x = operands[0]
    if not 0 <= dimension < max(x.ndim, 1) or x.ndim == 0:
        raise shape_error("sort", f"dimension {dimension} out of range", x)
    return [ShapedArray(o.shape, o.dtype, o.weak_type) for o in operands]


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sort along ``dimension`` ascending (NaN last).  A sequence of operands is sorted
    together, lexicographically by the first ``num_keys`` of them (JAX's lax.sort)."""
    single = not isinstance(operand, (tuple, list))
    ops = as_operands(*([operand] if single else operand))
    dimension = canonical_axis(dimension, ops[0].ndim, "sort")
    outs = bind(sort_p, *ops, dimension=dimension, is_stable=bool(is_stable),
                num_keys=operator.index(num_keys))
    return outs[0] if single else tuple(outs)


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    k, v = sort((keys, values), dimension, is_stable, 1)
    return k, v
