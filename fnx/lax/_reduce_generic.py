"""``lax.reduce`` (JAX's variadic reduction with a user ``computation``) and ``lax.reduce_xor``.

A monoid the primitives already know -- ``computation`` is add / mul / max / min / and / or /
xor (recognised by identity, or by tracing it once on two scalars and finding that single
primitive) with its identity as the init value -- becomes that ``reduce_*`` primitive: the fast
path, differentiable and batched as the primitive is.  Any other computation (pytrees of
operands, an init that is not the identity, a custom combiner) is a pairwise tree: each level
combines neighbours ``(x[2i], x[2i+1])`` with the computation batched over every pair
(``batching.batch_flat``), so it takes log2(n) levels, keeps the order (an associative but
non-commutative combiner is right) and works under jit, vmap and grad like any composition.
The init value is combined once, on the left of the result, as XLA requires it to be an identity
anyway.
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from .. import tree as tree_util
from ..core import ShapedArray, Tracer
from ..errors import DTypeError, InvalidArgumentError, ShapeError
from ..interpreters import batching, partial_eval
from ._util import as_operand, canonical_axes
from .elementwise import (add, add_p, and_, and_p, bitwise_and, bitwise_or, bitwise_xor,
                          convert_element_type, max, max_p, min, min_p, mul, mul_p, or_, or_p,
                          xor, xor_p)
from .reduction import reduce_and, reduce_max, reduce_min, reduce_or, reduce_prod, reduce_sum
from .shape import broadcast_in_dim, concatenate, reshape, slice as _slice, transpose

__all__ = ["reduce", "reduce_xor"]


def reduce_xor(operand, axes):
    """Bitwise (int) or logical (bool) xor over ``axes`` (a pairwise tree of ``xor``)."""
    x = as_operand(operand)
    if not (dtypes.is_integer(x.dtype) or dtypes.is_bool(x.dtype)):
        raise DTypeError(f"reduce_xor: needs a bool or integer operand, got {x.dtype}")
    zero = np.zeros((), x.dtype)
    return _tree_reduce("reduce_xor", [x], [as_operand(zero)], _flat_binary(xor),
                        canonical_axes(axes, x.ndim, "reduce_xor"), apply_init=False)[0]


# the monoids: which primitive, which fnx.lax functions are it, and its identity for a dtype
def _max_identity(dt):
    if dtypes.is_bool(dt):
        return False
    return -np.inf if dtypes.is_inexact(dt) else np.iinfo(dt).min


def _min_identity(dt):
    if dtypes.is_bool(dt):
        return True
    return np.inf if dtypes.is_inexact(dt) else np.iinfo(dt).max


_MONOIDS = {
    add_p: (reduce_sum, lambda dt: 0),
    mul_p: (reduce_prod, lambda dt: 1),
    max_p: (reduce_max, _max_identity),
    min_p: (reduce_min, _min_identity),
    and_p: (reduce_and, lambda dt: True if dtypes.is_bool(dt) else np.array(-1).astype(dt)),
    or_p: (reduce_or, lambda dt: 0),
    xor_p: (reduce_xor, lambda dt: 0),
}
_FUNCTIONS = {add: add_p, mul: mul_p, max: max_p, min: min_p, and_: and_p, bitwise_and: and_p,
              or_: or_p, bitwise_or: or_p, xor: xor_p, bitwise_xor: xor_p}


def _traced_primitive(computation, dtype):
    """The primitive ``computation(a, b)`` is, if tracing it on two scalars gives exactly one
    equation of a monoid primitive on (a, b) in either order; else None."""
    aval = ShapedArray((), dtype, False)
    try:
        closed = partial_eval.trace_to_jaxpr(lambda a, b: [computation(a, b)], [aval, aval])
    except Exception:  # noqa: BLE001 -- not a scalar function: the general path reports it
        return None
    jaxpr = closed.jaxpr
    if len(jaxpr.eqns) != 1 or closed.consts:
        return None
    eqn = jaxpr.eqns[0]
    ins = {id(v) for v in eqn.inputs}
    if (eqn.primitive in _MONOIDS and len(eqn.inputs) == 2
            and ins == {id(v) for v in jaxpr.in_binders} and jaxpr.outs == eqn.out_binders):
        return eqn.primitive
    return None


def _monoid_reducer(computation, init, dtype):
    """The ``reduce_*`` function for (computation, init) when init is that monoid's identity."""
    if isinstance(init, Tracer) or init.shape != () or init.dtype != dtype:
        return None
    prim = _FUNCTIONS.get(computation) if _hashable(computation) else None
    prim = prim or _traced_primitive(computation, dtype)
    if prim is None or (prim in (and_p, or_p, xor_p) and dtypes.is_inexact(dtype)):
        return None
    reducer, identity = _MONOIDS[prim]
    value = np.asarray(init)
    return reducer if np.array_equal(value, np.asarray(identity(dtype)).astype(dtype)) else None


def _hashable(x) -> bool:
    try:
        hash(x)
        return True
    except TypeError:
        return False


def reduce(operands, init_values, computation, dimensions):
    """``jax.lax.reduce``: reduce ``operands`` (an array or a pytree of same-shaped arrays)
    over ``dimensions`` with ``computation(x, y)`` (scalars, or pytrees of scalars shaped like
    ``operands``), starting from ``init_values`` (scalars, same pytree).

    >>> reduce(x, 0.0, fnx.lax.add, (0,))                    # reduce_sum(x, (0,))
    >>> reduce((v, i), (-inf, 0), argmax_combiner, (1,))     # a variadic reduction
    """
    flat_ops, tree = tree_util.tree_flatten(operands)
    flat_init, init_tree = tree_util.tree_flatten(init_values)
    if tree != init_tree:
        raise InvalidArgumentError(f"reduce: operands and init_values must have the same tree "
                                   f"structure, got {tree} and {init_tree}")
    if not flat_ops:
        raise InvalidArgumentError("reduce: needs at least one operand")
    flat_ops = [as_operand(x, op="reduce") for x in flat_ops]
    shape = tuple(flat_ops[0].shape)
    if any(tuple(x.shape) != shape for x in flat_ops):
        raise ShapeError("reduce: every operand must have the same shape, got "
                         f"{[tuple(x.shape) for x in flat_ops]}")
    flat_init = [_init_value(v, x.dtype) for v, x in zip(flat_init, flat_ops)]
    dims = canonical_axes(dimensions, len(shape), "reduce")
    if len(flat_ops) == 1:
        fast = _monoid_reducer(computation, flat_init[0], flat_ops[0].dtype)
        if fast is not None:
            return tree_util.tree_unflatten(tree, [fast(flat_ops[0], dims)])
    combine = _flat_computation(computation, tree, [x.dtype for x in flat_ops])
    return tree_util.tree_unflatten(tree, _tree_reduce("reduce", flat_ops, flat_init, combine,
                                                        dims, apply_init=True))


def _init_value(v, dtype):
    """An init value as a scalar of the operand's dtype (a Python scalar takes it; an array of
    another dtype is an error, as in JAX)."""
    v = as_operand(v, dtype, "reduce")
    if v.shape != ():
        raise ShapeError(f"reduce: init values must be scalars, got shape {tuple(v.shape)}")
    if v.dtype != dtype:
        if not v.weak_type:
            raise DTypeError(f"reduce: an init value of dtype {v.dtype} does not match its "
                             f"operand's dtype {dtype}")
        v = convert_element_type(v, dtype)
    return v


def _flat_binary(fn):
    """A binary function of scalars as the flat-list combiner ``_tree_reduce`` calls."""
    return lambda xs, ys: [fn(xs[0], ys[0])]


def _flat_computation(computation, tree, dtype_list):
    """``computation`` on flat lists: (x leaves, y leaves) -> result leaves, checked to keep
    the operands' tree structure and dtypes."""
    def combine(xs, ys):
        out = computation(tree_util.tree_unflatten(tree, xs), tree_util.tree_unflatten(tree, ys))
        leaves, out_tree = tree_util.tree_flatten(out)
        if out_tree != tree:
            raise InvalidArgumentError(f"reduce: computation must return the operands' structure "
                                       f"{tree}, got {out_tree}")
        leaves = [as_operand(v, dt) for v, dt in zip(leaves, dtype_list)]
        for v, dt in zip(leaves, dtype_list):
            if v.dtype != dt:
                if not v.weak_type:
                    raise DTypeError(f"reduce: computation returned {v.dtype} for an operand of "
                                     f"dtype {dt}")
        return [v if v.dtype == dt else convert_element_type(v, dt)
                for v, dt in zip(leaves, dtype_list)]
    return combine


def _batched(combine, xs, ys, x_dims, y_dims, size):
    """``combine`` applied to every one of ``size`` element pairs at once (flat lists)."""
    n = len(xs)
    return batching.batch_flat(lambda *a: combine(list(a[:n]), list(a[n:])), xs + ys,
                               x_dims + y_dims, size, lambda k: [0] * k)


def _tree_reduce(op, flat_ops, flat_init, combine, dims, apply_init: bool):
    """Reduce ``dims`` of the same-shaped ``flat_ops`` with ``combine`` pairwise (module
    docstring); ``apply_init``: combine the init values once, on the left."""
    shape = tuple(flat_ops[0].shape)
    kept = [d for d in range(len(shape)) if d not in dims]
    kept_shape = tuple(shape[d] for d in kept)
    m = math.prod(kept_shape)
    n = math.prod(shape[d] for d in dims)
    if m == 0 or n == 0:
        return [broadcast_in_dim(v, kept_shape, ()) for v in flat_init]
    # every operand as (m, n): the reduced axes, in order, flattened last
    xs = [reshape(transpose(x, tuple(kept) + tuple(dims)), (m, n)) for x in flat_ops]
    while n > 1:
        half = n // 2
        evens = [_slice(x, (0, 0), (m, 2 * half), (1, 2)) for x in xs]
        odds = [_slice(x, (0, 1), (m, 2 * half), (1, 2)) for x in xs]
        flat = lambda vs: [reshape(v, (m * half,)) for v in vs]  # noqa: E731
        pairs = _batched(combine, flat(evens), flat(odds), [0] * len(xs), [0] * len(xs),
                         m * half)
        pairs = [reshape(v, (m, half)) for v in pairs]
        if n % 2:
            pairs = [concatenate([p, _slice(x, (0, n - 1), (m, n))], 1)
                     for p, x in zip(pairs, xs)]
        xs, n = pairs, half + n % 2
    xs = [reshape(x, (m,)) for x in xs]
    if apply_init:
        xs = _batched(combine, list(flat_init), xs, [None] * len(xs), [0] * len(xs), m)
    return [reshape(x, kept_shape) for x in xs]
