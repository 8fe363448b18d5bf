"""CPU impl of ``fft_p`` (fnx/lax/fft.py) on the kernels of kernels/cpu/fft.c.

The kernels transform one axis of a contiguous (outer, n, inner) array, so a transform of
several trailing axes is one kernel call per axis (``lax.fft.axis_passes``), each into a fresh
buffer (a kernel's input and output never alias).  Empty results and zero-length transforms
never reach the kernels.  Its table ``IMPLS`` is merged into ``fnx.backends.cpu.IMPLS``."""
from __future__ import annotations

import math

import numpy as np

from .. import dtypes
from ..lax.fft import axis_passes, fft_p
from .cpu_ffi import _DTYPE_CODE, _check, _contiguous, _empty, _wrap, ffi, lib

IMPLS: dict = {}

# each kernel's result dtype from its input's
_RESULT_DTYPE = {"c2c": lambda d: d, "r2c": dtypes.complex_of, "c2r": dtypes.real_of}


def _run_pass(p, x: np.ndarray, operand) -> np.ndarray:
    y = _empty(p.shape, _RESULT_DTYPE[p.kind](x.dtype))
    code, src, dst = _DTYPE_CODE[x.dtype], ffi.from_buffer(x), ffi.from_buffer(y)
    if p.kind == "c2c":
        rc = lib.fnx_fft_c2c(code, int(p.inverse), p.outer, p.n, p.inner, p.scale, src, dst)
    else:
        rc = getattr(lib, f"fnx_fft_{p.kind}")(code, p.outer, p.n, p.inner, p.scale, src, dst)
    _check(rc, "fft", operand)
    return y


def _fft_impl(x, *, fft_type, fft_lengths):
    aval = fft_p.abstract_eval(x.aval, fft_type=fft_type, fft_lengths=fft_lengths)
    if math.prod(aval.shape) == 0 or 0 in fft_lengths:  # empty, or sums over no points
        return _wrap(np.zeros(aval.shape, aval.dtype))
    v = _contiguous(x._value)
    for p in axis_passes(v.shape, fft_type, fft_lengths):
        v = _run_pass(p, v, x)
    return _wrap(v)


IMPLS["fft"] = _fft_impl
