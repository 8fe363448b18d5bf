"""Row fusion: softmax-style chains of row reductions and row-wise loops run as one pass.

``softmax(x) = exp(x - max(x)) / sum(exp(x - max(x)))`` over the last axis schedules as four
steps -- a max reduction, a loop writing ``e = exp(x - m)``, a sum reduction over ``e``, a loop
writing ``e / s`` -- and each step streams the whole array through memory.  But every step reads
the earlier ones' results only *at the same row*: row r of the output needs row r of ``e`` and
entries r of ``m`` and ``s``.  Such a run of steps becomes one :class:`RowGroup`: a single loop
over rows (split over threads), and inside it each member's inner loop over that row, in order.
A row (a few KB) stays in L1/L2 between members, so the array is read from memory once and the
output written once: the chain runs at memory bandwidth.  A member result that nothing outside
the group reads (``e`` above) is not even stored: it lives in a per-row scratch array on the
stack (``scratch``), so it needs no buffer.

Eligible members, for rows of shape ``R`` (all leading dimensions but the last):

* ``Loop`` writing an array of shape ``R + (n,)`` or ``R`` (no transposing packs),
* ``Reduce`` over the last axis only, of an input of shape ``R + (n,)``,

where every value a member reads from an *earlier member* reaches it through elementwise ops
and row-preserving broadcasts only (:func:`_row_aligned`): a transpose or slice of a member
result would read other rows, which may not be computed yet.  Anything materialized before the
group can be read any way at all.

This module only decides the groups (``schedule`` runs it last); ``codegen_c.write_row_group``
and ``codegen_cuda.write_row_group`` render them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..core import Fusion, Literal, Var
from ..lax.shape import broadcast_in_dim_p, expand_dims_p, reshape_p, squeeze_p
from .steps import Loop, Reduce

# Fewer rows than this and splitting rows over threads loses the parallelism of the separate
# steps (which split their own, larger, outer loops).
MIN_ROWS = 16
# Scratch rows live on the stack of the thread running the group (thread stacks are a few MB;
# this bounds a group's scratch rows together).
MAX_SCRATCH_BYTES = 256 * 1024


@dataclass
class RowGroup:
    rows: tuple                                   # the shared leading shape R
    steps: list                                   # Loop / Reduce members, in order
    scratch: set = field(default_factory=set)     # ids of member outputs kept per row only


def fuse_rows(sched, jaxpr) -> None:
    """Replace runs of consecutive row-compatible steps in ``sched.steps`` by RowGroups."""
    consumers = _consumers(jaxpr)
    outs = {id(x) for x in jaxpr.outs if isinstance(x, Var)}
    fusion = _Fusion(sched)
    steps, run, rows = [], [], None
    for step in sched.steps + [None]:
        if step is not None and run and fusion.joins(step, rows) \
                and fusion.reads_aligned(step, run, rows):
            run.append(step)
            continue
        steps += fusion.close(run, rows, consumers, outs)
        r = fusion.rows_of(step) if step is not None else None
        run, rows = ([step], r) if r is not None else ([], None)
        if r is None and step is not None:
            steps.append(step)
    sched.steps = steps


def _row_part(shape, rows):
    """The non-unit dimensions of ``shape`` after ``rows`` (at most one), or None when shape
    does not start with ``rows``."""
    r = len(rows)
    rest = tuple(d for d in shape[r:] if d != 1)
    return rest if tuple(shape[:r]) == rows and len(rest) <= 1 else None


def _consumers(jaxpr) -> dict:
    out: dict[int, list] = {}
    for eqn in jaxpr.eqns:
        for x in eqn.inputs:
            if isinstance(x, Var):
                out.setdefault(id(x), []).append(eqn)
    return out


class _Fusion:
    def __init__(self, sched):
        self.sched = sched

    def rows_of(self, step):
        """The row shape R a step iterates over, or None when it cannot join a group."""
        if isinstance(step, Loop) and step.perm is None:
            shape = tuple(step.out.aval.shape)
            return shape[:-1] if len(shape) >= 2 else None
        if isinstance(step, Reduce):
            x = step.eqn.inputs[0]
            if isinstance(x, Var) and tuple(step.eqn.params["axes"]) == (x.aval.ndim - 1,) \
                    and x.aval.ndim >= 2:
                return tuple(x.aval.shape[:-1])
        return None

    def joins(self, step, rows) -> bool:
        """Can ``step`` run inside a group over ``rows``: it iterates over those rows (and an
        inner axis), or it computes one value per row (a loop over exactly ``rows``)."""
        if self.rows_of(step) == rows:
            return True
        return (isinstance(step, Loop) and step.perm is None
                and tuple(step.out.aval.shape) == rows)

    def members_written(self, run) -> set:
        return {id(s.out) for s in run}

    def reads_aligned(self, step, run, rows) -> bool:
        written = self.members_written(run)
        if isinstance(step, Reduce):
            return self._row_aligned(step.eqn.inputs[0], rows, written)
        if step.src is step.out:       # the loop computes its own value: check its equation
            eqn = self.sched.producers.get(id(step.out))
            return eqn is not None and self._eqn_aligned(eqn, rows, written)
        return self._row_aligned(step.src, rows, written)

    def _row_aligned(self, x, rows, written) -> bool:
        """Is ``x`` (indexed with the row indices first) free of reads of other rows of the
        group's results?"""
        if isinstance(x, Literal) or x.aval.ndim == 0:
            return True
        r = len(rows)
        if id(x) in written:
            return tuple(x.aval.shape[:r]) == rows and x.aval.ndim <= r + 1
        if id(x) in self.sched.materialized or id(x) not in self.sched.producers:
            return True     # computed before the group: any index is fine
        return self._eqn_aligned(self.sched.producers[id(x)], rows, written)

    def _eqn_aligned(self, eqn, rows, written) -> bool:
        prim = eqn.primitive
        if prim.fusion == Fusion.ELEMENTWISE:
            return all(self._row_aligned(a, rows, written) for a in eqn.inputs)
        if not any(self._touches(a, written) for a in eqn.inputs):
            return True
        if prim is broadcast_in_dim_p:
            r = len(rows)
            (a,) = eqn.inputs
            dims = tuple(eqn.params["broadcast_dimensions"])
            keeps_rows = (dims[:r] == tuple(range(r)) and tuple(a.aval.shape[:r]) == rows
                          and a.aval.ndim <= r + 1 and dims[r:] in ((), (r,)))
            return keeps_rows and self._row_aligned(a, rows, written)
        if prim in (reshape_p, expand_dims_p, squeeze_p):
            # only adding / removing unit axes after the rows (keepdims-style reshapes)
            (a,) = eqn.inputs
            out = eqn.out_binders[0]
            return (_row_part(a.aval.shape, rows) is not None
                    and _row_part(a.aval.shape, rows) == _row_part(out.aval.shape, rows)
                    and self._row_aligned(a, rows, written))
        return False

    def _touches(self, x, written) -> bool:
        """Does the fused expression of ``x`` read any group result?  (An explicit stack: the
        expression is as deep as the program is long.)"""
        stack, seen = [x], set()
        while stack:
            x = stack.pop()
            if isinstance(x, Literal) or id(x) in seen:
                continue
            if id(x) in written:
                return True
            seen.add(id(x))
            if id(x) in self.sched.materialized or id(x) not in self.sched.producers:
                continue
            stack.extend(self.sched.producers[id(x)].inputs)
        return False

    # -- closing a run ----------------------------------------------------------------------------

    def close(self, run, rows, consumers, outs) -> list:
        if len(run) < 2 or math.prod(rows) < MIN_ROWS:
            return list(run)
        group = RowGroup(rows, list(run))
        exclusive = self._exclusive_eqns(run, consumers, outs)
        stack_bytes = 0
        for step in run:
            v = step.out
            nbytes = v.aval.shape[-1] * v.aval.dtype.itemsize
            if (isinstance(step, Loop) and step.src is step.out and id(v) not in outs
                    and v.aval.ndim == len(rows) + 1
                    and stack_bytes + nbytes <= MAX_SCRATCH_BYTES
                    and all(id(e) in exclusive for e in consumers.get(id(v), ()))):
                group.scratch.add(id(v))
                stack_bytes += nbytes
        return [group]

    def _exclusive_eqns(self, run, consumers, outs) -> set:
        """Equations evaluated only inside the group's members: the members' own equations and
        fused equations all of whose results are read only by such equations."""
        roots = {id(s.eqn) for s in run if isinstance(s, Reduce)}
        roots |= {id(self.sched.producers[id(s.out)]) for s in run
                  if isinstance(s, Loop) and s.src is s.out
                  and id(s.out) in self.sched.producers}
        exclusive = set(roots)
        # fused equations, consumers first: exclusive when every consumer is
        for eqn in reversed([self.sched.producers[k] for k in _fused_ids(self, run)]):
            out = eqn.out_binders[0]
            if id(out) in outs or id(out) in self.sched.materialized:
                continue
            users = consumers.get(id(out), ())
            if users and all(id(u) in exclusive for u in users):
                exclusive.add(id(eqn))
        return exclusive


def _fused_ids(fusion: _Fusion, run) -> list:
    """ids of the fused (unmaterialized) values the members compute, producers first."""
    order: list = []
    seen: set = set()
    sched = fusion.sched

    def visit(root):
        """Append the fused values under ``root`` to ``order``, operands first (a post-order
        walk with an explicit stack: the expression is as deep as the program is long)."""
        stack = [(root, False)]
        while stack:
            x, expanded = stack.pop()
            if expanded:
                order.append(id(x))
                continue
            if isinstance(x, Literal) or id(x) in seen:
                continue
            seen.add(id(x))
            if id(x) in sched.materialized or id(x) not in sched.producers:
                continue
            stack.append((x, True))
            stack.extend((a, False) for a in reversed(sched.producers[id(x)].inputs))

    for step in run:
        if isinstance(step, Reduce):
            visit(step.eqn.inputs[0])
        elif step.src is step.out and id(step.out) in sched.producers:
            for a in sched.producers[id(step.out)].inputs:
                visit(a)
        else:
            visit(step.src)
    return order
