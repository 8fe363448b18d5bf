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
                    asarray_concrete, get_aval, new_dynamic, new_main, raise_to_shaped)


class JaxprTracer(Tracer):
    __slots__ = ("_aval",)

    def __init__(self, trace: "JaxprTrace", aval: ShapedArray):
        self._trace = trace
        self._aval = aval

    @property
    def aval(self):
        return self._aval


class JaxprBuilder:
    """Accumulates equations, constants and the tracer->variable map of one trace."""

    def __init__(self):
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
                              for x in e.inputs], e.params, e.out_binders)
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
        if isinstance(val, Array):
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
        self.builder.eqns.append(Eqn(primitive, inputs, params, outvars))
        return out_tracers if primitive.multiple_results else out_tracers[0]


def trace_to_jaxpr(fun: Callable, in_avals: list[ShapedArray]) -> ClosedJaxpr:
    """Trace ``fun`` (flat list of arrays -> flat list of arrays) at ``in_avals``."""
    builder = JaxprBuilder()
    with new_main(JaxprTrace, builder) as main:
        with new_dynamic(main):
            trace = JaxprTrace(main)
            tracers_in = [trace.new_arg(aval) for aval in in_avals]
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
