"""Rendering a schedule as C: one static function per step, one entry point per native segment.

Every buffer is C-contiguous.  A fused value is rendered as a chain of ``const T tN = ...;``
statements evaluated at a multi-index (one C expression per dimension) -- movement primitives
only rewrite that index (a transpose permutes it, a broadcast drops dimensions, a slice offsets
it, a gather loads it), so they cost nothing when fused.  When every value in a loop is
elementwise over the loop's own shape the loop is *flat* (one index, contiguous loads), which
gcc vectorizes like the hand-written kernels.

Scalar semantics come from ``fnx_scalar.h`` (shared with the eager kernels, so jitted and eager
results agree bit for bit): ``fnx_s_<op>_<dtype suffix>``.  The per-primitive expression
writers live in fused.py, the C vocabulary they share (types, literals, offsets) in cexpr.py.
Library calls are codegen_calls.py; loops.write_any_step picks the writer of each step.
"""
from __future__ import annotations

import inspect
import math
import re

import numpy as np

from .. import dtypes
from ..core import Fusion, Literal, Var
from ..lax.reduction import (reduce_and_p, reduce_max_p, reduce_min_p, reduce_or_p,
                             reduce_prod_p, reduce_sum_p)
from ..lax.shape import (broadcast_in_dim_p, concatenate_p, expand_dims_p, reshape_p,
                         squeeze_p)
from .cexpr import C_TYPE, SFX, Flat, c_literal, offset_expr, tmp_type
from .fused import fused_writer
from . import tiles
from .rows import RowGroup
from .steps import Loop, Reduce

# the dtype codes of the kernel calls: the enum fnx_dtype constants of fnx_kernels.h
DTYPE_CODE = {dtypes.bool_: "FNX_BOOL", dtypes.int8: "FNX_INT8", dtypes.uint8: "FNX_UINT8",
              dtypes.int32: "FNX_INT32", dtypes.int64: "FNX_INT64", dtypes.float32: "FNX_FLOAT32",
              dtypes.float64: "FNX_FLOAT64", dtypes.uint32: "FNX_UINT32",
              dtypes.complex64: "FNX_COMPLEX64", dtypes.complex128: "FNX_COMPLEX128"}

# Elements per loop below which a loop runs on the calling thread (as in the kernels).
PAR_MIN = 131072

# The scalar function (fnx_s_<op>) each reduction accumulates with, and that op's
# `omp simd reduction` operator.
REDUCE_OP = {reduce_sum_p: "add", reduce_prod_p: "mul", reduce_max_p: "max",
             reduce_min_p: "min", reduce_and_p: "and", reduce_or_p: "or"}
_SIMD_OP = {"add": "+", "mul": "*", "max": "max", "min": "min", "and": "&", "or": "|"}
# Kernel function table passed to every entry point (order matters: see KERNEL_TABLE).  The
# generated C includes fnx_kernels.h, so each entry is called through a pointer of its
# declared type.
KERNEL_TABLE = ("fnx_buffer_alloc", "fnx_buffer_free", "fnx_matmul", "fnx_reduce",
                "fnx_cumulative", "fnx_scatter", "fnx_parallel_for", "fnx_conv2d",
                "fnx_reduce_window", "fnx_select_window", "fnx_threefry2x32", "fnx_matmul_epilogue",
                "fnx_argsort", "fnx_gather", "fnx_cholesky", "fnx_triangular_solve", "fnx_lu",
                "fnx_qr", "fnx_eigh", "fnx_svd", "fnx_fft_c2c", "fnx_fft_r2c", "fnx_fft_c2r",
                "fnx_matmul_ex")


def kernel(name: str) -> str:
    """C expression of kernel ``name`` from the table every generated function receives."""
    return f"((__typeof__(&{name}))fns[{KERNEL_TABLE.index(name)}])"


_SIMPLE_INDEX = re.compile(r"[A-Za-z_]\w*|-?\d+")


# ---------------------------------------------------------------------------------------------
# One step = one C function
# ---------------------------------------------------------------------------------------------

class StepWriter:
    """Writes one step's function.  ``buffers`` maps id(Var) -> the buffer's parameter."""

    def __init__(self, name: str, sched):
        self.name = name
        self.sched = sched
        self.params: list[tuple[str, Var, bool]] = []   # (c name, var, written?)
        self._param_of: dict[int, str] = {}
        self.lines: list[str] = []
        self.indent = 1
        self.memo: dict = {}
        self._n = 0
        self.flat = False        # a flat loop: every same-shape operand is read at index i
        self.restrict = True     # False when an output may alias an input (donation)
        # (iterations, elements) of the outermost loop when it is split over threads; the
        # lines from `split` on then form a range function run by fnx_parallel_for
        self.parallel = None
        self.split = 0
        self.scratch: dict[int, str] = {}   # id(Var) -> per-row stack array (rows.RowGroup)

    # -- buffers and statements --------------------------------------------------------------

    def buffer(self, v: Var, written: bool = False) -> str:
        p = self._param_of.get(id(v))
        if p is None:
            p = self._param_of[id(v)] = f"b{len(self.params)}"
            self.params.append((p, v, written))
        return p

    def emit(self, line: str):
        self.lines.append("  " * self.indent + line)

    def tmp(self, ctype: str, expr: str) -> str:
        self._n += 1
        name = f"t{self._n}"
        self.emit(f"const {ctype} {name} = {expr};")
        return name

    def index(self, expr: str) -> str:
        """An index expression about to become part of another: itself when it is a name or a
        number, else a temporary (memoized by its text, so equal indices stay equal memo
        keys).  Index arithmetic composed through a chain of movement primitives (a rev of a
        slice of a concatenate...) then never nests: gcc chokes on deeply nested expressions,
        and a clamp repeats its operand three times."""
        if _SIMPLE_INDEX.fullmatch(expr):
            return expr
        key = ("index", expr)
        hit = self.memo.get(key)
        if hit is None:
            hit = self.memo[key] = self.tmp("int64_t", expr)
        return hit

    def _declarations(self) -> list[str]:
        out = []
        for p, v, written in self.params:
            t = C_TYPE[v.aval.dtype]
            qualifier = " *restrict " if self.restrict else " *"
            out.append(f"{'' if written else 'const '}{t}{qualifier}{p}")
        return out

    def signature(self) -> str:
        args = self._declarations() + ["void *const *fns", "int nt"]
        return f"static int {self.name}({', '.join(args)})"

    def render(self) -> str:
        if self.parallel is None:
            return self.signature() + " {\n" + "\n".join(self.lines) + "\n  return 0;\n}\n"
        # the parallel part: a range function over the outer loop, handed its buffers in a
        # struct and run by the kernels' thread team (fnx_parallel_for)
        n, work = self.parallel
        ctx = f"{self.name}_ctx"
        decls = self._declarations()
        fields = "".join(f"  {d.replace('restrict ', '')};\n" for d in decls)
        unpack = "".join(f"  {d} = c->{p};\n" for d, (p, _, _) in zip(decls, self.params))
        body = "\n".join(self.lines[self.split:])
        pre = "\n".join(self.lines[:self.split])
        names = ", ".join(p for p, _, _ in self.params)
        return (f"struct {ctx} {{\n{fields}}};\n"
                f"static void {self.name}_range(int64_t lo, int64_t hi, const void *ctx_) {{\n"
                f"  const struct {ctx} *c = (const struct {ctx} *)ctx_;\n{unpack}{body}\n}}\n"
                f"{self.signature()} {{\n{pre}\n  struct {ctx} c = {{{names}}};\n"
                f"  return {kernel('fnx_parallel_for')}({n}, {work}, {self.name}_range, &c);\n"
                "}\n")

    def begin_parallel(self, n: int, work: int):
        """The next loop emitted is the outermost one, split over threads: its bounds are the
        range function's [lo, hi)."""
        self.parallel = (n, work)
        self.split = len(self.lines)

    # -- values --------------------------------------------------------------------------------

    def value(self, x, idx) -> str:
        """C expression of ``x`` at index ``idx`` (a tuple of C index expressions, or Flat)."""
        return self._evaluate(self._request(x, idx))

    def compute(self, x, idx) -> str:
        """``x`` at ``idx`` from its producing equation (not from its buffer)."""
        return self._evaluate(self._request(x, idx, from_buffer=False))

    def computing(self, x):
        """Hook: ``x`` is about to be computed (not read from its own buffer)."""

    def _request(self, x, idx, from_buffer=True):
        """``x`` at ``idx``: its C name when at hand without running a fused writer (a literal,
        a memoized temporary, a load), else ``(memo key, writer generator)`` to run."""
        if isinstance(x, Literal):
            return c_literal(x.val._value, x.aval.dtype)
        if x.aval.ndim == 0:
            idx = ()
        key = (id(x), idx) if from_buffer else None
        if key is not None:
            hit = self.memo.get(key)
            if hit is not None:
                return hit
            if id(x) in self.sched.materialized:
                out = self.memo[key] = self.tmp(tmp_type(x.aval.dtype), self.load(x, idx))
                return out
        self.computing(x)
        eqn = self.sched.producers.get(id(x))
        if eqn is None:     # an input of the program: its buffer
            out = self.tmp(tmp_type(x.aval.dtype), self.load(x, idx))
        else:
            out = fused_writer(eqn.primitive)(self, eqn, idx)
            if inspect.isgenerator(out):
                return key, out
        if key is not None:
            self.memo[key] = out
        return out

    def _evaluate(self, request) -> str:
        """Run fused writers with an explicit stack, not Python recursion: a fused expression
        is as deep as the program is long (an unrolled loop of thousands of steps).  A writer
        is a generator that yields ``(operand, index)`` and is sent back the operand's C name;
        each value's statements are emitted before its consumer's, as a recursive descent
        would, so the generated code is the same."""
        if isinstance(request, str):
            return request
        stack, sent = [request], None
        while True:
            key, writer = stack[-1]
            try:
                x, idx = writer.send(sent)
            except StopIteration as done:
                stack.pop()
                if key is not None:
                    self.memo[key] = done.value
                if not stack:
                    return done.value
                sent = done.value
                continue
            request = self._request(x, idx)
            if isinstance(request, str):
                sent = request
            else:
                stack.append(request)
                sent = None

    def declare_scratch(self, v: Var) -> str:
        name = self.scratch[id(v)] = f"s{len(self.scratch)}"
        return name

    def load(self, v: Var, idx) -> str:
        if id(v) in self.scratch:       # a row of v, indexed by the position in the row
            return f"{self.scratch[id(v)]}[{idx[-1]}]"
        p = self.buffer(v)
        if isinstance(idx, Flat):
            return f"{p}[{idx.name}]"
        return f"{p}[{offset_expr(v.aval.shape, idx)}]"

    # -- loops -----------------------------------------------------------------------------------

    def open_loops(self, shape, work: int = 0, simd_inner: bool = True) -> tuple:
        """Nested loops over ``shape``: their indices.  With ``work`` (the elements the loop
        nest touches) at or above PAR_MIN, the outermost loop is split over threads."""
        idx = []
        for k, d in enumerate(shape):
            var = f"i{k}"
            split = k == 0 and work >= PAR_MIN and d > 1
            if split:
                self.begin_parallel(d, work)
            if k == len(shape) - 1 and simd_inner:
                self.emit("#pragma omp simd")
            if split:
                self.emit(f"for (int64_t {var} = lo; {var} < hi; {var}++) {{")
            else:
                self.emit(f"for (int64_t {var} = 0; {var} < {d}; {var}++) {{")
            self.indent += 1
            idx.append(var)
        return tuple(idx)

    def open_outer_loop(self, var: str, n: int, work: int):
        """``for var in [0, n)``, split over threads (the range function's [lo, hi)) when the
        work it covers is at least PAR_MIN and there is more than one iteration."""
        if work >= PAR_MIN and n > 1:
            self.begin_parallel(n, work)
            self.emit(f"for (int64_t {var} = lo; {var} < hi; {var}++) {{")
        else:
            self.emit(f"for (int64_t {var} = 0; {var} < {n}; {var}++) {{")
        self.indent += 1

    def close_loops(self, n: int):
        for _ in range(n):
            self.indent -= 1
            self.emit("}")


def _is_flat(sched, x, shape, root=False) -> bool:
    """Can ``x`` be computed at a flat index of a loop over ``shape``?  True when every
    value on the way is elementwise over ``shape`` (or a scalar).  ``root``: x is the value
    the loop computes (its own buffer is the destination, not a source).  Walks the fused
    expression with an explicit stack (it is as deep as the program is long)."""
    stack, seen = [(x, tuple(shape), root)], set()
    while stack:
        x, shape, root = stack.pop()
        if isinstance(x, Literal) or x.aval.ndim == 0:
            continue
        if tuple(x.aval.shape) != shape and math.prod(x.aval.shape) != math.prod(shape):
            return False
        if (id(x) in sched.materialized and not root) or id(x) not in sched.producers:
            continue
        if id(x) in seen:
            continue
        seen.add(id(x))
        eqn = sched.producers[id(x)]
        prim = eqn.primitive
        if prim in (reshape_p, squeeze_p, expand_dims_p):
            a = eqn.inputs[0]
            stack.append((a, tuple(a.aval.shape), False))
        elif prim is broadcast_in_dim_p:
            if eqn.inputs[0].aval.ndim != 0:
                return False
        elif prim.fusion != Fusion.ELEMENTWISE or tuple(x.aval.shape) != shape:
            return False
        else:
            stack.extend((a, shape, False) for a in reversed(eqn.inputs))
    return True


# ---------------------------------------------------------------------------------------------
# Steps
# ---------------------------------------------------------------------------------------------

def write_loop(w: StepWriter, step: Loop):
    out = w.buffer(step.out, written=True)
    shape = tuple(step.out.aval.shape)
    total = math.prod(shape)
    src, dst_dtype = step.src, step.out.aval.dtype
    if total == 0:
        return
    par = total >= PAR_MIN
    flat = step.perm is None and _is_flat(w.sched, src, shape, root=step.src is step.out)
    w.flat = flat
    if flat:
        if par:
            w.begin_parallel(total, total)
        if total > 1:
            w.emit("#pragma omp simd")
        if par:
            w.emit("for (int64_t i = lo; i < hi; i++) {")
        else:
            w.emit(f"for (int64_t i = 0; i < {total}; i++) {{")
        w.indent += 1
        v = _root(w, step, Flat())
        w.emit(f"{out}[i] = {_cast(v, src, dst_dtype)};")
        w.close_loops(1)
        return
    if not par and _write_concatenate_pieces(w, step, out, shape):
        return
    state = (len(w.lines), dict(w.memo), w.parallel, w.split, w.indent)
    idx = w.open_loops(shape, total)
    _write_loop_body(w, step, idx, out, shape)
    w.close_loops(len(shape))
    # a loop that transposes: emitted again as a nest of cache-sized tiles (compiler/tiles.py)
    kt = tiles.contiguous_source_index(w.lines[state[0]:], out, shape)
    if kt is None:
        return
    del w.lines[state[0]:]
    w.memo, w.parallel, w.split, w.indent = state[1:]
    idx, nloops = tiles.open_tiled_loops(w, shape, kt, total)
    _write_loop_body(w, step, idx, out, shape)
    w.close_loops(nloops)


def _write_concatenate_pieces(w: StepWriter, step: Loop, out: str, shape) -> bool:
    """A loop that computes a concatenate: one loop nest per piece, each writing its own
    slab, instead of one loop over the whole output that evaluates every piece at every
    element and selects one (the fused writer's form, right for a concatenate read inside a
    larger expression).  Serial loops only: a step has one parallel region."""
    eqn = w.sched.producers.get(id(step.out))
    if step.src is not step.out or step.perm is not None or eqn is None \
            or eqn.primitive is not concatenate_p:
        return False
    axis, at = eqn.params["dimension"], 0
    memo = dict(w.memo)
    for x in eqn.inputs:
        piece = tuple(x.aval.shape)
        if math.prod(piece):
            w.memo = dict(memo)        # temporaries of one nest are out of scope in the next
            idx = w.open_loops(piece)
            v = w.value(x, idx)
            dst = tuple(f"({i}) + {at}" if k == axis and at else i for k, i in enumerate(idx))
            w.emit(f"{out}[{offset_expr(shape, dst)}] = {_cast(v, x, step.out.aval.dtype)};")
            w.close_loops(len(piece))
        at += piece[axis]
    w.memo = memo
    return True


def _write_loop_body(w: StepWriter, step: Loop, idx, out: str, shape):
    if step.perm is None:
        src_idx = idx
    else:
        src_idx = [None] * len(idx)
        for k, p in enumerate(step.perm):
            src_idx[p] = idx[k]
        src_idx = tuple(src_idx)
    v = _root(w, step, src_idx)
    w.emit(f"{out}[{offset_expr(shape, idx)}] = {_cast(v, step.src, step.out.aval.dtype)};")


def _root(w: StepWriter, step: Loop, idx) -> str:
    """The value a loop stores: computed from its equation when the loop materializes that
    very value, else read through the usual path (a pack of another buffer or expression)."""
    if step.src is step.out:
        return w.compute(step.src, idx)
    return w.value(step.src, idx)


def _cast(v: str, src, dst_dtype) -> str:
    src_dtype = src.aval.dtype
    if src_dtype == dst_dtype:
        return v
    return f"fnx_s_convert_{SFX[src_dtype]}_{SFX[dst_dtype]}({v})"


def reduce_init(op: str, dtype, empty: bool = False) -> str:
    """The identity of the scalar op ``op`` (REDUCE_OP) in ``dtype``, as a C literal; with
    ``empty``, the result of an empty reduction (complex max / min: (-+inf + 0j), as the
    eager kernels, where (-+inf, -+inf) seeds a non-empty one)."""
    dtype = np.dtype(dtype)
    if empty and dtype.kind == "c" and op in ("max", "min"):
        return c_literal(complex(np.inf if op == "min" else -np.inf, 0.0), dtype)
    if op == "add" or op == "or":
        return c_literal(0, dtype)
    if op == "mul":
        return c_literal(1, dtype)
    if op == "and":
        return c_literal(1 if dtype == dtypes.bool_ else -1, dtype)
    hi = op == "min"
    if dtype.kind in "fc":  # complex: (-inf, -inf) / (inf, inf), the lexicographic extremes
        inf = np.inf if hi else -np.inf
        return c_literal(complex(inf, inf) if dtype.kind == "c" else inf, dtype)
    if dtype == dtypes.bool_:
        return c_literal(1 if hi else 0, dtype)
    info = np.iinfo(dtype)
    return c_literal(info.max if hi else info.min, dtype)


def _combine(op: str, sfx: str, acc: str, v: str) -> str:
    """One accumulation step.  max/min take the new element first, as the eager reduce
    kernels do, so ties between +0 and -0 resolve the same way."""
    if op in ("max", "min"):
        return f"fnx_s_{op}_{sfx}({v}, {acc})"
    return f"fnx_s_{op}_{sfx}({acc}, {v})"


def emit_accumulate(w: StepWriter, op: str, dtype, acc: str, value, j: str, n: int):
    """``for j in [0, n): acc = acc (op) value()`` as a loop gcc vectorizes.  Float max/min
    keep numpy's NaN propagation without a per-element NaN branch in the reduction: the loop
    is a plain max/min reduction plus a "saw a NaN" flag, applied after it."""
    dtype = np.dtype(dtype)
    # (OpenMP has no reduction operators on the complex structs: that loop stays scalar)
    simd_op = _SIMD_OP[op] if dtype.kind != "c" else None
    nan_flag = dtype.kind == "f" and op in ("max", "min")
    if nan_flag:
        w.emit("{")
        w.indent += 1
        w.emit(f"int nan_seen = {acc} != {acc};   /* the simd combine may drop a NaN acc */")
        w.emit(f"#pragma omp simd reduction({simd_op}:{acc}) reduction(|:nan_seen)")
    elif simd_op:
        w.emit(f"#pragma omp simd reduction({simd_op}:{acc})")
    w.emit(f"for (int64_t {j} = 0; {j} < {n}; {j}++) {{")
    w.indent += 1
    v = value()
    if nan_flag:
        cmp = ">" if op == "max" else "<"
        w.emit(f"{acc} = {v} {cmp} {acc} ? {v} : {acc};")
        w.emit(f"nan_seen |= {v} != {v};")
    else:
        w.emit(f"{acc} = {_combine(op, SFX[dtype], acc, v)};")
    w.close_loops(1)
    if nan_flag:
        w.emit(f"if (nan_seen) {acc} = ({C_TYPE[dtype]})NAN;")
        w.close_loops(1)


def write_reduce(w: StepWriter, step: Reduce):
    """Accumulate into the output, walking the input in its own order (so the innermost loop
    reads contiguously, whether the reduced axis is the last one or not)."""
    eqn = step.eqn
    (x,) = eqn.inputs
    axes = set(eqn.params["axes"])
    dtype = x.aval.dtype
    t, sfx = C_TYPE[dtype], SFX[dtype]
    op = REDUCE_OP[eqn.primitive]
    out = w.buffer(step.out, written=True)
    shape = tuple(x.aval.shape)
    kept_shape = tuple(d for k, d in enumerate(shape) if k not in axes)
    n_out = math.prod(kept_shape)
    empty = math.prod(shape) == 0
    w.emit(f"for (int64_t o = 0; o < {n_out}; o++) {out}[o] = {reduce_init(op, dtype, empty)};")
    if empty:
        return
    # threads split the outermost axis when it is kept (their outputs are then disjoint)
    work = math.prod(shape) if 0 not in axes else 0
    outer = shape[:-1] if shape else ()
    idx = list(w.open_loops(outer, work, simd_inner=False))
    last = len(shape) - 1
    kept_idx = lambda full: tuple(i for k, i in enumerate(full) if k not in axes)  # noqa
    if last >= 0 and last in axes:
        pos = offset_expr(kept_shape, kept_idx(idx + ["0"]))
        w.emit(f"{t} acc = {out}[{pos}];")
        saved = dict(w.memo)
        emit_accumulate(w, op, dtype, "acc", lambda: w.value(x, tuple(idx + [f"i{last}"])),
                        f"i{last}", shape[last])
        w.memo = saved
        w.emit(f"{out}[{pos}] = acc;")
    elif last >= 0:
        full = idx + [f"i{last}"]
        w.emit("#pragma omp simd")
        w.emit(f"for (int64_t i{last} = 0; i{last} < {shape[last]}; i{last}++) {{")
        w.indent += 1
        saved = dict(w.memo)
        v = w.value(x, tuple(full))
        pos = offset_expr(kept_shape, kept_idx(full))
        w.emit(f"{out}[{pos}] = {_combine(op, sfx, f'{out}[{pos}]', v)};")
        w.memo = saved
        w.close_loops(1)
    else:   # rank-0 input, axes=()
        w.emit(f"{out}[0] = {w.value(x, ())};")
    w.close_loops(len(outer))


# ---------------------------------------------------------------------------------------------
# Row groups (rows.py): one loop over rows, each member's loop over the row inside
# ---------------------------------------------------------------------------------------------

def write_row_group(w, group: RowGroup) -> None:
    """One loop over rows; inside, each member's loop over that row."""
    rows = group.rows
    nrows = math.prod(rows)
    work = sum(math.prod(_iteration_shape(s)) for s in group.steps)
    for step in group.steps:                 # declare outputs first: they are written
        if id(step.out) not in group.scratch:
            w.buffer(step.out, written=True)
    w.open_outer_loop("row", nrows, work)
    idx = decode_row(w, rows)
    for step in group.steps:
        if id(step.out) in group.scratch:
            name = w.declare_scratch(step.out)
            w.emit(f"{C_TYPE[step.out.aval.dtype]} {name}[{step.out.aval.shape[-1]}] "
                   "__attribute__((aligned(64)));")
    for step in group.steps:
        saved = dict(w.memo)
        w.emit("{")             # a block per member: each declares its own accumulator
        w.indent += 1
        if isinstance(step, Reduce):
            _write_row_reduce(w, step, idx)
        else:
            _write_row_loop(w, step, idx)
        w.close_loops(1)
        w.memo = saved
    w.close_loops(1)


def _iteration_shape(step):
    return step.eqn.inputs[0].aval.shape if isinstance(step, Reduce) else step.out.aval.shape


def decode_row(w, rows) -> tuple:
    """C index variables i0..i{r-1} of the row number ``row`` (row-major)."""
    names = []
    stride = math.prod(rows)
    for k, d in enumerate(rows):
        stride //= d
        expr = "row" if stride == 1 else f"row / {stride}"
        if k > 0:
            expr = f"({expr}) % {d}"
        w.emit(f"const int64_t i{k} = {expr};")
        names.append(f"i{k}")
    return tuple(names)


def _write_row_loop(w, step, idx) -> None:
    v_out = step.out
    shape = tuple(v_out.aval.shape)
    if len(shape) == len(idx):          # one value per row
        v = _root(w, step, idx)
        out = w.buffer(v_out, written=True)
        w.emit(f"{out}[{offset_expr(shape, idx)}] = {_cast(v, step.src, v_out.aval.dtype)};")
        return
    j = f"i{len(idx)}"
    full = idx + (j,)
    if id(v_out) in w.scratch:
        target = f"{w.scratch[id(v_out)]}[{j}]"
    else:
        target = f"{w.buffer(v_out, written=True)}[{offset_expr(shape, full)}]"
    w.emit("#pragma omp simd")
    w.emit(f"for (int64_t {j} = 0; {j} < {shape[-1]}; {j}++) {{")
    w.indent += 1
    v = _root(w, step, full)
    w.emit(f"{target} = {_cast(v, step.src, v_out.aval.dtype)};")
    w.close_loops(1)


def _write_row_reduce(w, step, idx) -> None:
    eqn = step.eqn
    (x,) = eqn.inputs
    dtype = x.aval.dtype
    out = w.buffer(step.out, written=True)
    j = f"i{len(idx)}"
    op = REDUCE_OP[eqn.primitive]
    w.emit(f"{C_TYPE[dtype]} acc = {reduce_init(op, dtype)};")
    emit_accumulate(w, op, dtype, "acc", lambda: w.value(x, idx + (j,)), j, x.aval.shape[-1])
    w.emit(f"{out}[{offset_expr(step.out.aval.shape, idx)}] = acc;")


def render_module(step_writers, entries, include_header: str, parts: int = 1) -> list[str]:
    """The C translation units: headers, the step functions, the entry points.  With
    ``parts > 1`` the step functions are spread over that many units (compiled in parallel);
    the last unit also holds the entry points and declares the steps it calls."""
    head = ["/* generated by fnx.jit */", "#include <stdint.h>", "#include <string.h>",
            "#include <math.h>", '#include "fnx_kernels.h"', include_header]
    if parts <= 1:
        return ["\n".join(head + [w.render() for w in step_writers] + entries)]
    hidden = '__attribute__((visibility("hidden"))) int '
    units = []
    for k in range(parts):
        chunk = step_writers[k::parts]
        units.append("\n".join(head + [w.render().replace(f"static int {w.name}(",
                                                          f"{hidden}{w.name}(", 1)
                                       for w in chunk]))
    protos = [w.signature().replace("static int ", hidden, 1) + ";" for w in step_writers]
    units[-1] = "\n".join([units[-1]] + protos + entries)
    return units

