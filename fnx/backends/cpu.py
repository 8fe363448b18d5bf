"""The CPU backend: every primitive runs a hand-written C kernel (kernels/cpu) through cffi.

numpy owns the buffers (``Array._value``) and computes *views* -- layout-only results such as
transpose, broadcast, slice and rev are strided views of their operand's buffer (the impls are
shared with the CUDA backend: ``_layout.layout_impls``), and the C kernels take byte strides, so
they cost no copy.  Everything that computes values calls C, through ``cpu_ffi`` (the loaded
library and the buffer helpers).  This module holds the elementwise, reduction, sort and
gather / scatter impls and the backend's table ``IMPLS``, merged with those of ``cpu_conv``
(convolution, windowed reductions), ``cpu_linalg`` (dot_general), ``cpu_decomp`` (the
decompositions) and ``cpu_fft`` (the FFT).

Kernels validate nothing: each impl checks shapes/dtypes before the call (cheaply on the hot
path; via the primitive's abstract-eval rule, which raises fnx's clear errors, otherwise).
"""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..core import Array
from ..errors import FnxError
from ..lax import elementwise as ew
from ..lax import indexing as ix
from ..lax import reduction as rd
from ..lax import shape as sh
from . import cpu_conv, cpu_decomp, cpu_fft, cpu_linalg
from ._layout import index_rows, layout_impls, outer_n_inner, sort_impl
from .cpu_ffi import (_DTYPE_CODE, _POOL_MIN_BYTES, _broadcast_view, _check, _contig_ptr,
                      _contiguous, _contiguous_copy, _copy_into, _empty, _i64, _pooled_empty,
                      _ptr, _result, _wrap, ffi, lib)

IMPLS: dict = {}

_BOOL = dtypes.bool_


def buffer_cache_bytes() -> int:
    """Bytes held by the large-buffer cache (for tests and diagnostics)."""
    return lib.fnx_buffer_cache_bytes()


def clear_buffer_cache() -> None:
    lib.fnx_buffer_cache_clear()


# ---------------------------------------------------------------------------------------------
# Elementwise
# ---------------------------------------------------------------------------------------------

def _op_codes(primitives) -> dict:
    """{primitive name: its kernel op code}: the enum constant FNX_<NAME> of fnx_kernels.h,
    which numbers the ops of kernels/common/fnx_ops.h's lists (and a few fixed ones)."""
    codes = {}
    for name in primitives:
        code = getattr(lib, "FNX_" + name.upper(), None)
        if code is None:
            raise FnxError(f"fnx's C kernels have no op code FNX_{name.upper()} for the lax "
                           f"primitive {name!r}: add it to kernels/common/fnx_ops.h (see "
                           "docs/architecture.md, section 3) and rebuild (python build_kernels.py)")
        codes[name] = code
    return codes


_UNARY_CODES = _op_codes(ew.UNARY_PRIMITIVES)


def _run_unary(prim, code: int, x: Array, out_dtype, param: int, weak: bool) -> Array:
    v = x._value
    out = (np.empty if v.nbytes < _POOL_MIN_BYTES else _pooled_empty)(v.shape, out_dtype)
    po = ffi.from_buffer(out)
    px = _contig_ptr(x)
    if px is not False:
        rc = lib.fnx_unary_contig(code, _DTYPE_CODE[v.dtype], v.size, px, po, param)
    else:
        nd = v.ndim
        dims = _i64(v.shape + v.strides + out.strides)
        rc = lib.fnx_unary(code, _DTYPE_CODE[v.dtype], nd, dims, _ptr(v), dims + nd, po,
                           dims + 2 * nd, param)
    if rc:
        prim.abstract_eval(x)  # raises the precise dtype error when there is one
        _check(rc, prim.name, x)
    return _result(out, po, weak)


def _unary_impl(prim, code: int):
    bool_out = prim.name == "is_finite"
    real_out = prim.name in ("abs", "real", "imag")  # of a complex operand: its real dtype

    def impl(x):
        v = x._value
        if bool_out:
            return _run_unary(prim, code, x, _BOOL, 0, False)
        out_dtype = dtypes.real_of(v.dtype) if real_out else v.dtype
        return _run_unary(prim, code, x, out_dtype, 0, x.weak_type)
    return impl


for _name, _code in _UNARY_CODES.items():
    IMPLS[_name] = _unary_impl(ew.UNARY_PRIMITIVES[_name], _code)


def _round_impl(x, *, rounding_method):
    code = lib.FNX_ROUND_EVEN if rounding_method == 1 else lib.FNX_ROUND_AWAY
    return _run_unary(ew.round_p, code, x, x._value.dtype, 0, x.weak_type)


def _integer_pow_impl(x, *, y):
    return _run_unary(ew.integer_pow_p, lib.FNX_INTEGER_POW, x, x._value.dtype,
                      ew.kernel_exponent(y, x._value.dtype), x.weak_type)


IMPLS["round"] = _round_impl
IMPLS["integer_pow"] = _integer_pow_impl

_BINARY_CODES = _op_codes(ew.BINARY_PRIMITIVES)
_COMPARISONS = frozenset(("eq", "ne", "lt", "le", "gt", "ge"))


def _binary_general(prim, code: int, bool_out: bool, x: Array, y: Array) -> Array:
    """Broadcast scalars, strided operands, and every error case."""
    aval = prim.abstract_eval(x, y)  # raises the shape/dtype error if there is one
    xv, yv = _broadcast_view(x._value, aval.shape), _broadcast_view(y._value, aval.shape)
    out = _empty(aval.shape, aval.dtype)
    po = ffi.from_buffer(out)
    nd = out.ndim
    dims = _i64(out.shape + xv.strides + yv.strides + out.strides)  # one allocation for four
    rc = lib.fnx_binary(code, _DTYPE_CODE[xv.dtype], nd, dims, _ptr(xv), dims + nd, _ptr(yv),
                        dims + 2 * nd, po, dims + 3 * nd)
    _check(rc, prim.name, x, y)
    return _result(out, po, aval.weak_type)


def _binary_impl(prim, code: int):
    bool_out = prim.name in _COMPARISONS
    complex_out = prim.name == "complex"  # two floats make one complex

    def impl(x, y):
        # The hot paths: contiguous operands of one dtype, of one shape or one of them a
        # scalar (``x * 2.0``).  No checks beyond these; anything else takes the general path.
        xv, yv = x._value, y._value
        px, py = _contig_ptr(x), _contig_ptr(y)
        if px is not False and py is not False and xv.dtype == yv.dtype:
            xs, ys = xv.shape, yv.shape
            if xs == ys:
                out = (np.empty if xv.nbytes < _POOL_MIN_BYTES else _pooled_empty)(
                    xs, _BOOL if bool_out else
                    dtypes.complex_of(xv.dtype) if complex_out else xv.dtype)
                po = ffi.from_buffer(out)
                rc = lib.fnx_binary_contig(code, _DTYPE_CODE[xv.dtype], xv.size, px, py, po)
            elif not ys or not xs:
                out = _empty(xs or ys, _BOOL if bool_out else
                             dtypes.complex_of(xv.dtype) if complex_out else xv.dtype)
                po = ffi.from_buffer(out)
                rc = lib.fnx_binary_scalar(code, _DTYPE_CODE[xv.dtype], out.size, px, py, po,
                                           0 if not xs else 1)
            else:
                rc = 1
            if rc == 0:
                return _result(out, po, x.weak_type and y.weak_type and not bool_out)
        return _binary_general(prim, code, bool_out, x, y)
    return impl


for _name, _code in _BINARY_CODES.items():
    IMPLS[_name] = _binary_impl(ew.BINARY_PRIMITIVES[_name], _code)


def _select_bool(pred: np.ndarray, on_false: np.ndarray, on_true: np.ndarray) -> np.ndarray:
    out = _empty(on_true.shape, on_true.dtype)
    if out.size:
        pred = _broadcast_view(pred, out.shape)
        rc = lib.fnx_select(out.dtype.itemsize, out.ndim, _i64(out.shape), _ptr(pred),
                            _i64(pred.strides), _ptr(on_false), _i64(on_false.strides),
                            _ptr(on_true), _i64(on_true.strides), ffi.from_buffer(out),
                            _i64(out.strides))
        _check(rc, "select_n", on_true)
    return out


def _compare_scalar(code, v: np.ndarray, scalar) -> np.ndarray:
    """v (op) scalar -> bool array, with the scalar broadcast by a 0 stride."""
    s = np.array(scalar, dtype=v.dtype)
    out = _empty(v.shape, _BOOL)
    if out.size:
        rc = lib.fnx_binary(code, _DTYPE_CODE[v.dtype], v.ndim, _i64(v.shape), _ptr(v),
                            _i64(v.strides), ffi.from_buffer(s), _i64((0,) * v.ndim),
                            ffi.from_buffer(out), _i64(out.strides))
        _check(rc, "compare", v)
    return out


def _select_n_impl(which, *cases):
    aval = ew.select_n_p.abstract_eval(which, *cases)
    vals = [c._value for c in cases]
    if len(vals) == 1:
        return _wrap(_contiguous_copy(vals[0]), aval.weak_type)
    w = which._value
    if w.dtype == _BOOL:
        return _wrap(_select_bool(w, vals[0], vals[1]), aval.weak_type)
    # int32 `which`: out-of-range values are clamped (case 0 below, the last case above).
    result = vals[0]
    w = _broadcast_view(w, result.shape)
    for k in range(1, len(vals)):
        result = _select_bool(_compare_scalar(lib.FNX_GE, w, k), result, vals[k])
    return _wrap(result, aval.weak_type)


IMPLS["select_n"] = _select_n_impl


def _clamp_impl(lo, x, hi):
    aval = ew.clamp_p.abstract_eval(lo, x, hi)
    xv = x._value
    lv, hv = _broadcast_view(lo._value, xv.shape), _broadcast_view(hi._value, xv.shape)
    out = _empty(xv.shape, xv.dtype)
    if out.size:
        rc = lib.fnx_clamp(_DTYPE_CODE[xv.dtype], xv.ndim, _i64(xv.shape), _ptr(lv),
                           _i64(lv.strides), _ptr(xv), _i64(xv.strides), _ptr(hv),
                           _i64(hv.strides), ffi.from_buffer(out), _i64(out.strides))
        _check(rc, "clamp", lo, x, hi)
    return _wrap(out, aval.weak_type)


IMPLS["clamp"] = _clamp_impl


def _convert(v: np.ndarray, new_dtype) -> np.ndarray:
    out = _empty(v.shape, new_dtype)
    if out.size:
        rc = lib.fnx_convert(_DTYPE_CODE[v.dtype], _DTYPE_CODE[out.dtype], v.ndim, _i64(v.shape),
                             _ptr(v), _i64(v.strides), ffi.from_buffer(out), _i64(out.strides))
        _check(rc, "convert_element_type", v)
    return out


def _convert_element_type_impl(x, *, new_dtype, weak_type):
    return _wrap(_convert(x._value, new_dtype), weak_type)


IMPLS["convert_element_type"] = _convert_element_type_impl


def _bitcast_convert_type_impl(x, *, new_dtype):
    v = x._value
    out = _empty(v.shape, new_dtype)
    if out.size:  # a raw strided copy of the items, read back as the new dtype
        rc = lib.fnx_copy(v.dtype.itemsize, v.ndim, _i64(v.shape), _ptr(v), _i64(v.strides),
                          ffi.from_buffer(out), _i64(out.strides))
        _check(rc, "bitcast_convert_type", v)
    return _wrap(out, False)


IMPLS["bitcast_convert_type"] = _bitcast_convert_type_impl


def _threefry2x32_impl(k0, k1, x0, x1):
    vals = [_contiguous(a._value) for a in (k0, k1, x0, x1)]
    shape = next((v.shape for v in vals if v.ndim), ())
    outs = [_empty(shape, dtypes.uint32) for _ in range(2)]
    mask = sum(1 << i for i, v in enumerate(vals) if v.ndim == 0)
    n = math.prod(shape)
    if n:
        rc = lib.fnx_threefry2x32(n, *[ffi.from_buffer(v) for v in vals], mask,
                                  *[ffi.from_buffer(o) for o in outs])
        _check(rc, "threefry2x32", *vals)
    return [_wrap(o) for o in outs]


IMPLS["threefry2x32"] = _threefry2x32_impl
IMPLS["stop_gradient"] = lambda x: x  # the identity (arrays are immutable: no copy needed)

# ---------------------------------------------------------------------------------------------
# Shape primitives: views where possible
# ---------------------------------------------------------------------------------------------


# Broadcasts up to this many elements are materialised: a small contiguous array takes the
# kernels' fast path in every later op, while a large broadcast stays a zero-copy stride-0 view
# (writing it out would cost more memory traffic than the strided kernels lose).
_MATERIALIZE_BROADCAST_MAX = 1 << 14


def _broadcast_to(v: np.ndarray, expanded, shape) -> np.ndarray:
    view = np.broadcast_to(v.reshape(expanded), shape)
    if view.size <= _MATERIALIZE_BROADCAST_MAX:
        return _contiguous(view)
    return view


def _fill(out: np.ndarray, value: np.ndarray) -> None:
    if out.size:
        value = np.ascontiguousarray(value, dtype=out.dtype)
        rc = lib.fnx_fill(out.dtype.itemsize, out.size, ffi.from_buffer(value),
                          ffi.from_buffer(out))
        _check(rc, "fill", value)


def _iota_impl(*, dtype, shape, dimension):
    sh.iota_p.abstract_eval(dtype=dtype, shape=shape, dimension=dimension)
    line = _empty((shape[dimension],), dtype)
    rc = lib.fnx_iota(_DTYPE_CODE[dtype], line.size, ffi.from_buffer(line))
    _check(rc, "iota", line)
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return _wrap(_broadcast_to(line, expanded, shape))


IMPLS.update(layout_impls(wrap=Array, empty=_empty, contiguous=_contiguous,
                         contiguous_copy=_contiguous_copy, copy_into=_copy_into, fill=_fill,
                         broadcast=_broadcast_to))
IMPLS["iota"] = _iota_impl

# ---------------------------------------------------------------------------------------------
# Reductions, scans and sort over an (outer, n, inner) view
# ---------------------------------------------------------------------------------------------

_REDUCE_CODES = {
    "reduce_sum": lib.FNX_RED_SUM, "reduce_prod": lib.FNX_RED_PROD,
    "reduce_max": lib.FNX_RED_MAX, "reduce_min": lib.FNX_RED_MIN,
    "reduce_and": lib.FNX_RED_AND, "reduce_or": lib.FNX_RED_OR,
    "argmax": lib.FNX_RED_ARGMAX, "argmin": lib.FNX_RED_ARGMIN,
}


def _reduce_impl(prim, code: int):
    """Reductions and argmax/argmin (whose extra param ``index_dtype`` picks the output type)."""
    def impl(x, *, axes, **params):
        aval = prim.abstract_eval(x, axes=axes, **params)
        if not axes:  # reducing over no axes is the identity
            return _wrap(_contiguous_copy(x._value), aval.weak_type)
        c, outer, n, inner = outer_n_inner(x._value, axes, _contiguous)
        out = _empty(aval.shape, aval.dtype)
        if out.size:
            index_code = _DTYPE_CODE[params.get("index_dtype", dtypes.int32)]
            rc = lib.fnx_reduce(code, _DTYPE_CODE[c.dtype], index_code, outer, n, inner,
                                ffi.from_buffer(c), ffi.from_buffer(out))
            _check(rc, prim.name, x)
        return _wrap(out, aval.weak_type)
    return impl


for _name, _prim in rd.REDUCE_PRIMITIVES.items():
    IMPLS[_name] = _reduce_impl(_prim, _REDUCE_CODES[_name])
IMPLS["argmax"] = _reduce_impl(rd.argmax_p, lib.FNX_RED_ARGMAX)
IMPLS["argmin"] = _reduce_impl(rd.argmin_p, lib.FNX_RED_ARGMIN)

_CUMULATIVE_CODES = {"cumsum": lib.FNX_CUM_SUM, "cumprod": lib.FNX_CUM_PROD,
                     "cummax": lib.FNX_CUM_MAX, "cummin": lib.FNX_CUM_MIN}


def _cumulative_impl(prim, code: int):
    def impl(x, *, axis, reverse):
        aval = prim.abstract_eval(x, axis=axis, reverse=reverse)
        c, outer, n, inner = outer_n_inner(x._value, (axis,), _contiguous)
        out = _empty(aval.shape, aval.dtype)
        if out.size:
            rc = lib.fnx_cumulative(code, _DTYPE_CODE[c.dtype], int(reverse), outer, n, inner,
                                    ffi.from_buffer(c), ffi.from_buffer(out))
            _check(rc, prim.name, x)
        return _wrap(out, aval.weak_type)
    return impl


for _name, _prim in rd.CUMULATIVE_PRIMITIVES.items():
    IMPLS[_name] = _cumulative_impl(_prim, _CUMULATIVE_CODES[_name])


def _argsort_rows(keys: np.ndarray) -> np.ndarray:
    """Stable ascending argsort (NaN last) of each row of a C-contiguous (outer, n) array."""
    perm = _empty(keys.shape, np.int64)
    if perm.size:
        rc = lib.fnx_argsort(_DTYPE_CODE[keys.dtype], keys.shape[0], keys.shape[1],
                             ffi.from_buffer(keys), ffi.cast("int64_t *", ffi.from_buffer(perm)))
        _check(rc, "sort", keys)
    return perm


def _take_rows(v: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """out[o, j] = v[o, perm[o, j]] for C-contiguous (outer, n) arrays."""
    out = _empty(v.shape, v.dtype)
    if out.size:
        outer, n = v.shape
        rc = lib.fnx_gather(v.dtype.itemsize, lib.FNX_INT64, outer, n, 1, ffi.from_buffer(v), n,
                            ffi.from_buffer(perm), ffi.from_buffer(out))
        _check(rc, "sort", v)
    return out


IMPLS["sort"] = sort_impl(wrap=Array, contiguous=_contiguous,
                          contiguous_copy=_contiguous_copy, argsort_rows=_argsort_rows,
                          take_rows=_take_rows)

# ---------------------------------------------------------------------------------------------
# gather / scatter
# ---------------------------------------------------------------------------------------------

_INDEX_CODES = {dtypes.int32: lib.FNX_INT32, dtypes.int64: lib.FNX_INT64}
_SCATTER_CODES = {"scatter": lib.FNX_SCATTER_SET, "scatter-add": lib.FNX_SCATTER_ADD,
                  "scatter-mul": lib.FNX_SCATTER_MUL, "scatter-min": lib.FNX_SCATTER_MIN,
                  "scatter-max": lib.FNX_SCATTER_MAX}


def _gather_impl(operand, indices, *, batch_dims):
    aval = ix.gather_p.abstract_eval(operand, indices, batch_dims=batch_dims)
    ov = _contiguous(operand._value)
    nb = math.prod(ov.shape[:batch_dims])
    d = ov.shape[batch_dims]
    nr = math.prod(ov.shape[batch_dims + 1:])
    idx = index_rows(indices._value, nb, _convert, _contiguous)
    out = _empty(aval.shape, aval.dtype)
    if out.size:
        rc = lib.fnx_gather(ov.dtype.itemsize, _INDEX_CODES[idx.dtype], nb, d, nr,
                            ffi.from_buffer(ov), idx.shape[1], ffi.from_buffer(idx),
                            ffi.from_buffer(out))
        _check(rc, "gather", operand, indices)
    return _wrap(out, aval.weak_type)


def _scatter_impl(prim, code: int):
    def impl(operand, indices, updates, *, batch_dims):
        aval = prim.abstract_eval(operand, indices, updates, batch_dims=batch_dims)
        out = _contiguous_copy(operand._value)
        nb = math.prod(out.shape[:batch_dims])
        d = out.shape[batch_dims]
        nr = math.prod(out.shape[batch_dims + 1:])
        idx = index_rows(indices._value, nb, _convert, _contiguous)
        upd = _contiguous(updates._value)
        if upd.size:
            rc = lib.fnx_scatter(code, _DTYPE_CODE[out.dtype], _INDEX_CODES[idx.dtype], nb, d,
                                 nr, ffi.from_buffer(out), idx.shape[1], ffi.from_buffer(idx),
                                 ffi.from_buffer(upd))
            _check(rc, prim.name, operand, indices, updates)
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["gather"] = _gather_impl
for _name, _prim in ix.SCATTER_PRIMITIVES.items():
    IMPLS[_name] = _scatter_impl(_prim, _SCATTER_CODES[_name])


# ---------------------------------------------------------------------------------------------
# Host helpers used by fnx.numpy on concrete arrays
# ---------------------------------------------------------------------------------------------

def flatnonzero(mask: np.ndarray) -> np.ndarray:
    """Positions of the true elements of a bool array (row-major), computed in C."""
    m = _contiguous(np.asarray(mask, dtype=_BOOL) if mask.dtype != _BOOL else mask)
    count = lib.fnx_count_nonzero(m.size, ffi.from_buffer(m))
    out = _empty((count,), np.int64)
    if count:
        rc = lib.fnx_flatnonzero(m.size, ffi.from_buffer(m), ffi.cast("int64_t *",
                                                                      ffi.from_buffer(out)))
        _check(rc, "nonzero", m)
    return out


del _name, _code, _prim
IMPLS.update(cpu_conv.IMPLS)
IMPLS.update(cpu_linalg.IMPLS)
IMPLS.update(cpu_decomp.IMPLS)
IMPLS.update(cpu_fft.IMPLS)
