"""``fnx.custom_batching``: ``custom_vmap`` and ``sequential_vmap`` (jax.custom_batching).

A ``custom_vmap`` function runs its own body everywhere except under ``vmap``, where the user's
rule runs instead::

    @custom_vmap
    def f(x, y):
        return x + y

    @f.def_vmap
    def f_rule(axis_size, in_batched, xs, ys):   # in_batched: one bool (pytree) per argument
        return xs * ys, True                     # (output, which outputs carry the batch axis)

It is a primitive, ``custom_vmap_call``: operands ``consts + args`` (the body's closed-over
constants first), params ``call_jaxpr`` (the traced body), ``num_consts`` and ``rule`` (the flat
rule).  Its impl evaluates the body and jit inlines it (``Fusion.CALL``), so outside vmap the
body runs as if undecorated.  Its rules, with JAX's semantics:

* vmap: the batched arguments get their batch axis at the front, the rule runs on them (an
  unbatched argument is passed as it is, with ``in_batched`` False), and its outputs marked
  batched carry the axis at 0.  Nested vmaps nest naturally: the rule's own operations (and any
  custom_vmap function it calls) are batched by the outer vmap.  A body that closes over a value
  batched by an enclosing vmap is an error (the rule could not see that value's batch axis):
  pass it as an argument.
* jvp: a new custom_vmap call of the body's JVP whose rule is the JVP of the user's rule, so
  ``vmap(jvp(f))`` / ``jacfwd`` still use the rule.  When only the primal or only the tangent
  of an argument is batched, the rule is told that argument is unbatched and runs under an
  ordinary vmap over that "extra" batch axis (as JAX); when some arguments are batched on both
  sides too, the extra ones are broadcast to batched instead (one batch axis for the rule).
* reverse mode (grad / vjp / linearize) is not supported, as in JAX: the primal outputs of the
  JVP call depend on the tangents' call, so linearization fails with JAX's message.  Wrap the
  function in ``custom_vjp`` (outside the custom_vmap) to differentiate it in reverse mode.
"""
from __future__ import annotations

import functools
import inspect

from . import lax
from . import tree as tree_util
from .core import (Array, Fusion, Primitive, Tracer, asarray_concrete, eval_jaxpr, get_aval,
                   raise_to_shaped)
from .errors import AutodiffError, InvalidArgumentError, ShapeError
from .interpreters import ad, batching
from .interpreters.partial_eval import trace_open

__all__ = ["custom_vmap", "sequential_vmap"]


class custom_vmap:
    """A function with a user-defined vmap rule (jax.custom_batching.custom_vmap).

    ``f.def_vmap(rule)``: ``rule(axis_size, in_batched, *args) -> (out, out_batched)``, where
    ``in_batched`` is a list with one entry per argument (a pytree of bools shaped like it),
    batched arguments carry the batch axis at 0, and ``out_batched`` is a pytree of bools with
    the structure of ``out``."""

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.vmap_rule = None

    def def_vmap(self, vmap_rule):
        """Set the vmap rule; returns it unchanged (so it can decorate)."""
        self.vmap_rule = vmap_rule
        return vmap_rule

    def __call__(self, *args, **kwargs):
        name = getattr(self.fun, "__name__", "<function>")
        args = _positional(self.fun, name, args, kwargs)
        if self.vmap_rule is None:
            raise AttributeError(f"No batching rule defined for custom_vmap function {name} "
                                 f"using def_vmap: decorate one with @{name}.def_vmap")
        flat, in_tree = tree_util.flatten(args)
        flat = [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x) for x in flat]
        out_tree = []

        def flat_fun(*xs):
            out = self.fun(*tree_util.unflatten(in_tree, list(xs)))
            leaves, tdef = tree_util.flatten(out)
            out_tree.append(tdef)
            return leaves

        avals = [raise_to_shaped(get_aval(x)) for x in flat]
        call_jaxpr, consts = trace_open(flat_fun, avals, name=name)
        rule = _FlatRule(self.vmap_rule, in_tree, out_tree[0], call_jaxpr)
        outs = custom_vmap_call_p.bind(*consts, *flat, call_jaxpr=call_jaxpr,
                                       num_consts=len(consts), rule=rule)
        return tree_util.unflatten(out_tree[0], outs)


def _positional(fun, name, args, kwargs) -> tuple:
    """``args`` and ``kwargs`` bound to ``fun``'s parameters as one positional tuple."""
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"The input arguments to the custom_vmap-decorated function {name} "
                        f"could not be resolved to positional-only arguments:\n{e}") from e
    if bound.kwargs:
        raise TypeError(f"The input arguments to the custom_vmap-decorated function {name} "
                        "could not be resolved to positional-only arguments:\nThe following "
                        f"keyword arguments could not be resolved to positions: "
                        f"{', '.join(bound.kwargs)}")
    return tuple(bound.args)


def _rule_name(rule) -> str:
    return getattr(rule, "__name__", "<unnamed rule>")


class _FlatRule:
    """The user's rule over flat lists: ``(axis_size, in_batched, args) -> (outs, out_batched)``
    with the output's structure and each output's shape checked against the body's."""

    def __init__(self, rule, in_tree, out_tree, call_jaxpr):
        functools.update_wrapper(self, rule)
        self.rule, self.in_tree, self.out_tree = rule, in_tree, out_tree
        self.out_avals = [v.aval for v in call_jaxpr.outs]

    def __repr__(self):      # how make_jaxpr prints the param
        return _rule_name(self.rule)

    def __call__(self, axis_size, in_batched, args):
        name = _rule_name(self.rule)
        args_tree = tree_util.unflatten(self.in_tree, list(args))
        batched_tree = tree_util.unflatten(self.in_tree, list(in_batched))
        result = self.rule(axis_size, list(batched_tree), *args_tree)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise InvalidArgumentError(
                f"custom vmap rule ({name}) must return a pair (output, out_batched), got "
                f"{type(result).__name__}")
        out, out_batched = result
        outs, tree1 = tree_util.flatten(out)
        flags, tree2 = tree_util.flatten(out_batched)
        if tree1 != tree2:
            raise ValueError(
                f"structure of output value and output batching specification returned by "
                f"custom vmap rule ({name}) do not match.\nOutput values: {tree1}\n"
                f"Batching spec: {tree2}")
        if tree1 != self.out_tree:
            raise ValueError(
                f"structure of output returned by custom vmap rule ({name}) does not match "
                f"that of original custom-vmapped function.\nOriginal output: {self.out_tree}\n"
                f"Rule output: {tree1}")
        outs = [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x) for x in outs]
        flags = [bool(f) for f in flags]
        for i, (o, b, aval) in enumerate(zip(outs, flags, self.out_avals)):
            _check_rule_output(name, i, o, b, aval, axis_size)
        return outs, flags


def _check_rule_output(name, i, out, batched, aval, axis_size):
    got = raise_to_shaped(get_aval(out))
    want = ((axis_size,) if batched else ()) + tuple(aval.shape)
    if tuple(got.shape) != want or got.dtype != aval.dtype:
        raise ShapeError(
            f"custom vmap rule ({name}) output {i} is {got.dtype}{list(got.shape)}, but the "
            f"function's output is {aval.dtype}{list(aval.shape)}"
            + (f" and it is marked batched (size {axis_size} in front)" if batched else
               " and it is marked unbatched"))


# -- the primitive --------------------------------------------------------------------------------

custom_vmap_call_p = Primitive("custom_vmap_call", multiple_results=True, fusion=Fusion.CALL,
                               call_jaxpr_param="call_jaxpr")


@custom_vmap_call_p.def_abstract_eval
def _abstract_eval(*avals, call_jaxpr, num_consts, rule):
    return [v.aval for v in call_jaxpr.outs]


@custom_vmap_call_p.def_impl
def _impl(*args, call_jaxpr, num_consts, rule):
    return eval_jaxpr(call_jaxpr, list(args))


def _batching_rule(axis_size, args, dims, *, call_jaxpr, num_consts, rule):
    if any(d is not None for d in dims[:num_consts]):
        raise InvalidArgumentError(
            f"custom_vmap function (rule {_rule_name(rule)}) closes over a value that an "
            "enclosing vmap batches; its rule cannot see that batch axis: pass the value as an "
            "argument instead")
    vals = [x if d is None else batching.moveaxis(x, d, 0)
            for x, d in zip(args[num_consts:], dims[num_consts:])]
    outs, out_batched = rule(axis_size, [d is not None for d in dims[num_consts:]], vals)
    return outs, [0 if b else None for b in out_batched]


batching.batching_rules[custom_vmap_call_p] = _batching_rule


def _jvp_rule(primals, tangents, *, call_jaxpr, num_consts, rule):
    tangents = [ad.instantiate_zeros(t) for t in tangents]
    n = len(primals)

    def body_jvp(*xs):
        p_out, t_out = ad.jvp_flat(lambda *ys: eval_jaxpr(call_jaxpr, list(ys)),
                                   list(xs[:n]), list(xs[n:]))
        return list(p_out) + [ad.instantiate_zeros(t) for t in t_out]

    avals = [raise_to_shaped(get_aval(x)) for x in list(primals) + tangents]
    jvp_jaxpr, consts = trace_open(body_jvp, avals, name="custom_vmap_jvp")
    jvp_rule = _JvpOfRule(rule, n, num_consts)
    outs = custom_vmap_call_p.bind(*consts, *primals, *tangents, call_jaxpr=jvp_jaxpr,
                                   num_consts=len(consts), rule=jvp_rule)
    m = len(outs) // 2
    return outs[:m], outs[m:]


ad.jvp_rules[custom_vmap_call_p] = _jvp_rule


class _JvpOfRule:
    """The vmap rule of a custom_vmap call's JVP: the JVP of the original rule.  Its operands
    are ``primals + tangents`` of the original call's operands (whose first ``num_consts`` are
    the body's constants, which the original rule does not take)."""

    def __init__(self, rule, n, num_consts):
        self.rule, self.n, self.num_consts = rule, n, num_consts
        self.__name__ = _rule_name(rule)

    def __repr__(self):
        return f"jvp({self.__name__})"

    def __call__(self, axis_size, in_batched, args):
        n, k = self.n, self.num_consts
        p_flags, t_flags = list(in_batched[:n]), list(in_batched[n:])
        if any(p_flags[:k]) or any(t_flags[:k]):
            raise InvalidArgumentError(
                f"custom_vmap function (rule {self.__name__}) closes over a value that an "
                "enclosing vmap batches; pass the value as an argument instead")
        primals, tangents = list(args[k:n]), list(args[n + k:])
        p_flags, t_flags = p_flags[k:], t_flags[k:]
        mutual = [p and t for p, t in zip(p_flags, t_flags)]
        extra = [p != t for p, t in zip(p_flags, t_flags)]
        if any(mutual) and any(extra):
            # one batch axis for the rule: the side that lacks it gets it by broadcasting
            primals = [x if p or not t else batching.broadcast_batched(x, axis_size, 0)
                       for x, p, t in zip(primals, p_flags, t_flags)]
            tangents = [x if t or not p else batching.broadcast_batched(x, axis_size, 0)
                        for x, p, t in zip(tangents, p_flags, t_flags)]
            mutual = [p or t for p, t in zip(p_flags, t_flags)]
            extra = [False] * len(mutual)
        return self._jvp_under_extra_vmap(axis_size, mutual, primals, tangents, p_flags,
                                          t_flags, extra)

    def _jvp_under_extra_vmap(self, axis_size, mutual, primals, tangents, p_flags, t_flags,
                              extra):
        m = len(primals)
        rule_out_batched = []

        def rule_jvp(*xs):
            def to_jvp(*ps):
                outs, flags = self.rule(axis_size, mutual, list(ps))
                rule_out_batched[:] = flags
                return outs
            p_out, t_out = ad.jvp_flat(to_jvp, list(xs[:m]), list(xs[m:]))
            return list(p_out) + [ad.instantiate_zeros(t) for t in t_out]

        if not any(extra):
            outs = rule_jvp(*primals, *tangents)
            flags = list(rule_out_batched) * 2
            return outs, flags
        in_dims = ([0 if e and p else None for e, p in zip(extra, p_flags)]
                   + [0 if e and t else None for e, t in zip(extra, t_flags)])
        outs, dims = batching.batch_flat_keep_unbatched(rule_jvp, primals + tangents, in_dims,
                                                        axis_size)
        flags = [b or d is not None for b, d in zip(list(rule_out_batched) * 2, dims)]
        return outs, flags


def _transpose_rule(cts, *args, call_jaxpr, num_consts, rule):
    raise AutodiffError(
        f"reverse-mode differentiation (grad / vjp) of a custom_vmap function (rule "
        f"{_rule_name(rule)}) is not supported, as in JAX: wrap the function in custom_vjp")


ad.transpose_rules[custom_vmap_call_p] = _transpose_rule


# -- sequential_vmap ------------------------------------------------------------------------------

def sequential_vmap(f):
    """``f`` as a custom_vmap whose rule loops over the batch with ``lax.map`` (one call of
    ``f`` per example; unbatched leaves are passed to every call as they are)."""
    f = custom_vmap(f)

    @f.def_vmap
    def rule(axis_size, in_batched, *args):
        leaves, treedef = tree_util.flatten(list(args))
        flags = tree_util.leaves(list(in_batched))
        mapped = [x for x, b in zip(leaves, flags) if b]

        def one_example(mapped_leaves):
            it = iter(mapped_leaves)
            merged = [next(it) if b else x for x, b in zip(leaves, flags)]
            return f(*tree_util.unflatten(treedef, merged))

        out = lax.map(one_example, mapped)
        return out, tree_util.map(lambda _: True, out)

    return f
