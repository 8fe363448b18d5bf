"""Sums over a scan's iterations, computed after the loop instead of accumulated inside it.

The transpose of a scan (its backward pass) accumulates the cotangent of every linear constant
as a carry: ``acc += ct_t`` in each iteration.  For the weights of a recurrent layer ``ct_t`` is
a weight-gradient product such as ``dot_general(dz_t, h_t)`` contracting the batch axis -- a
GEMM with K = batch (32 for a typical LSTM), then a full pass over the accumulator, and a
carry the size of the weight matrix moved through the loop each step.  Summed over all T
steps the same value is one GEMM over the stacked operands contracting (T, batch): K = T *
batch, the shape that GEMMs are fast at (cuDNN and PyTorch's LSTM backward do the same).

``plan_iteration_sums`` finds such outputs of the transposed body: a ``dot_general`` without
batch dimensions or a ``reduce_sum`` (possibly followed by ``transpose``s) of values that change
from one iteration to the next.  The scan then emits the operands as stacked outputs -- or
reuses arrays that are stacked already: the scan's own xs (residuals of the forward pass) and
its other ys -- and ``finish_iteration_sum`` computes each sum once over the stacked arrays.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..core import Var

# extra stacked outputs a scan may allocate for the hoisted sums: above this the per-step
# accumulation is kept (it needs no memory proportional to the sequence length)
MAX_NEW_STACKED_BYTES = 128 << 20


@dataclass
class IterationSum:
    """How to compute one accumulated output after the loop."""
    core: object                  # the dot_general / reduce_sum equation of the body
    operands: list                # its operand Vars (per-iteration values)
    post: list = field(default_factory=list)   # transpose equations applied to its result


def _varying_vars(jaxpr, first_varying: int) -> set:
    """ids of the vars of ``jaxpr`` that depend on an input at index >= first_varying (the
    inputs that change between iterations); the rest are loop constants."""
    varying = {id(v) for v in jaxpr.in_binders[first_varying:]}
    for eqn in jaxpr.eqns:
        if any(isinstance(x, Var) and id(x) in varying for x in eqn.inputs):
            varying.update(id(v) for v in eqn.out_binders)
    return varying


def _match_sum(var, producers, varying):
    """An IterationSum for ``var`` if it is a batch-free dot_general / a reduce_sum of varying
    operands, optionally transposed; else None."""
    post = []
    eqn = producers.get(id(var))
    while eqn is not None and eqn.primitive.name == "transpose":
        post.append(eqn)
        src = eqn.inputs[0]
        eqn = producers.get(id(src)) if isinstance(src, Var) else None
    if eqn is None:
        return None
    name = eqn.primitive.name
    if name == "dot_general":
        (_, _), (lb, rb) = eqn.params["dimension_numbers"]
        if lb or rb:
            return None
    elif name != "reduce_sum":
        return None
    ops = list(eqn.inputs)
    if not all(isinstance(x, Var) and id(x) in varying for x in ops):
        return None       # a loop constant operand: the sum would not factor this way
    return IterationSum(eqn, ops, post[::-1])


def plan_iteration_sums(body, first_varying: int, n_acc: int, length: int,
                        free_vars) -> list:
    """For each of the first ``n_acc`` outputs of ``body`` (the per-iteration contributions to
    accumulated cotangents), an IterationSum if it can be computed after the loop, else None.

    ``free_vars``: ids of body vars that are stacked already outside the loop (xs binders and
    ys outputs); other operands become new stacked outputs, within MAX_NEW_STACKED_BYTES."""
    if length < 2:
        return [None] * n_acc
    producers = {id(v): e for e in body.eqns for v in e.out_binders}
    varying = _varying_vars(body, first_varying)
    plans, new_bytes, seen = [], 0, set(free_vars)
    for out in body.outs[:n_acc]:
        plan = _match_sum(out, producers, varying) if isinstance(out, Var) else None
        if plan is not None:
            fresh = [v for v in plan.operands if id(v) not in seen]
            extra = sum(length * v.aval.size * v.aval.dtype.itemsize
                        for v in {id(v): v for v in fresh}.values())
            if new_bytes + extra > MAX_NEW_STACKED_BYTES:
                plan = None
            else:
                new_bytes += extra
                seen.update(id(v) for v in fresh)
        plans.append(plan)
    return plans


def finish_iteration_sum(plan: IterationSum, stacked: list, target_aval):
    """The sum over iterations of the planned output, from its operands stacked along a new
    leading axis (``stacked[i]`` for ``plan.operands[i]``), as ``target_aval``'s dtype."""
    from .elementwise import convert_element_type
    core = plan.core
    if core.primitive.name == "dot_general":
        (lc, rc), _ = core.params["dimension_numbers"]
        dims = (((0,) + tuple(c + 1 for c in lc), (0,) + tuple(c + 1 for c in rc)), ((), ()))
        out = core.primitive.bind(*stacked, **{**core.params, "dimension_numbers": dims})
    else:
        axes = (0,) + tuple(a + 1 for a in core.params["axes"])
        out = core.primitive.bind(*stacked, **{**core.params, "axes": axes})
    for eqn in plan.post:
        out = eqn.primitive.bind(out, **eqn.params)
    if out.dtype != target_aval.dtype:
        out = convert_element_type(out, target_aval.dtype)
    return out
