"""Scheduling: which values get a buffer, and what runs in which order.

The optimized jaxpr is cut into *steps*.  Elementwise-like primitives (arithmetic, comparisons,
selects, casts, broadcasts, reshapes, transposes, slices, pads, concatenations, iota, dynamic
slices, gathers) are never steps of their own: they are *fused* -- computed per element, on
the fly, inside the loop of whichever step consumes them (tinygrad's and XLA's loop fusion).
A value gets a buffer (is *materialized*) only when

* it is an output of the jitted function,
* it feeds a library kernel (matmul, scan, scatter, argmax...), which needs memory in a given
  layout -- then the producer's expression is evaluated straight into that layout (a *pack*
  step, so a transpose feeding a matmul costs one fused pass, not two),
* it would otherwise be recomputed: an expensive value with several consumers, or one
  broadcast to a larger shape.

What a primitive becomes is its declared ``Primitive.fusion`` kind (core.Fusion): fused
(elementwise, movement), a ``Reduce`` step (reduction), a ``Call`` (library), a ``Nested`` loop
(control) or, with no kind, a ``PyStep`` (steps.py describes each).  The input is a jaxpr
already optimized and lowered for code generation (passes.optimize, passes.lower_for_codegen):
scheduling only analyses it.
"""
from __future__ import annotations

import math

import numpy as np

from ..core import Fusion, Jaxpr, Literal, Var
from ..lax import elementwise as ew
from ..lax.control_flow import cond_p, scan_p
from ..lax.indexing import SCATTER_PRIMITIVES
from ..lax.linalg import dot_general_p
from ..lax.reduction import argmax_p, argmin_p, sort_p
from ..lax.shape import broadcast_in_dim_p, transpose_p
from .epilogue import dot_general_epilogue_p
from .passes import lower_for_codegen, optimize, param_jaxprs
from .rows import fuse_rows
from .steps import Call, Loop, Nested, PyStep, Reduce, Schedule

# Computed per element inside a consumer's loop, never a step of its own.
FUSIBLE = frozenset({Fusion.ELEMENTWISE, Fusion.MOVEMENT})
# Lowered to native code whatever their operands (a Python step reads real arrays).
NATIVE = FUSIBLE | {Fusion.REDUCTION, Fusion.LIBRARY}

# Elementwise primitives cheap to recompute per use (one-operand casts and sign flips): like
# movement primitives (index remaps), never materialized just for reuse.  Arithmetic is not
# in the list: a chain of adds and multiplies read by several consumers would be recomputed by
# each, and through each of *their* consumers -- quadratic work in a long unrolled recurrence
# (a 32-step unrolled LSTM's backward pass).
_CHEAP_ELEMENTWISE = frozenset({ew.neg_p, ew.abs_p, ew.sign_p, ew.not_p,
                                ew.convert_element_type_p, ew.stop_gradient_p, ew.floor_p,
                                ew.ceil_p, ew.round_p})


def _cheap(prim) -> bool:
    return prim.fusion == Fusion.MOVEMENT or prim in _CHEAP_ELEMENTWISE


def schedule(jaxpr: Jaxpr) -> Schedule:
    """The steps of ``jaxpr`` (optimized and lowered for code generation), in order, and the
    values that get buffers."""
    sched = Schedule()
    producers = sched.producers
    for eqn in jaxpr.eqns:
        for v in eqn.out_binders:
            producers[id(v)] = eqn
    mat = sched.materialized
    mat.update(id(v) for v in jaxpr.in_binders)
    _choose_materialized(jaxpr, producers, mat)

    for eqn in jaxpr.eqns:
        kind = eqn.primitive.fusion
        out = eqn.out_binders[0] if eqn.out_binders else None
        if kind in FUSIBLE:
            if id(out) in mat:
                sched.steps.append(Loop(out, out))
        elif kind == Fusion.REDUCTION:
            sched.steps.append(_reduction(eqn, sched))
        elif kind == Fusion.LIBRARY:
            call = _library_call(eqn, sched)
            sched.steps.append(call)
            sched.steps.extend(getattr(call, "unpack", ()))
        elif kind == Fusion.CONTROL and _lowerable(eqn):
            sched.steps.append(Nested(eqn))
        else:
            sched.steps.append(PyStep(eqn))
            mat.update(id(v) for v in eqn.out_binders)
    fuse_rows(sched, jaxpr)
    return sched


def _lowerable(eqn) -> bool:
    """Can this loop run natively: every body schedules without a Python step (which checks
    nested loops recursively), and no operand is a literal (loops read buffers)."""
    if any(isinstance(x, Literal) for x in _pointer_operands(eqn)):
        return False
    for body in param_jaxprs(eqn.params):
        if any(isinstance(s, PyStep)
               for s in schedule(lower_for_codegen(optimize(body))).steps):
            return False
    return True


def _pointer_operands(eqn):
    """The operands a native loop reads through pointers (a literal initial carry is copied
    in, a literal cond index read as a constant; anything else must be a buffer)."""
    p = eqn.params
    if eqn.primitive is cond_p:
        return eqn.inputs[1:]
    if eqn.primitive is scan_p:
        nc, ncar = p["num_consts"], p["num_carry"]
        return eqn.inputs[:nc] + eqn.inputs[nc + ncar:]
    return eqn.inputs[:p["cond_nconsts"] + p["body_nconsts"]]


def _choose_materialized(jaxpr, producers, mat):
    """Mark the values that need buffers (see the module docstring)."""
    for x in jaxpr.outs:
        if isinstance(x, Var):
            mat.add(id(x))
    for eqn in jaxpr.eqns:
        kind = eqn.primitive.fusion
        if kind not in FUSIBLE:
            mat.update(id(v) for v in eqn.out_binders)
            if kind not in NATIVE:   # a Python step (or a loop) reads real arrays
                mat.update(id(x) for x in eqn.inputs if isinstance(x, Var))
    # Evaluation counts, consumers first: a fused value is computed once per use by each
    # consumer loop; through cheap fused consumers the counts multiply.
    evals: dict[int, int] = {}
    for eqn in reversed(jaxpr.eqns):
        prim = eqn.primitive
        out = eqn.out_binders[0] if eqn.out_binders else None
        if prim.fusion in FUSIBLE and id(out) not in mat:
            n = evals.get(id(out), 0)
            if not _cheap(prim) and n > 1:
                mat.add(id(out))
                n = 1
            weight = max(n, 1) if _cheap(prim) else 1
        else:
            weight = 1
        for x in eqn.inputs:
            if not isinstance(x, Var) or id(x) in mat:
                continue
            w = weight
            if prim is broadcast_in_dim_p and _size(x) < _size(eqn.out_binders[0]):
                w = 2     # expanding: each element would be recomputed many times
            evals[id(x)] = evals.get(id(x), 0) + w
    _bound_fused_size(jaxpr, mat)


# The most fused equations one loop computes per element.  A longer chain is cut by giving
# an intermediate value a buffer: gcc's register allocation and instruction combining grow
# faster than linearly in the size of one loop body (benchmarks/results/jit_long.md: a
# 10,000-statement backward loop), while a cut costs one store and one load per element.
MAX_FUSED_EQNS = 256


def _bound_fused_size(jaxpr, mat):
    """Give buffers to fused operands (the largest first) wherever an expression would exceed
    MAX_FUSED_EQNS equations, so the body of every generated loop -- and compile time --
    stays bounded however long the program.  ``size`` over-counts an operand shared inside
    one expression once per use, which only cuts earlier."""
    size: dict[int, int] = {}
    for eqn in jaxpr.eqns:
        if eqn.primitive.fusion not in FUSIBLE or not eqn.out_binders:
            continue
        fused = sorted({id(x): x for x in eqn.inputs
                        if isinstance(x, Var) and id(x) not in mat}.values(),
                       key=lambda x: size.get(id(x), 0))
        n = 1 + sum(size.get(id(x), 0) for x in fused)
        while n > MAX_FUSED_EQNS and fused:
            x = fused.pop()
            mat.add(id(x))
            n -= size.get(id(x), 0)
        size[id(eqn.out_binders[0])] = n


def _size(v) -> int:
    return math.prod(v.aval.shape)


# A full reduction of an array that has a buffer anyway runs in the reduce kernel, which splits
# it over threads (a fused Reduce step splits only over the kept outer axis; with none kept it
# runs on one thread).  Its input expression is then not fused -- hence "has a buffer anyway".
FULL_REDUCE_LIBRARY_MIN = 131072


def _reduction(eqn, sched: Schedule):
    (x,) = eqn.inputs
    if (isinstance(x, Var) and id(x) in sched.materialized
            and len(eqn.params["axes"]) == x.aval.ndim
            and _size(x) >= FULL_REDUCE_LIBRARY_MIN):
        return Call(eqn, [x])
    return Reduce(eqn.out_binders[0], eqn)


def _library_call(eqn, sched: Schedule) -> Call:
    """A kernel call; its operands are packed into the layouts the kernel wants (contiguous,
    unless the primitive's entry in _PACKERS says otherwise)."""
    packer = _PACKERS.get(eqn.primitive)
    if packer is None:
        return Call(eqn, [_pack(sched, x, None) for x in eqn.inputs])
    return packer(eqn, sched)


def _matmul_call(eqn, sched: Schedule) -> Call:
    """(batch, m, k) / (batch, k, n) operands -- or (batch, k, m) / (batch, n, k), which the
    GEMM reads while packing, where that is the layout of a buffer the operand already has
    (x @ W^T, the backward pass's dY^T @ X: no transpose pass); an epilogue's bias: its N
    values, contiguous."""
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.inputs[:2]
    lfree = [i for i in range(lhs.aval.ndim) if i not in lc and i not in lb]
    rfree = [i for i in range(rhs.aval.ndim) if i not in rc and i not in rb]
    a, ta = _matmul_operand(sched, lhs, tuple(lb) + tuple(lfree) + tuple(lc),
                            tuple(lb) + tuple(lc) + tuple(lfree))
    # with few rows the GEMM reads a standard B in place, while a transposed B is packed on
    # every call: there the pack (hoisted out of a loop when B is loop-invariant) is cheaper
    m = math.prod(lhs.aval.shape[i] for i in lfree)
    b, tb = _matmul_operand(sched, rhs, tuple(rb) + tuple(rc) + tuple(rfree),
                            tuple(rb) + tuple(rfree) + tuple(rc),
                            allow_trans=m > DIRECT_B_MAX_ROWS)
    return Call(eqn, [a, b] + [_pack(sched, x, None) for x in eqn.inputs[2:]], trans=(ta, tb))


# kernels/cpu/gemm_tiles.h's G_DIRECT_B_MAX_M: up to this many rows B is read in place
DIRECT_B_MAX_ROWS = 16


def _matmul_operand(sched: Schedule, x, std, trans, allow_trans: bool = True):
    """(buffer, transposed?) for a matmul operand wanted in layout ``std`` (a permutation of
    x's axes) or, read transposed by the kernel, ``trans``: a buffer x (or the array an
    unmaterialized transpose of x reads) already has in the ``trans`` layout, else a pack into
    the ``std`` one."""
    if isinstance(x, Var):
        base, axes = _through_transposes(sched, x)
        if id(base) in sched.materialized:
            identity = tuple(range(x.aval.ndim))
            in_base = lambda layout: tuple(axes[i] for i in layout)    # noqa: E731
            if in_base(std) == identity:
                return base, False       # (a transpose undone by the standard layout)
            if (allow_trans and in_base(trans) == identity
                    and x.aval.dtype in _TRANSPOSABLE_MATMUL_DTYPES):
                return base, True
    return _pack(sched, x, std), False


def _through_transposes(sched: Schedule, x):
    """(base, axes): x is ``base`` transposed, x's axis i being base's axis axes[i], through a
    chain of transposes that have no buffers of their own (x itself when there are none)."""
    axes = tuple(range(x.aval.ndim))
    while id(x) not in sched.materialized:
        eqn = sched.producers.get(id(x))
        if eqn is None or eqn.primitive is not transpose_p or not isinstance(eqn.inputs[0], Var):
            break
        perm = eqn.params["permutation"]
        axes = tuple(perm[a] for a in axes)
        x = eqn.inputs[0]
    return x, axes


# the dtypes whose GEMM reads transposed operands in its packing (the others would transpose
# into scratch inside the kernel: no gain, so the pack stays in the generated code)
_TRANSPOSABLE_MATMUL_DTYPES = frozenset(np.dtype(t) for t in (np.float32, np.float64))


def _argreduce_call(eqn, sched: Schedule) -> Call:
    """The reduced axes last."""
    (x,) = eqn.inputs
    axes = eqn.params["axes"]
    kept = tuple(i for i in range(x.aval.ndim) if i not in axes)
    return Call(eqn, [_pack(sched, x, kept + tuple(axes))])


def _scatter_call(eqn, sched: Schedule) -> Call:
    """The kernel updates a copy of the operand in place: that copy is written into the
    output first."""
    operand, indices, updates = eqn.inputs
    out = eqn.out_binders[0]
    sched.steps.append(Loop(out, operand))
    index_dtype = indices.aval.dtype
    if index_dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
        index_dtype = np.dtype(np.int64)     # the kernel reads int32 or int64 indices
    return Call(eqn, [out, _pack(sched, indices, None, dtype=index_dtype),
                      _pack(sched, updates, None)])


def _sort_call(eqn, sched: Schedule) -> Call:
    """Sort runs on rows: every operand packed with the sorted dimension last; with that
    dimension already last the kernel writes the outputs, else into row-layout buffers that
    loops then transpose back (those loops are appended after the call by the caller)."""
    dim = eqn.params["dimension"]
    ndim = eqn.inputs[0].aval.ndim
    order = tuple(i for i in range(ndim) if i != dim) + (dim,)
    identity = order == tuple(range(ndim))
    operands = [_pack(sched, x, None if identity else order) for x in eqn.inputs]
    if identity:
        return Call(eqn, operands)
    outputs = []
    for v in eqn.out_binders:
        buf = Var(v.aval.update(shape=tuple(v.aval.shape[i] for i in order)))
        sched.materialized.add(id(buf))
        outputs.append(buf)
    inverse = tuple(order.index(k) for k in range(ndim))
    call = Call(eqn, operands, outputs)
    call.unpack = [Loop(v, buf, inverse) for v, buf in zip(eqn.out_binders, outputs)]
    return call


def _pack(sched: Schedule, x, perm, dtype=None):
    """A buffer holding ``x`` transposed by ``perm`` (None: as is), contiguous, converted to
    ``dtype`` if given.  Reuses x's own buffer when it has one and nothing changes."""
    identity = perm is None or tuple(perm) == tuple(range(len(perm)))
    aval = x.aval
    dtype = aval.dtype if dtype is None else dtype
    if isinstance(x, Var) and id(x) in sched.materialized and identity and dtype == aval.dtype:
        return x
    shape = aval.shape if identity else tuple(aval.shape[p] for p in perm)
    buf = Var(aval.update(shape=tuple(shape), dtype=dtype))
    sched.materialized.add(id(buf))
    sched.steps.append(Loop(buf, x, None if identity else tuple(perm)))
    return buf


# Library primitives whose kernels want operands in a layout other than "each contiguous".
_PACKERS = {dot_general_p: _matmul_call, dot_general_epilogue_p: _matmul_call,
            argmax_p: _argreduce_call, argmin_p: _argreduce_call, sort_p: _sort_call,
            **{p: _scatter_call for p in SCATTER_PRIMITIVES.values()}}
