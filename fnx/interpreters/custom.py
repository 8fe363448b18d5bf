"""User-defined derivatives: ``custom_jvp`` and ``custom_vjp`` (the JAX APIs).

A decorated function runs normally everywhere except under differentiation:

* ``custom_jvp``: the JVP trace calls the user's rule instead of differentiating the body.
  Reverse mode works too, because reverse mode is linearize + transpose of that JVP (so the
  rule's tangent computation must be linear in the tangents, as in JAX).
* ``custom_vjp``: the JVP trace runs the user's ``fwd`` and emits a ``custom_lin`` primitive that
  stands for the (unknown) linear map; transposing ``custom_lin`` calls the user's ``bwd``.
  Forward mode (``jvp``) of a custom_vjp function is an error, as in JAX.

Under other transformations (eval, make_jaxpr, partial evaluation) the function body is inlined.
"""
from __future__ import annotations

import functools

from .. import tree as tree_util
from ..core import Array, Primitive, Tracer, asarray_concrete, bind_custom
from ..errors import FnxError
from .ad import Zero, instantiate_zeros, transpose_rules


def _split_args(args, nondiff_argnums):
    nondiff = [args[i] for i in nondiff_argnums]
    diff = [a for i, a in enumerate(args) if i not in nondiff_argnums]
    return nondiff, diff


def _merge_args(nondiff_argnums, nondiff, diff):
    nd, d = iter(nondiff), iter(diff)
    total = len(nondiff) + len(diff)
    return [next(nd) if i in nondiff_argnums else next(d) for i in range(total)]


def _as_leaf_operand(x):
    return x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)


def _normalize_argnums(nondiff_argnums) -> tuple:
    if isinstance(nondiff_argnums, int):
        return (nondiff_argnums,)
    return tuple(sorted(nondiff_argnums))


class custom_jvp:
    """A function with a user-supplied JVP rule.

    >>> @custom_jvp
    ... def f(x):
    ...     return fnp.log1p(fnp.exp(x))
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return f(x), t * fnx.lax.logistic(x)

    With ``nondiff_argnums``, those arguments are passed first to the rule and get no tangents.
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = _normalize_argnums(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp):
        """Set the rule ``jvp(*nondiff_args, primals, tangents) -> (primal_out, tangent_out)``."""
        self.jvp = jvp
        return jvp

    def defjvps(self, *tangent_fns):
        """Set the JVP from one function per argument: ``fn(tangent, primal_out, *primals)``
        gives that argument's contribution (None: no contribution)."""
        def jvp(*args):
            *nondiff, primals, tangents = args
            ans = self.fun(*_merge_args(self.nondiff_argnums, nondiff, list(primals)))
            out = None
            for fn, t in zip(tangent_fns, tangents):
                if fn is None:
                    continue
                c = fn(t, ans, *primals)
                out = c if out is None else tree_util.map(lambda a, b: a + b, out, c)
            if out is None:
                out = tree_util.map(lambda a: a * 0, ans)
            return ans, out
        self.jvp = jvp
        return jvp

    def __call__(self, *args):
        if self.jvp is None:
            raise FnxError(f"custom_jvp function {self.__name__!r} has no JVP rule: decorate one "
                           "with @{name}.defjvp".replace("{name}", self.__name__))
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        flat, in_tree = tree_util.flatten(diff)
        flat = [_as_leaf_operand(x) for x in flat]
        out_tree = []

        def flat_fun(*xs):
            out = self.fun(*_merge_args(self.nondiff_argnums, nondiff,
                                        tree_util.unflatten(in_tree, list(xs))))
            leaves, tdef = tree_util.flatten(out)
            out_tree.append(tdef)
            return leaves

        def flat_jvp(primals, tangents):
            p = tree_util.unflatten(in_tree, list(primals))
            t = tree_util.unflatten(in_tree, list(tangents))
            ans, tan = self.jvp(*nondiff, tuple(p), tuple(t))
            ans_leaves, tdef = tree_util.flatten(ans)
            out_tree.append(tdef)
            return ans_leaves, tdef.flatten_up_to(tan)

        outs = bind_custom("process_custom_jvp_call", flat, flat_fun, flat_jvp)
        return tree_util.unflatten(out_tree[-1], outs)


class custom_vjp:
    """A function with a user-supplied VJP: ``f.defvjp(fwd, bwd)``.

    ``fwd(*args) -> (out, residuals)``; ``bwd(*nondiff_args, residuals, out_cotangent)`` returns
    a tuple with one cotangent per differentiable argument (None for zero).

    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> clip_gradient.defvjp(lambda x: (x, None), lambda _, g: (fnp.clip(g, -1, 1),))
    """

    def __init__(self, fun, nondiff_argnums=()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.nondiff_argnums = _normalize_argnums(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None:
            raise FnxError(f"custom_vjp function {self.__name__!r} has no rule: call "
                           f"{self.__name__}.defvjp(fwd, bwd)")
        nondiff, diff = _split_args(args, self.nondiff_argnums)
        flat, in_tree = tree_util.flatten(diff)
        flat = [_as_leaf_operand(x) for x in flat]
        trees = {}

        def flat_fun(*xs):
            out = self.fun(*_merge_args(self.nondiff_argnums, nondiff,
                                        tree_util.unflatten(in_tree, list(xs))))
            leaves, trees["out"] = tree_util.flatten(out)
            return leaves

        def flat_fwd(*xs):
            out, res = self.fwd(*_merge_args(self.nondiff_argnums, nondiff,
                                             tree_util.unflatten(in_tree, list(xs))))
            out_leaves, trees["out"] = tree_util.flatten(out)
            res_leaves, trees["res"] = tree_util.flatten(res)
            return out_leaves, [_as_leaf_operand(r) for r in res_leaves]

        def flat_bwd(res_leaves, cts):
            res = tree_util.unflatten(trees["res"], list(res_leaves))
            ct_out = tree_util.unflatten(trees["out"], list(cts))
            cts_in = self.bwd(*nondiff, res, ct_out)
            if not isinstance(cts_in, (tuple, list)) or len(cts_in) != len(diff):
                raise FnxError(f"custom_vjp bwd of {self.__name__!r} must return a tuple with "
                               f"one cotangent per differentiable argument ({len(diff)}), got "
                               f"{type(cts_in).__name__}")
            # None stands for a zero cotangent of a whole argument
            out = []
            for arg, ct in zip(diff, cts_in):
                arg_leaves = tree_util.leaves(arg)
                ct_leaves = [None] * len(arg_leaves) if ct is None else \
                    tree_util.structure(arg).flatten_up_to(ct)
                out.extend(ct_leaves)
            return out

        outs = bind_custom("process_custom_vjp_call", flat, flat_fun, flat_fwd, flat_bwd)
        return tree_util.unflatten(trees["out"], outs)


# -- custom_lin: the linear map of a custom_vjp, transposed by the user's bwd ---------------------

custom_lin_p = Primitive("custom_lin", multiple_results=True)


@custom_lin_p.def_abstract_eval
def _custom_lin_abstract_eval(*args, num_res, bwd, out_avals):
    return list(out_avals)


@custom_lin_p.def_impl
def _custom_lin_impl(*args, num_res, bwd, out_avals):
    raise FnxError("can't apply forward-mode autodiff (jvp) to a custom_vjp function; define a "
                   "custom_jvp rule instead, or differentiate it with grad/vjp")


def _custom_lin_transpose(cts, *args, num_res, bwd, out_avals):
    res = args[:num_res]
    cts = [instantiate_zeros(c) for c in cts]
    cts_in = bwd(res, cts)
    return [None] * num_res + [None if c is None else c for c in cts_in]


transpose_rules[custom_lin_p] = _custom_lin_transpose


def custom_lin(residuals, tangents, bwd, out_avals):
    """Stage the linear map of a custom_vjp: residuals are known, tangents are linear inputs."""
    from ..core import raise_to_shaped
    avals = tuple(raise_to_shaped(a) for a in out_avals)
    return custom_lin_p.bind(*residuals, *tangents, num_res=len(residuals), bwd=bwd,
                             out_avals=avals)
