"""``jit`` as a higher-order primitive: ``jit_p`` holds a jaxpr and runs it compiled.

    outs = jit_p.bind(*operands, jaxpr=<Jaxpr>, name="f", donated=(False, ...))

``jaxpr`` is an *open* jaxpr whose inputs are exactly the operands (a traced function's
closed-over constants are passed as leading operands), so every transformation can treat a jit
call like any other primitive with a rule:

* eval (the bottom of the stack): compile the jaxpr once (``fnx.compiler``) and run it;
* JVP: the JVP of the jaxpr, traced into a new jaxpr, called through ``jit_p`` again;
* batching: likewise with the batched jaxpr;
* partial evaluation (linearize / grad): the jaxpr is split into a known part, which runs
  compiled now, and an unknown part, staged as a ``jit_p`` equation taking the residuals;
* transpose: the transposed jaxpr (``backward_pass`` traced), called through ``jit_p``;
* staging (jit of jit, make_jaxpr): the equation is recorded; the compiler inlines it.
"""
from __future__ import annotations

import threading

from ..core import Fusion, Jaxpr, Primitive, ShapedArray

jit_p = Primitive("jit", multiple_results=True, fusion=Fusion.CALL, call_jaxpr_param="jaxpr")


@jit_p.def_abstract_eval
def _jit_abstract_eval(*avals, jaxpr: Jaxpr, name: str, donated: tuple):
    return [v.aval for v in jaxpr.outs]


def _aval_matches(a: ShapedArray, b: ShapedArray) -> bool:
    return tuple(a.shape) == tuple(b.shape) and a.dtype == b.dtype


# ---------------------------------------------------------------------------------------------
# Evaluation: compile once per jaxpr, then run
# ---------------------------------------------------------------------------------------------

# Held while compiling: threads calling one jitted function for the first time compile it once
# (the others wait and take that executable), and the compiler's module-level scratch state
# (profile slots) is used by one compilation at a time.  Re-entrant in case compiling a jaxpr
# ever compiles another.
_compile_lock = threading.RLock()


def executable_for(jaxpr: Jaxpr, donated: tuple):
    """The compiled form of ``jaxpr`` (made once and kept on the jaxpr object)."""
    cache = _derived(jaxpr)
    key = ("executable", donated)
    exe = cache.get(key)
    if exe is None:
        from ..compiler.executable import compile_jaxpr
        with _compile_lock:
            exe = cache.get(key)    # another thread may have compiled it while this one waited
            if exe is None:
                exe = cache[key] = compile_jaxpr(jaxpr, donated)
    return exe


@jit_p.def_impl
def _jit_impl(*args, jaxpr, name, donated):
    return executable_for(jaxpr, donated)(args)


def _derived(jaxpr: Jaxpr) -> dict:
    """Per-jaxpr cache of things derived from it (executables, JVP / batched / transposed
    jaxprs), so repeated transformations of one jitted function trace and compile once."""
    cache = getattr(jaxpr, "_fnx_derived", None)
    if cache is None:
        # setdefault is atomic: two threads arriving at once share one dict (a plain assignment
        # could let one thread's entries vanish with the dict it made)
        cache = vars(jaxpr).setdefault("_fnx_derived", {})
    return cache


def trace_open(fun, avals, arg_names=None, name=None) -> tuple[Jaxpr, list]:
    """Trace ``fun`` (flat -> flat) at ``avals``: an open jaxpr over ``consts + inputs`` and the
    constants' values (passed as leading operands of jit_p)."""
    from .partial_eval import trace_to_jaxpr
    closed = trace_to_jaxpr(fun, list(avals), arg_names, name)
    return closed.jaxpr, list(closed.consts)


def _derive(jaxpr: Jaxpr, key, make):
    cache = _derived(jaxpr)
    hit = cache.get(key)
    if hit is None:
        # no lock: make() traces, and may run user code (custom rules).  Threads racing here
        # each derive a correct result; setdefault makes them all use the first one stored.
        hit = cache.setdefault(key, make())
    return hit


def _call(jaxpr: Jaxpr, consts: list, args: list, name: str) -> list:
    n = len(consts) + len(args)
    return jit_p.bind(*consts, *args, jaxpr=jaxpr, name=name, donated=(False,) * n)


# ---------------------------------------------------------------------------------------------
# JVP
# ---------------------------------------------------------------------------------------------

def _jit_jvp_rule(primals, tangents, *, jaxpr, name, donated):
    from ..core import eval_jaxpr, get_aval, raise_to_shaped
    from .ad import Zero, instantiate_zeros, jvp_flat
    t_avals = tuple(None if isinstance(t, Zero) else raise_to_shaped(get_aval(t))
                    for t in tangents)
    in_avals = [v.aval for v in jaxpr.in_binders]

    def make():
        def jvp_of_jaxpr(*args):
            n = len(in_avals)
            given = iter(args[n:])
            ts = [Zero(a.strip_weak_type()) if ta is None else next(given)
                  for a, ta in zip(in_avals, t_avals)]
            p_out, t_out = jvp_flat(lambda *xs: eval_jaxpr(jaxpr, list(xs)), list(args[:n]), ts)
            return list(p_out) + [instantiate_zeros(t) for t in t_out]
        return trace_open(jvp_of_jaxpr, in_avals + [a for a in t_avals if a is not None])

    jvp_jaxpr, consts = _derive(jaxpr, ("jvp", t_avals), make)
    nonzero = [t for t in tangents if not isinstance(t, Zero)]
    outs = _call(jvp_jaxpr, consts, list(primals) + nonzero, f"jvp({name})")
    n_out = len(jaxpr.outs)
    return outs[:n_out], outs[n_out:]


# ---------------------------------------------------------------------------------------------
# Batching
# ---------------------------------------------------------------------------------------------

def _jit_batching_rule(axis_size, args, dims, *, jaxpr, name, donated):
    from ..core import eval_jaxpr, get_aval, raise_to_shaped
    from .batching import batch_flat_keep_unbatched
    avals = tuple(raise_to_shaped(get_aval(a)) for a in args)
    dims = tuple(dims)

    def make():
        out_dims = []

        def batched_jaxpr(*xs):
            vals, ds = batch_flat_keep_unbatched(lambda *ys: eval_jaxpr(jaxpr, list(ys)),
                                                 list(xs), list(dims), axis_size)
            out_dims[:] = ds
            return vals
        b_jaxpr, consts = trace_open(batched_jaxpr, avals)
        return b_jaxpr, consts, list(out_dims)

    b_jaxpr, consts, out_dims = _derive(jaxpr, ("batch", axis_size, dims, avals), make)
    outs = _call(b_jaxpr, consts, list(args), f"vmap({name})")
    return outs, out_dims


# ---------------------------------------------------------------------------------------------
# Partial evaluation: run the known part compiled now, stage the unknown part
# ---------------------------------------------------------------------------------------------

# Other higher-order primitives that split themselves inside a jaxpr being partially evaluated,
# as nested jit calls do (fnx.checkpoint's remat): ``rule(eqn, flags, unknown_ids) ->
# (known_eqns, unknown_eqns)``, adding the ids of the outputs it leaves unknown to unknown_ids.
partial_eval_jaxpr_rules: dict = {}


def partial_eval_jaxpr(jaxpr: Jaxpr, unknowns, instantiate=None) -> tuple[Jaxpr, Jaxpr, list, int]:
    """Split ``jaxpr`` given which inputs are unknown.

    Returns ``(known, unknown, out_unknowns, num_residuals)``: ``known`` maps the known inputs
    to the known outputs followed by the residuals; ``unknown`` maps ``residuals + unknown
    inputs`` to the unknown outputs.  Equations whose inputs are all known go to ``known``;
    nested jit equations with mixed inputs are split recursively.  ``instantiate[i]`` forces
    output i to the unknown side even when it is known (it then passes through as a residual):
    loops need their carries on the same side in and out."""
    from ..core import Eqn, Var
    if any(e.primitive.name in _SPLIT_BY_TRACING for e in jaxpr.eqns):
        split = _partial_eval_jaxpr_traced(jaxpr, unknowns, instantiate)
        if split is not None:
            return split
    unknown_ids = {id(v) for v, u in zip(jaxpr.in_binders, unknowns) if u}

    def is_unknown(x):
        return isinstance(x, Var) and id(x) in unknown_ids

    known_eqns, unknown_eqns = [], []
    for eqn in jaxpr.eqns:
        flags = [is_unknown(x) for x in eqn.inputs]
        if not any(flags):
            known_eqns.append(eqn)
        elif eqn.primitive is jit_p and not all(flags):
            k, u = _split_nested_jit(eqn, flags, unknown_ids)
            known_eqns.append(k)
            unknown_eqns.append(u)
        elif not all(flags) and eqn.primitive in partial_eval_jaxpr_rules:
            k, u = partial_eval_jaxpr_rules[eqn.primitive](eqn, flags, unknown_ids)
            known_eqns.extend(k)
            unknown_eqns.extend(u)
        else:
            unknown_eqns.append(eqn)
            unknown_ids.update(id(v) for v in eqn.out_binders)

    # residuals: known variables the unknown side reads
    residuals, seen = [], set()
    for eqn in unknown_eqns:
        for x in eqn.inputs:
            if isinstance(x, Var) and not is_unknown(x) and id(x) not in seen:
                seen.add(id(x))
                residuals.append(x)
    out_unknowns = [is_unknown(x) for x in jaxpr.outs]
    if instantiate is not None:
        for x, force in zip(jaxpr.outs, instantiate):
            if force and isinstance(x, Var) and not is_unknown(x) and id(x) not in seen:
                seen.add(id(x))
                residuals.append(x)
        out_unknowns = [u or bool(f) for u, f in zip(out_unknowns, instantiate)]
    known_ins = [v for v, u in zip(jaxpr.in_binders, unknowns) if not u]
    unknown_ins = [v for v, u in zip(jaxpr.in_binders, unknowns) if u]
    known = Jaxpr(known_ins, known_eqns,
                  [x for x, u in zip(jaxpr.outs, out_unknowns) if not u] + residuals)
    unknown = Jaxpr(residuals + unknown_ins, unknown_eqns,
                    [x for x, u in zip(jaxpr.outs, out_unknowns) if u])
    return known, unknown, out_unknowns, len(residuals)


# Control flow with partly known inputs must be split by its own partial-evaluation rule (a
# scan with a known primal carry and an unknown tangent carry becomes two scans), which the
# syntactic split above cannot do: jaxprs containing these are partially evaluated by tracing.
_SPLIT_BY_TRACING = frozenset({"cond", "scan", "while"})


def _partial_eval_jaxpr_traced(jaxpr: Jaxpr, unknowns, instantiate):
    """``partial_eval_jaxpr`` by running the jaxpr under a PartialEvalTrace whose known values
    are tracers of a staging trace: the known computation is recorded into the known jaxpr
    (every primitive's own partial-eval rule applies), the unknown one into the unknown
    jaxpr.  None when the known side would need array constants (then the syntactic split
    is used)."""
    from ..core import eval_jaxpr, full_raise, new_main
    from .partial_eval import PartialEvalTrace, PartialVal, tracers_to_jaxpr
    known_avals = [v.aval for v, u in zip(jaxpr.in_binders, unknowns) if not u]
    box = {}

    def known_side(*known_vals):
        it = iter(known_vals)
        with new_main(PartialEvalTrace) as main:
            trace = PartialEvalTrace(main)
            ins = [trace.new_arg(PartialVal.unknown(v.aval) if u else PartialVal.known(next(it)))
                   for v, u in zip(jaxpr.in_binders, unknowns)]
            outs = [full_raise(trace, o) for o in eval_jaxpr(jaxpr, ins)]
            if instantiate is not None:
                outs = [trace.instantiate_const(o) if force else o
                        for o, force in zip(outs, instantiate)]
            out_uk = [not o.pval.is_known for o in outs]
            unknown_jaxpr, residuals = tracers_to_jaxpr(
                [t for t in ins if not t.pval.is_known], [o for o, u in zip(outs, out_uk) if u])
        box.update(unknown=unknown_jaxpr, out_uk=out_uk, n_res=len(residuals))
        return [o.pval.const for o, u in zip(outs, out_uk) if not u] + list(residuals)

    known, consts = trace_open(known_side, known_avals)
    if consts:
        return None
    return known, box["unknown"], box["out_uk"], box["n_res"]


def _split_nested_jit(eqn, flags, unknown_ids):
    from ..core import Eqn, Var
    inner = eqn.params["jaxpr"]
    k, u, out_unknowns, n_res = _derive(inner, ("partial_eval", tuple(flags)),
                                        lambda: partial_eval_jaxpr(inner, flags))
    res_vars = [Var(v.aval) for v in k.outs[len(k.outs) - n_res:]]
    known_outs = [v for v, uo in zip(eqn.out_binders, out_unknowns) if not uo]
    unknown_outs = [v for v, uo in zip(eqn.out_binders, out_unknowns) if uo]
    unknown_ids.update(id(v) for v in unknown_outs)
    k_ins = [x for x, f in zip(eqn.inputs, flags) if not f]
    u_ins = res_vars + [x for x, f in zip(eqn.inputs, flags) if f]
    name = eqn.params["name"]
    k_eqn = Eqn(jit_p, k_ins, dict(jaxpr=k, name=name, donated=(False,) * len(k_ins)),
                known_outs + res_vars)
    u_eqn = Eqn(jit_p, u_ins, dict(jaxpr=u, name=name, donated=(False,) * len(u_ins)),
                unknown_outs)
    return k_eqn, u_eqn


def _jit_partial_eval_rule(trace, tracers, *, jaxpr, name, donated):
    from .partial_eval import stage_eqn
    unknowns = tuple(not t.pval.is_known for t in tracers)
    known, unknown, out_unknowns, n_res = _derive(
        jaxpr, ("partial_eval", unknowns), lambda: partial_eval_jaxpr(jaxpr, unknowns))
    known_vals = [t.pval.const for t, u in zip(tracers, unknowns) if not u]
    known_results = _call(known, [], known_vals, name)
    n_known_out = len(known_results) - n_res
    known_outs, residuals = known_results[:n_known_out], known_results[n_known_out:]

    res_tracers = [trace.instantiate_const(trace.lift(r)) for r in residuals]
    ins = res_tracers + [t for t, u in zip(tracers, unknowns) if u]
    outs_unknown = stage_eqn(trace, jit_p, ins, dict(jaxpr=unknown, name=name,
                                                     donated=(False,) * len(ins)),
                             [v.aval for v in unknown.outs])
    k_it, u_it = iter(known_outs), iter(outs_unknown)
    return [next(u_it) if u else trace.lift(next(k_it)) for u in out_unknowns]


# ---------------------------------------------------------------------------------------------
# Transpose
# ---------------------------------------------------------------------------------------------

def _jit_transpose_rule(cts, *args, jaxpr, name, donated):
    from ..core import get_aval, raise_to_shaped
    from .ad import UndefinedPrimal, Zero, backward_pass, instantiate_zeros, is_undefined
    undefined = tuple(is_undefined(a) for a in args)
    defined = [a for a in args if not is_undefined(a)]
    nonzero_cts = [c for c in cts if not isinstance(c, Zero)]
    ct_avals = tuple(None if isinstance(c, Zero) else raise_to_shaped(get_aval(c)) for c in cts)
    def_avals = tuple(raise_to_shaped(get_aval(a)) for a in defined)

    def make():
        def transposed(*xs):
            d_it, c_it = iter(xs[:len(def_avals)]), iter(xs[len(def_avals):])
            full = [UndefinedPrimal(v.aval) if u else next(d_it)
                    for v, u in zip(jaxpr.in_binders, undefined)]
            cts_full = [Zero(v.aval) if a is None else next(c_it)
                        for v, a in zip(jaxpr.outs, ct_avals)]
            return [instantiate_zeros(c) for c in backward_pass(jaxpr, full, cts_full)]
        return trace_open(transposed, list(def_avals) + [a for a in ct_avals if a is not None])

    t_jaxpr, consts = _derive(jaxpr, ("transpose", undefined, ct_avals, def_avals), make)
    results = iter(_call(t_jaxpr, consts, defined + nonzero_cts, f"transpose({name})"))
    return [next(results) if u else None for u in undefined]


def _register_rules():
    from . import ad, batching, partial_eval
    ad.jvp_rules[jit_p] = _jit_jvp_rule
    ad.transpose_rules[jit_p] = _jit_transpose_rule
    batching.batching_rules[jit_p] = _jit_batching_rule
    partial_eval.partial_eval_rules[jit_p] = _jit_partial_eval_rule


_register_rules()
