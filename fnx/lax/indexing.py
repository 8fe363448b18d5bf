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

Differentiation (rules below, JAX's semantics):

* gather is linear in the operand; its transpose scatter-adds the cotangent at the *clamped*
  indices (the elements a clamped gather really read), so it is the exact adjoint.
* scatter-add is linear in operand and updates; an update whose index was out of range was
  dropped, so its cotangent is zero.
* scatter (set) is jointly linear in operand and updates.  Its transpose gives a zero
  cotangent to the operand elements that were overwritten, and to each update the cotangent
  of the element it wrote *if it won*: with duplicate indices only the last update (the one
  the forward kept) gets a cotangent.  (JAX only transposes scatter with unique indices; fnx
  finds the winners by scattering update ids, so duplicates are handled exactly.)
* scatter-mul: product rule.  It is linear (transposable) in the operand only; the updates'
  tangent is exact for duplicate indices and zeros (no division by an update).
* scatter-min/max: the tangent flows from whichever of operand / updates ended up in the
  output (equality with the result).  Ties (several candidates equal to the result, e.g. an
  update equal to the operand) share the tangent equally, as JAX's reduce_max does.
* indices are integers and never differentiated.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, bind, get_aval
from ..interpreters import ad, batching
from ..errors import dtype_error, shape_error
from . import elementwise as _ew
from ._util import (ALL, INTEGER, NUMERIC_OR_COMPLEX, REAL, as_operand,
                    check_same_dtypes)
from .shape import _linear_transpose, broadcast_in_dim, reshape


def _check_indices(op, operand, indices, batch_dims):
    if indices.dtype not in INTEGER:
        raise dtype_error(op, "indices must have an integer dtype", indices)
    if not 0 <= batch_dims < operand.ndim:
        raise shape_error(op, f"batch_dims={batch_dims} must leave the indexed axis in the "
                          "operand", operand, indices)
    if tuple(indices.shape[:batch_dims]) != tuple(operand.shape[:batch_dims]):
        raise shape_error(op, f"the leading {batch_dims} batch dimensions of operand and indices "
                          "must agree", operand, indices)


gather_p = Primitive("gather", fusion=Fusion.MOVEMENT)


@gather_p.def_abstract_eval
def _gather_abstract_eval(operand, indices, *, batch_dims):
    _check_indices("gather", operand, indices, batch_dims)
    if operand.shape[batch_dims] == 0 and math.prod(indices.shape) > 0:
        raise shape_error("gather", "cannot gather from an empty axis", operand, indices)
    shape = (tuple(operand.shape[:batch_dims]) + tuple(indices.shape[batch_dims:])
             + tuple(operand.shape[batch_dims + 1:]))
    return ShapedArray(shape, operand.dtype, operand.weak_type)


# Linear in the operand; the indices are integers.
ad.defjvp(gather_p, lambda g, operand, indices, *, batch_dims: gather(g, indices, batch_dims))


def _clamped_indices(indices, d: int):
    """The indices a gather on an axis of size ``d`` really reads."""
    hi = min(max(d - 1, 0), int(np.iinfo(indices.dtype).max))   # int8 indices, big axes
    return _ew.clamp(0, indices, hi)


def _in_range_mask(indices, d: int, updates_shape):
    """Bool mask of ``updates_shape`` (B + I + R): the updates whose index is in [0, d)."""
    ok = _ew.ge(indices, 0)
    if d <= np.iinfo(indices.dtype).max:
        ok = _ew.bitwise_and(ok, _ew.lt(indices, d))
    return broadcast_in_dim(ok, tuple(updates_shape), tuple(range(ok.ndim)))


def _masked(mask, x):
    """``x`` where ``mask`` else 0."""
    return _ew.select(mask, x, ad.zeros_like_aval(_aval(x)))


def _aval(x):
    return x.aval if ad.is_undefined(x) else get_aval(x)


def _gather_at_updates(x, indices, batch_dims):
    """``gather(x, indices)``: the values of an operand-shaped ``x`` at each update's position.
    A scatter into an empty axis drops every update, and gathering from one is an error: any
    value does there (the callers mask or drop those updates), so give zeros."""
    if x.shape[batch_dims] == 0:
        shape = (tuple(x.shape[:batch_dims]) + tuple(indices.shape[batch_dims:])
                 + tuple(x.shape[batch_dims + 1:]))
        return broadcast_in_dim(Array(np.zeros((), x.dtype)), shape, ())
    return gather(x, indices, batch_dims)


@_linear_transpose
def _gather_transpose_rule(ct, operand, indices, *, batch_dims):
    if not ad.is_undefined(operand):
        return [None, None]
    aval = operand.aval
    idx = _clamped_indices(indices, aval.shape[batch_dims])
    zeros = ad.zeros_like_aval(aval)
    return [scatter_add(zeros, idx, ct, batch_dims), None]


ad.deftranspose(gather_p, _gather_transpose_rule)


def _gather_batching_rule(axis_size, args, dims, *, batch_dims):
    (operand, indices), (od, id_) = args, dims
    n_index = indices.ndim - (id_ is not None) - batch_dims   # len(I)
    if od is not None and id_ is not None:
        # both batched: one more leading batch dimension
        operand, indices = batching.moveaxis(operand, od, 0), batching.moveaxis(indices, id_, 0)
        return gather(operand, indices, batch_dims + 1), 0
    if od is not None:
        # shared indices: the batch axis is one of the trailing dims R (right after D)
        operand = batching.moveaxis(operand, od, batch_dims + 1)
        return gather(operand, indices, batch_dims), batch_dims + n_index
    # shared operand: the batch axis is one more index dimension, first of I
    indices = batching.moveaxis(indices, id_, batch_dims)
    return gather(operand, indices, batch_dims), batch_dims


batching.batching_rules[gather_p] = _gather_batching_rule


def gather(operand, indices, batch_dims: int = 0):
    """``operand[b, indices[b, i], ...]`` with the indexed axis right after ``batch_dims``
    leading batch axes; out-of-range indices are clamped."""
    operand, indices = as_operand(operand), as_operand(indices)
    return bind(gather_p, operand, indices, batch_dims=operator.index(batch_dims))


SCATTER_PRIMITIVES: dict[str, Primitive] = {}


def _define_scatter(name: str, allowed) -> Primitive:
    prim = Primitive(name, fusion=Fusion.LIBRARY)

    def abstract_eval(operand, indices, updates, *, batch_dims):
        _check_indices(name, operand, indices, batch_dims)
        check_same_dtypes(name, operand, updates)
        if operand.dtype not in allowed:
            hint = (" (use scatter-max/min for logical or/and)"
                    if operand.dtype == dtypes.bool_ else "")
            raise dtype_error(name, f"{operand.dtype} operands are not supported{hint}", operand)
        expected = (tuple(operand.shape[:batch_dims]) + tuple(indices.shape[batch_dims:])
                    + tuple(operand.shape[batch_dims + 1:]))
        if tuple(updates.shape) != expected:
            raise shape_error(name, f"updates must have shape {expected} (batch + index shape + "
                              "the operand's trailing dims)", operand, indices, updates)
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)

    prim.def_abstract_eval(abstract_eval)
    batching.batching_rules[prim] = _scatter_batching_rule(prim)
    SCATTER_PRIMITIVES[name] = prim
    return prim


def _scatter_batching_rule(prim):
    def rule(axis_size, args, dims, *, batch_dims):
        (operand, indices, updates), (od, id_, ud) = args, dims
        if id_ is None:
            # shared indices: the batch axis is a trailing dim of operand and updates
            n_index = indices.ndim - batch_dims
            operand = batching.move_to(operand, od, axis_size, batch_dims + 1)
            updates = batching.move_to(updates, ud, axis_size, batch_dims + n_index)
            return bind(prim, operand, indices, updates, batch_dims=batch_dims), batch_dims + 1
        operand, indices, updates = batching.same_batch_dim(axis_size, args, dims, 0)
        return bind(prim, operand, indices, updates, batch_dims=batch_dims + 1), 0
    return rule


def _scatter_linear_jvp(prim):
    """JVP of a scatter that is jointly linear in (operand, updates): the same scatter of the
    tangents (with the same indices, so duplicates resolve the same way)."""
    def rule(primals, tangents, *, batch_dims):
        operand, indices, updates = primals
        t_op, _, t_upd = tangents
        ans = bind(prim, operand, indices, updates, batch_dims=batch_dims)
        if isinstance(t_op, ad.Zero) and isinstance(t_upd, ad.Zero):
            return ans, ad.Zero.from_value(ans)
        return ans, bind(prim, ad.instantiate_zeros(t_op), indices,
                         ad.instantiate_zeros(t_upd), batch_dims=batch_dims)
    ad.jvp_rules[prim] = rule
    return rule


# -- scatter (set) ----------------------------------------------------------------------------

scatter_p = _define_scatter("scatter", ALL)
_scatter_linear_jvp(scatter_p)


def _scatter_winners(indices, operand_aval, updates_aval, batch_dims):
    """Bool mask of the updates' shape: True for the updates that a plain scatter keeps (in
    range, and the last one written to their position)."""
    n = math.prod(updates_aval.shape[:indices.ndim])
    ids = reshape(Array(np.arange(n, dtype=np.int32)), tuple(updates_aval.shape[:indices.ndim]))
    ids = broadcast_in_dim(ids, tuple(updates_aval.shape), tuple(range(indices.ndim)))
    init = broadcast_in_dim(Array(np.array(-1, np.int32)), tuple(operand_aval.shape), ())
    written = scatter(init, indices, ids, batch_dims)
    # gather clamps out-of-range indices, but an id that was dropped can never be read back.
    if operand_aval.shape[batch_dims] == 0:   # every update was dropped
        return broadcast_in_dim(Array(np.array(False)), tuple(updates_aval.shape), ())
    return _ew.eq(gather(written, indices, batch_dims), ids)


@_linear_transpose
def _scatter_transpose_rule(ct, operand, indices, updates, *, batch_dims):
    ct_op = ct_upd = None
    upd_aval = _aval(updates)
    if ad.is_undefined(operand):
        # Overwritten positions did not come from the operand.
        ct_op = scatter(ct, indices, ad.zeros_like_aval(upd_aval), batch_dims)
    if ad.is_undefined(updates):
        won = _scatter_winners(indices, _aval(operand), upd_aval, batch_dims)
        ct_upd = _masked(won, _gather_at_updates(ct, indices, batch_dims))
    return [ct_op, None, ct_upd]


ad.deftranspose(scatter_p, _scatter_transpose_rule)


# -- scatter-add ------------------------------------------------------------------------------

scatter_add_p = _define_scatter("scatter-add", NUMERIC_OR_COMPLEX)
_scatter_linear_jvp(scatter_add_p)


@_linear_transpose
def _scatter_add_transpose_rule(ct, operand, indices, updates, *, batch_dims):
    ct_upd = None
    if ad.is_undefined(updates):
        d = _aval(operand).shape[batch_dims]
        # Out-of-range updates were dropped: zero cotangent (gather alone would clamp).
        ct_upd = _masked(_in_range_mask(indices, d, updates.aval.shape),
                         _gather_at_updates(ct, indices, batch_dims))
    return [ct if ad.is_undefined(operand) else None, None, ct_upd]


ad.deftranspose(scatter_add_p, _scatter_add_transpose_rule)


# -- scatter-mul ------------------------------------------------------------------------------

scatter_mul_p = _define_scatter("scatter-mul", NUMERIC_OR_COMPLEX)


def _scatter_mul_jvp_operand(g, operand, indices, updates, *, batch_dims):
    return scatter_mul(g, indices, updates, batch_dims)


def _scatter_mul_jvp_updates(g, operand, indices, updates, *, batch_dims):
    # out[p] = x[p] * prod_{k -> p} u_k, so d out[p] = x[p] * sum_{k -> p} g_k * prod_{j -> p,
    # j != k} u_j.  The "product of the others" is computed without dividing by u_k where
    # u_k == 0: from the product of the non-zero updates and the count of zero ones.
    dtype = updates.dtype
    one = Array(np.ones((), dtype))
    is_zero = _ew.eq(updates, ad.zeros_like_aval(get_aval(updates)))
    ones_u = broadcast_in_dim(one, tuple(updates.shape), ())
    nonzero_u = _ew.select(is_zero, ones_u, updates)
    ones_x = broadcast_in_dim(one, tuple(operand.shape), ())
    zeros_x = ad.zeros_like_aval(get_aval(operand))
    prod_nz = _gather_at_updates(scatter_mul(ones_x, indices, nonzero_u, batch_dims), indices,
                                 batch_dims)
    zero_count = _ew.convert_element_type(is_zero, dtype)
    n_zero = _gather_at_updates(scatter_add(zeros_x, indices, zero_count, batch_dims),
                                indices, batch_dims)
    zero_u = ad.zeros_like_aval(get_aval(updates))
    # u_k != 0: others = prod_nz / u_k if no zero at p, else 0.
    # u_k == 0: others = prod_nz if u_k is the only zero at p, else 0.
    others = _ew.select(is_zero,
                        _ew.select(_ew.eq(n_zero, ones_u), prod_nz, zero_u),
                        _ew.select(_ew.eq(n_zero, zero_u), _ew.div(prod_nz, nonzero_u), zero_u))
    return _ew.mul(operand, scatter_add(zeros_x, indices, _ew.mul(g, others), batch_dims))


ad.defjvp(scatter_mul_p, _scatter_mul_jvp_operand, None, _scatter_mul_jvp_updates)


@_linear_transpose
def _scatter_mul_transpose_rule(ct, operand, indices, updates, *, batch_dims):
    # Linear in the operand only: out = operand * M with M = scatter_mul(1, idx, updates), a
    # diagonal scaling, which is its own transpose.
    if ad.is_undefined(updates):
        raise NotImplementedError("scatter-mul is not linear in its updates: reverse-mode "
                                  "differentiation through the updates goes via its JVP")
    ct_op = scatter_mul(ct, indices, updates, batch_dims) if ad.is_undefined(operand) else None
    return [ct_op, None, None]


ad.deftranspose(scatter_mul_p, _scatter_mul_transpose_rule)


# -- scatter-min / scatter-max ----------------------------------------------------------------

scatter_min_p = _define_scatter("scatter-min", REAL)
scatter_max_p = _define_scatter("scatter-max", REAL)


def _scatter_extremum_jvp(prim):
    """The tangent of each output element is the average of the tangents of the candidates
    (operand element, updates written there) equal to the result."""
    def rule(primals, tangents, *, batch_dims):
        operand, indices, updates = primals
        t_op, _, t_upd = tangents
        ans = bind(prim, operand, indices, updates, batch_dims=batch_dims)
        if isinstance(t_op, ad.Zero) and isinstance(t_upd, ad.Zero):
            return ans, ad.Zero.from_value(ans)
        dtype = ans.dtype
        d = operand.shape[batch_dims]
        op_won = _ew.eq(operand, ans)
        at_pos = _gather_at_updates(ans, indices, batch_dims)
        upd_won = _ew.bitwise_and(_ew.eq(updates, at_pos),
                                  _in_range_mask(indices, d, updates.shape))
        zeros_x = ad.zeros_like_aval(get_aval(ans))
        count = _ew.add(_ew.convert_element_type(op_won, dtype),
                        scatter_add(zeros_x, indices, _ew.convert_element_type(upd_won, dtype),
                                    batch_dims))
        # NaN results match no candidate: avoid 0/0 (the tangent is then 0)
        ones = broadcast_in_dim(Array(np.ones((), dtype)), tuple(ans.shape), ())
        count = _ew.max(count, ones)
        total = ad.Zero.from_value(ans)
        if not isinstance(t_op, ad.Zero):
            total = ad.add_tangents(total, _masked(op_won, t_op))
        if not isinstance(t_upd, ad.Zero):
            total = ad.add_tangents(total, scatter_add(zeros_x, indices,
                                                       _masked(upd_won, t_upd), batch_dims))
        return ans, _ew.div(total, count)
    ad.jvp_rules[prim] = rule
    return rule


_scatter_extremum_jvp(scatter_min_p)
_scatter_extremum_jvp(scatter_max_p)


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
