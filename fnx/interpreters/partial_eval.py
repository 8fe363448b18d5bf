"""Tracing Python functions into jaxprs (``make_jaxpr``; jit builds on it).

A ``JaxprTrace`` records every primitive applied to its tracers as an equation.  It is installed
as the *dynamic* trace, so operations on constants (closed-over arrays, Python scalars) are staged
into the jaxpr too instead of running eagerly.
"""
from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from .. import tree as tree_util
from ..core import (Array, ClosedJaxpr, Eqn, Jaxpr, Literal, ShapedArray, Trace, Tracer, Var,
                    asarray_concrete, current_scope, eqn_has_effects, eval_jaxpr, full_lower,
                    full_raise, get_aval, new_dynamic, new_main, raise_to_shaped, scope_context)
from ..errors import ConcretizationTypeError, UnexpectedTracerError


class JaxprTracer(Tracer):
    __slots__ = ("_aval",)

    def __init__(self, trace: "JaxprTrace", aval: ShapedArray):
        self._trace = trace
        self._aval = aval

    @property
    def aval(self):
        return self._aval

    def _concretization_error(self, what: str):
        builder = self._trace.builder
        args = builder.inputs_reaching(self)
        where = f" while tracing {builder.name}" if builder.name else ""
        depends = (f" It depends on the value of {_join_names(args)}." if args else "")
        which = ("it" if len(args) == 1 else "them") if args else "the argument"
        raise ConcretizationTypeError(
            f"{what} needs a concrete value, but got a traced array {self.aval.str_short()}"
            f"{where}.{depends} Python control flow and conversions cannot depend on traced "
            f"values: mark {which} static (static_argnums / static_argnames) if the value is a "
            "Python constant, or use fnx.lax.cond / fnx.numpy.where for data-dependent "
            "choices.")

    def _leak_origin(self) -> str:
        name = self._trace.main.global_data.name
        return f" It was created while tracing {name}." if name else ""



def dce_jaxpr(jaxpr: Jaxpr) -> Jaxpr:
    """Drop top-level equations none of whose results is used and that have no effects
    (in_binders are kept; nested jaxprs are left as they are)."""
    live = {id(x) for x in jaxpr.outs if isinstance(x, Var)}
    kept = []
    for e in reversed(jaxpr.eqns):
        if any(id(v) in live for v in e.out_binders) or eqn_has_effects(e):
            kept.append(e)
            live.update(id(x) for x in e.inputs if isinstance(x, Var))
    kept.reverse()
    return Jaxpr(list(jaxpr.in_binders), kept, list(jaxpr.outs))


def _join_names(names):
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return f"the argument {quoted[0]}"
    return "the arguments " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


class JaxprBuilder:
    """Accumulates equations, constants and the tracer->variable map of one trace."""

    def __init__(self, name: str | None = None, arg_names=None):
        self.name = name
        self.arg_names = arg_names
        self.in_tracers: list = []
        self.eqns: list[Eqn] = []
        self.tracer_to_var: dict[int, Var] = {}
        self.const_tracers: dict[int, JaxprTracer] = {}
        self.constvals: dict[int, object] = {}  # var id -> const value
        self.tracers: list[JaxprTracer] = []  # keeps tracers alive so ids stay unique

    def new_tracer(self, trace, aval) -> JaxprTracer:
        t = JaxprTracer(trace, aval)
        self.tracers.append(t)
        return t

    def add_var(self, tracer) -> Var:
        v = Var(tracer.aval)
        self.tracer_to_var[id(tracer)] = v
        return v

    def getvar(self, tracer):
        v = self.tracer_to_var.get(id(tracer))
        if v is None:
            raise RuntimeError("internal error: tracer without a variable in make_jaxpr")
        return v

    def add_const(self, tracer, val) -> Var:
        var = self.add_var(tracer)
        self.constvals[id(var)] = val
        return var

    def inputs_reaching(self, tracer) -> list[str]:
        """Names of the traced function's arguments that ``tracer``'s value depends on (walks
        the recorded equations backwards; only used to explain errors)."""
        if not self.arg_names:
            return []
        var = self.tracer_to_var.get(id(tracer))
        if var is None:
            return []
        needed = {id(var)}
        for eqn in reversed(self.eqns):
            if any(id(v) in needed for v in eqn.out_binders):
                needed.update(id(x) for x in eqn.inputs if isinstance(x, Var))
        in_vars = [self.tracer_to_var.get(id(t)) for t in self.in_tracers]
        return [n for n, v in zip(self.arg_names, in_vars) if v is not None and id(v) in needed]

    def build(self, in_tracers, out_tracers) -> ClosedJaxpr:
        in_vars = [self.getvar(t) for t in in_tracers]
        outs = [self.tracer_to_var[id(t)] for t in out_tracers]
        const_vars = [v for v in self.tracer_to_var.values() if id(v) in self.constvals]
        const_vals = [self.constvals[id(v)] for v in const_vars]
        jaxpr = Jaxpr(const_vars + in_vars, list(self.eqns), outs)
        jaxpr, const_vals = _inline_literals(jaxpr, const_vals)
        return ClosedJaxpr(jaxpr, const_vals)


def _is_scalar_literal(val) -> bool:
    return isinstance(val, Array) and val.ndim == 0


def _inline_literals(jaxpr: Jaxpr, consts: list):
    """Scalar constants become Literals written inline; others stay constvars."""
    n = len(consts)
    const_binders, other = jaxpr.in_binders[:n], jaxpr.in_binders[n:]
    keep_binders, keep_vals, literals = [], [], {}
    for v, val in zip(const_binders, consts):
        if _is_scalar_literal(val):
            literals[id(v)] = Literal(val)
        else:
            keep_binders.append(v)
            keep_vals.append(val)
    if not literals:
        return jaxpr, consts
    eqns = [Eqn(e.primitive, [literals.get(id(x), x) if isinstance(x, Var) else x
                              for x in e.inputs], e.params, e.out_binders, e.scope)
            for e in jaxpr.eqns]
    outs = [literals.get(id(x), x) if isinstance(x, Var) else x for x in jaxpr.outs]
    return Jaxpr(keep_binders + other, eqns, outs), keep_vals


class JaxprTrace(Trace):
    __slots__ = ()

    @property
    def builder(self) -> JaxprBuilder:
        return self.main.global_data

    def new_arg(self, aval: ShapedArray) -> JaxprTracer:
        aval = raise_to_shaped(aval)
        tracer = self.builder.new_tracer(self, aval)
        self.builder.add_var(tracer)
        return tracer

    def get_or_make_const_tracer(self, val) -> JaxprTracer:
        # Arrays are deduplicated by identity (the builder keeps them alive, so ids stay
        # unique); Python scalars are converted afresh each time.
        if isinstance(val, (Array, Tracer)):
            # a Tracer here belongs to an enclosing transformation (a jitted function closing
            # over a value being differentiated or batched): it becomes a constant *operand*,
            # so that transformation's rule sees it
            tracer = self.builder.const_tracers.get(id(val))
            if tracer is not None:
                return tracer
        else:
            val = asarray_concrete(val)
        tracer = self.builder.new_tracer(self, val.aval)
        self.builder.add_const(tracer, val)
        self.builder.const_tracers[id(val)] = tracer
        return tracer

    pure = lift = get_or_make_const_tracer

    def process_primitive(self, primitive, tracers, params):
        avals_in = [t.aval for t in tracers]
        avals_out = primitive.abstract_eval(*avals_in, **params)
        if not primitive.multiple_results:
            avals_out = [avals_out]
        out_tracers = [self.builder.new_tracer(self, a) for a in avals_out]
        inputs = [self.builder.getvar(t) for t in tracers]
        outvars = [self.builder.add_var(t) for t in out_tracers]
        self.builder.eqns.append(Eqn(primitive, inputs, params, outvars, current_scope()))
        return out_tracers if primitive.multiple_results else out_tracers[0]


def _jaxpr_trace_custom_jvp(self, fun, jvp, tracers):
    from .custom import stage_custom_jvp_call
    return stage_custom_jvp_call(fun, jvp, tracers)


def _jaxpr_trace_custom_vjp(self, fun, fwd, bwd, tracers):
    from .custom import stage_custom_vjp_call
    return stage_custom_vjp_call(fun, fwd, bwd, tracers)


# Staging keeps custom derivative rules: the call is recorded with its rules, not inlined.
JaxprTrace.process_custom_jvp_call = _jaxpr_trace_custom_jvp
JaxprTrace.process_custom_vjp_call = _jaxpr_trace_custom_vjp


def trace_to_jaxpr(fun: Callable, in_avals: list[ShapedArray], arg_names=None,
                   name: str | None = None) -> ClosedJaxpr:
    """Trace ``fun`` (flat list of arrays -> flat list of arrays) at ``in_avals``.  ``name``
    and ``arg_names`` only make error messages precise."""
    builder = JaxprBuilder(name, arg_names)
    # scope names inside the jaxpr are relative to the equation that will hold it
    with new_main(JaxprTrace, builder) as main, scope_context("", replace=True):
        with new_dynamic(main):
            trace = JaxprTrace(main)
            tracers_in = [trace.new_arg(aval) for aval in in_avals]
            builder.in_tracers = tracers_in
            outs = fun(*tracers_in)
            tracers_out = [trace.pure(o) if not (isinstance(o, Tracer) and o._trace.main is main)
                           else o for o in outs]
            return builder.build(tracers_in, tracers_out)


def _abstractify(x) -> ShapedArray:
    if isinstance(x, ShapedArray):
        return x
    if isinstance(x, (Array, Tracer)):
        return raise_to_shaped(x.aval)
    if hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, np.ndarray):
        from .. import dtypes
        return ShapedArray(x.shape, dtypes.canonicalize(x.dtype))
    return raise_to_shaped(asarray_concrete(x).aval)


def make_jaxpr(fun: Callable, static_argnums=(), return_shape: bool = False):
    """``make_jaxpr(f)(*args)`` traces ``f`` and returns its ``ClosedJaxpr``.

    >>> import fnx, fnx.numpy as fnp
    >>> print(fnx.make_jaxpr(lambda x: fnp.sin(x) * 2.0)(fnp.ones(3)))
    { lambda ; a:f32[3]. let
        b:f32[3] = sin a
        c:f32[3] = mul b 2.0
      in (c,) }

    Arguments may be arrays, Python scalars, pytrees of them, or ``ShapeDtypeStruct``-like
    objects with ``shape``/``dtype``.
    """
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        static = {i: args[i] for i in static_argnums}
        dyn_args = [a for i, a in enumerate(args) if i not in static]
        flat, treedef = tree_util.flatten(dyn_args)
        avals = [_abstractify(x) for x in flat]
        out_tree_box = []

        def flat_fun(*flat_tracers):
            dyn = tree_util.unflatten(treedef, list(flat_tracers))
            it = iter(dyn)
            full = [static[i] if i in static else next(it) for i in range(len(args))]
            out = fun(*full, **kwargs)
            out_flat, out_tree = tree_util.flatten(out)
            out_tree_box.append(out_tree)
            return out_flat

        closed = trace_to_jaxpr(flat_fun, avals)
        if return_shape:
            shapes = [ShapeDtypeStruct(a.shape, a.dtype) for a in closed.out_avals]
            return closed, tree_util.unflatten(out_tree_box[0], shapes)
        return closed

    return wrapped


class ShapeDtypeStruct:
    """A shape and dtype standing in for an array (as ``jax.ShapeDtypeStruct``)."""

    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        from .. import dtypes
        self.shape = tuple(shape)
        self.dtype = dtypes.canonicalize(dtype)
        self.weak_type = weak_type

    ndim = property(lambda self: len(self.shape))

    def __repr__(self):
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name})"

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype)

    def __hash__(self):
        return hash((self.shape, self.dtype))


# ---------------------------------------------------------------------------------------------
# Partial evaluation: run what is known, stage out what is not (linearize's engine)
# ---------------------------------------------------------------------------------------------

class PartialVal:
    """A value that is either known (``const``) or only abstractly known (``aval``)."""

    __slots__ = ("aval", "const")

    def __init__(self, aval, const):
        self.aval = aval
        self.const = const

    @classmethod
    def known(cls, val) -> "PartialVal":
        return cls(get_aval(val), val)

    @classmethod
    def unknown(cls, aval) -> "PartialVal":
        return cls(aval, None)

    is_known = property(lambda self: self.const is not None)


class _LambdaBinding:
    __slots__ = ()


class _ConstRecipe:
    __slots__ = ("val",)

    def __init__(self, val):
        self.val = val


class _EqnRecipe:
    __slots__ = ("prim", "tracers_in", "params", "tracers_out", "scope")

    def __init__(self, prim, tracers_in, params, tracers_out):
        self.prim = prim
        self.tracers_in = tracers_in
        self.params = params
        self.tracers_out = tracers_out
        self.scope = current_scope()


class PartialEvalTracer(Tracer):
    __slots__ = ("pval", "recipe")

    def __init__(self, trace, pval: PartialVal, recipe):
        self._trace = trace
        self.pval = pval
        self.recipe = recipe

    @property
    def aval(self):
        return self.pval.aval

    def concrete_value(self):
        if not self.pval.is_known:
            return None
        c = self.pval.const
        return c.concrete_value() if isinstance(c, Tracer) else c

    def full_lower(self):
        if self.pval.is_known:
            return full_lower(self.pval.const)
        return self


# Primitives that split themselves when some inputs are unknown (jit: run the known part of its
# jaxpr now, stage the rest): ``rule(trace, tracers, **params) -> out tracers``.
partial_eval_rules: dict = {}


class PartialEvalTrace(Trace):
    __slots__ = ()

    def new_arg(self, pval: PartialVal) -> PartialEvalTracer:
        return PartialEvalTracer(self, pval, _LambdaBinding())

    def lift(self, val):
        return PartialEvalTracer(self, PartialVal.known(val), None)

    pure = lift

    def instantiate_const(self, tracer: PartialEvalTracer) -> PartialEvalTracer:
        if not tracer.pval.is_known:
            return tracer
        pval = PartialVal.unknown(raise_to_shaped(tracer.aval))
        return PartialEvalTracer(self, pval, _ConstRecipe(tracer.pval.const))

    def process_primitive(self, primitive, tracers, params):
        if all(t.pval.is_known for t in tracers):
            return primitive.bind(*[full_lower(t) for t in tracers], **params)
        rule = partial_eval_rules.get(primitive)
        if rule is not None:
            return rule(self, tracers, **params)
        tracers_in = [self.instantiate_const(t) for t in tracers]
        avals_out = primitive.abstract_eval(*[t.aval for t in tracers_in], **params)
        if not primitive.multiple_results:
            avals_out = [avals_out]
        tracers_out = [PartialEvalTracer(self, PartialVal.unknown(a), None) for a in avals_out]
        recipe = _EqnRecipe(primitive, tracers_in, params, tracers_out)
        for t in tracers_out:
            t.recipe = recipe
        return tracers_out if primitive.multiple_results else tracers_out[0]

    # Custom-derivative calls on known operands happen one level down, keeping their rules for
    # the transformations below (grad of grad: the outer JVP must still see the custom rule,
    # not the inlined body).  With unknown operands the body is inlined, as before.
    def process_custom_jvp_call(self, fun, jvp, tracers):
        if all(t.pval.is_known for t in tracers):
            from ..core import bind_custom
            return bind_custom("process_custom_jvp_call", [full_lower(t) for t in tracers],
                               fun, jvp)
        return fun(*tracers)

    def process_custom_vjp_call(self, fun, fwd, bwd, tracers):
        if all(t.pval.is_known for t in tracers):
            from ..core import bind_custom
            return bind_custom("process_custom_vjp_call", [full_lower(t) for t in tracers],
                               fun, fwd, bwd)
        return fun(*tracers)


def stage_eqn(trace: "PartialEvalTrace", prim, tracers_in, params, out_avals) -> list:
    """Record ``prim`` on a partial-eval ``trace`` as an equation with unknown outputs of
    ``out_avals`` (the rules of higher-order primitives stage their unknown parts with this)."""
    outs = [PartialEvalTracer(trace, PartialVal.unknown(a), None) for a in out_avals]
    recipe = _EqnRecipe(prim, list(tracers_in), params, outs)
    for t in outs:
        t.recipe = recipe
    return outs


def _toposort(out_tracers):
    """Tracers reachable from ``out_tracers``, parents before children (iterative DFS)."""
    order, seen = [], set()
    stack = [(t, False) for t in reversed(out_tracers)]
    while stack:
        t, expanded = stack.pop()
        if expanded:
            order.append(t)
            continue
        if id(t) in seen:
            continue
        seen.add(id(t))
        stack.append((t, True))
        if isinstance(t.recipe, _EqnRecipe):
            stack.extend((p, False) for p in reversed(t.recipe.tracers_in)
                         if id(p) not in seen)
    return order


def tracers_to_jaxpr(tracers_in, tracers_out):
    """The jaxpr computing the unknown ``tracers_out`` from ``tracers_in`` (+ constants)."""
    tracer_to_var = {id(t): Var(raise_to_shaped(t.aval)) for t in tracers_in}
    const_vars, const_vals, const_ids = [], [], {}
    done_recipes, eqns = set(), []
    for t in _toposort(tracers_out):
        recipe = t.recipe
        if isinstance(recipe, _LambdaBinding):
            if id(t) not in tracer_to_var:
                raise UnexpectedTracerError("a tracer from another linearize leaked in")
        elif isinstance(recipe, _ConstRecipe):
            var = const_ids.get(id(recipe.val))
            if var is None:
                var = const_ids[id(recipe.val)] = Var(raise_to_shaped(get_aval(recipe.val)))
                const_vars.append(var)
                const_vals.append(recipe.val)
            tracer_to_var[id(t)] = var
        elif isinstance(recipe, _EqnRecipe):
            if id(recipe) not in done_recipes:
                done_recipes.add(id(recipe))
                outs = [Var(o.aval) for o in recipe.tracers_out]
                for o, v in zip(recipe.tracers_out, outs):
                    tracer_to_var[id(o)] = v
                eqns.append(Eqn(recipe.prim, [tracer_to_var[id(x)] for x in recipe.tracers_in],
                                recipe.params, outs, recipe.scope))
        else:
            raise TypeError(f"internal error: unknown recipe {recipe!r}")
    in_binders = const_vars + [tracer_to_var[id(t)] for t in tracers_in]
    outs = [tracer_to_var[id(t)] for t in tracers_out]
    return Jaxpr(in_binders, eqns, outs), const_vals


def partial_eval_flat(fun, pvals_in):
    """Run ``fun`` on partially known inputs.  Returns (jaxpr, pvals_out, consts): the jaxpr
    computes the unknown outputs from ``consts + unknown inputs``."""
    with new_main(PartialEvalTrace) as main:
        trace = PartialEvalTrace(main)
        tracers_in = [trace.new_arg(p) for p in pvals_in]
        outs = fun(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        pvals_out = [t.pval for t in tracers_out]
        unknown_in = [t for t in tracers_in if not t.pval.is_known]
        unknown_out = [t for t in tracers_out if not t.pval.is_known]
        jaxpr, consts = tracers_to_jaxpr(unknown_in, unknown_out)
    return jaxpr, pvals_out, consts


# ---------------------------------------------------------------------------------------------
# Open jaxprs of sub-functions, and partial evaluation of whole jaxprs (used by jit, control
# flow, remat and implicit differentiation)
# ---------------------------------------------------------------------------------------------

def trace_open(fun, avals, arg_names=None, name=None) -> tuple[Jaxpr, list]:
    """Trace ``fun`` (flat -> flat) at ``avals``: an open jaxpr over ``consts + inputs`` and the
    constants' values (which callers pass as leading operands)."""
    closed = trace_to_jaxpr(fun, list(avals), arg_names, name)
    return closed.jaxpr, list(closed.consts)


# Other higher-order primitives that split themselves inside a jaxpr being partially evaluated,
# as nested jit calls (fnx.jit) and fnx.checkpoint's remat do: ``rule(eqn, flags, unknown_ids) ->
# (known_eqns, unknown_eqns)``, adding the ids of the outputs it leaves unknown to unknown_ids.
partial_eval_jaxpr_rules: dict = {}


def partial_eval_jaxpr(jaxpr: Jaxpr, unknowns, instantiate=None) -> tuple[Jaxpr, Jaxpr, list, int]:
    """Split ``jaxpr`` given which inputs are unknown.

    Returns ``(known, unknown, out_unknowns, num_residuals)``: ``known`` maps the known inputs
    to the known outputs followed by the residuals; ``unknown`` maps ``residuals + unknown
    inputs`` to the unknown outputs.  Equations whose inputs are all known go to ``known``;
    an equation with mixed inputs whose primitive has a ``partial_eval_jaxpr_rules`` entry
    (a nested jit call, a remat) is split by that rule.  ``instantiate[i]`` forces
    output i to the unknown side even when it is known (it then passes through as a residual):
    loops need their carries on the same side in and out."""
    if any(e.primitive in split_by_tracing for e in jaxpr.eqns):
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
# syntactic split above cannot do: jaxprs containing these primitives (fnx.lax.control_flow
# adds cond, scan and while) are partially evaluated by tracing.
split_by_tracing: set = set()


def _partial_eval_jaxpr_traced(jaxpr: Jaxpr, unknowns, instantiate):
    """``partial_eval_jaxpr`` by running the jaxpr under a PartialEvalTrace whose known values
    are tracers of a staging trace: the known computation is recorded into the known jaxpr
    (every primitive's own partial-eval rule applies), the unknown one into the unknown
    jaxpr.  None when the known side would need array constants (then the syntactic split
    is used)."""
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
