"""CUDA impls of the reductions, scans, sort, dot_general, gather / scatter and convolution /
windowed-reduction primitives, plus the kernels the jit will call (threefry, fused rows).

Its table ``IMPLS`` is merged into ``fnx.backends.cuda.IMPLS``; the launch helpers and copies
come from cuda_launch.py."""
from __future__ import annotations

import math

import cupy as cp
import numpy as np

from ..lax.conv import (conv_p, reduce_window_max_p, reduce_window_sum_p, select_and_gather_add_p,
                        select_and_scatter_add_p)
from ..lax.elementwise import bitcast_convert_type_p
from ..lax.random_bits import threefry2x32_p
from ..lax import indexing as ix
from ..lax import linalg as la
from ..lax import reduction as rd
from ._layout import index_rows, matmul_operands, outer_n_inner, sort_impl
from .cuda_launch import (_BLOCK, _contiguous, _contiguous_copy, _convert, _fn, _geom_array,
                          _i64, _launch, _sfx, _wrap)
from .device_arrays import CudaArray

IMPLS: dict = {}

# ---------------------------------------------------------------------------------------------
# Reductions over an (outer, n, inner) view
# ---------------------------------------------------------------------------------------------

# Two-pass reductions: a row longer than this, when there are too few rows to fill the GPU,
# is split into chunks of about _CHUNK elements, one block each.
_TWO_PASS_MIN = 1 << 15
_CHUNK = 1 << 13
_FEW_ROWS = 264        # about two blocks per SM of an H100 / H200 (132 SMs)


def _rows_last(c, outer, n, inner):
    """(outer, n, inner) -> (outer * inner, n) rows: when the columns are too narrow for the
    column kernel to coalesce, a transposing copy makes them rows."""
    moved = _contiguous(c.reshape(outer, n, inner).transpose(0, 2, 1))
    return moved, outer * inner


def _accumulator(op: str, dtype):
    dtype = np.dtype(dtype)
    if op in ("sum", "prod"):
        if dtype.kind == "f":
            return np.dtype(np.float64)
        return np.dtype(f"uint{dtype.itemsize * 8}")
    return dtype


def _reduce_rows(op: str, c, rows: int, n: int, out):
    sfx = _sfx(c.dtype)
    if rows < _FEW_ROWS and n >= _TWO_PASS_MIN:
        nchunks = -(-n // _CHUNK)
        chunk = -(-n // nchunks)
        partial = cp.empty((rows, nchunks), _accumulator(op, c.dtype))
        kern = _fn("reduce", f"fnx_reduce_{op}_{sfx}_part")
        kern((min(rows * nchunks, 1 << 20),), (_BLOCK,),
             (_i64(rows), _i64(n), _i64(nchunks), _i64(chunk), c, partial))
        kern = _fn("reduce", f"fnx_reduce_{op}_{sfx}_final")
        kern((min(rows, 1 << 20),), (_BLOCK,),
             (_i64(rows), _i64(nchunks), _i64(1), _i64(nchunks), partial, out))
        return
    kern = _fn("reduce", f"fnx_reduce_{op}_{sfx}")
    kern((min(rows, 1 << 20),), (_BLOCK,), (_i64(rows), _i64(n), _i64(1), _i64(max(n, 1)), c, out))


def _reduce_impl(prim):
    op = prim.name[len("reduce_"):]

    def impl(x, *, axes):
        aval = prim.abstract_eval(x, axes=axes)
        if not axes:
            return _wrap(_contiguous_copy(x._value), aval.weak_type)
        c, outer, n, inner = outer_n_inner(x._value, axes, _contiguous)
        out = cp.empty(aval.shape, aval.dtype)
        if out.size == 0:
            return _wrap(out, aval.weak_type)
        if inner > 1 and inner < 32 and n >= 1024:
            c, outer = _rows_last(c, outer, n, inner)
            inner = 1
        if inner == 1:
            _reduce_rows(op, c, outer, n, out)
        else:
            _launch(_fn("reduce", f"fnx_reduce_cols_{op}_{_sfx(c.dtype)}"), outer * inner,
                    (_i64(outer), _i64(n), _i64(inner), c, out))
        return _wrap(out, aval.weak_type)
    return impl


for _name, _prim in rd.REDUCE_PRIMITIVES.items():
    IMPLS[_name] = _reduce_impl(_prim)


def _argreduce_impl(prim):
    def impl(x, *, axes, index_dtype):
        aval = prim.abstract_eval(x, axes=axes, index_dtype=index_dtype)
        c, outer, n, inner = outer_n_inner(x._value, axes, _contiguous)
        out = cp.empty(aval.shape, aval.dtype)
        if out.size == 0:
            return _wrap(out, aval.weak_type)
        isfx = _sfx(aval.dtype)
        if inner > 1 and inner < 32 and n >= 1024:
            c, outer = _rows_last(c, outer, n, inner)
            inner = 1
        if inner == 1:
            kern = _fn("reduce", f"fnx_{prim.name}_{_sfx(c.dtype)}_{isfx}")
            kern((min(outer, 1 << 20),), (_BLOCK,), (_i64(outer), _i64(n), c, out))
        else:
            _launch(_fn("reduce", f"fnx_{prim.name}_cols_{_sfx(c.dtype)}_{isfx}"), outer * inner,
                    (_i64(outer), _i64(n), _i64(inner), c, out))
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["argmax"] = _argreduce_impl(rd.argmax_p)
IMPLS["argmin"] = _argreduce_impl(rd.argmin_p)


def _cumulative_impl(prim):
    def impl(x, *, axis, reverse):
        aval = prim.abstract_eval(x, axis=axis, reverse=reverse)
        c, outer, n, inner = outer_n_inner(x._value, (axis,), _contiguous)
        out = cp.empty(aval.shape, aval.dtype)
        _launch(_fn("scan", f"fnx_{prim.name}_{_sfx(c.dtype)}"), outer * inner,
                (_i64(outer), _i64(n), _i64(inner), np.int32(bool(reverse)), c, out))
        return _wrap(out, aval.weak_type)
    return impl


for _name, _prim in rd.CUMULATIVE_PRIMITIVES.items():
    IMPLS[_name] = _cumulative_impl(_prim)

# ---------------------------------------------------------------------------------------------
# Sort: stable argsort of rows (bitonic over (key, index) pairs), then gathers
# ---------------------------------------------------------------------------------------------

_SORT_SMALL = 2048


def _argsort_rows(keys):
    """Stable ascending argsort (NaN last) of each row of a C-contiguous (outer, n) array."""
    outer, n = keys.shape
    perm = cp.empty((outer, n), np.int64)
    if perm.size == 0:
        return perm
    sfx = _sfx(keys.dtype)
    p = 1 << max(0, (n - 1).bit_length())
    if p <= _SORT_SMALL:
        block = min(1024, max(32, p))
        _fn("sort", f"fnx_argsort_small_{sfx}")((min(outer, 1 << 20),), (block,),
                                                (_i64(outer), _i64(n), np.int32(p), keys, perm))
        return perm
    kbuf = cp.empty((outer, p), keys.dtype)
    ibuf = cp.empty((outer, p), np.int64)
    total = outer * p
    _launch(_fn("sort", f"fnx_argsort_init_{sfx}"), total,
            (_i64(outer), _i64(n), _i64(p), keys, kbuf, ibuf))
    step = _fn("sort", f"fnx_argsort_step_{sfx}")
    k = 2
    while k <= p:
        j = k >> 1
        while j > 0:
            _launch(step, total, (_i64(outer), _i64(n), _i64(p), _i64(j), _i64(k), kbuf, ibuf))
            j >>= 1
        k <<= 1
    return _contiguous(ibuf[:, :n])


def _take_rows(v, perm):
    """out[o, j] = v[o, perm[o, j]] for C-contiguous (outer, n) arrays (the gather kernel with
    one column per index)."""
    out = cp.empty(v.shape, v.dtype)
    outer, n = v.shape
    _launch(_fn("indexing", f"fnx_gather_{v.itemsize}_i64"), out.size,
            (_i64(outer), _i64(n), _i64(1), _i64(n), v, perm, out))
    return out


IMPLS["sort"] = sort_impl(wrap=CudaArray, contiguous=_contiguous,
                          contiguous_copy=_contiguous_copy, argsort_rows=_argsort_rows,
                          take_rows=_take_rows)

# ---------------------------------------------------------------------------------------------
# dot_general: batched tiled GEMM
# ---------------------------------------------------------------------------------------------

# (BM, BN) of FnxTile in kernels/cuda/fnx_gemm.cuh
_GEMM_TILE = {"f32": (128, 128), "i32": (128, 128), "f64": (64, 64), "i64": (64, 64),
              "c64": (64, 64), "c128": (64, 64)}
_MAX_GRID_Z = 65535


def _gemm(a, b, out):
    """out[z] = a[z] @ b[z] for contiguous (batch, m, k), (batch, k, n), (batch, m, n)."""
    batch, m, k = a.shape
    n = b.shape[2]
    if out.size == 0:
        return
    sfx = _sfx(out.dtype)
    bm, bn = _GEMM_TILE[sfx]
    kern = _fn("gemm", f"fnx_gemm_{sfx}")
    for z0 in range(0, batch, _MAX_GRID_Z):
        z1 = min(batch, z0 + _MAX_GRID_Z)
        kern((-(-m // bm), -(-n // bn), z1 - z0), (256,),
             (_i64(m), _i64(n), _i64(k), a[z0:z1], b[z0:z1], out[z0:z1]))


def _dot_general_impl(lhs, rhs, *, dimension_numbers, preferred_element_type):
    aval = la.dot_general_p.abstract_eval(lhs, rhs, dimension_numbers=dimension_numbers,
                                          preferred_element_type=preferred_element_type)
    a, b, (batch, m, _, n) = matmul_operands(lhs._value, rhs._value, dimension_numbers,
                                             _contiguous)
    out = cp.empty((batch, m, n), aval.dtype)
    _gemm(a, b, out)
    return _wrap(out.reshape(aval.shape), aval.weak_type)


IMPLS["dot_general"] = _dot_general_impl

# ---------------------------------------------------------------------------------------------
# gather / scatter
# ---------------------------------------------------------------------------------------------

_SCATTER_MODES = {"scatter": "set", "scatter-add": "add", "scatter-mul": "mul",
                  "scatter-min": "min", "scatter-max": "max"}
_ATOMIC_ADD = frozenset(("f32", "f64", "i32", "i64", "u32", "c64", "c128"))
# scatter-add runs as atomics (every update element in parallel) from this many update elements
# on; smaller ones take the ordered kernel, which is deterministic and sums in the CPU's order.
_ATOMIC_MIN = 1 << 16


def _gather_impl(operand, indices, *, batch_dims):
    aval = ix.gather_p.abstract_eval(operand, indices, batch_dims=batch_dims)
    ov = _contiguous(operand._value)
    nb = math.prod(ov.shape[:batch_dims])
    d = ov.shape[batch_dims]
    nr = math.prod(ov.shape[batch_dims + 1:])
    idx = index_rows(indices._value, nb, _convert, _contiguous)
    if d == 0:
        return _wrap(cp.zeros(aval.shape, aval.dtype), aval.weak_type)
    out = cp.empty(aval.shape, aval.dtype)
    ni = idx.shape[1]
    _launch(_fn("indexing", f"fnx_gather_{ov.itemsize}_{_sfx(idx.dtype)}"), nb * ni * nr,
            (_i64(nb), _i64(d), _i64(nr), _i64(ni), ov, idx, out))
    return _wrap(out, aval.weak_type)


def _scatter_impl(prim):
    mode = _SCATTER_MODES[prim.name]

    def impl(operand, indices, updates, *, batch_dims):
        aval = prim.abstract_eval(operand, indices, updates, batch_dims=batch_dims)
        out = _contiguous_copy(operand._value)
        nb = math.prod(out.shape[:batch_dims])
        d = out.shape[batch_dims]
        nr = math.prod(out.shape[batch_dims + 1:])
        idx = index_rows(indices._value, nb, _convert, _contiguous)
        upd = _contiguous(updates._value)
        if upd.size == 0 or d == 0:
            return _wrap(out, aval.weak_type)
        ni = idx.shape[1]
        sfx, isfx = _sfx(out.dtype), _sfx(idx.dtype)
        args = (_i64(nb), _i64(d), _i64(nr), _i64(ni), out, idx, upd)
        if mode == "add" and sfx in _ATOMIC_ADD and upd.size >= _ATOMIC_MIN:
            _launch(_fn("indexing", f"fnx_scatter_add_atomic_{sfx}_{isfx}"), nb * ni * nr, args)
        else:
            _launch(_fn("indexing", f"fnx_scatter_{mode}_{sfx}_{isfx}"), nb * nr, args)
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["gather"] = _gather_impl
for _name, _prim in ix.SCATTER_PRIMITIVES.items():
    IMPLS[_name] = _scatter_impl(_prim)

# ---------------------------------------------------------------------------------------------
# Convolution (implicit GEMM), windowed reductions, max-window selections
# ---------------------------------------------------------------------------------------------


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               feature_group_count):
    aval = conv_p.abstract_eval(lhs, rhs, window_strides=window_strides, padding=padding,
                                   lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                                   feature_group_count=feature_group_count)
    out = cp.empty(aval.shape, aval.dtype)
    if out.size == 0:
        return _wrap(out, aval.weak_type)
    x, f = _contiguous(lhs._value), _contiguous(rhs._value)
    n, h, w, c = x.shape
    kh, kw, cg, o = f.shape
    groups = feature_group_count
    oh, ow = aval.shape[1], aval.shape[2]
    og = o // groups
    geom = _geom_array((h, w, c, kh, kw, cg, oh, ow, o, og, window_strides[0],
                        window_strides[1], padding[0][0], padding[1][0], lhs_dilation[0],
                        lhs_dilation[1], rhs_dilation[0], rhs_dilation[1]))
    sfx = _sfx(aval.dtype)
    bm, bn = _GEMM_TILE[sfx]
    rows = n * oh * ow
    _fn("conv", f"fnx_conv2d_{sfx}")((-(-rows // bm), -(-og // bn), groups), (256,),
                                     (_i64(rows), geom, x, f, out))
    return _wrap(out, aval.weak_type)


def _window_geometry(shape, window_dimensions, window_strides, padding, out_shape):
    """(nd, g, nout, nwin, inner): trailing dimensions the window leaves alone run as one
    contiguous inner vector (as in the CPU backend)."""
    nd = len(shape)
    while nd and window_dimensions[nd - 1] == 1 and window_strides[nd - 1] == 1 \
            and padding[nd - 1] == (0, 0):
        nd -= 1
    inner = math.prod(shape[nd:])
    if nd == 0:
        nd, shape, out_shape = 1, (1,) + tuple(shape), (1,) + tuple(out_shape)
        window_dimensions, window_strides, padding = (1,), (1,), ((0, 0),)
    g = _geom_array(tuple(shape[:nd]) + tuple(out_shape[:nd]) + tuple(window_dimensions[:nd])
                    + tuple(window_strides[:nd]) + tuple(p[0] for p in padding[:nd]))
    return (np.int32(nd), g, math.prod(out_shape[:nd]), math.prod(window_dimensions[:nd]),
            inner)


def _reduce_window_impl(prim, op):
    def impl(x, *, window_dimensions, window_strides, padding):
        aval = prim.abstract_eval(x, window_dimensions=window_dimensions,
                                  window_strides=window_strides, padding=padding)
        out = cp.empty(aval.shape, aval.dtype)
        if out.size == 0:
            return _wrap(out, aval.weak_type)
        v = _contiguous(x._value)
        nd, g, nout, nwin, inner = _window_geometry(v.shape, window_dimensions, window_strides,
                                                    padding, aval.shape)
        _launch(_fn("conv", f"fnx_reduce_window_{op}_{_sfx(v.dtype)}"), nout * inner,
                (nd, _i64(nout), _i64(nwin), _i64(inner), g, v, out))
        return _wrap(out, aval.weak_type)
    return impl


def _select_impl(prim, op):
    def impl(source, operand, *, window_dimensions, window_strides, padding):
        aval = prim.abstract_eval(source, operand, window_dimensions=window_dimensions,
                                  window_strides=window_strides, padding=padding)
        scatter = op == "scatter"
        out = (cp.zeros if scatter else cp.empty)(aval.shape, aval.dtype)
        if out.size == 0:
            return _wrap(out, aval.weak_type)
        x, src = _contiguous(operand._value), _contiguous(source._value)
        pooled = src.shape if scatter else aval.shape
        nd, g, nout, nwin, inner = _window_geometry(x.shape, window_dimensions, window_strides,
                                                    padding, pooled)
        _launch(_fn("conv", f"fnx_select_{op}_{_sfx(x.dtype)}"), nout * inner,
                (nd, _i64(nout), _i64(nwin), _i64(inner), g, x, src, out))
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["conv_general_dilated"] = _conv_impl
IMPLS["reduce_window_sum"] = _reduce_window_impl(reduce_window_sum_p, "sum")
IMPLS["reduce_window_max"] = _reduce_window_impl(reduce_window_max_p, "max")
IMPLS["select_and_gather_add"] = _select_impl(select_and_gather_add_p, "gather")
IMPLS["select_and_scatter_add"] = _select_impl(select_and_scatter_add_p, "scatter")

# ---------------------------------------------------------------------------------------------
# Kernels with no primitive yet (for fnx.random and the jit's row fusion)
# ---------------------------------------------------------------------------------------------


def threefry2x32(k0, k1, x0, x1):
    """threefry2x32-20 of uint32 cupy arrays: counters (x0, x1) under keys (k0, k1) (keys of
    size 1 apply to every counter).  Returns (y0, y1)."""
    x0, x1 = (_contiguous(cp.asarray(a, dtype=np.uint32)) for a in (x0, x1))
    k0, k1 = (_contiguous(cp.asarray(a, dtype=np.uint32)) for a in (k0, k1))
    n = x0.size
    key_stride = 0 if k0.size == 1 else 1
    y0, y1 = cp.empty(x0.shape, np.uint32), cp.empty(x0.shape, np.uint32)
    _launch(_fn("random", "fnx_threefry2x32"), n,
            (_i64(n), _i64(key_stride), k0, k1, x0, x1, y0, y1))
    return y0, y1


def _threefry2x32_impl(k0, k1, x0, x1):
    """The primitive: operands of one shape, or rank 0 (broadcast); outputs of that shape."""
    out_aval = threefry2x32_p.abstract_eval(k0, k1, x0, x1)[0]
    shape = tuple(out_aval.shape)
    k0v, k1v, x0v, x1v = (a._value for a in (k0, k1, x0, x1))
    if k0v.ndim and k1v.ndim == 0:
        k1v = cp.broadcast_to(k1v, shape)
    if k1v.ndim and k0v.ndim == 0:
        k0v = cp.broadcast_to(k0v, shape)
    # keys of size 1 are applied to every counter by the kernel; counters are expanded
    x0v, x1v = (_contiguous(cp.broadcast_to(v, shape)) for v in (x0v, x1v))
    y0, y1 = threefry2x32(k0v.reshape(-1) if k0v.ndim else k0v.reshape(1),
                          k1v.reshape(-1) if k1v.ndim else k1v.reshape(1), x0v, x1v)
    return [_wrap(y0.reshape(shape)), _wrap(y1.reshape(shape))]


def _bitcast_convert_type_impl(x, *, new_dtype):
    aval = bitcast_convert_type_p.abstract_eval(x, new_dtype=new_dtype)
    return _wrap(_contiguous_copy(x._value).view(aval.dtype), aval.weak_type)


IMPLS["threefry2x32"] = _threefry2x32_impl
IMPLS["bitcast_convert_type"] = _bitcast_convert_type_impl


def softmax_rows(x, *, log: bool = False):
    """Row softmax (or log_softmax) of a 2-d float cupy array, one block per row."""
    x = _contiguous(x)
    rows, n = x.shape
    y = cp.empty_like(x)
    if y.size:
        _fn("softmax", f"fnx_softmax_rows_{_sfx(x.dtype)}")(
            (min(rows, 1 << 20),), (_BLOCK,), (_i64(rows), _i64(n), np.int32(log), x, y))
    return y


def layernorm_rows(x, gamma=None, beta=None, *, eps: float = 1e-5):
    """Row layer norm of a 2-d float cupy array: (x - mean) / sqrt(var + eps) * gamma + beta."""
    x = _contiguous(x)
    rows, n = x.shape
    y = cp.empty_like(x)
    null = np.uint64(0)  # a null pointer argument
    g = _contiguous(gamma) if gamma is not None else null
    b = _contiguous(beta) if beta is not None else null
    if y.size:
        _fn("softmax", f"fnx_layernorm_rows_{_sfx(x.dtype)}")(
            (min(rows, 1 << 20),), (_BLOCK,), (_i64(rows), _i64(n), np.float64(eps), x, g, b, y))
    return y


del _name, _prim
