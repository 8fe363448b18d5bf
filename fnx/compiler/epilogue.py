"""Matmul epilogue fusion: ``act(dot_general(a, b) + bias)`` as one kernel call.

The pattern, in the optimized jaxpr::

    c = dot_general a b                      # one free axis of b: c's last axis is N
    e = broadcast_in_dim x                   # x holds N values, laid along c's last axis
    d = add c e        (or add e c)
    r = max d 0        (optional; relu, the 0 a literal or a broadcast literal)

becomes one ``dot_general_epilogue a b x`` eqn (params: dimension_numbers, act) that the
schedule turns into a ``fnx_matmul_epilogue`` call: the bias add and the relu happen while each
C tile is still in registers, instead of in a second pass over C.  Only values with no other
use are folded in (c, e and d each feed only the next step, and are not outputs); anything
else keeps the plain matmul + fused loop.  The eqn exists only in the jaxpr lowered for code
generation (``passes.lower_for_codegen``; it has no eager rule): the jaxpr that
``lower().as_text()`` shows is unchanged.
"""
from __future__ import annotations

import math

import numpy as np

from ..core import Eqn, Fusion, Jaxpr, Literal, Primitive, Var
from ..lax.elementwise import add_p, max_p
from ..lax.linalg import dot_general_p
from ..lax.shape import broadcast_in_dim_p

dot_general_epilogue_p = Primitive("dot_general_epilogue", fusion=Fusion.LIBRARY)

ACT_NONE, ACT_RELU = 0, 1   # enum fnx_act of fnx_kernels.h
_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64, np.int32, np.int64))


def fuse_matmul_epilogues(jaxpr: Jaxpr) -> Jaxpr:
    """``jaxpr`` with every matching dot_general + bias (+ relu) chain replaced (see above);
    the same object when nothing matches."""
    uses: dict[int, int] = {}
    consumer: dict[int, Eqn] = {}
    for eqn in jaxpr.eqns:
        for x in eqn.inputs:
            if isinstance(x, Var):
                uses[id(x)] = uses.get(id(x), 0) + 1
                consumer[id(x)] = eqn
    for x in jaxpr.outs:
        if isinstance(x, Var):
            uses[id(x)] = uses.get(id(x), 0) + 2   # an output is never folded away
    producer = {id(v): e for e in jaxpr.eqns for v in e.out_binders}

    def only_consumer(v):
        return consumer[id(v)] if uses.get(id(v)) == 1 else None

    drop: set[int] = set()          # ids of eqns folded into a fused one
    place: dict[int, Eqn] = {}      # id of the chain's last eqn -> the fused eqn
    for eqn in jaxpr.eqns:
        if eqn.primitive is not dot_general_p:
            continue
        m = _match(eqn, only_consumer, producer)
        if m is None:
            continue
        bias, act, chain = m
        out = chain[-1].out_binders[0]
        fused = Eqn(dot_general_epilogue_p, [eqn.inputs[0], eqn.inputs[1], bias],
                    {"dimension_numbers": eqn.params["dimension_numbers"], "act": act}, [out])
        drop.update(id(e) for e in chain)
        place[id(chain[-1])] = fused
    if not place:
        return jaxpr
    eqns = [place.get(id(e), e) for e in jaxpr.eqns if id(e) not in drop or id(e) in place]
    return Jaxpr(jaxpr.in_binders, eqns, jaxpr.outs)


def _match(dot, only_consumer, producer):
    """(bias source, act, [the eqns folded in, in order]) or None."""
    (lc, rc), (lb, rb) = dot.params["dimension_numbers"]
    lhs, rhs = dot.inputs
    c = dot.out_binders[0]
    if not all(isinstance(x, Var) for x in (lhs, rhs)):
        return None
    if not (lhs.aval.dtype == rhs.aval.dtype == c.aval.dtype and c.aval.dtype in _DTYPES):
        return None
    if rhs.aval.ndim - len(rc) - len(rb) != 1:     # c's last axis must be all of N
        return None
    add = only_consumer(c)
    if add is None or add.primitive is not add_p:
        return None
    other = add.inputs[1] if add.inputs[0] is c else add.inputs[0]
    bcast = producer.get(id(other)) if isinstance(other, Var) else None
    if (bcast is None or bcast.primitive is not broadcast_in_dim_p
            or only_consumer(other) is not add or not _along_last_axis(bcast, c)):
        return None
    bias = bcast.inputs[0]
    if not isinstance(bias, Var) or bias.aval.dtype != c.aval.dtype:
        return None
    chain = [dot, bcast, add]
    d = add.out_binders[0]
    relu = only_consumer(d)
    if relu is not None and relu.primitive is max_p and _is_zero(
            relu.inputs[1] if relu.inputs[0] is d else relu.inputs[0], producer, only_consumer,
            relu, chain):
        return bias, ACT_RELU, chain + [relu]
    return bias, ACT_NONE, chain


def _along_last_axis(bcast, c) -> bool:
    """Does this broadcast_in_dim lay exactly N values along c's last axis (every other axis
    of its operand has size 1)?"""
    x = bcast.inputs[0]
    shape, dims = x.aval.shape, bcast.params["broadcast_dimensions"]
    n, last = c.aval.shape[-1], c.aval.ndim - 1
    if tuple(bcast.params["shape"]) != tuple(c.aval.shape) or math.prod(shape) != n:
        return False
    return all(s == 1 or d == last for s, d in zip(shape, dims))


def _is_zero(z, producer, only_consumer, relu, chain) -> bool:
    """A literal 0, or a broadcast of one used only by the relu (then folded in too)."""
    if isinstance(z, Literal):
        return np.all(np.asarray(getattr(z.val, "_value", z.val)) == 0)
    e = producer.get(id(z))
    if (e is not None and e.primitive is broadcast_in_dim_p and only_consumer(z) is relu
            and isinstance(e.inputs[0], Literal)):
        if np.all(np.asarray(getattr(e.inputs[0].val, "_value", e.inputs[0].val)) == 0):
            chain.append(e)
            return True
    return False
