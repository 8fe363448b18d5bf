"""Automatic batching (``vmap``): run a function on a whole batch, one primitive at a time.

A ``BatchTrace`` boxes each value as ``BatchTracer(val, batch_dim)``: ``val`` is the batched
array and ``batch_dim`` says which of its axes is the mapped one (``None``: the value is the
same for every example and carries no batch axis).  The function sees tracers with the
per-example shape; each primitive's *batching rule* maps batched operands to batched results
with a single call of (usually) the same primitive on the whole batch -- never a Python loop
over examples, so ``make_jaxpr(vmap(f))`` has as many equations for a batch of 2 as of 10,000.

A batching rule has the signature ``rule(axis_size, args, dims, **params) -> (out, out_dim)``
(lists of both for primitives with several results).  ``dims[i]`` is ``None`` for an operand
that is not batched; at least one operand is batched when a rule runs.  The rules live with
their primitives in ``fnx.lax``; this module has the trace, the tables and the helpers that
make most rules one line:

* ``defvectorized(prim)``: elementwise with one operand -- the batch axis just rides along.
* ``defbroadcasting(prim, scalar_operands=...)``: elementwise with several operands of one
  shape (some allowed to be rank-0 scalars); unbatched operands are broadcast.
* ``defreducer(prim)``: reductions over ``axes``; the batch axis is never reduced.

Custom derivatives (``custom_jvp`` / ``custom_vjp``) stay custom under vmap: the function and
its rules are batched and re-bound one level down, so an outer ``grad`` still uses the rule.
"""
from __future__ import annotations

from typing import Callable, Sequence

from ..core import (Primitive, Trace, Tracer, bind_custom, full_lower, full_raise, get_aval,
                    new_main, raise_to_shaped)
from ..errors import InvalidArgumentError, ShapeError
from . import array_ops

not_mapped = None
batching_rules: dict[Primitive, Callable] = {}


# ---------------------------------------------------------------------------------------------
# Axis helpers (on concrete values or lower-level tracers)
# ---------------------------------------------------------------------------------------------

def full_axis(axis: int, bdim: int) -> int:
    """The axis of the batched array that is per-example ``axis`` when the batch axis is
    inserted at ``bdim``."""
    return axis if axis < bdim else axis + 1


def moveaxis(x, src: int, dst: int):
    """``x`` with axis ``src`` moved to position ``dst`` (a transpose; no-op if equal)."""
    if src == dst:
        return x
    perm = [i for i in range(x.ndim) if i != src]
    perm.insert(dst, src)
    return array_ops.transpose(x, tuple(perm))


def broadcast_batched(x, axis_size: int, bdim: int):
    """An unbatched ``x`` given a batch axis of ``axis_size`` at ``bdim`` (a broadcast)."""
    shape = list(x.shape)
    shape.insert(bdim, axis_size)
    dims = tuple(full_axis(i, bdim) for i in range(x.ndim))
    return array_ops.broadcast_in_dim(x, tuple(shape), dims)


def move_to(x, bdim, axis_size: int, dst: int):
    """``x`` (batched at ``bdim``, or unbatched if None) with its batch axis at ``dst``."""
    if bdim is None:
        return broadcast_batched(x, axis_size, dst)
    return moveaxis(x, bdim, dst)


def at_front(x, bdim, axis_size: int):
    return move_to(x, bdim, axis_size, 0)


def shift_axes(axes: Sequence[int], bdim: int) -> tuple:
    """Per-example axes -> axes of the array batched at ``bdim``."""
    return tuple(full_axis(a, bdim) for a in axes)


# ---------------------------------------------------------------------------------------------
# The trace
# ---------------------------------------------------------------------------------------------

class BatchTracer(Tracer):
    __slots__ = ("val", "batch_dim")

    def __init__(self, trace, val, batch_dim):
        self._trace = trace
        self.val = val
        self.batch_dim = batch_dim

    @property
    def aval(self):
        aval = raise_to_shaped(get_aval(self.val))
        if self.batch_dim is None:
            return aval
        shape = list(aval.shape)
        del shape[self.batch_dim]
        return aval.update(shape=tuple(shape))

    def full_lower(self):
        if self.batch_dim is None:
            return full_lower(self.val)
        return self

    def _concretization_error(self, what: str):
        from ..errors import ConcretizationTypeError
        raise ConcretizationTypeError(
            f"{what} needs a concrete value, but got a value batched by vmap "
            f"{self.aval.str_short()} (it differs from one example to the next). Python control "
            "flow cannot depend on it under vmap: use fnx.numpy.where / fnx.lax.select, or pass "
            "the value with in_axes=None so it is not mapped.")


class BatchTrace(Trace):
    __slots__ = ()

    @property
    def axis_size(self) -> int:
        return self.main.global_data

    def pure(self, val):
        return BatchTracer(self, val, not_mapped)

    lift = pure

    def process_primitive(self, primitive, tracers, params):
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        if all(d is None for d in dims):
            out = primitive.bind(*vals, **params)
            if primitive.multiple_results:
                return [BatchTracer(self, o, None) for o in out]
            return BatchTracer(self, out, None)
        rule = batching_rules.get(primitive)
        if rule is None:
            raise NotImplementedError(f"vmap: batching rule for '{primitive.name}' is not "
                                      "implemented")
        out, out_dim = rule(self.axis_size, vals, dims, **params)
        if primitive.multiple_results:
            return [BatchTracer(self, o, d) for o, d in zip(out, out_dim)]
        return BatchTracer(self, out, out_dim)

    # -- custom derivatives: batch the function and its rules, re-bind them one level down ---

    def _batched(self, fun, in_dims_of):
        """``fun`` over batch tracers -> a function over this level's raw values whose outputs
        all carry the batch axis at 0 (so rules and their outputs line up).  It runs under a
        vmap of its own: it may be called inside a trace opened after this one (jit staging
        the custom call traces it at a new level), whose tracers this level cannot hold."""
        axis_size = self.axis_size

        def batched(*vals):
            return batch_flat(lambda *xs: list(fun(*xs)), list(vals), list(in_dims_of(vals)),
                              axis_size, lambda n: [0] * n)
        return batched

    def process_custom_jvp_call(self, fun, jvp, tracers):
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        batched_fun = self._batched(fun, lambda _: dims)

        def per_example_jvp(*xs):
            n = len(xs) // 2
            p_out, t_out = jvp(list(xs[:n]), list(xs[n:]))
            return list(p_out) + list(t_out)
        both = self._batched(per_example_jvp, lambda _: dims + dims)

        def batched_jvp(primals, tangents):
            outs = both(*primals, *tangents)
            return outs[:len(outs) // 2], outs[len(outs) // 2:]

        outs = bind_custom("process_custom_jvp_call", vals, batched_fun, batched_jvp)
        return [BatchTracer(self, o, 0) for o in outs]

    def process_custom_vjp_call(self, fun, fwd, bwd, tracers):
        vals = [t.val for t in tracers]
        dims = [t.batch_dim for t in tracers]
        batched_fun = self._batched(fun, lambda _: dims)

        n_out = []

        def per_example_fwd(*xs):
            outs, res = fwd(*xs)
            n_out[:] = [len(outs)]
            return list(outs) + list(res)
        fwd_all = self._batched(per_example_fwd, lambda _: dims)

        def batched_fwd(*primals):
            outs = fwd_all(*primals)
            return outs[:n_out[0]], outs[n_out[0]:]

        batched_bwd = _batched_custom_bwd(bwd, self.axis_size, dims)
        outs = bind_custom("process_custom_vjp_call", vals, batched_fun, batched_fwd,
                           batched_bwd)
        return [BatchTracer(self, o, 0) for o in outs]



def _batched_custom_bwd(bwd, axis_size: int, in_dims):
    """The user's bwd, batched.  It runs during the backward pass, after the vmap that saw the
    custom_vjp call may have finished, so it gets a vmap of its own.  Residuals and output
    cotangents carry the batch axis at 0 (see ``_batched``); the cotangent of an input that
    was not batched is summed over the batch (every example shared that input)."""
    def batched_bwd(res, cts):
        n_res, nones = len(res), {}

        def per_example(*args):
            cts_in = bwd(list(args[:n_res]), list(args[n_res:]))
            nones["mask"] = [c is None for c in cts_in]
            return [c for c in cts_in if c is not None]

        def out_dims(n):
            kept = [d for d, none in zip(in_dims, nones["mask"]) if not none]
            return [0 if d is None else d for d in kept]

        outs = iter(batch_flat(per_example, list(res) + list(cts), [0] * (len(res) + len(cts)),
                               axis_size, out_dims))
        return [None if none else (next(outs) if d is not None
                                   else array_ops.reduce_sum(next(outs), (0,)))
                for d, none in zip(in_dims, nones["mask"])]
    return batched_bwd


# ---------------------------------------------------------------------------------------------
# Running a flat function batched
# ---------------------------------------------------------------------------------------------

def batch_flat(fun, args: list, in_dims: list, axis_size: int, out_dims_fn):
    """Run ``fun`` (flat list -> flat list) batched: ``args[i]`` is mapped along ``in_dims[i]``
    (None: not mapped).  ``out_dims_fn(n_outputs)`` gives the requested output axes; returns
    the outputs with their batch axes there (None: the output must not depend on the batch)."""
    with new_main(BatchTrace, axis_size) as main:
        trace = BatchTrace(main)
        tracers = [BatchTracer(trace, a, d) if d is not None else a
                   for a, d in zip(args, in_dims)]
        outs = fun(*tracers)
        outs = [full_raise(trace, o) for o in outs]
        out_dims = out_dims_fn(len(outs))
        return [_place_output(t.val, t.batch_dim, dst, axis_size, i)
                for i, (t, dst) in enumerate(zip(outs, out_dims))]


def batch_flat_keep_unbatched(fun, args: list, in_dims: list, axis_size: int):
    """Like ``batch_flat`` but outputs that do not depend on the batch stay unbatched:
    returns (outputs, their batch axes: 0 or None)."""
    with new_main(BatchTrace, axis_size) as main:
        trace = BatchTrace(main)
        tracers = [BatchTracer(trace, a, d) if d is not None else a
                   for a, d in zip(args, in_dims)]
        outs = [full_raise(trace, o) for o in fun(*tracers)]
        return ([t.val if t.batch_dim is None else moveaxis(t.val, t.batch_dim, 0)
                 for t in outs], [None if t.batch_dim is None else 0 for t in outs])


def _place_output(val, bdim, dst, axis_size, index):
    if dst is None:
        if bdim is not None:
            raise InvalidArgumentError(
                f"vmap: output {index} depends on the mapped axis, but out_axes is None for it "
                "(None means the output is the same for every example); give it an integer axis")
        return val
    rank = val.ndim + (bdim is None)
    if not -rank <= dst < rank:
        raise ShapeError(f"vmap: out_axes {dst} is out of range for output {index}, which has "
                         f"rank {rank} with the mapped axis")
    return move_to(val, bdim, axis_size, dst % rank)


# ---------------------------------------------------------------------------------------------
# Rule helpers
# ---------------------------------------------------------------------------------------------

def batch_size_of(args, dims) -> int:
    for x, d in zip(args, dims):
        if d is not None:
            return x.shape[d]
    raise AssertionError("a batching rule ran with no batched operand")


def defvectorized(prim: Primitive):
    """``prim`` acts elementwise on its single operand: the batch axis rides along."""
    def rule(axis_size, args, dims, **params):
        (x,), (d,) = args, dims
        return prim.bind(x, **params), d
    batching_rules[prim] = rule
    return rule


def broadcast_operands(axis_size, args, dims, scalar_ok: Sequence[bool]):
    """Line up the operands of an elementwise primitive whose operands share one shape (or are
    rank-0 scalars where ``scalar_ok``): returns (operands, out_dim).

    The batch axis of the result is that of the full-rank batched operands when they agree
    (no transposes in the common case), else 0.  Unbatched operands are broadcast, except
    rank-0 ones where a scalar is allowed, which stay scalars."""
    per_example_rank = max(x.ndim - (d is not None) for x, d in zip(args, dims))
    full_dims = {d for x, d in zip(args, dims)
                 if d is not None and x.ndim - 1 == per_example_rank}
    out_dim = full_dims.pop() if len(full_dims) == 1 else 0
    out = []
    for x, d, scalar in zip(args, dims, scalar_ok):
        if d is None:
            if x.ndim == 0 and scalar:
                out.append(x)
                continue
            if x.ndim == 0:
                x = _broadcast_scalar_to(x, per_example_rank, args, dims)
            out.append(broadcast_batched(x, axis_size, out_dim))
        elif x.ndim - 1 < per_example_rank:     # a batched scalar among arrays
            out.append(_broadcast_batched_scalar(x, axis_size, out_dim, args, dims))
        else:
            out.append(moveaxis(x, d, out_dim))
    return out, out_dim


def _example_shape(args, dims, rank):
    """The per-example shape of the operands of rank ``rank``."""
    for x, d in zip(args, dims):
        if x.ndim - (d is not None) == rank:
            shape = list(x.shape)
            if d is not None:
                del shape[d]
            return tuple(shape)
    raise AssertionError("no operand has the output rank")


def _broadcast_scalar_to(x, rank, args, dims):
    return array_ops.broadcast_in_dim(x, _example_shape(args, dims, rank), ())


def _broadcast_batched_scalar(x, axis_size, out_dim, args, dims):
    """A batched per-example scalar (shape ``(B,)``) broadcast to the batched full shape."""
    shape = list(_example_shape(args, dims, max(a.ndim - (d is not None)
                                                  for a, d in zip(args, dims))))
    shape.insert(out_dim, axis_size)
    return array_ops.broadcast_in_dim(x, tuple(shape), (out_dim,))


def defbroadcasting(prim: Primitive, scalar_operands: Sequence[bool] | None = None):
    """Elementwise ``prim`` over operands of one shape; ``scalar_operands[i]`` says operand i
    may be a rank-0 scalar (default: all may, as for the binary primitives)."""
    def rule(axis_size, args, dims, **params):
        ok = scalar_operands if scalar_operands is not None else [True] * len(args)
        ops, out_dim = broadcast_operands(axis_size, args, dims, ok)
        return prim.bind(*ops, **params), out_dim
    batching_rules[prim] = rule
    return rule


def defreducer(prim: Primitive):
    """``prim(x, axes=..., **params)`` reduces per-example ``axes``; the batch axis survives at
    its position less the number of reduced axes before it."""
    def rule(axis_size, args, dims, *, axes, **params):
        (x,), (d,) = args, dims
        full = shift_axes(axes, d)
        out_dim = d - sum(1 for a in full if a < d)
        return prim.bind(x, axes=full, **params), out_dim
    batching_rules[prim] = rule
    return rule


def same_batch_dim(axis_size, args, dims, dst: int = 0):
    """Every operand with its batch axis at ``dst`` (unbatched ones broadcast)."""
    return [move_to(x, d, axis_size, dst) for x, d in zip(args, dims)]
