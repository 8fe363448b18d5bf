"""numpy oracles of the elementwise primitives whose complex special values fnx takes from the
array API standard rather than from numpy (the reference backend runs them; the C and CUDA
kernels implement the same values in ``kernels/common/fnx_complex.h``)."""
from __future__ import annotations

import numpy as np


def expm1(x):
    """np.expm1; complex: exp(z) - 1 (exp's C99 special values) where z is not finite, where
    numpy's formula gives NaNs (expm1(inf + 0j) = inf + 0j), +0 + 0j at -0 + 0j, and a real z
    keeps its imaginary zero (numpy's e^x sin 0 is NaN once e^x overflows: expm1(89 + 0j) in
    complex64)."""
    y = np.expm1(x)
    if x.dtype.kind == "c":
        y = np.array(np.where(np.isfinite(x), y, np.exp(x) - 1).astype(y.dtype))
        y.real += 0
        y.imag = np.where(x.imag == 0, x.imag, y.imag)
    return y


def tanh(x):
    """np.tanh; complex tanh(+-inf + iy) for finite y is +-1 + i0 with the sign of y (C99 and
    numpy: the sign of sin(2y))."""
    y = np.array(np.tanh(x))  # an array even for 0-d x (its imag is written below)
    if x.dtype.kind == "c":
        at_inf = np.isinf(x.real) & np.isfinite(x.imag)
        y.imag = np.where(at_inf, np.copysign(0, x.imag), y.imag)
    return y
