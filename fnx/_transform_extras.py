"""jax's smaller transformation helpers, on fnx's core ones: ``linear_transpose``,
``closure_convert``, ``custom_gradient`` (TensorFlow-style custom gradients on custom_vjp)."""
from __future__ import annotations

import functools

from . import numpy as fnp, tree
from .api import vjp
from .core import Tracer, eval_jaxpr
from .interpreters.custom import custom_vjp
from .interpreters.partial_eval import make_jaxpr

__all__ = ["closure_convert", "custom_gradient", "linear_transpose"]


def _zeros_like_spec(x):
    """A zero array of ``x``'s shape and dtype (``x``: an array or a ShapeDtypeStruct)."""
    return fnp.zeros(tuple(x.shape), x.dtype) if hasattr(x, "shape") else fnp.zeros_like(x)


def linear_transpose(fun, *primals, reduce_axes=()):
    """The transpose of the linear function ``fun`` at arguments shaped like ``primals``
    (arrays or ``ShapeDtypeStruct``s): ``f_t(ct)`` returns a tuple with one cotangent per
    primal, of the primal's dtype.  As ``jax.linear_transpose``; ``fun`` must really be linear
    (for a linear function the VJP at any point is its transpose: fnx takes it at zero)."""
    if reduce_axes:
        raise NotImplementedError("linear_transpose: reduce_axes is not supported (deprecated "
                                  "in JAX too)")
    if not callable(fun):
        raise TypeError(f"linear_transpose: expected a function, got {type(fun).__name__}")
    leaves, in_tree = tree.flatten(primals)
    for x in leaves:
        if not fnp.issubdtype(x.dtype, fnp.inexact):
            raise TypeError(f"linear_transpose: primals must be floating or complex, got "
                            f"{fnp.dtype(x.dtype).name}")
    zeros = tree.unflatten(in_tree, [_zeros_like_spec(x) for x in leaves])
    _, pullback = vjp(fun, *zeros)
    dtypes_in = [fnp.dtype(x.dtype) for x in leaves]

    def transposed(*cotangent):
        ct = cotangent[0] if len(cotangent) == 1 else cotangent
        outs = pullback(ct)
        flat, tree_out = tree.flatten(outs)
        return tree.unflatten(tree_out, [fnp.asarray(o).astype(d)
                                         for o, d in zip(flat, dtypes_in)])
    return transposed


def closure_convert(fun, *example_args):
    """``(converted, consts)``: ``converted(*args, *consts)`` computes ``fun(*args)`` with the
    arrays ``fun`` closes over (including tracers of enclosing transformations) passed
    explicitly, as ``jax.closure_convert`` -- for custom_vjp rules that must not close over
    traced values."""
    closed, out_shape = make_jaxpr(fun, return_shape=True)(*example_args)
    consts = list(closed.consts)
    out_tree = tree.structure(out_shape)
    n_args = len(example_args)

    @functools.wraps(fun)
    def converted(*args_and_consts):
        args, hoisted = args_and_consts[:n_args], args_and_consts[n_args:]
        if len(hoisted) != len(consts):
            raise TypeError(f"closure_convert({getattr(fun, '__name__', 'fun')}): expected "
                            f"{n_args} arguments and {len(consts)} constants, got "
                            f"{len(args_and_consts)} values")
        flat = tree.leaves(args)
        return tree.unflatten(out_tree, eval_jaxpr(closed.jaxpr, list(hoisted) + flat))
    return converted, consts


def custom_gradient(fun=None):
    """TensorFlow-style custom gradients (``jax.custom_gradient``): ``fun(*args)`` returns
    ``(value, vjp_fn)`` and ``vjp_fn(ct)`` the tuple of cotangents of ``args``.  The function
    returned computes ``value`` and differentiates with ``vjp_fn``; ``vjp_fn`` may close over
    the forward pass's intermediate values (they are hoisted as residuals)."""
    if fun is None:
        return custom_gradient
    if not callable(fun):
        raise TypeError(f"custom_gradient: expected a function, got {type(fun).__name__}")

    @custom_vjp
    def wrapped(*args):
        return fun(*args)[0]

    def forward(*args):
        value, rule = fun(*args)

        def as_tuple(ct):
            out = rule(ct)
            return tuple(out) if isinstance(out, (tuple, list)) else (out,)
        converted, consts = closure_convert(as_tuple, value)

        def rule_of_residuals(*consts_then_ct):
            return converted(consts_then_ct[-1], *consts_then_ct[:-1])
        # the rule's code is static (the Partial's function); the arrays it closes over travel
        # as the residuals
        return value, tree.Partial(rule_of_residuals, *consts)

    def backward(rule, ct):
        return rule(ct)

    wrapped.defvjp(forward, backward)
    functools.update_wrapper(wrapped, fun)
    return wrapped
