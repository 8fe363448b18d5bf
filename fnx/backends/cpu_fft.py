"""CPU impl of ``fft_p`` (fnx/lax/fft.py) on the kernels of kernels/cpu/fft.c.

The kernels transform one axis of a contiguous (outer, n, inner) array, so a transform of
several trailing axes is one kernel call per axis, ping-ponging between fresh buffers (input
and output never alias): RFFT does its real-to-complex axis (the last) first and then the
complex ones, IRFFT the complex axes first and its complex-to-real axis last (numpy's order).
Empty results and zero-length transforms never reach the kernels.  Its table ``IMPLS`` is
merged into ``fnx.backends.cpu.IMPLS``."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..lax.fft import FftType, fft_p
from .cpu_ffi import _DTYPE_CODE, _check, _contiguous, _empty, _wrap, ffi, lib

IMPLS: dict = {}


def _split(shape, axis: int):
    """(outer, n, inner) of the contiguous ``shape`` around ``axis``."""
    return math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1:])


def _c2c(x: np.ndarray, axis: int, inverse: bool, operand) -> np.ndarray:
    outer, n, inner = _split(x.shape, axis)
    y = _empty(x.shape, x.dtype)
    _check(lib.fnx_fft_c2c(_DTYPE_CODE[x.dtype], int(inverse), outer, n, inner,
                           1.0 / n if inverse else 1.0, ffi.from_buffer(x), ffi.from_buffer(y)),
           "fft", operand)
    return y


def _r2c(x: np.ndarray, operand) -> np.ndarray:
    outer, n, _ = _split(x.shape, x.ndim - 1)
    y = _empty(x.shape[:-1] + (n // 2 + 1,), dtypes.complex_of(x.dtype))
    _check(lib.fnx_fft_r2c(_DTYPE_CODE[x.dtype], outer, n, 1, 1.0, ffi.from_buffer(x),
                           ffi.from_buffer(y)), "fft", operand)
    return y


def _c2r(x: np.ndarray, n: int, operand) -> np.ndarray:
    outer = math.prod(x.shape[:-1])
    y = _empty(x.shape[:-1] + (n,), dtypes.real_of(x.dtype))
    _check(lib.fnx_fft_c2r(_DTYPE_CODE[x.dtype], outer, n, 1, 1.0 / n, ffi.from_buffer(x),
                           ffi.from_buffer(y)), "fft", operand)
    return y


def _complex_axes(x: np.ndarray, axes, inverse: bool, operand) -> np.ndarray:
    for axis in axes:
        x = _c2c(x, axis, inverse, operand)
    return x


def _fft_impl(x, *, fft_type, fft_lengths):
    aval = fft_p.abstract_eval(x.aval, fft_type=fft_type, fft_lengths=fft_lengths)
    if math.prod(aval.shape) == 0 or 0 in fft_lengths:  # empty, or sums over no points
        return _wrap(np.zeros(aval.shape, aval.dtype))
    v = _contiguous(x._value)
    last = v.ndim - 1
    lead = range(v.ndim - len(fft_lengths), last)  # the transform axes before the last
    if fft_type == FftType.RFFT:
        out = _complex_axes(_r2c(v, x), lead, False, x)
    elif fft_type == FftType.IRFFT:
        out = _c2r(_complex_axes(v, lead, True, x), fft_lengths[-1], x)
    else:
        out = _complex_axes(v, (*lead, last), fft_type == FftType.IFFT, x)
    return _wrap(out)


IMPLS["fft"] = _fft_impl
