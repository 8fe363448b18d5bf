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
from ..core import Array, Fusion, Primitive, Tracer, asarray_concrete, bind_custom
from ..errors import AutodiffError, FnxError
from . import array_ops
from .ad import Zero, instantiate_zeros, is_differentiable_dtype, transpose_rules


def _split_args(args, nondiff_argnums):
    nondiff = [args[i] for i in nondiff_argnums]
    diff = [a for i, a in enumerate(args) if i not in nondiff_argnums]
    return nondiff, diff


def _merge_args(nondiff_argnums, nondiff, diff):
    nd, d = iter(nondiff), iter(diff)
    total = len(nondiff) + len(diff)
    return [next(nd) if i in nondiff_argnums else next(d) for i in range(total)]


def _traced_nondiff(nondiff):
    """``(nondiff_of, extra)``: the Tracer leaves of the nondiff arguments (``extra``, passed as
    operands) and ``nondiff_of(values)`` rebuilding the nondiff arguments with ``values`` in
    their place (the other leaves are static and stay as given)."""
    leaves, treedef = tree_util.flatten(nondiff)
    traced = [i for i, x in enumerate(leaves) if isinstance(x, Tracer)]

    def nondiff_of(values):
        if not traced:
            return nondiff
        rebuilt = list(leaves)
        for i, x in zip(traced, values):
            rebuilt[i] = x
        return tree_util.unflatten(treedef, rebuilt)
    return nondiff_of, [leaves[i] for i in traced]


def _as_leaf_operand(x):
    return x if isinstance(x, (Array, Tracer)) else asarray_concrete(x)


def _type_str(aval) -> str:
    return f"{aval.dtype}{list(aval.shape)}"


def _conform_to(value, aval, mismatch_message):
    """``value`` (a rule's tangent / cotangent leaf) checked against ``aval``, the shape and dtype
    it must have.  A weak-typed Python scalar of the right shape takes ``aval``'s dtype; any
    other shape or dtype difference raises ``mismatch_message(value's type str)`` -- accepting
    it would silently give wrongly shaped gradients (or zeros, where the tangent is dropped)."""
    from ..core import get_aval
    v = _as_leaf_operand(value)
    got = get_aval(v)
    if tuple(got.shape) == tuple(aval.shape):
        if got.dtype == aval.dtype:
            return v
        if getattr(got, "weak_type", False) and got.dtype.kind in "fiub":
            return array_ops.convert_element_type(v, aval.dtype)
    raise AutodiffError(mismatch_message(_type_str(got)))


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
        n_diff = len(flat)
        # Traced nondiff arguments (a key batched by vmap, a value of an enclosing jit) travel
        # as extra operands, not closures: a transformation must see them to batch / stage
        # them (closed over, a batched key leaked its BatchTracer through a while_loop).  The
        # rule still gets them as nondiff arguments, without tangents.
        nondiff_of, extra = _traced_nondiff(nondiff)
        flat = flat + extra
        out_tree = []

        def flat_fun(*xs):
            out = self.fun(*_merge_args(self.nondiff_argnums, nondiff_of(xs[n_diff:]),
                                        tree_util.unflatten(in_tree, list(xs[:n_diff]))))
            leaves, tdef = tree_util.flatten(out)
            out_tree.append(tdef)
            return leaves

        def flat_jvp(primals, tangents):
            p = tree_util.unflatten(in_tree, list(primals[:n_diff]))
            t = tree_util.unflatten(in_tree, list(tangents[:n_diff]))
            ans, tan = self._call_rule(nondiff_of(primals[n_diff:]), tuple(p), tuple(t))
            ans_leaves, tdef = tree_util.flatten(ans)
            out_tree.append(tdef)
            return ans_leaves, self._checked_tangents(ans, tdef, tan)

        outs = bind_custom("process_custom_jvp_call", flat, flat_fun, flat_jvp)
        return tree_util.unflatten(out_tree[-1], outs)


    def _call_rule(self, nondiff, primals, tangents):
        out = self.jvp(*nondiff, primals, tangents)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise AutodiffError(f"custom_jvp rule of {self.__name__!r} must return a pair "
                                f"(primal_out, tangent_out), got {_short_repr(out)}")
        return out

    def _checked_tangents(self, ans, ans_tree, tan) -> list:
        """The rule's tangent leaves, each checked against its primal output: same pytree
        structure, shape and dtype (the tangent of a float output has its dtype)."""
        from ..core import get_aval, raise_to_shaped
        tan_leaves, tan_tree = tree_util.flatten(tan)
        if tan_tree != ans_tree:
            raise AutodiffError(
                f"custom_jvp rule of {self.__name__!r} must produce primal and tangent outputs "
                f"with the same pytree structure: primal {ans_tree}, tangent {tan_tree}")
        out = []
        for (path, primal), t in zip(tree_util.leaves_with_path(ans), tan_leaves):
            aval = raise_to_shaped(get_aval(_as_leaf_operand(primal)))
            if not is_differentiable_dtype(aval.dtype):
                out.append(t)  # integer outputs have no tangent to check (it is ignored)
                continue
            where = tree_util.keystr(path)
            out.append(_conform_to(t, aval, lambda got, where=where, aval=aval: (
                f"custom_jvp rule of {self.__name__!r} must produce a tangent output with the "
                f"shape and dtype of its primal output, but{_at_output(where)} the tangent is "
                f"{got} and the primal output {_type_str(aval)}")))
        return out


def _at_output(where: str) -> str:
    return f" at output{where}" if where else ""


def _short_repr(x, limit: int = 80) -> str:
    r = f"{type(x).__name__} {x!r}"
    return r if len(r) <= limit else r[:limit] + "..."


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
        n_diff = len(flat)
        # traced nondiff arguments travel as extra operands (see custom_jvp.__call__) and reach
        # bwd through the residuals; their cotangents are zero
        nondiff_of, extra = _traced_nondiff(nondiff)
        flat = flat + extra
        trees = {}

        def flat_fun(*xs):
            out = self.fun(*_merge_args(self.nondiff_argnums, nondiff_of(xs[n_diff:]),
                                        tree_util.unflatten(in_tree, list(xs[:n_diff]))))
            leaves, trees["out"] = tree_util.flatten(out)
            return leaves

        def flat_fwd(*xs):
            out, res = self.fwd(*_merge_args(self.nondiff_argnums, nondiff_of(xs[n_diff:]),
                                             tree_util.unflatten(in_tree, list(xs[:n_diff]))))
            out_leaves, trees["out"] = tree_util.flatten(out)
            res_leaves, trees["res"] = tree_util.flatten(res)
            trees["n_res"] = len(res_leaves)
            return out_leaves, [_as_leaf_operand(r) for r in res_leaves] + list(xs[n_diff:])

        def flat_bwd(res_leaves, cts):
            n_res = trees["n_res"]
            res = tree_util.unflatten(trees["res"], list(res_leaves[:n_res]))
            ct_out = tree_util.unflatten(trees["out"], list(cts))
            cts_in = self.bwd(*nondiff_of(res_leaves[n_res:]), res, ct_out)
            return self._checked_cotangents(cts_in, diff) + [None] * len(extra)

        outs = bind_custom("process_custom_vjp_call", flat, flat_fun, flat_fwd, flat_bwd)
        return tree_util.unflatten(trees["out"], outs)

    def _checked_cotangents(self, cts_in, diff) -> list:
        """The bwd's cotangents as flat leaves, checked against the differentiable arguments:
        a tuple with one entry per argument (None: zero), each with the argument's pytree
        structure, and every leaf with its shape and dtype."""
        from ..core import get_aval, raise_to_shaped
        if not isinstance(cts_in, (tuple, list)) or len(cts_in) != len(diff):
            got = (f"a {type(cts_in).__name__} of length {len(cts_in)}"
                   if isinstance(cts_in, (tuple, list)) else _short_repr(cts_in))
            if isinstance(cts_in, (Array, Tracer)):
                from ..core import get_aval
                got = f"a single array {_type_str(get_aval(cts_in))}"
            raise AutodiffError(
                f"custom_vjp bwd rule of {self.__name__!r} must return a tuple with one "
                f"cotangent per differentiable argument ({len(diff)}), got {got}")
        out = []
        for i, (arg, ct) in enumerate(zip(diff, cts_in)):
            arg_tree = tree_util.structure(arg)
            if ct is None:  # a zero cotangent of a whole argument
                out.extend([None] * arg_tree.num_leaves)
                continue
            try:
                ct_leaves = arg_tree.flatten_up_to(ct)
            except (ValueError, TypeError) as e:
                raise AutodiffError(
                    f"custom_vjp bwd rule of {self.__name__!r} must produce cotangents with the "
                    f"pytree structure of the primal arguments: at output[{i}] the argument is "
                    f"{arg_tree} but the cotangent is {tree_util.structure(ct)}") from e
            for (path, leaf), c in zip(tree_util.leaves_with_path(arg), ct_leaves):
                aval = raise_to_shaped(get_aval(_as_leaf_operand(leaf)))
                if c is None or not is_differentiable_dtype(aval.dtype):
                    out.append(c)
                    continue
                where = f"[{i}]{tree_util.keystr(path)}"
                out.append(_conform_to(c, aval, lambda got, where=where, aval=aval: (
                    f"Custom VJP bwd rule {self.__name__!r} must produce an output with the "
                    f"same shape/dtypes as the args tuple of the primal function, but at "
                    f"output{where} the bwd rule produced an output of shape/dtype {got} "
                    f"corresponding to an input of shape/dtype {_type_str(aval)}")))
        return out


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


# -- staged custom calls: what jit / make_jaxpr record, so the rules survive staging ---------------
#
# Under a staging trace (jit, make_jaxpr) a custom_jvp / custom_vjp function is not inlined: its
# body is traced into ``call_jaxpr`` and recorded as one equation that keeps the Python rules.
# Differentiating the staged program later (grad(jit(f))) then still uses them.  Operands are
# ``consts + args`` (the body's closed-over constants first); the rules see only ``args``.
# The compiler inlines the body (fnx.compiler.passes.inline_calls).

custom_jvp_call_p = Primitive("custom_jvp_call", multiple_results=True, fusion=Fusion.CALL,
                               call_jaxpr_param="call_jaxpr")
custom_vjp_call_p = Primitive("custom_vjp_call", multiple_results=True, fusion=Fusion.CALL,
                               call_jaxpr_param="call_jaxpr")


def _call_abstract_eval(*avals, call_jaxpr, num_consts, **rules):
    return [v.aval for v in call_jaxpr.outs]


def _call_impl(*args, call_jaxpr, num_consts, **rules):
    from ..core import eval_jaxpr
    return eval_jaxpr(call_jaxpr, list(args))


for _p in (custom_jvp_call_p, custom_vjp_call_p):
    _p.def_abstract_eval(_call_abstract_eval)
    _p.def_impl(_call_impl)


def _custom_jvp_call_jvp_rule(primals, tangents, *, call_jaxpr, num_consts, jvp):
    args = list(primals[num_consts:])
    ts = [instantiate_zeros(t) for t in tangents[num_consts:]]
    return jvp(args, ts)


def _custom_vjp_call_jvp_rule(primals, tangents, *, call_jaxpr, num_consts, fwd, bwd):
    from ..core import get_aval
    args = list(primals[num_consts:])
    ts = tangents[num_consts:]
    if all(isinstance(t, Zero) for t in ts):
        outs = custom_vjp_call_p.bind(*primals, call_jaxpr=call_jaxpr, num_consts=num_consts,
                                      fwd=fwd, bwd=bwd)
        return outs, [Zero.from_value(o) for o in outs]
    outs, residuals = fwd(*args)
    tangents_out = custom_lin(residuals, [instantiate_zeros(t) for t in ts], bwd,
                              [get_aval(o) for o in outs])
    return outs, tangents_out


def _stage_custom_call(prim, fun, tracers, **rules):
    """Trace ``fun`` at the tracers' avals and bind ``prim`` (on the staging trace)."""
    from ..core import get_aval, raise_to_shaped
    from .partial_eval import trace_open
    avals = [raise_to_shaped(get_aval(t)) for t in tracers]
    call_jaxpr, consts = trace_open(lambda *xs: list(fun(*xs)), avals)
    return prim.bind(*consts, *tracers, call_jaxpr=call_jaxpr, num_consts=len(consts), **rules)


def stage_custom_jvp_call(fun, jvp, tracers):
    return _stage_custom_call(custom_jvp_call_p, fun, tracers, jvp=jvp)


def stage_custom_vjp_call(fun, fwd, bwd, tracers):
    return _stage_custom_call(custom_vjp_call_p, fun, tracers, fwd=fwd, bwd=bwd)


def _batched_call_jaxpr(call_jaxpr, args, dims, axis_size):
    """The call's body batched (every output with its batch axis at 0), traced."""
    from ..core import eval_jaxpr, get_aval, raise_to_shaped
    from .batching import batch_flat
    from .partial_eval import trace_open
    avals = [raise_to_shaped(get_aval(a)) for a in args]

    def body(*xs):
        return batch_flat(lambda *ys: eval_jaxpr(call_jaxpr, list(ys)), list(xs), list(dims),
                          axis_size, lambda n: [0] * n)
    return trace_open(body, avals)


def _vmapped(fun, in_dims, axis_size):
    """``fun`` (flat list -> flat list) run under a fresh vmap, outputs batched at 0."""
    from .batching import batch_flat

    def run(*xs):
        return batch_flat(lambda *ys: list(fun(*ys)), list(xs), list(in_dims), axis_size,
                          lambda n: [0] * n)
    return run


def _custom_jvp_call_batching_rule(axis_size, args, dims, *, call_jaxpr, num_consts, jvp):
    b_jaxpr, consts = _batched_call_jaxpr(call_jaxpr, args, dims, axis_size)
    arg_dims = list(dims[num_consts:])

    def batched_jvp(primals, tangents):
        n = len(primals)

        def per_example(*xs):
            p_out, t_out = jvp(list(xs[:n]), list(xs[n:]))
            return list(p_out) + list(t_out)
        outs = _vmapped(per_example, arg_dims * 2, axis_size)(*primals, *tangents)
        half = len(outs) // 2
        return outs[:half], outs[half:]

    outs = custom_jvp_call_p.bind(*consts, *args, call_jaxpr=b_jaxpr,
                                  num_consts=len(consts) + num_consts, jvp=batched_jvp)
    return outs, [0] * len(outs)


def _custom_vjp_call_batching_rule(axis_size, args, dims, *, call_jaxpr, num_consts, fwd, bwd):
    from .batching import _batched_custom_bwd
    b_jaxpr, consts = _batched_call_jaxpr(call_jaxpr, args, dims, axis_size)
    arg_dims = list(dims[num_consts:])
    n_out = len(call_jaxpr.outs)

    def batched_fwd(*primals):
        def per_example(*xs):
            outs, res = fwd(*xs)
            return list(outs) + list(res)
        everything = _vmapped(per_example, arg_dims, axis_size)(*primals)
        return everything[:n_out], everything[n_out:]

    outs = custom_vjp_call_p.bind(*consts, *args, call_jaxpr=b_jaxpr,
                                  num_consts=len(consts) + num_consts, fwd=batched_fwd,
                                  bwd=_batched_custom_bwd(bwd, axis_size, arg_dims))
    return outs, [0] * len(outs)


def _register_staged_call_rules():
    from . import ad, batching
    ad.jvp_rules[custom_jvp_call_p] = _custom_jvp_call_jvp_rule
    ad.jvp_rules[custom_vjp_call_p] = _custom_vjp_call_jvp_rule
    batching.batching_rules[custom_jvp_call_p] = _custom_jvp_call_batching_rule
    batching.batching_rules[custom_vjp_call_p] = _custom_vjp_call_batching_rule


_register_staged_call_rules()
