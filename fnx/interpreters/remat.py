"""``checkpoint`` (alias ``remat``): trade memory for compute in reverse mode (JAX's API).

    outs = remat_p.bind(*operands, jaxpr=<Jaxpr>, prevent_cse=True, policy=None)

``jaxpr`` is an open jaxpr over exactly the operands (closed-over constants first), as for
``jit_p``.  Evaluated, batched or staged, a remat call is just its body.  What changes is
reverse mode:

* JVP: the JVP of the body, traced, called through ``remat_p`` again (so the JVP jaxpr --
  primal and tangent computation together -- stays one rematerialized unit).
* Partial evaluation (the forward pass of ``linearize`` / ``grad``): the known part of the body
  runs now, but only its *outputs* are kept.  The unknown (tangent) part is staged as a
  ``remat_p`` equation over the body's inputs, whose jaxpr *recomputes* the forward values it
  needs.  So the residuals saved for the backward pass are only the remat's inputs -- plus,
  with a ``policy``, the intermediate values the policy lets it save (``dots_saveable``: the
  results of matrix products, which are costly to recompute).
* Transposition (the backward pass): the staged body is linearized again at its known inputs,
  *at the moment the backward pass reaches it* -- that is the recomputation -- and the linear
  part is transposed (``backward_pass``).

Under ``jit(grad(f))`` the recomputation and the original forward pass are in one program, and
common-subexpression elimination would happily merge them back (undoing the remat).  With
``prevent_cse=True`` (the default) the transpose rule first passes the known inputs through an
``optimization_barrier``: identical values under new names, so the recomputed equations read
different variables than the forward ones and CSE cannot merge them.  The compiler removes the
barriers only after its last CSE round (``fnx.compiler.passes.strip_optimization_barriers``).

Policies are callables ``policy(prim, *in_avals, **params) -> bool``: may the results of an
equation of ``prim`` (with those input avals and params), computed on the known side, be saved
as residuals instead of recomputed?  See ``checkpoint_policies``.
"""
from __future__ import annotations

import functools
import types
from typing import Callable

from .. import tree as tree_util
from ..core import (Array, Eqn, Fusion, Jaxpr, Literal, Primitive, Tracer, Var,
                    asarray_concrete, eqn_has_effects, eval_jaxpr, full_lower, get_aval, new_main,
                    raise_to_shaped)
from ..errors import InvalidArgumentError
from . import ad, batching, partial_eval
from .partial_eval import (dce_jaxpr, partial_eval_jaxpr, partial_eval_jaxpr_rules, stage_eqn,
                           trace_open)

__all__ = ["checkpoint", "remat", "checkpoint_policies", "checkpoint_name",
           "optimization_barrier", "remat_p", "optimization_barrier_p", "name_p"]


# =============================================================================================
# optimization_barrier: identity that optimizations cannot see through
# =============================================================================================

optimization_barrier_p = Primitive("optimization_barrier", multiple_results=True)


@optimization_barrier_p.def_abstract_eval
def _barrier_abstract_eval(*avals):
    return [raise_to_shaped(a) for a in avals]


@optimization_barrier_p.def_impl
def _barrier_impl(*args):
    return list(args)


def _barrier_jvp(primals, tangents):
    outs = optimization_barrier_p.bind(*primals)
    nonzero = [t for t in tangents if not isinstance(t, ad.Zero)]
    t_outs = iter(optimization_barrier_p.bind(*nonzero) if nonzero else [])
    return outs, [t if isinstance(t, ad.Zero) else next(t_outs) for t in tangents]


def _barrier_transpose(cts, *args):
    return [ad.instantiate_zeros(c) if ad.is_undefined(a) else None for c, a in zip(cts, args)]


def _barrier_batching(axis_size, args, dims):
    return optimization_barrier_p.bind(*args), list(dims)


def _barrier_partial_eval(trace, tracers):
    # known operands pass the barrier now, unknown ones are staged (never mixed in one call)
    known = [full_lower(t) for t in tracers if t.pval.is_known]
    k_outs = iter(optimization_barrier_p.bind(*known) if known else [])
    unknown = [t for t in tracers if not t.pval.is_known]
    u_outs = iter(stage_eqn(trace, optimization_barrier_p, unknown, {},
                         [raise_to_shaped(t.aval) for t in unknown]))
    return [next(u_outs) if not t.pval.is_known else trace.lift(next(k_outs)) for t in tracers]


ad.jvp_rules[optimization_barrier_p] = _barrier_jvp
ad.transpose_rules[optimization_barrier_p] = _barrier_transpose
batching.batching_rules[optimization_barrier_p] = _barrier_batching
partial_eval.partial_eval_rules[optimization_barrier_p] = _barrier_partial_eval


def optimization_barrier(operand):
    """The identity on a pytree of arrays, opaque to the compiler's optimizations: no
    computation is merged (CSE) or moved across it (as ``jax.lax.optimization_barrier``)."""
    leaves, tdef = tree_util.flatten(operand)
    leaves = [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x) for x in leaves]
    return tree_util.unflatten(tdef, optimization_barrier_p.bind(*leaves) if leaves else [])


# =============================================================================================
# checkpoint_name: tag a value so a policy can save it by name
# =============================================================================================

name_p = Primitive("name")


@name_p.def_abstract_eval
def _name_abstract_eval(x, *, name):
    return raise_to_shaped(x)


@name_p.def_impl
def _name_impl(x, *, name):
    return x


def _name_jvp(primals, tangents, *, name):
    (x,), (t,) = primals, tangents
    return name_p.bind(x, name=name), t


ad.jvp_rules[name_p] = _name_jvp
ad.transpose_rules[name_p] = lambda ct, x, *, name: [ct]
batching.batching_rules[name_p] = lambda axis_size, args, dims, *, name: (
    name_p.bind(args[0], name=name), dims[0])


def checkpoint_name(x, name: str):
    """``x`` (a pytree of arrays), tagged with ``name`` for ``save_only_these_names`` /
    ``save_any_names_but_these`` policies; otherwise the identity."""
    if not isinstance(name, str):
        raise InvalidArgumentError(f"checkpoint_name: name must be a str, got {name!r}")
    leaves, tdef = tree_util.flatten(x)
    return tree_util.unflatten(tdef, [name_p.bind(
        leaf if isinstance(leaf, (Array, Tracer)) else asarray_concrete(leaf), name=name)
        for leaf in leaves])


# =============================================================================================
# Policies
# =============================================================================================

def _named(fn, name):
    fn.__name__ = fn.__qualname__ = name
    return fn


def _nothing_saveable(prim, *avals, **params) -> bool:
    return False


def _everything_saveable(prim, *avals, **params) -> bool:
    return True


def _dots_saveable(prim, *avals, **params) -> bool:
    return prim.name == "dot_general"


def _dots_with_no_batch_dims_saveable(prim, *avals, **params) -> bool:
    if prim.name != "dot_general":
        return False
    (_, _), (lhs_batch, _) = params["dimension_numbers"]
    return not lhs_batch


def _save_only_these_names(*names):
    names = frozenset(names)
    return _named(lambda prim, *avals, **params: prim is name_p and params["name"] in names,
                  f"save_only_these_names{tuple(sorted(names))}")


def _save_any_names_but_these(*names):
    names = frozenset(names)
    return _named(lambda prim, *avals, **params: prim is name_p and params["name"] not in names,
                  f"save_any_names_but_these{tuple(sorted(names))}")


def _save_from_both_policies(policy_1, policy_2):
    return _named(lambda prim, *avals, **params: bool(policy_1(prim, *avals, **params))
                  or bool(policy_2(prim, *avals, **params)),
                  f"save_from_both_policies({policy_1.__name__}, {policy_2.__name__})")


checkpoint_policies = types.SimpleNamespace(
    nothing_saveable=_named(_nothing_saveable, "nothing_saveable"),
    everything_saveable=_named(_everything_saveable, "everything_saveable"),
    dots_saveable=_named(_dots_saveable, "dots_saveable"),
    checkpoint_dots=_named(_dots_saveable, "dots_saveable"),
    dots_with_no_batch_dims_saveable=_named(_dots_with_no_batch_dims_saveable,
                                            "dots_with_no_batch_dims_saveable"),
    checkpoint_dots_with_no_batch_dims=_named(_dots_with_no_batch_dims_saveable,
                                              "dots_with_no_batch_dims_saveable"),
    save_only_these_names=_save_only_these_names,
    save_any_names_but_these=_save_any_names_but_these,
    save_from_both_policies=_save_from_both_policies,
)
checkpoint_policies.__doc__ = """Policies for ``checkpoint(policy=...)``: ``policy(prim, *avals,
**params) -> bool`` says whether the results of one equation may be saved for the backward
pass (True) or must be recomputed (False)."""


def _saveable(policy, eqn: Eqn) -> bool:
    if policy is None:
        return False
    return bool(policy(eqn.primitive, *[x.aval for x in eqn.inputs], **eqn.params))


# =============================================================================================
# The remat primitive
# =============================================================================================

remat_p = Primitive("remat", multiple_results=True, fusion=Fusion.CALL, call_jaxpr_param="jaxpr")


@remat_p.def_abstract_eval
def _remat_abstract_eval(*avals, jaxpr: Jaxpr, prevent_cse: bool, policy):
    return [v.aval for v in jaxpr.outs]


@remat_p.def_impl
def _remat_impl(*args, jaxpr, prevent_cse, policy):
    return eval_jaxpr(jaxpr, list(args))


def _bind(jaxpr, consts, args, prevent_cse, policy):
    return remat_p.bind(*consts, *args, jaxpr=jaxpr, prevent_cse=prevent_cse, policy=policy)


# -- JVP: remat of the JVP ------------------------------------------------------------------------

def _remat_jvp(primals, tangents, *, jaxpr, prevent_cse, policy):
    in_avals = [v.aval for v in jaxpr.in_binders]
    nonzero = tuple(not isinstance(t, ad.Zero) for t in tangents)

    def make():
        out_nonzero = []

        def jvp_of_body(*args):
            n = len(in_avals)
            given = iter(args[n:])
            ts = [next(given) if nz else ad.Zero(a.strip_weak_type())
                  for a, nz in zip(in_avals, nonzero)]
            p_out, t_out = ad.jvp_flat(lambda *xs: eval_jaxpr(jaxpr, list(xs)),
                                       list(args[:n]), ts)
            out_nonzero[:] = [not isinstance(t, ad.Zero) for t in t_out]
            return list(p_out) + [t for t in t_out if not isinstance(t, ad.Zero)]
        t_avals = [a.strip_weak_type() for a, nz in zip(in_avals, nonzero) if nz]
        jvp_jaxpr, consts = trace_open(jvp_of_body, in_avals + t_avals)
        return jvp_jaxpr, consts, list(out_nonzero)

    jvp_jaxpr, consts, out_nonzero = jaxpr.derive(("remat_jvp", nonzero), make)
    given = [t for t in tangents if not isinstance(t, ad.Zero)]
    outs = _bind(jvp_jaxpr, consts, list(primals) + given, prevent_cse, policy)
    n = len(jaxpr.outs)
    t_it = iter(outs[n:])
    t_out = [next(t_it) if nz else ad.Zero(raise_to_shaped(v.aval).strip_weak_type())
             for v, nz in zip(jaxpr.outs, out_nonzero)]
    return outs[:n], t_out


# -- batching: remat of the batched body ----------------------------------------------------------

def _remat_batching(axis_size, args, dims, *, jaxpr, prevent_cse, policy):
    avals = tuple(raise_to_shaped(get_aval(a)) for a in args)
    dims = tuple(dims)

    def make():
        out_dims = []

        def batched_body(*xs):
            vals, ds = batching.batch_flat_keep_unbatched(
                lambda *ys: eval_jaxpr(jaxpr, list(ys)), list(xs), list(dims), axis_size)
            out_dims[:] = ds
            return vals
        b_jaxpr, consts = trace_open(batched_body, avals)
        return b_jaxpr, consts, list(out_dims)

    b_jaxpr, consts, out_dims = jaxpr.derive(("remat_batch", axis_size, dims, avals), make)
    return _bind(b_jaxpr, consts, list(args), prevent_cse, policy), out_dims


# -- partial evaluation: keep the known outputs, stage a recomputation ----------------------------

def _used_vars(jaxpr: Jaxpr) -> set:
    used = {id(x) for e in jaxpr.eqns for x in e.inputs if isinstance(x, Var)}
    used.update(id(x) for x in jaxpr.outs if isinstance(x, Var))
    return used


def _recompute_jaxpr(jaxpr: Jaxpr, saved: list, out_unknowns) -> tuple[Jaxpr, list, list]:
    """The staged (unknown) side of a remat: ``jaxpr`` computing only its unknown outputs,
    with the ``saved`` variables (results of equations a policy lets us keep) turned into
    inputs and everything else recomputed from the inputs.

    Returns ``(jaxpr, saved_used, inputs_used)``: the new jaxpr's inputs are the saved vars it
    still reads (``saved_used``) followed by the original inputs it reads (mask
    ``inputs_used``)."""
    saved_ids = {id(v) for v in saved}
    eqns = [e for e in jaxpr.eqns if not all(id(v) in saved_ids for v in e.out_binders)]
    outs = [x for x, u in zip(jaxpr.outs, out_unknowns) if u]
    body = dce_jaxpr(Jaxpr(list(jaxpr.in_binders), eqns, outs))
    used = _used_vars(body)
    saved_used = [v for v in saved if id(v) in used]
    inputs_used = [id(v) in used for v in jaxpr.in_binders]
    in_binders = saved_used + [v for v, u in zip(jaxpr.in_binders, inputs_used) if u]
    return Jaxpr(in_binders, body.eqns, body.outs), saved_used, inputs_used


def _known_side_eqns(jaxpr: Jaxpr, unknowns, policy) -> list:
    """The equations the known side has to run: those that outputs which may be known (and
    results a policy may save) depend on.  Known work that only feeds the tangent computation
    (``cos x`` for the derivative of ``sin x``) is skipped -- it is recomputed by the backward
    pass anyway.  An equation with a surely unknown operand has unknown results, unless it is
    a higher-order primitive, which splits itself (its results may be partly known)."""
    from .partial_eval import partial_eval_rules
    unknown = {id(v) for v, u in zip(jaxpr.in_binders, unknowns) if u}
    for e in jaxpr.eqns:
        if e.primitive not in partial_eval_rules and \
                any(isinstance(x, Var) and id(x) in unknown for x in e.inputs):
            unknown.update(id(v) for v in e.out_binders)
    live = {id(x) for x in jaxpr.outs if isinstance(x, Var) and id(x) not in unknown}
    keep = []
    for e in reversed(jaxpr.eqns):
        maybe_known = not all(id(v) in unknown for v in e.out_binders)
        # a debug callback on known values runs in the forward pass, as without remat
        known_effect = eqn_has_effects(e) and (e.primitive in partial_eval_rules or not any(
            isinstance(x, Var) and id(x) in unknown for x in e.inputs))
        if any(id(v) in live for v in e.out_binders) or known_effect or \
                (maybe_known and _saveable(policy, e)):
            keep.append(e)
            live.update(id(x) for x in e.inputs if isinstance(x, Var))
    keep.reverse()
    return keep


def _run_known_side(jaxpr: Jaxpr, tracers, policy):
    """Evaluate ``jaxpr`` under a fresh partial-eval trace with the known operands known: the
    known outputs come out as values (nested higher-order primitives split themselves by their
    own rules).  Returns (outputs: value or None where unknown, saved: [(Var, value)] -- the
    known results of equations the policy lets us save)."""
    from .partial_eval import PartialEvalTrace, PartialEvalTracer, PartialVal
    eqns = _known_side_eqns(jaxpr, [not t.pval.is_known for t in tracers], policy)

    with new_main(PartialEvalTrace) as main:
        trace = PartialEvalTrace(main)

        def known(x):
            if isinstance(x, PartialEvalTracer) and x._trace.main is main:
                return x.pval.is_known
            return True

        env = {}

        def read(x):
            return x.val if isinstance(x, Literal) else env[id(x)]

        for v, t in zip(jaxpr.in_binders, tracers):
            pval = (PartialVal.known(t.pval.const) if t.pval.is_known
                    else PartialVal.unknown(raise_to_shaped(t.aval)))
            env[id(v)] = trace.new_arg(pval)
        saved = []
        for e in eqns:
            outs = e.primitive.bind(*[read(x) for x in e.inputs], **e.params)
            outs = outs if e.primitive.multiple_results else [outs]
            for v, o in zip(e.out_binders, outs):
                env[id(v)] = o
            if e.out_binders and _saveable(policy, e) and all(known(o) for o in outs):
                saved.extend((v, full_lower(o)) for v, o in zip(e.out_binders, outs))
        # an output whose equation was skipped is unknown
        results = [None if isinstance(x, Var) and id(x) not in env
                   else (full_lower(read(x)) if known(read(x)) else None) for x in jaxpr.outs]
    return results, saved


def _remat_partial_eval(trace, tracers, *, jaxpr, prevent_cse, policy):
    known_outs, saved = _run_known_side(jaxpr, tracers, policy)
    out_unknowns = [o is None for o in known_outs]
    if not any(out_unknowns):
        return [trace.lift(o) for o in known_outs]
    saved_vars = [v for v, _ in saved]
    body, saved_used, inputs_used = _recompute_jaxpr(jaxpr, saved_vars, out_unknowns)
    saved_vals = {id(v): val for v, val in saved}
    ins = ([trace.instantiate_const(trace.lift(saved_vals[id(v)])) for v in saved_used]
           + [trace.instantiate_const(t) for t, u in zip(tracers, inputs_used) if u])
    params = dict(jaxpr=body, prevent_cse=prevent_cse, policy=policy)
    staged = iter(stage_eqn(trace, remat_p, ins, params, [v.aval for v in body.outs]))
    return [next(staged) if u else trace.lift(o) for o, u in zip(known_outs, out_unknowns)]


def _remat_split_eqn(eqn: Eqn, flags, unknown_ids: set):
    """``partial_eval_jaxpr``'s rule for a remat equation with some unknown operands (a remat
    inside a jitted function or a loop body being differentiated): a known remat equation
    computing the known outputs (and what the policy saves), and an unknown remat equation
    recomputing the rest from the operands."""
    inner, policy = eqn.params["jaxpr"], eqn.params["policy"]
    k, _, out_unknowns, n_res = inner.derive(("partial_eval", tuple(flags)),
                                             lambda: partial_eval_jaxpr(inner, list(flags)))
    known_outs = [v for v, u in zip(eqn.out_binders, out_unknowns) if not u]
    if not any(out_unknowns):
        k_jaxpr = dce_jaxpr(Jaxpr(k.in_binders, k.eqns, k.outs[:len(k.outs) - n_res]))
        return [_known_eqn(eqn, flags, k_jaxpr, known_outs)], []
    # results of top-level known equations that the policy lets us save
    inner_eqns = {id(e) for e in inner.eqns}
    saved = [v for e in k.eqns if id(e) in inner_eqns and e.out_binders and _saveable(policy, e)
             for v in e.out_binders]
    body, saved_used, inputs_used = _recompute_jaxpr(inner, saved, out_unknowns)
    n_known = len(k.outs) - n_res
    k_jaxpr = dce_jaxpr(Jaxpr(k.in_binders, k.eqns, k.outs[:n_known] + saved_used))
    res_vars = [Var(v.aval) for v in saved_used]
    k_eqn = _known_eqn(eqn, flags, k_jaxpr, known_outs + res_vars)
    u_ins = res_vars + [x for x, used in zip(eqn.inputs, inputs_used) if used]
    unknown_outs = [v for v, u in zip(eqn.out_binders, out_unknowns) if u]
    unknown_ids.update(id(v) for v in unknown_outs)
    u_eqn = Eqn(remat_p, u_ins, dict(eqn.params, jaxpr=body), unknown_outs)
    return [k_eqn], [u_eqn]


def _known_eqn(eqn, flags, k_jaxpr, outs):
    k_ins = [x for x, f in zip(eqn.inputs, flags) if not f]
    return Eqn(remat_p, k_ins, dict(eqn.params, jaxpr=k_jaxpr), outs)


# -- transposition: recompute the forward values, then transpose the linear part -----------------

def _remat_transpose(cts, *args, jaxpr, prevent_cse, policy):
    from .partial_eval import PartialVal, partial_eval_flat
    undefined = [ad.is_undefined(a) for a in args]
    if all(isinstance(c, ad.Zero) for c in cts):
        return [None] * len(args)
    known = [a for a in args if not ad.is_undefined(a)]
    if prevent_cse and known:
        # fresh names for the known inputs: the recomputation below cannot be merged with the
        # forward pass by CSE (the compiler strips the barrier after its last CSE round)
        known = optimization_barrier_p.bind(*known)
    k_it = iter(known)
    pvals = [PartialVal.unknown(raise_to_shaped(a.aval)) if u else PartialVal.known(next(k_it))
             for a, u in zip(args, undefined)]
    # linearize the body at its known inputs: this runs the rematerialized forward pass now
    lin, pvals_out, consts = partial_eval_flat(lambda *xs: eval_jaxpr(jaxpr, list(xs)), pvals)
    cts_unknown = [c for c, pv in zip(cts, pvals_out) if not pv.is_known]
    lin_args = list(consts) + [ad.UndefinedPrimal(pv.aval) for pv in pvals if not pv.is_known]
    cts_in = iter(ad.backward_pass(lin, lin_args, cts_unknown))
    return [next(cts_in) if u else None for u in undefined]


ad.jvp_rules[remat_p] = _remat_jvp
ad.transpose_rules[remat_p] = _remat_transpose
batching.batching_rules[remat_p] = _remat_batching
partial_eval.partial_eval_rules[remat_p] = _remat_partial_eval
partial_eval_jaxpr_rules[remat_p] = _remat_split_eqn


# =============================================================================================
# The user API
# =============================================================================================

def _static_positions(static_argnums, nargs: int) -> set:
    out = set()
    for i in static_argnums:
        if not -nargs <= i < nargs:
            raise InvalidArgumentError(f"checkpoint: static_argnums {tuple(static_argnums)} is "
                                       f"out of range for a call with {nargs} positional "
                                       "argument(s)")
        out.add(i % nargs)
    return out


def checkpoint(fun: Callable | None = None, policy: Callable | None = None,
               prevent_cse: bool = True, static_argnums=()):
    """``fun`` rematerialized under reverse-mode differentiation (``jax.checkpoint``).

    ``grad`` of a checkpointed function saves only its inputs for the backward pass, not the
    intermediate values of ``fun``: the backward pass recomputes them.  Wrapping each block of
    a deep network trades one extra forward pass for O(sqrt(N)) instead of O(N) memory::

        block = fnx.checkpoint(lambda ws, h: mlp_block(ws, h))
        loss = lambda ws, x: ...block(ws[i], h)...
        fnx.jit(fnx.grad(loss))(ws, x)

    * ``policy(prim, *avals, **params) -> bool``: which intermediate results may be saved
      after all (``fnx.checkpoint_policies.dots_saveable``, ``save_only_these_names(...)`` with
      ``checkpoint_name``, ...).  Default: save nothing.
    * ``prevent_cse``: keep the compiler from merging the recomputation with the forward pass
      (an ``optimization_barrier``); needed under ``jit``.  ``False`` is fine inside loop
      bodies (``scan``), where no such merging happens.
    * ``static_argnums``: positional arguments that are Python values, not arrays (passed to
      ``fun`` as they are).

    The result is computed exactly as ``fun`` computes it; only what differentiation keeps in
    memory changes.  Usable as ``@fnx.checkpoint`` or ``fnx.checkpoint(policy=...)(fun)``.
    """
    if fun is None:
        return functools.partial(checkpoint, policy=policy, prevent_cse=prevent_cse,
                                 static_argnums=static_argnums)
    if not callable(fun):
        raise InvalidArgumentError(f"checkpoint: expected a function, got {type(fun).__name__}")
    if policy is not None and not callable(policy):
        raise InvalidArgumentError("checkpoint: policy must be a callable "
                                   "policy(prim, *avals, **params) -> bool, or None")
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    static_argnums = tuple(static_argnums)
    prevent_cse = bool(prevent_cse)

    @functools.wraps(fun)
    def remat_fun(*args, **kwargs):
        static = _static_positions(static_argnums, len(args))
        dyn = [a for i, a in enumerate(args) if i not in static]
        leaves, in_tree = tree_util.flatten((dyn, kwargs))
        leaves = [x if isinstance(x, (Array, Tracer)) else asarray_concrete(x) for x in leaves]
        out_tree = []

        def flat_fun(*xs):
            d, kw = tree_util.unflatten(in_tree, list(xs))
            it = iter(d)
            full = [args[i] if i in static else next(it) for i in range(len(args))]
            out_leaves, tdef = tree_util.flatten(fun(*full, **kw))
            out_tree.append(tdef)
            return out_leaves

        avals = [raise_to_shaped(get_aval(x)) for x in leaves]
        name = getattr(fun, "__name__", "checkpoint")
        jaxpr, consts = trace_open(flat_fun, avals, name=f"checkpoint({name})")
        outs = _bind(jaxpr, consts, leaves, prevent_cse, policy)
        return tree_util.unflatten(out_tree[0], outs)

    return remat_fun


remat = checkpoint
