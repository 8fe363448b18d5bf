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

Steps:

* ``Loop(out, expr_var, index_map)``: a fused loop nest writing ``out``.
* ``Reduce(out, eqn)``: a reduction with its input expression fused into the loop (prologue).
* ``Call(eqn, ...)``: a hand-written kernel (kernels/cpu) on packed operands.
* ``PyStep(eqn)``: a primitive without native lowering, run by the backend between native
  segments (the executable splits around it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core import Eqn, Jaxpr, Literal, Var

# Primitives computed per element inside a consumer's loop.
ELEMENTWISE = frozenset("""
    neg exp exp2 log log1p expm1 sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh
    logistic sqrt rsqrt cbrt abs sign floor ceil erf erf_inv lgamma digamma is_finite not
    round integer_pow convert_element_type bitcast_convert_type stop_gradient
    add sub mul div rem pow max min atan2 nextafter eq ne lt le gt ge and or xor
    shift_left shift_right_logical shift_right_arithmetic select_n clamp
""".split())
MOVEMENT = frozenset("""
    broadcast_in_dim reshape transpose squeeze expand_dims rev slice pad concatenate iota
    dynamic_slice dynamic_update_slice gather
""".split())
FUSIBLE = ELEMENTWISE | MOVEMENT
REDUCTIONS = frozenset("reduce_sum reduce_prod reduce_max reduce_min reduce_and reduce_or".split())
LIBRARY = frozenset("""dot_general dot_general_epilogue cumsum cumprod cummax cummin argmax argmin
    scatter scatter-add scatter-mul scatter-min scatter-max
    conv_general_dilated reduce_window_sum reduce_window_max
    select_and_gather_add select_and_scatter_add threefry2x32 sort""".split())
NATIVE = FUSIBLE | REDUCTIONS | LIBRARY

# Cheap to recompute per use: index remaps and one-operand casts, never materialized just for
# reuse.  Arithmetic is not in the list: a chain of adds and multiplies read by several
# consumers would be recomputed by each, and through each of *their* consumers -- quadratic
# work in a long unrolled recurrence (a 32-step unrolled LSTM's backward pass).
CHEAP = MOVEMENT | frozenset("""neg abs sign not convert_element_type stop_gradient floor ceil
    round""".split())


@dataclass
class Loop:
    out: Var                  # the buffer written
    src: Var                  # the value computed per element
    perm: tuple | None = None  # out index k is src index perm[k] (a transposing pack)


@dataclass
class Reduce:
    out: Var
    eqn: object


@dataclass
class Call:
    eqn: object
    operands: list            # packed operand buffers (Vars), in the kernel's order
    outputs: list | None = None   # the buffers written, when not the eqn's own out_binders


@dataclass
class PyStep:
    eqn: object


@dataclass
class Nested:
    """A scan / while_loop / cond whose bodies are compiled too (fnx.compiler.loops)."""
    eqn: object


@dataclass
class Schedule:
    steps: list = field(default_factory=list)
    materialized: set = field(default_factory=set)    # ids of Vars that own buffers
    producers: dict = field(default_factory=dict)     # id(Var) -> eqn


def schedule(jaxpr: Jaxpr) -> Schedule:
    from .epilogue import fuse_matmul_epilogues
    jaxpr = fuse_matmul_epilogues(jaxpr)   # matmul + bias (+ relu) -> one kernel call
    jaxpr = split_wide_concatenates(jaxpr)
    sched = Schedule()
    producers = sched.producers
    for eqn in jaxpr.eqns:
        for v in eqn.out_binders:
            producers[id(v)] = eqn
    mat = sched.materialized
    mat.update(id(v) for v in jaxpr.in_binders)
    _choose_materialized(jaxpr, producers, mat)

    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        out = eqn.out_binders[0] if eqn.out_binders else None
        if name in FUSIBLE:
            if id(out) in mat:
                sched.steps.append(Loop(out, out))
        elif name in REDUCTIONS:
            sched.steps.append(_reduction(eqn, sched))
        elif name in LIBRARY:
            call = _library_call(eqn, sched)
            sched.steps.append(call)
            sched.steps.extend(getattr(call, "unpack", ()))
        elif name in LOOPS and _lowerable(eqn):
            sched.steps.append(Nested(eqn))
        else:
            sched.steps.append(PyStep(eqn))
            mat.update(id(v) for v in eqn.out_binders)
    from .rows import fuse_rows     # (rows imports this module)
    fuse_rows(sched, jaxpr)
    return sched


# The most operands of one fused concatenate: each element of a concatenate selects among
# all its operands, so a stack of thousands of values (``stack([f(i) for i in range(n)])``)
# would be one loop body of n values and an n-deep conditional expression.
MAX_CONCAT_OPERANDS = 16


def split_wide_concatenates(jaxpr: Jaxpr) -> Jaxpr:
    """A concatenate of more than MAX_CONCAT_OPERANDS operands as a tree of concatenates of at
    most that many (the same values: concatenation is associative)."""
    if not any(e.primitive.name == "concatenate" and len(e.inputs) > MAX_CONCAT_OPERANDS
               for e in jaxpr.eqns):
        return jaxpr
    eqns = []
    for e in jaxpr.eqns:
        if e.primitive.name != "concatenate" or len(e.inputs) <= MAX_CONCAT_OPERANDS:
            eqns.append(e)
            continue
        dim, out = e.params["dimension"], e.out_binders[0]
        parts = list(e.inputs)
        while len(parts) > MAX_CONCAT_OPERANDS:
            grouped = []
            for k in range(0, len(parts), MAX_CONCAT_OPERANDS):
                group = parts[k:k + MAX_CONCAT_OPERANDS]
                if len(group) == 1:
                    grouped.append(group[0])
                    continue
                shape = list(out.aval.shape)
                shape[dim] = sum(x.aval.shape[dim] for x in group)
                v = Var(out.aval.update(shape=tuple(shape)))
                eqns.append(Eqn(e.primitive, group, dict(e.params), [v]))
                grouped.append(v)
            parts = grouped
        eqns.append(Eqn(e.primitive, parts, dict(e.params), list(e.out_binders)))
    return Jaxpr(list(jaxpr.in_binders), eqns, list(jaxpr.outs))


LOOPS = frozenset({"scan", "while", "cond"})
_BODY_PARAMS = {"scan": ("jaxpr",), "while": ("cond_jaxpr", "body_jaxpr"), "cond": ("branches",)}


def _lowerable(eqn) -> bool:
    """Can this loop run natively: every body schedules without a Python step (which checks
    nested loops recursively), and no operand is a literal (loops read buffers)."""
    from .passes import optimize
    if any(isinstance(x, Literal) for x in _pointer_operands(eqn)):
        return False
    bodies = []
    for param in _BODY_PARAMS[eqn.primitive.name]:
        value = eqn.params[param]
        bodies += list(value) if isinstance(value, tuple) else [value]
    for body in bodies:
        if any(isinstance(s, PyStep) for s in schedule(optimize(body)).steps):
            return False
    return True


def _pointer_operands(eqn):
    """The operands a native loop reads through pointers (a literal initial carry is copied
    in, a literal cond index read as a constant; anything else must be a buffer)."""
    p = eqn.params
    if eqn.primitive.name == "cond":
        return eqn.inputs[1:]
    if eqn.primitive.name == "scan":
        nc, ncar = p["num_consts"], p["num_carry"]
        return eqn.inputs[:nc] + eqn.inputs[nc + ncar:]
    return eqn.inputs[:p["cond_nconsts"] + p["body_nconsts"]]


def _choose_materialized(jaxpr, producers, mat):
    """Mark the values that need buffers (see the module docstring)."""
    for x in jaxpr.outs:
        if isinstance(x, Var):
            mat.add(id(x))
    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name not in FUSIBLE:
            mat.update(id(v) for v in eqn.out_binders)
            if name not in NATIVE:   # a Python step reads real arrays
                mat.update(id(x) for x in eqn.inputs if isinstance(x, Var))
    # Evaluation counts, consumers first: a fused value is computed once per use by each
    # consumer loop; through cheap fused consumers the counts multiply.
    evals: dict[int, int] = {}
    for eqn in reversed(jaxpr.eqns):
        name = eqn.primitive.name
        out = eqn.out_binders[0] if eqn.out_binders else None
        if name in FUSIBLE and id(out) not in mat:
            n = evals.get(id(out), 0)
            if name not in CHEAP and n > 1:
                mat.add(id(out))
                n = 1
            weight = max(n, 1) if name in CHEAP else 1
        else:
            weight = 1
        for x in eqn.inputs:
            if not isinstance(x, Var) or id(x) in mat:
                continue
            w = weight
            if name == "broadcast_in_dim" and _size(x) < _size(eqn.out_binders[0]):
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
        if eqn.primitive.name not in FUSIBLE or not eqn.out_binders:
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
    """A kernel call; its operands are packed into the layouts the kernel wants."""
    name = eqn.primitive.name
    if name in ("dot_general", "dot_general_epilogue"):
        (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
        lhs, rhs = eqn.inputs[:2]
        lfree = [i for i in range(lhs.aval.ndim) if i not in lc and i not in lb]
        rfree = [i for i in range(rhs.aval.ndim) if i not in rc and i not in rb]
        a = _pack(sched, lhs, tuple(lb) + tuple(lfree) + tuple(lc))
        b = _pack(sched, rhs, tuple(rb) + tuple(rc) + tuple(rfree))
        # the epilogue's bias: its N values, contiguous
        return Call(eqn, [a, b] + [_pack(sched, x, None) for x in eqn.inputs[2:]])
    if name in ("argmax", "argmin"):
        (x,) = eqn.inputs
        axes = eqn.params["axes"]
        kept = tuple(i for i in range(x.aval.ndim) if i not in axes)
        return Call(eqn, [_pack(sched, x, kept + tuple(axes))])
    if name.startswith("cum") or name.startswith("reduce_window"):
        return Call(eqn, [_pack(sched, eqn.inputs[0], None)])
    if name in ("conv_general_dilated", "select_and_gather_add", "select_and_scatter_add",
                "threefry2x32"):   # contiguous operands
        return Call(eqn, [_pack(sched, x, None) for x in eqn.inputs])
    if name == "sort":
        return _sort_call(eqn, sched)
    if name.startswith("scatter"):
        # the kernel updates a copy of the operand in place: write that copy into the output
        operand, indices, updates = eqn.inputs
        out = eqn.out_binders[0]
        sched.steps.append(Loop(out, operand))
        index_dtype = indices.aval.dtype
        if index_dtype not in (np.dtype(np.int32), np.dtype(np.int64)):
            index_dtype = np.dtype(np.int64)     # the kernel reads int32 or int64 indices
        return Call(eqn, [out, _pack(sched, indices, None, dtype=index_dtype),
                          _pack(sched, updates, None)])
    raise AssertionError(name)


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
