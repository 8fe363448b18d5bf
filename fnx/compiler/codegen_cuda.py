"""Rendering a schedule's fused steps as CUDA kernels (the GPU side of ``fnx.jit``).

The fused expressions are codegen_c's: ``StepWriter.value`` / ``compute`` and the per-primitive
``_FUSED`` writers emit ``const T tN = fnx_s_<op>_<sfx>(...);`` chains, and
``kernels/cuda/fnx_cuda.cuh`` defines every ``fnx_s_`` function with the CPU header's name and
semantics, so that text is CUDA as it stands.  Only the code *around* the expressions differs:

* ``Loop``: one thread per output element, grid-stride (any grid covers any size);
* ``Reduce``: when the reduced elements are contiguous (the last axis is reduced), one block
  per output with a shared-memory tree combine; otherwise one thread per output (neighbouring
  threads then read neighbouring addresses).  With few outputs and many reduced elements each
  output is split over ``S`` blocks / threads writing partial results, and a second kernel
  combines them (so a full reduction is two passes).  NaN semantics are the scalar functions'
  (``fnx_s_max_f32`` propagates NaN), the same as the CPU; float sums add in another order, so
  they agree within rounding, as the eager GPU reductions do;
* ``RowGroup`` (softmax-style row fusion): one block per row, each member a block-strided loop
  over the row (or a block reduction), separated by ``__syncthreads()``.  Members write their
  results to memory (the CPU's per-row stack scratch does not exist here; a row stays in L1/L2).

Each rendered kernel is a :class:`CudaKernel`: its source, its buffer parameters (in order) and
its launch shape.  The host-side program around them is ``fnx.compiler.cuda_executable``.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ..core import Var
from . import codegen_c as cg
from .rows import RowGroup, _decode_row
from .schedule import Loop, Reduce

BLOCK = 256
MAX_GRID = 1 << 20          # grid-stride loops: a capped grid still covers everything
MAX_SPLIT = 1024            # partial results per output of a split reduction
TARGET_THREADS = 1 << 17    # enough threads in flight to saturate an H100's memory bandwidth
TARGET_BLOCKS = 1024

# The generated C uses the C99 names (int64_t, NAN, ...): NVRTC has no standard headers, and
# under nvcc the CUDA headers' own int64_t is `long`, not fnx_int64 (`long long`) -- so the
# names are macros for fnx_cuda.cuh's types, defined after every header.  Two scalar functions
# the eager CUDA kernels never needed (select with a bool predicate, bitcasts) are added here.
PRELUDE = r"""
#define int8_t fnx_int8
#define uint8_t fnx_uint8
#define int32_t fnx_int32
#define uint32_t fnx_uint32
#define int64_t fnx_int64
#define uint64_t fnx_uint64
#pragma nv_diag_suppress 177
#undef NAN
#define NAN FNX_NAN
#undef INFINITY
#define INFINITY FNX_INF
#undef INT64_MIN
#define INT64_MIN (-0x7fffffffffffffffLL - 1)
#define FNX_JIT_SELECT(T, U, sfx, K) \
  FNX_DEV T fnx_s_select_##sfx(fnx_uint8 pred, T on_false, T on_true) { \
    return pred ? on_true : on_false; }
FNX_ALL_TYPES(FNX_JIT_SELECT)
FNX_DEV fnx_uint8 fnx_s_bitcast_i8_u8(fnx_int8 x) { return (fnx_uint8)x; }
FNX_DEV fnx_int8 fnx_s_bitcast_u8_i8(fnx_uint8 x) { return (fnx_int8)x; }
FNX_DEV fnx_uint32 fnx_s_bitcast_i32_u32(fnx_int32 x) { return (fnx_uint32)x; }
FNX_DEV fnx_int32 fnx_s_bitcast_u32_i32(fnx_uint32 x) { return (fnx_int32)x; }
FNX_DEV float fnx_s_bitcast_i32_f32(fnx_int32 x) { return __int_as_float(x); }
FNX_DEV fnx_int32 fnx_s_bitcast_f32_i32(float x) { return __float_as_int(x); }
FNX_DEV float fnx_s_bitcast_u32_f32(fnx_uint32 x) { return __uint_as_float(x); }
FNX_DEV fnx_uint32 fnx_s_bitcast_f32_u32(float x) { return __float_as_uint(x); }
FNX_DEV double fnx_s_bitcast_i64_f64(fnx_int64 x) { return __longlong_as_double(x); }
FNX_DEV fnx_int64 fnx_s_bitcast_f64_i64(double x) { return __double_as_longlong(x); }
"""

INCLUDE_LINE = '#include "fnx_cuda.cuh"'


@dataclass
class CudaKernel:
    name: str
    writer: "CudaStepWriter"
    grid: int
    block: int

    @property
    def params(self):
        """(C name, Var, written?) of each pointer parameter, in order."""
        return self.writer.params


class CudaStepWriter(cg.StepWriter):
    """codegen_c's StepWriter with a ``__global__`` signature and ``__restrict__`` pointers;
    the expression writers are inherited unchanged."""

    def _declarations(self) -> list[str]:
        return [f"{'' if written else 'const '}{cg.C_TYPE[v.aval.dtype]} *__restrict__ {p}"
                for p, v, written in self.params]

    def signature(self) -> str:
        return (f'extern "C" __global__ void __launch_bounds__({BLOCK}) '
                f"{self.name}({', '.join(self._declarations())})")

    def render(self) -> str:
        return self.signature() + " {\n" + "\n".join(self.lines) + "\n}\n"

    def begin_parallel(self, n: int, work: int):   # threads are the kernel's own business
        raise AssertionError("CUDA kernels are not split by fnx_parallel_for")

    def open_block(self, header: str):
        self.emit(header + " {")
        self.indent += 1


def _grid(units: int, per_block: int = BLOCK) -> int:
    return max(1, min((units + per_block - 1) // per_block, MAX_GRID))


_GRID_LOOP = ("for (int64_t {v} = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; {v} < {n}LL; "
              "{v} += (int64_t)blockDim.x * gridDim.x)")
_BLOCK_LOOP = "for (int64_t {v} = blockIdx.x; {v} < {n}LL; {v} += gridDim.x)"
_THREAD_LOOP = "for (int64_t {v} = {lo} + threadIdx.x; {v} < {hi}; {v} += blockDim.x)"


def _decode(w, shape, linear: str, prefix: str) -> tuple:
    """C names of the multi-index (row-major over ``shape``) of the linear index ``linear``."""
    names, stride = [], math.prod(shape)
    for k, d in enumerate(shape):
        stride //= d if d else 1
        if d == 1:
            names.append("0")
            continue
        expr = linear if stride == 1 else f"({linear}) / {stride}"
        if k > 0 and math.prod(shape[:k]) > 1:
            expr = f"({expr}) % {d}"
        name = f"{prefix}{k}"
        w.emit(f"const int64_t {name} = {expr};")
        names.append(name)
    return tuple(names)


# ---------------------------------------------------------------------------------------------
# Loop
# ---------------------------------------------------------------------------------------------

def write_loop(name: str, sched, step: Loop) -> list:
    w = CudaStepWriter(name, sched)
    out = w.buffer(step.out, written=True)
    shape = tuple(step.out.aval.shape)
    total = math.prod(shape)
    if total == 0:
        return []
    flat = step.perm is None and cg._is_flat(sched, step.src, shape, root=step.src is step.out)
    w.flat = flat
    w.open_block(_GRID_LOOP.format(v="i", n=total))
    if flat:
        v = cg._root(w, step, cg.Flat())
    else:
        idx = _decode(w, shape, "i", "i")
        if step.perm is not None:
            src = [None] * len(idx)
            for k, p in enumerate(step.perm):
                src[p] = idx[k]
            idx = tuple(src)
        v = cg._root(w, step, idx)
    w.emit(f"{out}[i] = {cg._cast(v, step.src, step.out.aval.dtype)};")
    w.close_loops(1)
    return [CudaKernel(name, w, _grid(total), BLOCK)]


# ---------------------------------------------------------------------------------------------
# Reduce
# ---------------------------------------------------------------------------------------------

def _reduce_geometry(x, axes):
    shape = tuple(x.aval.shape)
    kept = tuple(k for k in range(len(shape)) if k not in axes)
    red = tuple(k for k in range(len(shape)) if k in axes)
    return shape, kept, red


def _full_index(shape, kept, red, kidx, ridx) -> tuple:
    full = [None] * len(shape)
    for k, i in zip(kept, kidx):
        full[k] = i
    for k, i in zip(red, ridx):
        full[k] = i
    return tuple(full)


def _block_combine(w, name, dtype, acc: str, sh: str):
    """Combine the block's per-thread ``acc`` into ``sh[0]`` (shared-memory tree)."""
    op = cg._REDUCE[name][0]
    sfx, t = cg.SFX[dtype], cg.C_TYPE[dtype]
    w.emit(f"__shared__ {t} {sh}[{BLOCK}];")
    w.emit(f"{sh}[threadIdx.x] = {acc};")
    w.emit("__syncthreads();")
    w.open_block(f"for (int half = {BLOCK // 2}; half > 0; half >>= 1)")
    w.emit(f"if (threadIdx.x < half) {sh}[threadIdx.x] = "
           f"{cg._combine(op, sfx, f'{sh}[threadIdx.x]', f'{sh}[threadIdx.x + half]')};")
    w.emit("__syncthreads();")
    w.close_loops(1)


def _accumulate(w, name, dtype, acc: str, value):
    """``acc = acc (op) value()`` with the memo restored afterwards (the value is per element)."""
    op = cg._REDUCE[name][0]
    saved = dict(w.memo)
    v = value()
    w.emit(f"{acc} = {cg._combine(op, cg.SFX[dtype], acc, v)};")
    w.memo = saved


def write_reduce(name: str, sched, step: Reduce) -> list:
    eqn = step.eqn
    (x,) = eqn.inputs
    prim = eqn.primitive.name
    dtype = x.aval.dtype
    t = cg.C_TYPE[dtype]
    shape, kept, red = _reduce_geometry(x, set(eqn.params["axes"]))
    kshape = tuple(shape[k] for k in kept)
    rshape = tuple(shape[k] for k in red)
    n_out, r = math.prod(kshape), math.prod(rshape)
    if n_out == 0:
        return []
    init = cg._reduce_init(prim, dtype)
    if not shape:   # rank 0, axes=(): the value itself (as the CPU writes it)
        w = CudaStepWriter(name, sched)
        out = w.buffer(step.out, written=True)
        w.open_block("if (blockIdx.x == 0 && threadIdx.x == 0)")
        w.emit(f"{out}[0] = {w.value(x, ())};")
        w.close_loops(1)
        return [CudaKernel(name, w, 1, BLOCK)]
    by_block = bool(red) and red[-1] == len(shape) - 1 and r >= 64
    if by_block:
        split = max(1, min(MAX_SPLIT, -(-r // (BLOCK * 8)), -(-TARGET_BLOCKS // n_out)))
    else:
        split = max(1, min(MAX_SPLIT, -(-r // 64), -(-TARGET_THREADS // n_out)))
    split = min(split, max(r, 1))
    chunk = -(-r // split) if r else 0
    partial = step.out if split == 1 else Var(step.out.aval.update(shape=(n_out * split,)))
    if split > 1:
        sched.materialized.add(id(partial))
    w = CudaStepWriter(name if split == 1 else f"{name}a", sched)
    out = w.buffer(partial, written=True)
    units = n_out * split
    if by_block:
        # block b: output o = b / split, elements [s * chunk, min(r, (s + 1) * chunk))
        w.open_block(_BLOCK_LOOP.format(v="b", n=units))
        w.emit(f"const int64_t o = b / {split}, s = b % {split};")
    else:
        # thread u: output o = u % n_out (neighbouring threads: neighbouring outputs)
        w.open_block(_GRID_LOOP.format(v="u", n=units))
        w.emit(f"const int64_t o = u % {n_out}, s = u / {n_out};")
    kidx = _decode(w, kshape, "o", "k")
    w.emit(f"const int64_t lo = s * {chunk}LL;")
    w.emit(f"const int64_t hi = lo + {chunk}LL < {r}LL ? lo + {chunk}LL : {r}LL;")
    w.emit(f"{t} acc = {init};")
    if r:       # (an empty reduction is its initial value)
        if by_block:
            w.open_block(_THREAD_LOOP.format(v="j", lo="lo", hi="hi"))
        else:
            w.open_block("for (int64_t j = lo; j < hi; j++)")
        saved = dict(w.memo)
        ridx = _decode(w, rshape, "j", "r")
        _accumulate(w, prim, dtype, "acc",
                    lambda: w.value(x, _full_index(shape, kept, red, kidx, ridx)))
        w.memo = saved
        w.close_loops(1)
    if by_block:
        _block_combine(w, prim, dtype, "acc", "sh")
        w.emit(f"if (threadIdx.x == 0) {out}[b] = sh[0];")
        w.emit("__syncthreads();   /* sh is reused by this block's next output */")
    else:
        w.emit(f"{out}[o + {n_out}LL * s] = acc;" if split > 1 else f"{out}[o] = acc;")
    w.close_loops(1)
    grid = min(units, MAX_GRID) if by_block else _grid(units)
    kernels = [CudaKernel(w.name, w, grid, BLOCK)]
    if split > 1:
        kernels.append(_combine_partials(f"{name}b", sched, step, partial, prim, dtype,
                                         n_out, split, layout_by_block=by_block))
    return kernels


def _combine_partials(name, sched, step, partial, prim, dtype, n_out, split, layout_by_block):
    """Second pass: one thread per output folds its ``split`` partial results."""
    w = CudaStepWriter(name, sched)
    out = w.buffer(step.out, written=True)
    p = w.buffer(partial)
    t = cg.C_TYPE[dtype]
    op, sfx = cg._REDUCE[prim][0], cg.SFX[dtype]
    w.open_block(_GRID_LOOP.format(v="o", n=n_out))
    w.emit(f"{t} acc = {cg._reduce_init(prim, dtype)};")
    at = f"{p}[o * {split}LL + s]" if layout_by_block else f"{p}[o + {n_out}LL * s]"
    w.emit(f"for (int64_t s = 0; s < {split}; s++) acc = {cg._combine(op, sfx, 'acc', at)};")
    w.emit(f"{out}[o] = acc;")
    w.close_loops(1)
    return CudaKernel(name, w, _grid(n_out), BLOCK)


# ---------------------------------------------------------------------------------------------
# RowGroup
# ---------------------------------------------------------------------------------------------

def write_row_group(name: str, sched, group: RowGroup) -> list:
    """One block per row; each member a loop over the row (threads strided), then a barrier."""
    w = CudaStepWriter(name, sched)
    rows = group.rows
    nrows = math.prod(rows)
    for step in group.steps:        # declare outputs first: they are written
        w.buffer(step.out, written=True)
    w.open_block(_BLOCK_LOOP.format(v="row", n=nrows))
    idx = _decode_row(w, rows)
    j = f"i{len(idx)}"
    for k, step in enumerate(group.steps):
        saved = dict(w.memo)
        w.open_block("")            # a scope per member: each declares its own names
        if isinstance(step, Reduce):
            (x,) = step.eqn.inputs
            prim, dtype = step.eqn.primitive.name, x.aval.dtype
            out = w.buffer(step.out, written=True)
            w.emit(f"{cg.C_TYPE[dtype]} acc = {cg._reduce_init(prim, dtype)};")
            w.open_block(_THREAD_LOOP.format(v=j, lo="0", hi=f"{x.aval.shape[-1]}LL"))
            _accumulate(w, prim, dtype, "acc", lambda: w.value(x, idx + (j,)))
            w.close_loops(1)
            _block_combine(w, prim, dtype, "acc", f"sh{k}")
            pos = cg.offset_expr(step.out.aval.shape, idx)
            w.emit(f"if (threadIdx.x == 0) {out}[{pos}] = sh{k}[0];")
        else:
            _row_loop(w, step, idx, j)
        w.close_loops(1)
        w.emit("__syncthreads();   /* later members read this one's row */")
        w.memo = saved
    w.close_loops(1)
    return [CudaKernel(name, w, min(nrows, MAX_GRID), BLOCK)]


def _row_loop(w, step, idx, j):
    v_out = step.out
    shape = tuple(v_out.aval.shape)
    out = w.buffer(v_out, written=True)
    if len(shape) == len(idx):       # one value per row: the block's first thread
        w.open_block("if (threadIdx.x == 0)")
        v = cg._root(w, step, idx)
        w.emit(f"{out}[{cg.offset_expr(shape, idx)}] = {cg._cast(v, step.src, v_out.aval.dtype)};")
        w.close_loops(1)
        return
    full = idx + (j,)
    w.open_block(_THREAD_LOOP.format(v=j, lo="0", hi=f"{shape[-1]}LL"))
    v = cg._root(w, step, full)
    w.emit(f"{out}[{cg.offset_expr(shape, full)}] = {cg._cast(v, step.src, v_out.aval.dtype)};")
    w.close_loops(1)


# ---------------------------------------------------------------------------------------------
# Steps and modules
# ---------------------------------------------------------------------------------------------

def write_step(name: str, sched, step) -> list:
    """The kernels of a fused step (a reduction split over blocks has two)."""
    if isinstance(step, Loop):
        return write_loop(name, sched, step)
    if isinstance(step, Reduce):
        return write_reduce(name, sched, step)
    if isinstance(step, RowGroup):
        return write_row_group(name, sched, step)
    raise AssertionError(step)


def render_source(kernels: list, include: str = INCLUDE_LINE) -> str:
    """The translation unit: the device header (an #include line, or its inlined text), the
    prelude, every kernel."""
    parts = ["/* generated by fnx.jit for CUDA */", include, PRELUDE]
    parts += [k.writer.render() for k in kernels]
    return "\n".join(parts)


def header_dir() -> str:
    """kernels/cuda in a source checkout, else the installed copy (fnx/_cuda)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    checkout = os.path.join(os.path.dirname(here), "kernels", "cuda")
    if os.path.isfile(os.path.join(checkout, "fnx_cuda.cuh")):
        return checkout
    return os.path.join(here, "_cuda")


def self_contained(source: str) -> str:
    """``source`` with the header inlined: NVRTC (cupy.RawModule) gets no include path, and
    CuPy's on-disk cache key (the code) then changes whenever the header does."""
    with open(os.path.join(header_dir(), "fnx_cuda.cuh")) as f:
        header = f.read()
    return source.replace(INCLUDE_LINE, header, 1)
