"""The library-call steps of generated C: a fused program calls the hand-written kernels
(kernels/cpu) through the function table every entry point receives (``KERNEL_TABLE`` in
codegen_c), on operands the schedule packed contiguous in the layout each kernel wants."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..lax.conv import (conv_p, reduce_window_max_p, reduce_window_sum_p,
                        select_and_gather_add_p, select_and_scatter_add_p)
from ..lax.fft import axis_passes, fft_p
from ..lax.indexing import scatter_add_p, scatter_max_p, scatter_min_p, scatter_mul_p, scatter_p
from ..lax.reduction import (REDUCE_PRIMITIVES, argmax_p, argmin_p, cummax_p, cummin_p,
                             cumprod_p, cumsum_p, reduce_and_p, reduce_max_p, reduce_min_p,
                             reduce_or_p, reduce_prod_p, reduce_sum_p, sort_p)
from ..lax.linalg import (cholesky_p, dot_general_p, eigh_p, lu_p, qr_p, svd_p,
                          triangular_solve_op, triangular_solve_p)
from ..lax.random_bits import threefry2x32_p
from .codegen_c import DTYPE_CODE, StepWriter, kernel
from .epilogue import dot_general_epilogue_p
from .steps import Call

# enum constants of fnx_kernels.h (the generated C includes it): the op codes of fnx_reduce,
# fnx_cumulative, fnx_scatter and fnx_reduce_window
_REDUCE_CODES = {reduce_sum_p: "FNX_RED_SUM", reduce_prod_p: "FNX_RED_PROD",
                 reduce_max_p: "FNX_RED_MAX", reduce_min_p: "FNX_RED_MIN",
                 reduce_and_p: "FNX_RED_AND", reduce_or_p: "FNX_RED_OR",
                 argmax_p: "FNX_RED_ARGMAX", argmin_p: "FNX_RED_ARGMIN"}
_CUMULATIVE_CODES = {cumsum_p: "FNX_CUM_SUM", cumprod_p: "FNX_CUM_PROD", cummax_p: "FNX_CUM_MAX",
                     cummin_p: "FNX_CUM_MIN"}
_SCATTER_CODES = {scatter_p: "FNX_SCATTER_SET", scatter_add_p: "FNX_SCATTER_ADD",
                  scatter_mul_p: "FNX_SCATTER_MUL", scatter_min_p: "FNX_SCATTER_MIN",
                  scatter_max_p: "FNX_SCATTER_MAX"}
_WINDOW_CODES = {reduce_window_sum_p: "FNX_RED_SUM", reduce_window_max_p: "FNX_RED_MAX"}


def write_call(w: StepWriter, step: Call) -> None:
    """The kernel call of a library step (or of a full reduction, schedule._reduction)."""
    writer = _STEP_CALLS.get(step.eqn.primitive)
    if writer is not None:
        writer(w, step)
        return
    eqn = step.eqn
    out = w.buffer(eqn.out_binders[0], written=True)
    ptrs = [w.buffer(v) for v in step.operands]
    _CALLS[eqn.primitive](w, step, out, ptrs)


def _emit_reduce(w: StepWriter, eqn, index_dtype, outer: int, nred: int, src: str,
                 out: str) -> None:
    """One fnx_reduce call: ``outer`` rows of ``nred`` contiguous elements of ``src``."""
    x = eqn.inputs[0]
    w.emit(f"if ({kernel('fnx_reduce')}({_REDUCE_CODES[eqn.primitive]}, "
           f"{DTYPE_CODE[x.aval.dtype]}, {DTYPE_CODE[index_dtype]}, {outer}, "
           f"{nred}, 1, (const char *){src}, (char *){out})) return -1;")


def _write_argreduce_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    eqn = step.eqn
    (x,) = eqn.inputs
    axes = eqn.params["axes"]
    nred = math.prod(x.aval.shape[a] for a in axes)
    outer = math.prod(x.aval.shape) // max(nred, 1)
    if outer == 0:
        return
    _emit_reduce(w, eqn, eqn.params["index_dtype"], outer, nred, ptrs[0], out)


def _write_full_reduce_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    """A full reduction of a large materialized array (schedule._reduction)."""
    x = step.eqn.inputs[0]
    _emit_reduce(w, step.eqn, x.aval.dtype, 1, math.prod(x.aval.shape), ptrs[0], out)


def _write_cumulative_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    eqn = step.eqn
    (x,) = eqn.inputs
    axis = eqn.params["axis"]
    shape = x.aval.shape
    if math.prod(shape) == 0:
        return
    outer, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])
    w.emit(f"if ({kernel('fnx_cumulative')}({_CUMULATIVE_CODES[eqn.primitive]}, "
           f"{DTYPE_CODE[x.aval.dtype]}, {int(eqn.params['reverse'])}, {outer}, {n}, "
           f"{inner}, (const char *){ptrs[0]}, (char *){out})) return -1;")


def _write_scatter_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    eqn = step.eqn
    operand, indices, updates = eqn.inputs
    bd = eqn.params["batch_dims"]
    shape = operand.aval.shape
    nb, d, nr = math.prod(shape[:bd]), shape[bd], math.prod(shape[bd + 1:])
    ni = math.prod(indices.aval.shape[bd:])
    # the operand's copy was written into `out` by the pack before this call
    if math.prod(updates.aval.shape) == 0:
        return
    idx_code = DTYPE_CODE[step.operands[1].aval.dtype]
    w.emit(f"if ({kernel('fnx_scatter')}({_SCATTER_CODES[eqn.primitive]}, "
           f"{DTYPE_CODE[operand.aval.dtype]}, {idx_code}, {nb}, {d}, {nr}, (char *){out}, "
           f"{ni}, (const char *){ptrs[1]}, (const char *){ptrs[2]})) return -1;")


def _write_matmul_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    """fnx_matmul on the packed (batch, m, k) / (batch, k, n) operands, or
    fnx_matmul_epilogue with the bias (n values) and activation fused in, or fnx_matmul_ex
    when the schedule packed an operand transposed (``step.trans``)."""
    eqn = step.eqn
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lhs, rhs = eqn.inputs[:2]
    out_var = eqn.out_binders[0]
    batch = math.prod(lhs.aval.shape[i] for i in lb)
    k = math.prod(lhs.aval.shape[i] for i in lc)
    m = math.prod(lhs.aval.shape[i] for i in range(lhs.aval.ndim)
                  if i not in lc and i not in lb)
    n = math.prod(rhs.aval.shape[i] for i in range(rhs.aval.ndim)
                  if i not in rc and i not in rb)
    if batch * m * n == 0:
        return
    code = DTYPE_CODE[out_var.aval.dtype]
    if any(step.trans) and k > 0:
        bias = f"(const char *){ptrs[2]}" if eqn.primitive is dot_general_epilogue_p else "NULL"
        act = eqn.params["act"] if eqn.primitive is dot_general_epilogue_p else 0
        w.emit(f"if ({kernel('fnx_matmul_ex')}({code}, {batch}, {m}, {n}, {k}, "
               f"(const char *){ptrs[0]}, {int(step.trans[0])}, (const char *){ptrs[1]}, "
               f"{int(step.trans[1])}, {bias}, {act}, (char *){out})) return -1;")
        return
    if eqn.primitive is dot_general_epilogue_p:   # k == 0 too: c = act(bias)
        w.emit(f"if ({kernel('fnx_matmul_epilogue')}({code}, {batch}, {m}, {n}, {k}, "
               f"(const char *){ptrs[0]}, (const char *){ptrs[1]}, (const char *){ptrs[2]}, "
               f"{eqn.params['act']}, (char *){out})) return -1;")
        return
    if k == 0:
        w.emit(f"for (int64_t o = 0; o < {batch * m * n}; o++) {out}[o] = 0;")
        return
    w.emit(f"if ({kernel('fnx_matmul')}({code}, {batch}, {m}, {n}, {k}, "
           f"(const char *){ptrs[0]}, (const char *){ptrs[1]}, (char *){out})) return -1;")


def _c_array(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def _write_conv_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    """fnx_conv2d on the packed NHWC input and HWIO filter."""
    eqn = step.eqn
    lhs, rhs = eqn.inputs
    n, h, wd, c = lhs.aval.shape
    kh, kw, _, o = rhs.aval.shape
    oshape = eqn.out_binders[0].aval.shape
    if math.prod(oshape) == 0:
        return
    p = eqn.params
    w.emit("{")
    w.emit(f"  static const int64_t st[2] = {_c_array(p['window_strides'])}, "
           f"lo[2] = {_c_array(lo for lo, _ in p['padding'])}, "
           f"ld[2] = {_c_array(p['lhs_dilation'])}, rd[2] = {_c_array(p['rhs_dilation'])};")
    w.emit(f"  if ({kernel('fnx_conv2d')}({DTYPE_CODE[lhs.aval.dtype]}, {n}, {h}, {wd}, {c}, "
           f"{kh}, {kw}, {o}, {p['feature_group_count']}, {oshape[1]}, {oshape[2]}, st, lo, "
           f"ld, rd, (const char *){ptrs[0]}, (const char *){ptrs[1]}, (char *){out})) "
           "return -1;")
    w.emit("}")


def _window_geometry(eqn, x, pooled_shape):
    """(ndim, C array initializers...) of a window kernel call; trailing dimensions the window
    leaves alone are one contiguous inner run (as the CPU backend does)."""
    shape = x.aval.shape
    win, strides, pads = (eqn.params[k] for k in ("window_dimensions", "window_strides",
                                                   "padding"))
    nd = len(shape)
    while nd and win[nd - 1] == 1 and strides[nd - 1] == 1 and pads[nd - 1] == (0, 0):
        nd -= 1
    inner = math.prod(shape[nd:])
    arr = lambda vals: _c_array(vals[:nd] or (1,))  # noqa: E731
    decl = (f"static const int64_t ish[] = {arr(shape)}, osh[] = {arr(pooled_shape)}, "
            f"win[] = {arr(win)}, st[] = {arr(strides)}, "
            f"lo[] = {_c_array([lo for lo, _ in pads[:nd]] or (0,))};")
    return max(nd, 1), decl, inner


def _write_reduce_window_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    """fnx_reduce_window."""
    eqn = step.eqn
    (x,) = eqn.inputs
    oshape = eqn.out_binders[0].aval.shape
    if math.prod(oshape) == 0:
        return
    nd, decl, inner = _window_geometry(eqn, x, oshape)
    code = _WINDOW_CODES[eqn.primitive]
    w.emit("{")
    w.emit("  " + decl)
    w.emit(f"  if ({kernel('fnx_reduce_window')}({code}, {DTYPE_CODE[x.aval.dtype]}, {nd}, ish, "
           f"osh, win, st, lo, {inner}, (const char *){ptrs[0]}, (char *){out})) return -1;")
    w.emit("}")


def _write_select_window_call(w: StepWriter, step: Call, out: str, ptrs) -> None:
    """fnx_select_window for select_and_gather_add / select_and_scatter_add; the
    operands are packed as (source, operand)."""
    eqn = step.eqn
    source, operand = eqn.inputs
    gather = eqn.primitive is select_and_gather_add_p
    pooled = eqn.out_binders[0].aval.shape if gather else source.aval.shape
    if math.prod(eqn.out_binders[0].aval.shape) == 0:
        return
    nd, decl, inner = _window_geometry(eqn, operand, pooled)
    w.emit("{")
    w.emit("  " + decl)
    w.emit(f"  if ({kernel('fnx_select_window')}("
           f"{'FNX_SELECT_GATHER' if gather else 'FNX_SELECT_SCATTER'}, "
           f"{DTYPE_CODE[operand.aval.dtype]}, {nd}, ish, osh, win, st, lo, {inner}, "
           f"(const char *){ptrs[1]}, (const char *){ptrs[0]}, (char *){out})) return -1;")
    w.emit("}")


def _write_threefry_call(w: StepWriter, step: Call) -> None:
    """fnx_threefry2x32 on the contiguous operands; rank-0 ones are broadcast by the
    kernel (bit i of its mask), so a key shared by every counter is never expanded."""
    eqn = step.eqn
    outs = [w.buffer(v, written=True) for v in eqn.out_binders]
    ptrs = [w.buffer(v) for v in step.operands]
    n = math.prod(eqn.out_binders[0].aval.shape)
    if n == 0:
        return
    mask = sum(1 << i for i, v in enumerate(eqn.inputs) if v.aval.ndim == 0)
    args = ", ".join(f"(const char *){p}" for p in ptrs)
    w.emit(f"if ({kernel('fnx_threefry2x32')}({n}, {args}, {mask}, (char *){outs[0]}, "
           f"(char *){outs[1]})) return -1;")


def _write_sort_call(w: StepWriter, step: Call) -> None:
    """Rows of the packed operands (sorted dimension last) ordered by a stable argsort of the
    keys, lexicographic over ``num_keys`` keys: argsort by the last key, then stable re-sorts by
    each earlier key (fnx_argsort is stable; NaN sorts last), then every operand gathered by
    the final permutation -- the eager backend's algorithm, so the results agree exactly."""
    eqn = step.eqn
    outs = step.outputs or eqn.out_binders
    dst = [w.buffer(v, written=True) for v in outs]
    src = [w.buffer(v) for v in step.operands]
    shape = step.operands[0].aval.shape
    n = shape[-1] if shape else 1
    outer = math.prod(shape[:-1]) if shape else 1
    if outer * n == 0:
        return
    nk = eqn.params["num_keys"]
    keys = step.operands[:nk]
    total = outer * n
    alloc, free = kernel("fnx_buffer_alloc"), kernel("fnx_buffer_free")
    argsort, gather = kernel("fnx_argsort"), kernel("fnx_gather")
    w.emit("{")
    w.emit(f"  int64_t *perm = (int64_t *){alloc}({total * 8}), "
           f"*step = (int64_t *){alloc}({total * 8});")
    w.emit(f"  char *key = {alloc}({total * 8 if nk > 1 else 8});")
    w.emit("  int rc = (!perm || !step || !key) ? -3 : 0;")
    last = keys[-1]
    w.emit(f"  if (!rc) rc = {argsort}({DTYPE_CODE[last.aval.dtype]}, {outer}, {n}, "
           f"(const char *){src[nk - 1]}, perm);")
    for k in range(nk - 2, -1, -1):
        isz = keys[k].aval.dtype.itemsize
        w.emit(f"  if (!rc) rc = {gather}({isz}, {DTYPE_CODE[np.dtype(np.int64)]}, {outer}, {n}, 1, "
               f"(const char *){src[k]}, {n}, (const char *)perm, key);")
        w.emit(f"  if (!rc) rc = {argsort}({DTYPE_CODE[keys[k].aval.dtype]}, {outer}, {n}, "
               f"key, step);")
        w.emit(f"  if (!rc) rc = {gather}(8, {DTYPE_CODE[np.dtype(np.int64)]}, {outer}, {n}, 1, "
               f"(const char *)perm, {n}, (const char *)step, key);")
        w.emit(f"  if (!rc) memcpy(perm, key, {total * 8});")
    for s_ptr, d_ptr, v in zip(src, dst, step.operands):
        w.emit(f"  if (!rc) rc = {gather}({v.aval.dtype.itemsize}, "
               f"{DTYPE_CODE[np.dtype(np.int64)]}, {outer}, {n}, 1, (const char *){s_ptr}, "
               f"{n}, (const char *)perm, (char *){d_ptr});")
    w.emit(f"  {free}((char *)perm); {free}((char *)step); {free}(key);")
    w.emit("  if (rc) return -1;")
    w.emit("}")


def _write_decomposition_call(w: StepWriter, step: Call) -> None:
    """One call of the batched decomposition kernel (kernels/cpu/lapack.c) on the contiguous
    operand(s); its outputs are the equation's own, in the primitive's result order."""
    eqn = step.eqn
    outs = [f"(char *){w.buffer(v, written=True)}" for v in eqn.out_binders]
    ins = [f"(const char *){w.buffer(v)}" for v in step.operands]
    if all(math.prod(v.aval.shape) == 0 for v in eqn.out_binders):
        return
    x = eqn.inputs[-1]                      # the matrix operand (b for triangular_solve)
    *batch, m, n = x.aval.shape
    nb = math.prod(batch)
    code = DTYPE_CODE[x.aval.dtype]
    p, prim = eqn.params, eqn.primitive
    if prim is cholesky_p:
        args = [nb, n, ins[0], outs[0]]
    elif prim is triangular_solve_p:
        args = [nb, m, n, ins[0], ins[1], outs[0], int(p["left_side"]), int(p["lower"]),
                triangular_solve_op(p), int(p["unit_diagonal"])]
    elif prim is lu_p:
        args = [nb, m, n, ins[0], *outs]
    elif prim is qr_p:
        args = [nb, m, n, int(p["full_matrices"]), ins[0], *outs]
    elif prim is eigh_p:
        args = [nb, n, int(p["lower"]), ins[0], *outs]
    else:
        uv = p["compute_uv"]
        s, u, vt = outs if uv else (outs[0], "(char *)0", "(char *)0")
        args = [nb, m, n, int(p["full_matrices"]), int(uv), ins[0], s, u, vt]
    name = f"fnx_{prim.name}"
    w.emit(f"if ({kernel(name)}({code}, {', '.join(str(a) for a in args)})) return -1;")


def _write_fft_call(w: StepWriter, step: Call) -> None:
    """One fnx_fft_<kind> call per transformed axis (lax.fft.axis_passes), the last one
    into the output, the others into scratch buffers t0, t1 taken in turn (a kernel's input
    and output never alias; the operand is read only).  A transform of zero points is zeros."""
    eqn = step.eqn
    out = w.buffer(eqn.out_binders[0], written=True)
    (src,) = [w.buffer(v) for v in step.operands]
    out_aval, x_aval = eqn.out_binders[0].aval, step.operands[0].aval
    nbytes = math.prod(out_aval.shape) * out_aval.dtype.itemsize
    if nbytes == 0:
        return
    if 0 in eqn.params["fft_lengths"]:
        w.emit(f"memset({out}, 0, {nbytes});")
        return
    passes = axis_passes(x_aval.shape, eqn.params["fft_type"], eqn.params["fft_lengths"])
    complex_dtype = dtypes.complex_of(x_aval.dtype)
    scratch = max((math.prod(p.shape) * complex_dtype.itemsize for p in passes[:-1]),
                  default=0)
    alloc, free = kernel("fnx_buffer_alloc"), kernel("fnx_buffer_free")
    n_tmp = min(len(passes) - 1, 2)
    w.emit("{")
    for t in range(n_tmp):
        w.emit(f"  char *t{t} = {alloc}({scratch});")
    missing = " || ".join(f"!t{t}" for t in range(n_tmp))
    w.emit(f"  int rc = ({missing}) ? -3 : 0;" if n_tmp else "  int rc = 0;")
    dtype, reads = x_aval.dtype, f"(const char *){src}"
    for i, p in enumerate(passes):
        writes = f"(char *){out}" if i == len(passes) - 1 else f"t{i % 2}"
        inverse = f"{int(p.inverse)}, " if p.kind == "c2c" else ""
        w.emit(f"  if (!rc) rc = {kernel('fnx_fft_' + p.kind)}({DTYPE_CODE[dtype]}, {inverse}"
               f"{p.outer}, {p.n}, {p.inner}, {p.scale!r}, {reads}, {writes});")
        dtype, reads = complex_dtype, writes  # every intermediate is complex
    for t in range(n_tmp):
        w.emit(f"  {free}(t{t});")
    w.emit("  if (rc) return -1;")
    w.emit("}")


# What each library primitive calls: writers of the whole step (their own outputs) ...
_STEP_CALLS = {threefry2x32_p: _write_threefry_call, sort_p: _write_sort_call,
               fft_p: _write_fft_call,
               **{p: _write_decomposition_call for p in (cholesky_p, triangular_solve_p, lu_p,
                                                         qr_p, eigh_p, svd_p)}}
# ... and writers handed the step's output buffer and packed operand pointers.
_CALLS = {dot_general_p: _write_matmul_call, dot_general_epilogue_p: _write_matmul_call,
          argmax_p: _write_argreduce_call, argmin_p: _write_argreduce_call,
          conv_p: _write_conv_call,
          **{p: _write_reduce_window_call for p in _WINDOW_CODES},
          select_and_gather_add_p: _write_select_window_call,
          select_and_scatter_add_p: _write_select_window_call,
          **{p: _write_full_reduce_call for p in REDUCE_PRIMITIVES.values()},
          **{p: _write_cumulative_call for p in _CUMULATIVE_CODES},
          **{p: _write_scatter_call for p in _SCATTER_CODES}}