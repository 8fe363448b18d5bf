"""The CUDA backend: every primitive runs a hand-written kernel of kernels/cuda through CuPy.

This module, cuda_transfer.py (devices and transfers), cuda_launch.py (compiling, launching,
copies), cuda_ops.py (reductions, sort, dot_general, gather / scatter, convolution) and
cuda_jit.py (jit's device side) are the only ones that import cupy (fnx imports them only when
a GPU array exists, so fnx works without cupy).  CuPy owns the memory (``Array._value`` is a
``cupy.ndarray``) and computes *views* for layout-only primitives (transpose, broadcast, slice,
rev, squeeze, expand_dims; the impls are shared with the CPU backend:
``_layout.layout_impls``); every primitive that computes values launches our own kernel.  This
module holds the elementwise impls and the backend's table ``IMPLS``, merged with cuda_ops'.

Kernels validate nothing: each impl runs the primitive's abstract-eval rule first (which raises
fnx's clear shape / dtype errors), then launches.
"""
from __future__ import annotations

import math

import cupy as cp
import numpy as np

from ..lax import elementwise as ew
from ..lax import shape as sh
from . import cuda_ops
from ._layout import layout_impls
from .cuda_launch import (_contiguous, _contiguous_copy, _convert, _copy_into, _fn, _geom, _i64,
                          _launch, _sfx, _wrap)
from .device_arrays import CudaArray

IMPLS: dict = {}

_BOOL = np.dtype(np.bool_)

# ---------------------------------------------------------------------------------------------
# Elementwise
# ---------------------------------------------------------------------------------------------


def _run_unary(kname: str, v, out_dtype, param: int = 0):
    out = cp.empty(v.shape, out_dtype)
    nd, g = _geom(out, v)
    _launch(_fn("elementwise", kname), out.size, (nd, _i64(out.size), g, v, out, _i64(param)))
    return out


def _unary_impl(prim):
    def impl(x):
        aval = prim.abstract_eval(x)
        v = x._value
        return _wrap(_run_unary(f"fnx_unary_{prim.name}_{_sfx(v.dtype)}", v, aval.dtype),
                     aval.weak_type)
    return impl


for _name, _prim in ew.UNARY_PRIMITIVES.items():
    if _name not in ("round", "integer_pow"):
        IMPLS[_name] = _unary_impl(_prim)


def _round_impl(x, *, rounding_method):
    aval = ew.round_p.abstract_eval(x, rounding_method=rounding_method)
    op = "round_even" if rounding_method == 1 else "round_away"
    return _wrap(_run_unary(f"fnx_unary_{op}_{_sfx(x.dtype)}", x._value, aval.dtype),
                 aval.weak_type)


def _integer_pow_impl(x, *, y):
    aval = ew.integer_pow_p.abstract_eval(x, y=y)
    return _wrap(_run_unary(f"fnx_unary_integer_pow_{_sfx(x.dtype)}", x._value, aval.dtype,
                            ew.kernel_exponent(y, x.dtype)), aval.weak_type)


IMPLS["round"] = _round_impl
IMPLS["integer_pow"] = _integer_pow_impl


def _binary(op: str, xv, yv, shape, out_dtype):
    xv, yv = cp.broadcast_to(xv, shape), cp.broadcast_to(yv, shape)
    out = cp.empty(shape, out_dtype)
    nd, g = _geom(out, xv, yv)
    _launch(_fn("elementwise", f"fnx_binary_{op}_{_sfx(xv.dtype)}"), out.size,
            (nd, _i64(out.size), g, xv, yv, out))
    return out


def _binary_impl(prim):
    def impl(x, y):
        aval = prim.abstract_eval(x, y)
        return _wrap(_binary(prim.name, x._value, y._value, aval.shape, aval.dtype),
                     aval.weak_type)
    return impl


for _name, _prim in ew.BINARY_PRIMITIVES.items():
    IMPLS[_name] = _binary_impl(_prim)


def _select_bool(pred, on_false, on_true):
    shape = on_true.shape
    pred, on_false = cp.broadcast_to(pred, shape), cp.broadcast_to(on_false, shape)
    out = cp.empty(shape, on_true.dtype)
    nd, g = _geom(out, pred, on_false, on_true)
    _launch(_fn("elementwise", f"fnx_select_{out.itemsize}"), out.size,
            (nd, _i64(out.size), g, pred, on_false, on_true, out))
    return out


def _select_n_impl(which, *cases):
    aval = ew.select_n_p.abstract_eval(which, *cases)
    vals = [c._value for c in cases]
    if len(vals) == 1:
        return _wrap(_contiguous_copy(vals[0]), aval.weak_type)
    w = which._value
    if w.dtype == _BOOL:
        return _wrap(_select_bool(w, vals[0], vals[1]), aval.weak_type)
    # int32 `which`: out-of-range values are clamped (case 0 below, the last case above)
    result = vals[0]
    for k in range(1, len(vals)):
        ge = _binary("ge", w, cp.asarray(np.array(k, dtype=w.dtype)), result.shape, _BOOL)
        result = _select_bool(ge, result, vals[k])
    return _wrap(result, aval.weak_type)


def _clamp_impl(lo, x, hi):
    aval = ew.clamp_p.abstract_eval(lo, x, hi)
    xv = x._value
    lv, hv = cp.broadcast_to(lo._value, xv.shape), cp.broadcast_to(hi._value, xv.shape)
    out = cp.empty(xv.shape, xv.dtype)
    nd, g = _geom(out, lv, xv, hv)
    _launch(_fn("elementwise", f"fnx_clamp_{_sfx(xv.dtype)}"), out.size,
            (nd, _i64(out.size), g, lv, xv, hv, out))
    return _wrap(out, aval.weak_type)


def _convert_element_type_impl(x, *, new_dtype, weak_type):
    ew.convert_element_type_p.abstract_eval(x, new_dtype=new_dtype, weak_type=weak_type)
    return _wrap(_convert(x._value, new_dtype), weak_type)


IMPLS.update({"select_n": _select_n_impl, "clamp": _clamp_impl,
              "convert_element_type": _convert_element_type_impl,
              "stop_gradient": lambda x: x})

# ---------------------------------------------------------------------------------------------
# Shape primitives: CuPy views where possible, our copy kernel otherwise
# ---------------------------------------------------------------------------------------------


def _broadcast(v, expanded, shape):
    return cp.broadcast_to(_contiguous(v).reshape(expanded), shape)


def _fill(out, value):
    _copy_into(out, cp.broadcast_to(value, out.shape))


def _iota_impl(*, dtype, shape, dimension):
    sh.iota_p.abstract_eval(dtype=dtype, shape=shape, dimension=dimension)
    out = cp.empty(shape, dtype)
    inner = math.prod(shape[dimension + 1:])
    _launch(_fn("elementwise", f"fnx_iota_{_sfx(dtype)}"), out.size,
            (_i64(out.size), _i64(shape[dimension]), _i64(inner), out))
    return _wrap(out)


IMPLS.update(layout_impls(wrap=CudaArray, empty=cp.empty, contiguous=_contiguous,
                         contiguous_copy=_contiguous_copy, copy_into=_copy_into, fill=_fill,
                         broadcast=_broadcast))
IMPLS["iota"] = _iota_impl
IMPLS.update(cuda_ops.IMPLS)


def _dot_general_epilogue_impl(lhs, rhs, bias, *, dimension_numbers, act):
    """The jit's fused ``act(dot_general(lhs, rhs) + bias)`` (fnx.compiler.epilogue; a
    schedule-only primitive): the GEMM, then the bias add and relu as elementwise kernels
    (the same scalar ops as the unfused program)."""
    from ..compiler.epilogue import ACT_RELU
    c = IMPLS["dot_general"](lhs, rhs, dimension_numbers=dimension_numbers,
                             preferred_element_type=None)
    shape, last = c.shape, c.ndim - 1
    b = _wrap(bias._value.reshape(shape[-1]))
    out = IMPLS["add"](c, IMPLS["broadcast_in_dim"](b, shape=shape, broadcast_dimensions=(last,)))
    if act == ACT_RELU:
        zero = _wrap(cp.zeros((), out.dtype))
        out = IMPLS["max"](out, IMPLS["broadcast_in_dim"](zero, shape=shape,
                                                           broadcast_dimensions=()))
    return out


IMPLS["dot_general_epilogue"] = _dot_general_epilogue_impl

del _name, _prim
