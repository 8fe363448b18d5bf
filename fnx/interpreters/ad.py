"""Automatic differentiation: forward mode by JVP rules, reverse mode by linearize + transpose.

Following autodidax:

* ``jvp`` runs the function under a ``JVPTrace`` whose tracers carry (primal, tangent) pairs;
  each primitive's JVP rule maps them forward.  Tangents may be the symbolic ``Zero`` (a
  constant, an integer value, a ``stop_gradient``): rules skip work for them, so differentiating
  with respect to one argument never computes tangents of the others.
* ``linearize`` runs the JVP under partial evaluation with the primals *known* and the tangents
  *unknown*: the primal computation executes, the tangent computation (linear in the tangents)
  is staged out into a jaxpr.
* ``vjp`` transposes that linear jaxpr: ``backward_pass`` walks it in reverse, applying each
  primitive's transpose rule to the output cotangents.

The rules themselves live with their primitives in ``fnx.lax`` (one block per primitive); this
module provides the tables and the helpers that make most rules one line:

* ``defjvp(prim, *fns)``: per-operand tangent contributions ``fn(g, *primals, **params)``,
  applied only to non-zero tangents and summed.
* ``defjvp2(prim, *fns)``: the same with the primal output available (``fn(g, ans, *primals)``).
* ``deflinear(prim, transpose_rule)``: a primitive linear in all its operands.
* ``defjvp_zero(prim)``: outputs that are not differentiable (comparisons, argmax, ints).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .. import dtypes
from . import array_ops
from .partial_eval import PartialVal, partial_eval_flat
from ..core import (Array, Jaxpr, Literal, Primitive, ShapedArray, Trace, Tracer, Var, bind,
                    eval_jaxpr, full_lower, full_raise, get_aval, new_main, raise_to_shaped,
                    scope_context)
from ..errors import AutodiffError, FnxError  # noqa: F401 (AutodiffError re-exported)

jvp_rules: dict[Primitive, Callable] = {}
transpose_rules: dict[Primitive, Callable] = {}


# ---------------------------------------------------------------------------------------------
# Symbolic zeros and tangent arithmetic
# ---------------------------------------------------------------------------------------------

class Zero:
    """A tangent or cotangent known to be zero, of abstract value ``aval``."""

    __slots__ = ("aval",)

    def __init__(self, aval: ShapedArray):
        self.aval = aval

    @staticmethod
    def from_value(x) -> "Zero":
        aval = get_aval(x)
        return Zero(ShapedArray(aval.shape, aval.dtype, False))

    def __repr__(self):
        return f"Zero({self.aval.str_short()})"


def zeros_like_aval(aval: ShapedArray):
    return array_ops.broadcast_in_dim(Array(np.zeros((), aval.dtype)), aval.shape, ())


def instantiate_zeros(t):
    return zeros_like_aval(t.aval) if isinstance(t, Zero) else t


def add_tangents(a, b):
    if isinstance(a, Zero):
        return b
    if isinstance(b, Zero):
        return a
    return array_ops.add(a, b)


def is_differentiable_dtype(dtype) -> bool:
    return dtypes.is_inexact(dtype)  # float or complex


# ---------------------------------------------------------------------------------------------
# Rule helpers
# ---------------------------------------------------------------------------------------------

def defjvp(prim: Primitive, *fns):
    """JVP rule from per-operand contributions ``fns[i](g_i, *primals, **params)``.

    A ``None`` entry marks an operand that is not differentiated (e.g. an index)."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = Zero.from_value(ans)
        for fn, g in zip(fns, tangents):
            if fn is not None and not isinstance(g, Zero):
                out = add_tangents(out, fn(g, *primals, **params))
        return ans, out
    jvp_rules[prim] = rule
    return rule


def defjvp2(prim: Primitive, *fns):
    """Like ``defjvp`` but each contribution also gets the primal output:
    ``fns[i](g_i, ans, *primals, **params)`` (e.g. d exp = g * exp(x))."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        out = Zero.from_value(ans)
        for fn, g in zip(fns, tangents):
            if fn is not None and not isinstance(g, Zero):
                out = add_tangents(out, fn(g, ans, *primals, **params))
        return ans, out
    jvp_rules[prim] = rule
    return rule


def defjvp_zero(prim: Primitive):
    """The outputs of ``prim`` have zero tangents (comparisons, argmax, integer results)."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if prim.multiple_results:
            return ans, [Zero.from_value(a) for a in ans]
        return ans, Zero.from_value(ans)
    jvp_rules[prim] = rule
    return rule


def deflinear(prim: Primitive, transpose_rule: Callable):
    """``prim`` is linear in all operands: its JVP applies ``prim`` to the tangents.

    ``transpose_rule(ct, *operands, **params)`` returns one cotangent per operand."""
    def rule(primals, tangents, **params):
        ans = prim.bind(*primals, **params)
        if all(isinstance(t, Zero) for t in tangents):
            return ans, Zero.from_value(ans)
        return ans, prim.bind(*[instantiate_zeros(t) for t in tangents], **params)
    jvp_rules[prim] = rule
    transpose_rules[prim] = transpose_rule
    return rule


def deftranspose(prim: Primitive, transpose_rule: Callable):
    """Register how to transpose ``prim`` with respect to its linear operands.

    ``transpose_rule(ct, *operands, **params)``: operands that are linear arrive as
    ``UndefinedPrimal``; return one cotangent (or None) per operand."""
    transpose_rules[prim] = transpose_rule
    return transpose_rule


# ---------------------------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------------------------

class JVPTracer(Tracer):
    __slots__ = ("primal", "tangent")

    def __init__(self, trace, primal, tangent):
        self._trace = trace
        self.primal = primal
        self.tangent = tangent

    @property
    def aval(self):
        return get_aval(self.primal)

    def concrete_value(self):
        return _concrete(self.primal)

    def full_lower(self):
        if isinstance(self.tangent, Zero):
            return full_lower(self.primal)
        return self


def _concrete(x):
    if isinstance(x, Tracer):
        return x.concrete_value()
    return x


class JVPTrace(Trace):
    __slots__ = ()

    def pure(self, val):
        return JVPTracer(self, val, Zero.from_value(val))

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(isinstance(t, Zero) for t in tangents):
            out = primitive.bind(*primals, **params)
            if primitive.multiple_results:
                return [JVPTracer(self, o, Zero.from_value(o)) for o in out]
            return JVPTracer(self, out, Zero.from_value(out))
        rule = jvp_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(
                f"differentiation rule for '{primitive.name}' is not implemented")
        primal_out, tangent_out = rule(primals, tangents, **params)
        if primitive.multiple_results:
            return [JVPTracer(self, p, t) for p, t in zip(primal_out, tangent_out)]
        return JVPTracer(self, primal_out, tangent_out)

    def process_custom_jvp_call(self, fun, jvp, tracers):
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(isinstance(t, Zero) for t in tangents):
            outs = fun(*primals)
            return [JVPTracer(self, o, Zero.from_value(o)) for o in outs]
        primals_out, tangents_out = jvp(primals, [instantiate_zeros(t) for t in tangents])
        return [JVPTracer(self, p, t) for p, t in zip(primals_out, tangents_out)]

    def process_custom_vjp_call(self, fun, fwd, bwd, tracers):
        from .custom import custom_lin
        primals = [t.primal for t in tracers]
        tangents = [t.tangent for t in tracers]
        if all(isinstance(t, Zero) for t in tangents):
            outs = fun(*primals)
            return [JVPTracer(self, o, Zero.from_value(o)) for o in outs]
        primals_out, residuals = fwd(*primals)
        tangents_out = custom_lin(residuals, [instantiate_zeros(t) for t in tangents], bwd,
                                  [get_aval(p) for p in primals_out])
        return [JVPTracer(self, p, t) for p, t in zip(primals_out, tangents_out)]


def jvp_flat(fun, primals, tangents):
    """Flat JVP: lists of arrays in, (primals_out, tangents_out) lists out.  Input tangents may
    be ``Zero``, and so may output tangents (an output that does not depend on a nonzero input
    tangent): callers that need arrays apply ``instantiate_zeros``."""
    with new_main(JVPTrace) as main:
        trace = JVPTrace(main)
        tracers_in = [JVPTracer(trace, x, t) for x, t in zip(primals, tangents)]
        outs = fun(*tracers_in)
        tracers_out = [full_raise(trace, o) for o in outs]
        primals_out = [t.primal for t in tracers_out]
        tangents_out = [t.tangent for t in tracers_out]
    return primals_out, tangents_out



class Linearized:
    """``flat_fun`` (a flat function: lists of arrays in and out) linearized at
    ``flat_primals``: its outputs, and the linear map of its tangents staged as a jaxpr (JVP
    then partial evaluation), which ``jvp`` evaluates and ``vjp`` transposes.  The machinery
    of ``fnx.linearize`` / ``fnx.vjp`` / ``fnx.grad``, also used by implicit differentiation
    (``fnx.lax.custom_root`` / ``fixed_point``)."""

    def __init__(self, flat_fun, flat_primals):
        n = len(flat_primals)
        tangent_pvals = []
        for p in flat_primals:
            aval = raise_to_shaped(get_aval(p)).strip_weak_type()
            # integer inputs get a known-zero tangent: nothing to stage for them
            tangent_pvals.append(PartialVal.unknown(aval) if is_differentiable_dtype(aval.dtype)
                                 else PartialVal(aval, Zero(aval)))
        pvals_in = [PartialVal.known(p) for p in flat_primals] + tangent_pvals

        def fun_jvp(*args):
            primals, tangents = args[:n], args[n:]
            tangents = [t.pval.const if isinstance(t.pval.const, Zero) else t for t in tangents]
            p_out, t_out = jvp_flat(flat_fun, list(primals), list(tangents))
            return list(p_out) + [instantiate_zeros(t) for t in t_out]

        self.jaxpr, pvals_out, self.consts = partial_eval_flat(fun_jvp, pvals_in)
        m = len(pvals_out) // 2
        if not all(pv.is_known for pv in pvals_out[:m]):
            # a primitive whose JVP makes primal outputs depend on tangents (custom_vmap's)
            raise AutodiffError("Linearization failed to produce known values for all output "
                                "primals: reverse-mode differentiation (grad / vjp / "
                                "linearize) of this function (a custom_vmap function?) is not "
                                "supported; wrap it in custom_vjp")
        self.primals_out = [pv.const for pv in pvals_out[:m]]
        self.tangent_pvals_out = pvals_out[m:]
        self.tangent_pvals_in = tangent_pvals

    def jvp(self, flat_tangents) -> list:
        """The output tangents for ``flat_tangents`` (one per primal, checked by the caller)."""
        unknown = [t for t, pv in zip(flat_tangents, self.tangent_pvals_in) if not pv.is_known]
        outs = iter(eval_jaxpr(self.jaxpr, list(self.consts) + unknown))
        return [pv.const if pv.is_known else next(outs) for pv in self.tangent_pvals_out]

    def vjp(self, cts) -> list:
        """The input cotangents (``Zero`` where none flows) for output cotangents ``cts`` (the
        first ``len(cts)`` outputs; checked and converted by the caller)."""
        unknown_cts = [c for c, pv in zip(cts, self.tangent_pvals_out) if not pv.is_known]
        args = list(self.consts) + [UndefinedPrimal(pv.aval) for pv in self.tangent_pvals_in
                                    if not pv.is_known]
        cts_in = iter(backward_pass(self.jaxpr, args, unknown_cts))
        return [Zero(pv.aval) if pv.is_known else next(cts_in) for pv in self.tangent_pvals_in]


# ---------------------------------------------------------------------------------------------
# Transposition (reverse mode)
# ---------------------------------------------------------------------------------------------

class UndefinedPrimal:
    """Stands for a linear input of a jaxpr being transposed (its value is not known)."""

    __slots__ = ("aval",)

    def __init__(self, aval):
        self.aval = aval

    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: len(self.aval.shape))

    def __repr__(self):
        return f"UndefinedPrimal({self.aval.str_short()})"


def is_undefined(x) -> bool:
    return isinstance(x, UndefinedPrimal)


def backward_pass(jaxpr: Jaxpr, args: list, cotangents: list) -> list:
    """Transpose ``jaxpr`` (linear in the inputs given as ``UndefinedPrimal``): returns the
    cotangents of those inputs, in order, as arrays or ``Zero``."""
    primal_env: dict[int, object] = {}
    ct_env: dict[int, object] = {}

    def read_primal(x):
        if isinstance(x, Literal):
            return x.val
        return primal_env.get(id(x), UndefinedPrimal(x.aval))

    def write_cotangent(x, ct):
        if isinstance(x, Var) and ct is not None and not isinstance(ct, Zero):
            prev = ct_env.get(id(x))
            ct_env[id(x)] = ct if prev is None else add_tangents(prev, ct)

    def read_cotangent(v):
        return ct_env.pop(id(v), Zero(v.aval))

    for v, a in zip(jaxpr.in_binders, args):
        if not isinstance(a, UndefinedPrimal):
            primal_env[id(v)] = a
    for v, ct in zip(jaxpr.outs, cotangents):
        write_cotangent(v, ct)

    # Equations whose inputs are all known are non-linear "forward" work (e.g. a residual
    # recomputed inside the linear jaxpr): evaluate them first so their outputs are known.
    linear_eqns = []
    for eqn in jaxpr.eqns:
        ins = [read_primal(x) for x in eqn.inputs]
        if any(isinstance(x, UndefinedPrimal) for x in ins):
            linear_eqns.append(eqn)
            continue
        outs = bind(eqn.primitive, *ins, **eqn.params)
        outs = outs if eqn.primitive.multiple_results else [outs]
        for v, o in zip(eqn.out_binders, outs):
            primal_env[id(v)] = o

    for eqn in reversed(linear_eqns):
        primals_in = [read_primal(x) for x in eqn.inputs]
        cts_in = [read_cotangent(v) for v in eqn.out_binders]
        if all(isinstance(c, Zero) for c in cts_in):
            continue
        rule = transpose_rules.get(eqn.primitive)
        if rule is None:
            raise NotImplementedError(
                f"transpose rule for '{eqn.primitive.name}' is not implemented (it is not "
                "linear, or reverse-mode differentiation of it is not supported)")
        ct = cts_in if eqn.primitive.multiple_results else cts_in[0]
        if eqn.scope:
            with scope_context(f"transpose({eqn.scope})"):
                cts_out = rule(ct, *primals_in, **eqn.params)
        else:
            cts_out = rule(ct, *primals_in, **eqn.params)
        for x, c in zip(eqn.inputs, cts_out):
            write_cotangent(x, c)

    return [read_cotangent(v) for v, a in zip(jaxpr.in_binders, args)
            if isinstance(a, UndefinedPrimal)]

