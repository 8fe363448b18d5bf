"""Gather and scatter.

fnx's gather/scatter have one normalised form that the C kernels implement directly, and that
numpy indexing, ``take``, ``take_along_axis`` and ``x.at[...]`` lower to (fnx.numpy arranges the
axes with transposes/reshapes first):

    operand: B + (D,) + R        (len(B) == batch_dims)
    indices: B + I               (integer)
    gather  -> B + I + R         out[b, i, r] = operand[b, indices[b, i], r]
    scatter -> B + (D,) + R      out[b, indices[b, i], r] (op)= updates[b, i, r]

Out-of-range indices follow JAX's documented rule: a gather *clamps* each index into [0, D-1];
a scatter *drops* updates whose index is outside [0, D).  Negative indices are not wrapped here
(fnx.numpy wraps them, numpy-style, before calling these).  Duplicate indices accumulate for
scatter-add/mul/min/max; for plain scatter the last update wins.
"""
from __future__ import annotations

import math
import operator

from ..core import Primitive, ShapedArray, bind
from ..errors import dtype_error, shape_error
from ._util import ALL, INTEGER, NUMERIC, as_operand, check_same_dtypes


def _check_indices(op, operand, indices, batch_dims):
    if indices.dtype not in INTEGER:
        raise dtype_error(op, "indices must have an integer dtype", indices)
    if not 0 <= batch_dims < operand.ndim:
        raise shape_error(op, f"batch_dims={batch_dims} must leave the indexed axis in the "
                          "operand", operand, indices)
    if tuple(indices.shape[:batch_dims]) != tuple(operand.shape[:batch_dims]):
        raise shape_error(op, f"the leading {batch_dims} batch dimensions of operand and indices "
                          "must agree", operand, indices)


gather_p = Primitive("gather")


@gather_p.def_abstract_eval
def _gather_abstract_eval(operand, indices, *, batch_dims):
    _check_indices("gather", operand, indices, batch_dims)
    if operand.shape[batch_dims] == 0 and math.prod(indices.shape) > 0:
        raise shape_error("gather", "cannot gather from an empty axis", operand, indices)
    shape = (tuple(operand.shape[:batch_dims]) + tuple(indices.shape[batch_dims:])
             + tuple(operand.shape[batch_dims + 1:]))
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def gather(operand, indices, batch_dims: int = 0):
    """``operand[b, indices[b, i], ...]`` with the indexed axis right after ``batch_dims``
    leading batch axes; out-of-range indices are clamped."""
    operand, indices = as_operand(operand), as_operand(indices)
    return bind(gather_p, operand, indices, batch_dims=operator.index(batch_dims))


SCATTER_PRIMITIVES: dict[str, Primitive] = {}


def _define_scatter(name: str, allowed) -> Primitive:
    prim = Primitive(name)

    def abstract_eval(operand, indices, updates, *, batch_dims):
        _check_indices(name, operand, indices, batch_dims)
        check_same_dtypes(name, operand, updates)
        if operand.dtype not in allowed:
            raise dtype_error(name, "bool operands are not supported (use scatter-max/min for "
                              "logical or/and)", operand)
        expected = (tuple(operand.shape[:batch_dims]) + tuple(indices.shape[batch_dims:])
                    + tuple(operand.shape[batch_dims + 1:]))
        if tuple(updates.shape) != expected:
            raise shape_error(name, f"updates must have shape {expected} (batch + index shape + "
                              "the operand's trailing dims)", operand, indices, updates)
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)

    prim.def_abstract_eval(abstract_eval)
    SCATTER_PRIMITIVES[name] = prim
    return prim


scatter_p = _define_scatter("scatter", ALL)
scatter_add_p = _define_scatter("scatter-add", NUMERIC)
scatter_mul_p = _define_scatter("scatter-mul", NUMERIC)
scatter_min_p = _define_scatter("scatter-min", ALL)
scatter_max_p = _define_scatter("scatter-max", ALL)


def _scatter_fn(prim: Primitive, doc: str):
    def fn(operand, indices, updates, batch_dims: int = 0):
        operand, indices, updates = (as_operand(operand), as_operand(indices),
                                     as_operand(updates, getattr(operand, "dtype", None)))
        return bind(prim, operand, indices, updates, batch_dims=operator.index(batch_dims))
    fn.__name__ = prim.name.replace("-", "_")
    fn.__doc__ = doc
    return fn


scatter = _scatter_fn(scatter_p, "Write updates at indices (last write wins; OOB dropped).")
scatter_add = _scatter_fn(scatter_add_p, "Add updates at indices (duplicates accumulate).")
scatter_mul = _scatter_fn(scatter_mul_p, "Multiply by updates at indices.")
scatter_min = _scatter_fn(scatter_min_p, "Minimum with updates at indices.")
scatter_max = _scatter_fn(scatter_max_p, "Maximum with updates at indices.")
