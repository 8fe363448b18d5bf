"""Reductions (sum, prod, max, min, and, or, argmax, argmin), cumulative scans and sort."""
from __future__ import annotations

import operator

import numpy as np

from .. import dtypes
from ..core import Array, Fusion, Primitive, ShapedArray, bind
from ..errors import InvalidArgumentError, dtype_error, shape_error
from ..interpreters import ad, batching
from . import elementwise as _ew
from ._util import (ALL, BOOL_OR_INT, NUMERIC, NUMERIC_OR_COMPLEX, as_operand, as_operands, canonical_axes,
                    canonical_axis, check_dtype, check_same_shapes)

# -- reductions over a set of axes ------------------------------------------------------------

REDUCE_PRIMITIVES: dict[str, Primitive] = {}


def _define_reduce(name: str, allowed, kind: str) -> Primitive:
    prim = Primitive(name, fusion=Fusion.REDUCTION)

    def abstract_eval(x, *, axes):
        check_dtype(name, x, allowed, kind)
        if any(not 0 <= a < x.ndim for a in axes):
            raise shape_error(name, f"axes {axes} out of range", x)
        shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
        return ShapedArray(shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    batching.defreducer(prim)
    REDUCE_PRIMITIVES[name] = prim
    return prim


reduce_sum_p = _define_reduce("reduce_sum", NUMERIC_OR_COMPLEX, "a numeric dtype")
reduce_prod_p = _define_reduce("reduce_prod", NUMERIC_OR_COMPLEX, "a numeric dtype")
# (complex: lexicographic, real part first, as numpy)
reduce_max_p = _define_reduce("reduce_max", ALL, "any dtype")
reduce_min_p = _define_reduce("reduce_min", ALL, "any dtype")
reduce_and_p = _define_reduce("reduce_and", BOOL_OR_INT, "a bool or integer dtype")
reduce_or_p = _define_reduce("reduce_or", BOOL_OR_INT, "a bool or integer dtype")


# -- autodiff rules of the reductions ---------------------------------------------------------

def _kept_dims(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _expand_back(r, x_shape, axes):
    """Broadcast a reduction's result ``r`` back to the operand's shape."""
    from .shape import broadcast_in_dim
    return broadcast_in_dim(r, tuple(x_shape), _kept_dims(len(x_shape), axes))


def _reduce_sum_transpose_rule(ct, x, *, axes):
    if isinstance(ct, ad.Zero):
        return [ad.Zero(x.aval.strip_weak_type())]
    ct = _ew.convert_element_type(ct, x.aval.dtype)  # never weak
    return [_expand_back(ct, x.aval.shape, axes)]


ad.deflinear(reduce_sum_p, _reduce_sum_transpose_rule)


def _reduce_prod_jvp_rule(primals, tangents, *, axes):
    """JVP of a product as the JVP of a pairwise tree of ``mul`` over the reduced elements
    (JAX's scheme): exact when some factors are zero, and at every derivative order."""
    (x,), (g,) = primals, tangents
    ans = bind(reduce_prod_p, x, axes=axes)
    if isinstance(g, ad.Zero):
        return ans, ad.Zero.from_value(ans)
    from .shape import reshape, transpose
    kept = _kept_dims(x.ndim, axes)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    new_shape = (n,) + tuple(x.shape[i] for i in kept)
    if n == 0:  # an empty product is the constant 1
        return ans, ad.Zero.from_value(ans)
    perm = tuple(axes) + kept
    x2 = reshape(transpose(x, perm), new_shape)
    g2 = reshape(transpose(g, perm), new_shape)
    _, (t,) = ad.jvp_flat(lambda v: [_product_tree(v)], [x2], [g2])
    return ans, ad.instantiate_zeros(t)


def _product_tree(v):
    """Product over axis 0 by repeatedly multiplying the two halves (an odd half padded by 1)."""
    from .shape import pad, slice_in_dim, squeeze
    while v.shape[0] > 1:
        n = v.shape[0]
        n1 = (n + 1) // 2
        a, b = slice_in_dim(v, 0, n1, 1, 0), slice_in_dim(v, n1, n, 1, 0)
        if n - n1 != n1:
            b = pad(b, Array(np.ones((), v.dtype)), ((0, 1, 0),) + ((0, 0, 0),) * (v.ndim - 1))
        v = _ew.mul(a, b)
    return squeeze(v, (0,))


ad.jvp_rules[reduce_prod_p] = _reduce_prod_jvp_rule


def _reduce_chooser_jvp(g, ans, x, *, axes):
    """Tangent of a max/min reduction: ties split evenly, as JAX (the mean of the tangents at
    all positions that attain the extremum)."""
    where = _ew.convert_element_type(_ew.eq(x, _expand_back(ans, x.shape, axes)), g.dtype)
    counts = reduce_sum(where, axes)
    return _ew.div(reduce_sum(_ew.mul(g, where), axes), counts)


ad.defjvp2(reduce_max_p, _reduce_chooser_jvp)
ad.defjvp2(reduce_min_p, _reduce_chooser_jvp)
ad.defjvp_zero(reduce_and_p)
ad.defjvp_zero(reduce_or_p)


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
reduce_max = _reduce_fn(reduce_max_p, "Maximum over ``axes``; NaN propagates; empty -> -inf.  "
                                     "Its derivative: ties split evenly, as JAX.")
reduce_min = _reduce_fn(reduce_min_p, "Minimum over ``axes``; NaN propagates; empty -> +inf.  "
                                     "Its derivative: ties split evenly, as JAX.")
reduce_and = _reduce_fn(reduce_and_p, "Logical/bitwise and over ``axes``.")
reduce_or = _reduce_fn(reduce_or_p, "Logical/bitwise or over ``axes``.")


# -- argmax / argmin --------------------------------------------------------------------------

def _define_argreduce(name: str) -> Primitive:
    prim = Primitive(name, fusion=Fusion.LIBRARY)

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
    batching.defreducer(prim)
    return prim


argmax_p = _define_argreduce("argmax")
argmin_p = _define_argreduce("argmin")
ad.defjvp_zero(argmax_p)
ad.defjvp_zero(argmin_p)


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
    prim = Primitive(name, fusion=Fusion.LIBRARY)

    def abstract_eval(x, *, axis, reverse):
        check_dtype(name, x, allowed, kind)
        if not 0 <= axis < max(x.ndim, 1) or x.ndim == 0:
            raise shape_error(name, f"axis {axis} out of range", x)
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    prim.def_abstract_eval(abstract_eval)
    batching.batching_rules[prim] = _cumulative_batching_rule(prim)
    CUMULATIVE_PRIMITIVES[name] = prim
    return prim


def _cumulative_batching_rule(prim):
    def rule(axis_size, args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return bind(prim, x, axis=batching.full_axis(axis, d), reverse=reverse), d
    return rule


cumsum_p = _define_cumulative("cumsum", NUMERIC_OR_COMPLEX, "a numeric dtype")
cumprod_p = _define_cumulative("cumprod", NUMERIC_OR_COMPLEX, "a numeric dtype")
cummax_p = _define_cumulative("cummax", NUMERIC, "a real numeric dtype")
cummin_p = _define_cumulative("cummin", NUMERIC, "a real numeric dtype")


def _cumsum_transpose_rule(ct, x, *, axis, reverse):
    if isinstance(ct, ad.Zero):
        return [ad.Zero(x.aval.strip_weak_type())]
    ct = _ew.convert_element_type(ct, x.aval.dtype)
    return [bind(cumsum_p, ct, axis=axis, reverse=not reverse)]


ad.deflinear(cumsum_p, _cumsum_transpose_rule)


def _scan_jvp(prim, combine):
    """JVP of a cumulative primitive as the JVP of ``associative_scan(combine)`` (as JAX):
    exact with zeros (cumprod) and ties (cummax/cummin split tied tangents like ``max``)."""
    def rule(primals, tangents, *, axis, reverse):
        from .scan_util import associative_scan
        (x,), (g,) = primals, tangents
        ans = bind(prim, x, axis=axis, reverse=reverse)
        if isinstance(g, ad.Zero):
            return ans, ad.Zero.from_value(ans)
        _, (t,) = ad.jvp_flat(
            lambda v: [associative_scan(combine, v, reverse=reverse, axis=axis)], [x], [g])
        return ans, ad.instantiate_zeros(t)
    ad.jvp_rules[prim] = rule


_scan_jvp(cumprod_p, _ew.mul)
_scan_jvp(cummax_p, _ew.max)
_scan_jvp(cummin_p, _ew.min)


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

sort_p = Primitive("sort", multiple_results=True, fusion=Fusion.LIBRARY)


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


def _sort_jvp_rule(primals, tangents, *, dimension, is_stable, num_keys):
    """Sorting permutes: the tangents follow the primals through the same permutation, found
    by sorting an iota along with the operands."""
    from .shape import broadcasted_iota
    shape = tuple(primals[0].shape)
    iota = broadcasted_iota(dtypes.int32, shape, dimension)
    *outs, perm = bind(sort_p, *primals, iota, dimension=dimension, is_stable=is_stable,
                       num_keys=num_keys)
    tangents_out = [ad.Zero.from_value(o) if isinstance(t, ad.Zero)
                    else _take_along_axis(t, perm, dimension)
                    for o, t in zip(outs, tangents)]
    return outs, tangents_out


def _take_along_axis(x, idx, axis):
    """``x`` permuted along ``axis`` by ``idx`` (same shape): a batched gather with the axis
    moved last."""
    from .indexing import gather
    from .shape import transpose
    nd = x.ndim
    perm = tuple(i for i in range(nd) if i != axis) + (axis,)
    inv = tuple(int(i) for i in np.argsort(perm))
    out = gather(transpose(x, perm), transpose(idx, perm), batch_dims=nd - 1)
    return transpose(out, inv)


def _sort_batching_rule(axis_size, args, dims, *, dimension, **params):
    # all operands sort together, so they need the same batch axis: use the first batched one's
    bdim = next(d for d in dims if d is not None)
    ops = batching.same_batch_dim(axis_size, args, dims, bdim)
    outs = bind(sort_p, *ops, dimension=batching.full_axis(dimension, bdim), **params)
    return outs, [bdim] * len(outs)


ad.jvp_rules[sort_p] = _sort_jvp_rule
batching.batching_rules[sort_p] = _sort_batching_rule


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
