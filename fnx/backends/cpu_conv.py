"""CPU impls of the convolution / windowed-reduction primitives (fnx/lax/conv.py).

Its table ``IMPLS`` is merged into ``fnx.backends.cpu.IMPLS``; the cffi handles and buffer
helpers come from cpu_ffi.py."""
from __future__ import annotations

import math

from ..lax.conv import (conv_p, reduce_window_max_p, reduce_window_sum_p, select_and_gather_add_p,
                        select_and_scatter_add_p)
from .cpu_ffi import _DTYPE_CODE, _check, _contiguous, _empty, _i64, _wrap, ffi, lib

IMPLS: dict = {}


def _conv_impl(lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
               feature_group_count):
    aval = conv_p.abstract_eval(lhs, rhs, window_strides=window_strides, padding=padding,
                                   lhs_dilation=lhs_dilation, rhs_dilation=rhs_dilation,
                                   feature_group_count=feature_group_count)
    out = _empty(aval.shape, aval.dtype)
    if out.size:
        x, f = _contiguous(lhs._value), _contiguous(rhs._value)
        n, h, w, c = x.shape
        kh, kw, _, o = f.shape
        rc = lib.fnx_conv2d(_DTYPE_CODE[aval.dtype], n, h, w, c, kh, kw, o, feature_group_count,
                            aval.shape[1], aval.shape[2], _i64(window_strides),
                            _i64([p[0] for p in padding]), _i64(lhs_dilation),
                            _i64(rhs_dilation), ffi.from_buffer(x), ffi.from_buffer(f),
                            ffi.from_buffer(out))
        _check(rc, "conv_general_dilated", lhs, rhs)
    return _wrap(out, aval.weak_type)


def _reduce_window_impl(prim, code):
    def impl(x, *, window_dimensions, window_strides, padding):
        aval = prim.abstract_eval(x, window_dimensions=window_dimensions,
                                  window_strides=window_strides, padding=padding)
        out = _empty(aval.shape, aval.dtype)
        if out.size:
            v = _contiguous(x._value)
            geom = _window_geometry(v.shape, window_dimensions, window_strides, padding,
                                    aval.shape)
            rc = lib.fnx_reduce_window(code, _DTYPE_CODE[v.dtype], *geom, ffi.from_buffer(v),
                                       ffi.from_buffer(out))
            _check(rc, prim.name, x)
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["conv_general_dilated"] = _conv_impl
IMPLS["reduce_window_sum"] = _reduce_window_impl(reduce_window_sum_p, lib.FNX_RED_SUM)
IMPLS["reduce_window_max"] = _reduce_window_impl(reduce_window_max_p, lib.FNX_RED_MAX)


def _window_geometry(shape, window_dimensions, window_strides, padding, out_shape):
    """(ndim, in_shape, out_shape, window, strides, pad_lo, inner) for the window kernels:
    trailing dimensions the window leaves alone run as one contiguous inner vector."""
    nd = len(shape)
    while nd and window_dimensions[nd - 1] == 1 and window_strides[nd - 1] == 1 \
            and padding[nd - 1] == (0, 0):
        nd -= 1
    inner = math.prod(shape[nd:])
    return (nd or 1, _i64(shape[:nd] or (1,)), _i64(out_shape[:nd] or (1,)),
            _i64(window_dimensions[:nd] or (1,)), _i64(window_strides[:nd] or (1,)),
            _i64([p[0] for p in padding[:nd]] or (0,)), inner)


def _select_impl(prim, op):
    def impl(source, operand, *, window_dimensions, window_strides, padding):
        aval = prim.abstract_eval(source, operand, window_dimensions=window_dimensions,
                                  window_strides=window_strides, padding=padding)
        out = _empty(aval.shape, aval.dtype)
        if out.size:
            x, src = _contiguous(operand._value), _contiguous(source._value)
            pooled = src.shape if op == lib.FNX_SELECT_SCATTER else aval.shape
            geom = _window_geometry(x.shape, window_dimensions, window_strides, padding, pooled)
            rc = lib.fnx_select_window(op, _DTYPE_CODE[x.dtype], *geom, ffi.from_buffer(x),
                                       ffi.from_buffer(src), ffi.from_buffer(out))
            _check(rc, prim.name, source, operand)
        return _wrap(out, aval.weak_type)
    return impl


IMPLS["select_and_gather_add"] = _select_impl(select_and_gather_add_p, lib.FNX_SELECT_GATHER)
IMPLS["select_and_scatter_add"] = _select_impl(select_and_scatter_add_p, lib.FNX_SELECT_SCATTER)
